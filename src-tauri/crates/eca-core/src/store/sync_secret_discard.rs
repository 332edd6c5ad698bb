//! The `sync_secret_discard` table: the idempotency keys whose keyring copy of a frozen client
//! secret is to be deleted (see [`crate::sync::secret_copy`]).
//!
//! Invariants:
//! - Rows are added only by the database's triggers, in the transaction that removes or re-keys
//!   a change (migration 0008), so no code path that settles a change can forget its copy.
//! - A row is removed only after its keyring entry is gone. It holds a key, never a secret.

use super::StoreError;
use rusqlite::Connection;

/// The keys whose copies are still to delete, oldest first.
pub fn list(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT idempotency_key FROM sync_secret_discard ORDER BY rowid")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The copy of `key` is gone from the keyring.
pub fn remove(conn: &Connection, key: &str) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM sync_secret_discard WHERE idempotency_key = ?1")?
        .execute([key])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sync_changes::ChangeKind;
    use crate::store::{self, sync_changes};
    use eca_model::idp::IdpId;

    const SET: &str = r#"{"method":"put","secret":"set"}"#;
    const KEEP: &str = r#"{"method":"put","secret":"keep"}"#;

    fn change(conn: &Connection, key: &str, request: Option<&str>) -> i64 {
        let seq =
            sync_changes::insert(conn, None, IdpId::new(), ChangeKind::Create, true, "t", key)
                .unwrap();
        if let Some(request) = request {
            sync_changes::freeze(conn, seq, request).unwrap();
        }
        seq
    }

    fn key(n: u8) -> String {
        format!("00000000-0000-4000-8000-0000000000{n:02}")
    }

    #[test]
    fn settling_or_rekeying_a_change_that_may_hold_a_copy_queues_it() {
        let conn = store::open_in_memory().unwrap();
        let sends_secret = change(&conn, &key(1), Some(SET));
        let keeps_secret = change(&conn, &key(2), Some(KEEP));
        let unfrozen = change(&conn, &key(3), None);
        let retried = change(&conn, &key(4), Some(SET));
        for seq in [sends_secret, keeps_secret, unfrozen] {
            sync_changes::delete(&conn, seq).unwrap();
        }
        sync_changes::reset(&conn, retried, &key(5)).unwrap();
        assert_eq!(
            list(&conn).unwrap(),
            vec![key(1), key(3), key(4)],
            "a change that sent a secret, or may have copied one before a crash, queues its \
             copy when it settles or gets a new key; one that sent none does not"
        );
        remove(&conn, &key(3)).unwrap();
        assert_eq!(list(&conn).unwrap(), vec![key(1), key(4)]);
    }
}
