//! The `update_settings` table: the URL of the update manifest.
//!
//! Invariant: one row at most; no row means updates are not configured.

use super::StoreError;
use rusqlite::{params, Connection, OptionalExtension};

/// The manifest URL, if one was set.
pub fn get(conn: &Connection) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT manifest_url FROM update_settings WHERE id = 1")?
        .query_row([], |r| r.get(0))
        .optional()?)
}

/// Sets the manifest URL, or forgets it (`None`: updates are no longer checked).
pub fn put(conn: &Connection, manifest_url: Option<&str>) -> Result<(), StoreError> {
    match manifest_url {
        Some(url) => conn
            .prepare_cached(
                "INSERT INTO update_settings (id, manifest_url) VALUES (1, ?1) \
                 ON CONFLICT (id) DO UPDATE SET manifest_url = ?1",
            )?
            .execute(params![url])?,
        None => conn
            .prepare_cached("DELETE FROM update_settings")?
            .execute([])?,
    };
    Ok(())
}
