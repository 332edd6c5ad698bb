//! The `sync_settings` table: the backend URL and workspace this data folder syncs with.
//!
//! Invariant: one row at most; the API key is not here but in the OS keyring
//! ([`crate::secrets::SecretKey::SyncApiKey`]).

use super::StoreError;
use rusqlite::{params, Connection, OptionalExtension};

/// `(backend_url, workspace_id)`, if sync was set up.
pub fn get(conn: &Connection) -> Result<Option<(String, String)>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT backend_url, workspace_id FROM sync_settings WHERE id = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

pub fn put(conn: &Connection, backend_url: &str, workspace_id: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO sync_settings (id, backend_url, workspace_id) VALUES (1, ?1, ?2) \
         ON CONFLICT (id) DO UPDATE SET backend_url = ?1, workspace_id = ?2",
    )?
    .execute(params![backend_url, workspace_id])?;
    Ok(())
}
