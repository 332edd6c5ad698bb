//! The outbox: local edits waiting to be pushed (`sync_change`). [`Outbox`] is one data
//! folder's sync side (its connection, keyring, clock and retry policy), which reads the
//! current sync environment's changes, plans ([`crate::sync::plan`]) and pushes them ([`crate::sync::push`]); [`record`]
//! is how [`crate::catalog`] adds a change inside the transaction of each edit.
//!
//! Invariants:
//! - [`record`] runs in the caller's transaction: the edit and its outbox row commit together
//!   or not at all.
//! - Every row gets a fresh idempotency key (UUID v4 from the OS RNG) when it is recorded.
//! - Coalescing and idempotency keys: a later edit of the same IdP is folded into the newest
//!   row only while that row is `pending` and has no frozen `request`. The push freezes the
//!   request (in its own committed transaction) *before* sending anything under the key, so a
//!   row without a frozen request has provably never reached the server, and reusing its key
//!   for the merged edit is safe. Once frozen, the row is resent byte-for-byte until the
//!   server acknowledges it, and later edits get a new row with a new key. A key is therefore
//!   never used for two different bodies.
//! - Only the fact that the secret changed is recorded; its value stays in the keyring.

use crate::secrets::SecretStore;
use crate::store::sync_base::{self, BaseEntry};
use crate::store::sync_changes::{self, ChangeKind, ChangeState, SyncChange};
use crate::store::sync_envs::{self, EnvId, EnvRow};
use crate::store::{self, idps, StoreError};
use crate::sync::client::BackendClient;
use crate::sync::plan::{self, SyncPlan};
use crate::sync::push::read_ok;
use crate::sync::retry::{Jitter, OsJitter, Pause, RetryPolicy, TokioPause};
use crate::sync::secret_copy;
use crate::sync::settings::{self, SaveSettings, SyncSettings};
use crate::sync::SyncError;
use eca_model::clock::{rfc3339, Clock};
use eca_model::idp::IdpId;
use eca_model::wire::{RemoteIdp, RemoteList};
use rusqlite::{Connection, TransactionBehavior};
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use uuid::Uuid;

/// The sync side of one data folder: its own connection to the database, the keyring, the
/// clock, and how to wait between retries.
pub struct Outbox {
    pub(crate) conn: Connection,
    pub(crate) secrets: Arc<dyn SecretStore>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) retry: RetryPolicy,
    pub(crate) pause: Arc<dyn Pause>,
    pub(crate) jitter: Arc<dyn Jitter>,
}

impl Outbox {
    /// Opens the database in `data_dir` (the same file the [`crate::catalog::Catalog`] uses).
    pub fn open(
        data_dir: &Path,
        secrets: Arc<dyn SecretStore>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, SyncError> {
        let conn = store::open(&data_dir.join(crate::data_dir::DB_FILE))?;
        Ok(Self::with_connection(conn, secrets, clock))
    }

    pub fn with_connection(
        conn: Connection,
        secrets: Arc<dyn SecretStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            conn,
            secrets,
            clock,
            retry: RetryPolicy::default(),
            pause: Arc::new(TokioPause),
            jitter: Arc::new(OsJitter),
        }
    }

