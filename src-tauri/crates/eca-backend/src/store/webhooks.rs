//! The `webhook` table: each workspace's webhook URL and its sealed signing secret.
//!
//! Invariant: at most one webhook per workspace; setting it again replaces URL and secret.

use super::StoreError;
use crate::workspace::WorkspaceId;
use rusqlite::{params, Connection, OptionalExtension};

pub struct WebhookRow {
    pub url: String,
    pub secret_sealed: Vec<u8>,
}

pub fn set(
    conn: &Connection,
    workspace: &WorkspaceId,
    row: &WebhookRow,
    now: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO webhook (workspace_id, url, secret_sealed, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (workspace_id) DO UPDATE SET
            url = excluded.url, secret_sealed = excluded.secret_sealed,
            created_at = excluded.created_at",
        params![workspace.as_str(), row.url, row.secret_sealed, now],
    )?;
    Ok(())
}

pub fn get(conn: &Connection, workspace: &WorkspaceId) -> Result<Option<WebhookRow>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT url, secret_sealed FROM webhook WHERE workspace_id = ?1",
            [workspace.as_str()],
            |r| {
                Ok(WebhookRow {
                    url: r.get(0)?,
                    secret_sealed: r.get(1)?,
                })
            },
        )
        .optional()?)
}

/// Removes the webhook; whether there was one.
pub fn delete(conn: &Connection, workspace: &WorkspaceId) -> Result<bool, StoreError> {
    Ok(conn.execute(
        "DELETE FROM webhook WHERE workspace_id = ?1",
        [workspace.as_str()],
    )? > 0)
}
