//! Resolving a conflict on one IdP, once the admin has seen both sides.
//!
//! Invariants:
//! - Both resolutions start from the backend's copy as it is now (fetched again), never from a
//!   stale one.
//! - Keep mine re-bases on that copy's version and records a fresh change under a new
//!   idempotency key (the old key may have reached the server with another body).
//! - Take theirs replaces the local copy (fields only: the backend never returns the secret,
//!   so the local secret stays as it is) and drops the IdP's pending changes, in one
//!   transaction with its audit row and the new base.

use crate::secrets::SecretKey;
use crate::store::audit::{self, AuditAction};
use crate::store::sync_base::{self, BaseEntry};
use crate::store::sync_changes::{self, ChangeKind};
use crate::store::{idps, test_runs};
use crate::sync::outbox;
use crate::sync::push::{read_ok, Outbox, PushReport};
use crate::sync::SyncError;
use eca_model::clock::rfc3339;
use eca_model::idp::{Field, FieldError};
use eca_model::idp::{IdpConfig, IdpId};
use eca_model::validation::{self, issuer_key, name_key};
use eca_model::wire::RemoteIdp;
use rusqlite::TransactionBehavior;

impl Outbox {
    /// The backend's copy of one IdP now (`None` if it has none).
    pub async fn remote_idp(&mut self, id: IdpId) -> Result<Option<RemoteIdp>, SyncError> {
        let client = self.client()?;
        let workspace = self
            .settings()?
            .ok_or(SyncError::NotConfigured)?
            .workspace_id;
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
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let local = idps::get(&tx, id)?;
        if local.is_none() && remote.is_none() && sync_base::get(&tx, id)?.is_none() {
            return Err(SyncError::NotFound(id));
        }
        match remote {
            Some(r) => sync_base::upsert(&tx, &BaseEntry::from_remote(r, &now))?,
            None => sync_base::delete(&tx, id)?,
        }
        sync_changes::delete_for_idp(&tx, id)?;
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
        Ok(())
    }

    /// Makes `remote` (the backend's copy of `id` as just fetched; `None`: it has none) the
    /// local copy and the base, dropping the IdP's pending changes. With `only_if_unchanged`,
    /// nothing is done (and `false` returned) when the IdP has a change in the outbox, checked
    /// inside the write transaction so an edit saved meanwhile is never overwritten.
    pub(crate) fn apply_theirs(
        &mut self,
        id: IdpId,
        remote: Option<&RemoteIdp>,
        only_if_unchanged: bool,
    ) -> Result<bool, SyncError> {
        let now = rfc3339(self.clock.now());
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        if only_if_unchanged && sync_changes::latest_for_idp(&tx, id)?.is_some() {
            return Ok(false);
        }
        let local = idps::get(&tx, id)?;
        let mut delete_secret = false;
        match (remote, &local) {
            (Some(r), _) => {
                let name = r.fields.name.clone();
                let fields = r
                    .fields
                    .clone()
                    .into_local(local.as_ref().map(|l| &l.fields));
                let fields =
                    validation::validate(fields).map_err(|errors| SyncError::TheirsInvalid {
                        name: name.clone(),
                        errors,
                    })?;
                let clash = |field: Field, other: Option<IdpId>| {
                    other.filter(|o| *o != id).map(|_| {
                        FieldError::new(
                            field,
                            "is already used by another IdP here; rename it first",
                        )
                    })
                };
                let clashes: Vec<FieldError> = [
                    clash(
                        Field::Name,
                        idps::id_by_name_key(&tx, &name_key(&fields.name))?,
                    ),
                    match &fields.issuer {
                        Some(i) => {
                            clash(Field::Issuer, idps::id_by_issuer_key(&tx, &issuer_key(i))?)
                        }
                        None => None,
                    },
                ]
                .into_iter()
                .flatten()
                .collect();
                if !clashes.is_empty() {
                    return Err(SyncError::TheirsInvalid {
                        name,
                        errors: clashes,
                    });
                }
                let idp = IdpConfig {
                    id,
                    fields,
                    has_secret: local.as_ref().is_some_and(|l| l.has_secret),
                    created_at: local
                        .as_ref()
                        .map_or_else(|| now.clone(), |l| l.created_at.clone()),
                    updated_at: now.clone(),
                };
                let changes = audit::diff(local.as_ref().map(|l| &l.fields), Some(&idp.fields));
                if local.is_some() {
                    idps::update(&tx, &idp)?;
                    audit::append(&tx, id, &now, AuditAction::Update, &changes)?;
                } else {
                    idps::insert(&tx, &idp)?;
                    audit::append(&tx, id, &now, AuditAction::Create, &changes)?;
                }
                sync_base::upsert(&tx, &BaseEntry::from_remote(r, &now))?;
            }
            (None, Some(l)) => {
                idps::delete(&tx, id)?;
                test_runs::delete_for_idp(&tx, id)?;
                let mut changes = audit::diff(Some(&l.fields), None);
                if l.has_secret {
                    changes.push(audit::secret_change(true));
                    delete_secret = true;
                }
                audit::append(&tx, id, &now, AuditAction::Delete, &changes)?;
                sync_base::delete(&tx, id)?;
            }
            (None, None) => sync_base::delete(&tx, id)?,
        }
        sync_changes::delete_for_idp(&tx, id)?;
        if delete_secret {
            // As the catalog does: no orphaned credential; a refusal keeps the IdP.
            self.secrets.delete(SecretKey::IdpClientSecret(id))?;
        }
        tx.commit()?;
        Ok(true)
    }
}
