//! The copies of client secrets that frozen sync changes send, so that a change is sent under
//! its idempotency key with exactly one body, whatever the admin does to the secret meanwhile.
//!
//! Invariants:
//! - When a request that sends the secret is frozen, the IdP's secret is copied in the keyring
//!   under [`SecretKey::FrozenClientSecret`] of the change's idempotency key, before the freeze
//!   commits ([`take`]). Every send of that request, retries and resends after a crash included,
//!   reads the copy ([`read`]), never the IdP's current secret. A secret replaced since is the
//!   IdP's next change, under its own key; a delete leaves the copy for the create still in
//!   flight. So the client's own edits never make the backend see one key with two bodies.
//! - A copy lives until its change settles: removing or re-keying a change queues its copy
//!   (database triggers, `sync_secret_discard`), and [`discard_settled`] deletes the queued ones
//!   (each push, at its start and end, and after a conflict is resolved or a failure reset).
//! - Values go only from the keyring to the request body; no error or log line holds one.

use crate::secrets::{Secret, SecretKey, SecretStore};
use crate::store::{sync_secret_discard, StoreError};
use crate::sync::SyncError;
use eca_model::idp::IdpId;
use rusqlite::Connection;

/// The keyring entry of the copy for the change sent under `idempotency_key`.
fn key(idempotency_key: &str) -> Result<SecretKey, SyncError> {
    uuid::Uuid::parse_str(idempotency_key)
        .map(SecretKey::FrozenClientSecret)
        .map_err(|_| {
            SyncError::Store(StoreError::Corrupt(format!(
                "sync change idempotency key {idempotency_key:?}"
            )))
        })
}

/// Copies IdP `id`'s secret for the change about to be frozen under `idempotency_key`. `false`
/// when the keyring has no secret for it (the request then sends none).
pub(crate) fn take(
    secrets: &dyn SecretStore,
    id: IdpId,
    idempotency_key: &str,
) -> Result<bool, SyncError> {
    let Some(secret) = secrets.get(SecretKey::IdpClientSecret(id))? else {
        return Ok(false);
    };
    secrets.put(key(idempotency_key)?, &secret)?;
    Ok(true)
}

/// The secret a frozen change sends: its copy. A change frozen before copies were taken (by an
/// earlier version) has none and sends the IdP's current secret, as it did then.
pub(crate) fn read(
    secrets: &dyn SecretStore,
    id: IdpId,
    idempotency_key: &str,
) -> Result<Option<Secret>, SyncError> {
    match secrets.get(key(idempotency_key)?)? {
        Some(copy) => Ok(Some(copy)),
        None => Ok(secrets.get(SecretKey::IdpClientSecret(id))?),
    }
}

/// Deletes the copies of settled changes from the keyring. What cannot be deleted now (no
/// keyring) stays queued for the next call; that never fails the caller.
pub(crate) fn discard_settled(conn: &Connection, secrets: &dyn SecretStore) {
    let queued = match sync_secret_discard::list(conn) {
        Ok(queued) => queued,
        Err(error) => {
            tracing::warn!(%error, "could not read the secret copies to delete");
            return;
        }
    };
    for idempotency_key in queued {
        let deleted = key(&idempotency_key)
            .and_then(|k| Ok(secrets.delete(k)?))
            .and_then(|()| Ok(sync_secret_discard::remove(conn, &idempotency_key)?));
        if let Err(error) = deleted {
            tracing::warn!(%error, "could not delete a settled change's secret copy; will retry");
            return;
        }
    }
}
