//! Recording local edits in the outbox (`sync_change`), called by [`crate::catalog`] inside
//! the transaction of each edit.
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

use crate::store::sync_changes::{self, ChangeKind, ChangeState};
use crate::store::{sync_base, StoreError};
use eca_model::idp::IdpId;
use rusqlite::Connection;
use uuid::Uuid;

/// Records one local edit of `id` in the outbox, in the caller's transaction.
pub fn record(
    conn: &Connection,
    id: IdpId,
    kind: ChangeKind,
    secret_changed: bool,
    at: &str,
) -> Result<(), StoreError> {
    if let Some(latest) = sync_changes::latest_for_idp(conn, id)? {
        if latest.state == ChangeState::Pending && latest.request.is_none() {
            let secret_changed = secret_changed || latest.secret_changed;
            match coalesce(latest.kind, kind) {
                Some(merged) => sync_changes::merge(conn, latest.seq, merged, secret_changed)?,
                // Created and deleted before anything was sent: unless the backend already
                // knows the IdP, there is nothing left to tell it.
                None if sync_base::get(conn, id)?.is_none() => {
                    sync_changes::delete(conn, latest.seq)?
                }
                None => sync_changes::merge(conn, latest.seq, ChangeKind::Delete, false)?,
            }
            return Ok(());
        }
    }
    let key = Uuid::new_v4().hyphenated().to_string();
    sync_changes::insert(conn, id, kind, secret_changed, at, &key)?;
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
        (Delete, _) => Some(Update),
        (Enable | Disable, Enable | Disable) => Some(later),
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
        let rows = sync_changes::list(&conn).unwrap();
        assert_eq!(rows.len(), 1, "unsent edits coalesce");
        assert_eq!(rows[0].kind, ChangeKind::Create);
        assert!(rows[0].secret_changed);
        let first_key = rows[0].idempotency_key.clone();

        assert!(sync_changes::freeze(&conn, rows[0].seq, "{}").unwrap());
        record(&conn, id, ChangeKind::Disable, false, "t3").unwrap();
        let rows = sync_changes::list(&conn).unwrap();
        assert_eq!(rows.len(), 2, "an edit after the freeze needs its own row");
        assert_eq!(rows[0].idempotency_key, first_key);
        assert_ne!(
            rows[1].idempotency_key, first_key,
            "a new body gets a new key"
        );
    }

    #[test]
    fn created_then_deleted_before_a_push_leaves_nothing() {
        let conn = store::open_in_memory().unwrap();
        let id = IdpId::new();
        record(&conn, id, ChangeKind::Create, true, "t1").unwrap();
        record(&conn, id, ChangeKind::Delete, false, "t2").unwrap();
        assert!(sync_changes::list(&conn).unwrap().is_empty());
    }
}
