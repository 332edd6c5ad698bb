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
