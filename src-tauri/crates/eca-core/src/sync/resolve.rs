//! Resolving a conflict on one IdP, once the admin has seen both sides.
//!
//! Invariants:
//! - Both resolutions start from the backend's copy as it is now (fetched again), never from a
//!   stale one.
//! - Keep mine re-bases on that copy's version and records a fresh change under a new
//!   idempotency key (the old key may have reached the server with another body).
//! - Take theirs replaces the local copy through the one write path
//!   ([`crate::catalog::write`], origin take theirs or pull: validated, unique, audited, and
//!   not recorded in the outbox), fields only (the backend never returns the secret, so the
//!   local secret stays as it is), and drops the IdP's pending changes, in one transaction
//!   with the new base. The dropped changes' secret copies go with them
//!   ([`crate::sync::secret_copy`]).

use crate::catalog::write::{self, WriteError, WriteIdp, WriteOrigin};
use crate::catalog::SecretChange;
use crate::store::idps;
use crate::store::sync_base::{self, BaseEntry};
use crate::store::sync_changes::{self, ChangeKind};
use crate::sync::outbox;
use crate::sync::outbox::Outbox;
use crate::sync::push::{read_ok, PushReport};
use crate::sync::secret_copy;
use crate::sync::SyncError;
use eca_model::clock::rfc3339;
use eca_model::idp::IdpId;
use eca_model::wire::RemoteIdp;
use rusqlite::TransactionBehavior;

impl Outbox {
    /// The backend's copy of one IdP now (`None` if it has none).
    pub async fn remote_idp(&mut self, id: IdpId) -> Result<Option<RemoteIdp>, SyncError> {
        let env = self.current_env()?;
        let client = self.client_for(&env)?;
        let workspace = env.workspace_id;
        let result = client.get(id).await;
        if matches!(&result, Ok(r) if r.meta.status == 404) {
            return Ok(None);
        }
        let response = read_ok(result, &workspace)?;
        response
            .json()
            .map(Some)
            .map_err(|e| SyncError::Protocol(e.to_string()))
    }

    /// Keep mine: my copy of `id` replaces the backend's (or deletes it, if I deleted it),
    /// re-based on the backend's current version, then pushed.
    pub async fn keep_mine(&mut self, id: IdpId) -> Result<PushReport, SyncError> {
        let remote = self.remote_idp(id).await?;
        self.rebase(id, remote.as_ref())?;
        self.push().await
    }

    /// Keep mine, locally: the base becomes the backend's current copy and the IdP's changes
    /// are replaced by one fresh change (new idempotency key) that makes it mine.
    fn rebase(&mut self, id: IdpId, remote: Option<&RemoteIdp>) -> Result<(), SyncError> {
        let now = rfc3339(self.clock.now());
        let env = self.current_env()?.id;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let local = idps::get(&tx, id)?;
        if local.is_none() && remote.is_none() && sync_base::get(&tx, Some(env), id)?.is_none() {
            return Err(SyncError::NotFound(id));
        }
        match remote {
            Some(r) => sync_base::upsert(&tx, env, &BaseEntry::from_remote(r, &now))?,
            None => sync_base::delete(&tx, env, id)?,
        }
        sync_changes::delete_for_idp(&tx, Some(env), id)?;
        let kind = match (&local, remote) {
            (Some(_), Some(_)) => Some(ChangeKind::Update),
            (Some(_), None) => Some(ChangeKind::Create),
            (None, Some(_)) => Some(ChangeKind::Delete),
            (None, None) => None,
        };
        if let Some(kind) = kind {
            // Mine includes my secret: send it again. Having none here (imports and "take
            // theirs" never bring one) is not a wish to remove theirs, so theirs is then kept.
            let secret_changed = local.as_ref().is_some_and(|l| l.has_secret);
            outbox::record(&tx, id, kind, secret_changed, &now)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Take theirs: the backend's copy of `id` replaces mine (or deletes mine, if the backend
    /// has none), and my pending changes of it are dropped.
    pub async fn take_theirs(&mut self, id: IdpId) -> Result<(), SyncError> {
        let remote = self.remote_idp(id).await?;
        self.apply_theirs(id, remote.as_ref(), false)?;
        secret_copy::discard_settled(&self.conn, self.secrets.as_ref());
        Ok(())
    }

    /// Makes `remote` (the backend's copy of `id` as just fetched; `None`: it has none) the
    /// local copy and the base, dropping the IdP's pending changes. With `only_if_unchanged`
    /// (a pull), nothing is done (and `false` returned) when the IdP has a change in the outbox,
    /// checked inside the write transaction so an edit saved meanwhile is never overwritten.
    pub(crate) fn apply_theirs(
        &mut self,
        id: IdpId,
        remote: Option<&RemoteIdp>,
        only_if_unchanged: bool,
    ) -> Result<bool, SyncError> {
        let origin = match only_if_unchanged {
            true => WriteOrigin::Pull,
            false => WriteOrigin::TakeTheirs,
        };
        let now = rfc3339(self.clock.now());
        let env = self.current_env()?.id;
        let secrets = self.secrets.as_ref();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        if only_if_unchanged && sync_changes::latest_for_idp(&tx, Some(env), id)?.is_some() {
            return Ok(false);
        }
        let local = idps::get(&tx, id)?;
        let written = match (remote, &local) {
            (Some(r), _) => {
                // Fields only: the backend never returns the secret, so the local one stays.
                let fields = r
                    .fields
                    .clone()
                    .into_local(local.as_ref().map(|l| &l.fields));
                let save = WriteIdp::Save {
                    id: Some(id),
                    fields: Box::new(fields),
                    secret: SecretChange::Keep,
                };
                Some(
                    write::write_idp(&tx, secrets, &now, save, origin)
                        .map_err(|e| theirs_refused(e, &r.fields.name))?,
                )
            }
            (None, Some(l)) => Some(
                write::write_idp(&tx, secrets, &now, WriteIdp::Delete { id }, origin)
                    .map_err(|e| theirs_refused(e, &l.fields.name))?,
            ),
            (None, None) => None,
        };
        let base = match remote {
            Some(r) => sync_base::upsert(&tx, env, &BaseEntry::from_remote(r, &now)),
            None => sync_base::delete(&tx, env, id),
        };
        let rest = base.and_then(|()| sync_changes::delete_for_idp(&tx, Some(env), id));
        match written {
            Some(written) => {
                if let Err(e) = rest {
                    written.discard(secrets);
                    return Err(e.into());
                }
                write::commit(tx, &written, secrets).map_err(|e| theirs_refused(e, ""))?;
            }
            None => {
                rest?;
                tx.commit()?;
            }
        }
        Ok(true)
    }
}

/// A write of the backend's copy that the write path refused, as a sync error.
fn theirs_refused(e: WriteError, name: &str) -> SyncError {
    match e {
        WriteError::Invalid(errors) => SyncError::TheirsInvalid {
            name: name.to_string(),
            errors,
        },
        WriteError::NotFound(id) => SyncError::NotFound(id),
        WriteError::Store(e) => SyncError::Store(e),
        WriteError::Secret(e) => SyncError::Secret(e),
    }
}