    /// Replaces how retries are spaced and waited for (tests make waits instant).
    pub fn with_retry(
        mut self,
        policy: RetryPolicy,
        pause: Arc<dyn Pause>,
        jitter: Arc<dyn Jitter>,
    ) -> Self {
        self.retry = policy;
        self.pause = pause;
        self.jitter = jitter;
        self
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    pub fn settings(&self) -> Result<Option<SyncSettings>, SyncError> {
        settings::load(&self.conn)
    }

    /// Stores where to sync and, when given, the API key (keyring); see [`settings::save`].
    pub fn save_settings(&mut self, request: SaveSettings<'_>) -> Result<SyncSettings, SyncError> {
        let at = rfc3339(self.clock.now());
        settings::save(&mut self.conn, self.secrets.as_ref(), request, &at)
    }

    /// The current environment's outbox, oldest first.
    pub fn changes(&self) -> Result<Vec<SyncChange>, SyncError> {
        Ok(sync_changes::list(&self.conn, self.scope()?)?)
    }

    /// The last-synced state of every IdP on the current environment.
    pub fn base(&self) -> Result<Vec<BaseEntry>, SyncError> {
        Ok(sync_base::list(&self.conn, self.scope()?)?)
    }

    /// The current environment's id, whose outbox and base the app and the CLI work on
    /// (`None` before any environment exists: the outbox rows recorded until then).
    pub(crate) fn scope(&self) -> Result<Option<EnvId>, SyncError> {
        Ok(sync_envs::current_id(&self.conn)?)
    }

    /// The current environment.
    pub(crate) fn current_env(&self) -> Result<EnvRow, SyncError> {
        sync_envs::current(&self.conn)?.ok_or(SyncError::NotConfigured)
    }

    pub(crate) fn client(&self) -> Result<BackendClient, SyncError> {
        self.client_for(&self.current_env()?)
    }

    /// A client for `env`, with the API key of that environment's place and no other.
    pub(crate) fn client_for(&self, env: &EnvRow) -> Result<BackendClient, SyncError> {
        let settings = SyncSettings::of(env);
        let key = settings::api_key(self.secrets.as_ref(), &settings)?;
        BackendClient::new(&settings, key)
    }

    /// The backend's IdPs.
    pub async fn remote(&mut self) -> Result<Vec<RemoteIdp>, SyncError> {
        let env = self.current_env()?;
        self.remote_of(&env).await
    }

    /// The IdPs of environment `env`'s backend.
    pub(crate) async fn remote_of(&mut self, env: &EnvRow) -> Result<Vec<RemoteIdp>, SyncError> {
        let client = self.client_for(env)?;
        let response = read_ok(client.list().await, &env.workspace_id)?;
        let list: RemoteList = response
            .json()
            .map_err(|e| SyncError::Protocol(e.to_string()))?;
        Ok(list.items)
    }

    /// The three-way plan: local IdPs, the base, and the backend's copy fetched now.
    pub async fn plan(&mut self) -> Result<SyncPlan, SyncError> {
        let remote = self.remote().await?;
        self.plan_against(&remote)
    }

    /// The three-way plan against this copy of the backend's IdPs.
    pub(crate) fn plan_against(&self, remote: &[RemoteIdp]) -> Result<SyncPlan, SyncError> {
        let scope = self.scope()?;
        let local = idps::list_full(&self.conn)?;
        let base = sync_base::list(&self.conn, scope)?;
        let edited: HashSet<IdpId> = sync_changes::list(&self.conn, scope)?
            .into_iter()
            .filter(|c| c.secret_changed)
            .map(|c| c.idp_id)
            .collect();
        Ok(plan::compute_with_secrets(&local, &base, remote, &edited))
    }

    /// Makes the failed changes of `id` sendable again (after the admin fixed the IdP);
    /// returns how many there were.
    pub fn retry_failed(&mut self, id: IdpId) -> Result<usize, SyncError> {
        let scope = self.scope()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut retried = 0;
        for change in sync_changes::list(&tx, scope)? {
            if change.idp_id == id && change.state == ChangeState::Failed {
                let key = uuid::Uuid::new_v4().hyphenated().to_string();
                sync_changes::reset(&tx, change.seq, &key)?;
                retried += 1;
            }
        }
        tx.commit()?;
        secret_copy::discard_settled(&self.conn, self.secrets.as_ref());
        Ok(retried)
    }
}

/// Records one local edit of `id` in the current environment's outbox, in the caller's
/// transaction.
pub fn record(
    conn: &Connection,
    id: IdpId,
    kind: ChangeKind,
    secret_changed: bool,
    at: &str,
) -> Result<(), StoreError> {
    let env = sync_envs::current_id(conn)?;
    record_in(conn, env, id, kind, secret_changed, at)
}

/// Records one change of `id` in the outbox of `env`, in the caller's transaction.
pub(crate) fn record_in(
    conn: &Connection,
    env: Option<EnvId>,
    id: IdpId,
    kind: ChangeKind,
    secret_changed: bool,
    at: &str,
) -> Result<(), StoreError> {
    if let Some(latest) = sync_changes::latest_for_idp(conn, env, id)? {
        if latest.state == ChangeState::Pending && latest.request.is_none() {
            let secret_changed = secret_changed || latest.secret_changed;
            match coalesce(latest.kind, kind) {
                Some(merged) => sync_changes::merge(conn, latest.seq, merged, secret_changed)?,
                // Created and deleted before anything was sent: unless the backend already
                // knows the IdP, there is nothing left to tell it.
                None if sync_base::get(conn, env, id)?.is_none() => {
                    sync_changes::delete(conn, latest.seq)?
                }
                None => sync_changes::merge(conn, latest.seq, ChangeKind::Delete, false)?,
            }
            return Ok(());
        }
    }
    let key = Uuid::new_v4().hyphenated().to_string();
    sync_changes::insert(conn, env, id, kind, secret_changed, at, &key)?;
    Ok(())
}

/// The one change equivalent to `earlier` then `later`; `None` when they cancel out
/// (created, then deleted).
pub fn coalesce(earlier: ChangeKind, later: ChangeKind) -> Option<ChangeKind> {
    use ChangeKind::*;
    match (earlier, later) {
        (Create, Delete) => None,
        (Create, _) => Some(Create),
        (_, Delete) => Some(Delete),
        (Enable | Disable, Enable | Disable) => Some(later),
        // Any other pair, deleted then created again among them, changes the fields.
        _ => Some(Update),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store;

    #[test]
    fn coalescing_keeps_the_meaning_of_the_sequence() {
        use ChangeKind::*;
        assert_eq!(coalesce(Create, Update), Some(Create));
        assert_eq!(coalesce(Create, Disable), Some(Create));
        assert_eq!(coalesce(Create, Delete), None);
        assert_eq!(coalesce(Update, Delete), Some(Delete));
        assert_eq!(coalesce(Enable, Disable), Some(Disable));
        assert_eq!(coalesce(Update, Enable), Some(Update));
        assert_eq!(coalesce(Delete, Create), Some(Update));
    }

    #[test]
    fn a_frozen_change_is_never_merged_into() {
        let conn = store::open_in_memory().unwrap();
        let id = IdpId::new();
        record(&conn, id, ChangeKind::Create, false, "t1").unwrap();
        record(&conn, id, ChangeKind::Update, true, "t2").unwrap();
        let rows = sync_changes::list(&conn, None).unwrap();
        assert_eq!(rows.len(), 1, "unsent edits coalesce");
        assert_eq!(rows[0].kind, ChangeKind::Create);
        assert!(rows[0].secret_changed);
        let first_key = rows[0].idempotency_key.clone();

        assert!(sync_changes::freeze(&conn, rows[0].seq, "{}").unwrap());
        record(&conn, id, ChangeKind::Disable, false, "t3").unwrap();
        let rows = sync_changes::list(&conn, None).unwrap();
        assert_eq!(rows.len(), 2, "an edit after the freeze needs its own row");
        assert_eq!(rows[0].idempotency_key, first_key);
        assert_ne!(
            rows[1].idempotency_key, first_key,
            "a new body gets a new key"
        );
    }

    #[test]
    fn created_then_deleted_is_still_a_delete_when_the_backend_holds_the_idp() {
        let conn = store::open_in_memory().unwrap();
        let env = sync_envs::insert(&conn, "default", "https://msg.example", "acme").unwrap();
        let id = IdpId::new();
        let remote = RemoteIdp {
            id,
            fields: eca_model::wire::WireFields::from(&eca_model::idp::IdpFields::blank(
                eca_model::idp::Protocol::Oidc,
            )),
            version: "v1".into(),
            secret_set: false,
            secret_fingerprint: None,
            created_at: "t0".into(),
            updated_at: "t0".into(),
        };
        sync_base::upsert(&conn, env, &BaseEntry::from_remote(&remote, "t0")).unwrap();
        record_in(&conn, Some(env), id, ChangeKind::Create, true, "t1").unwrap();
        record_in(&conn, Some(env), id, ChangeKind::Delete, false, "t2").unwrap();
        let rows = sync_changes::list(&conn, Some(env)).unwrap();
        let kinds: Vec<_> = rows.iter().map(|c| (c.kind, c.secret_changed)).collect();
        assert_eq!(kinds, [(ChangeKind::Delete, false)]);
    }

    #[test]
    fn settings_read_back_what_was_saved() {
        let clock = eca_model::clock::FixedClock(time::OffsetDateTime::UNIX_EPOCH);
        let mut outbox = Outbox::with_connection(
            store::open_in_memory().unwrap(),
            Arc::new(crate::secrets::MemorySecrets::new()),
            Arc::new(clock),
        );
        assert_eq!(outbox.settings().unwrap(), None);
        let key = eca_model::secret::Secret::new("eca_test_key_0123456789abcdef");
        let saved = outbox
            .save_settings(SaveSettings {
                settings: SyncSettings {
                    backend_url: "https://msg.example".into(),
                    workspace_id: "acme".into(),
                },
                api_key: Some(&key),
                start_afresh: false,
            })
            .unwrap();
        assert_eq!(outbox.settings().unwrap(), Some(saved));
    }

    #[test]
    fn created_then_deleted_before_a_push_leaves_nothing() {
        let conn = store::open_in_memory().unwrap();
        let id = IdpId::new();
        record(&conn, id, ChangeKind::Create, true, "t1").unwrap();
        record(&conn, id, ChangeKind::Delete, false, "t2").unwrap();
        assert!(sync_changes::list(&conn, None).unwrap().is_empty());
    }
}
