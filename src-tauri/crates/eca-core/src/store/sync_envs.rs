//! The `sync_env` table: the named sync environments (backend URL, workspace, place along the
//! promotion path, which one is current).
//!
//! Invariants: at most one row is current (a partial unique index); positions are unique and
//! grow as environments are added; the API key is never here (OS keyring, per place).

use super::StoreError;
use rusqlite::{params, Connection, OptionalExtension, Row};

/// An environment's row id: what the outbox, the base and the platform test runs are keyed by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EnvId(pub i64);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvRow {
    pub id: EnvId,
    pub name: String,
    pub backend_url: String,
    pub workspace_id: String,
    pub position: i64,
    pub current: bool,
}

const COLUMNS: &str = "id, name, backend_url, workspace_id, position, is_current";

fn read(r: &Row<'_>) -> rusqlite::Result<EnvRow> {
    Ok(EnvRow {
        id: EnvId(r.get(0)?),
        name: r.get(1)?,
        backend_url: r.get(2)?,
        workspace_id: r.get(3)?,
        position: r.get(4)?,
        current: r.get(5)?,
    })
}

/// Every environment, along the promotion path.
pub fn list(conn: &Connection) -> Result<Vec<EnvRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM sync_env ORDER BY position");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([], read)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn current(conn: &Connection) -> Result<Option<EnvRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM sync_env WHERE is_current = 1");
    Ok(conn.prepare_cached(&sql)?.query_row([], read).optional()?)
}

/// The current environment's id: the outbox and base the app and the CLI work on (`None`
/// before any environment exists).
pub fn current_id(conn: &Connection) -> Result<Option<EnvId>, StoreError> {
    Ok(current(conn)?.map(|env| env.id))
}

pub fn get(conn: &Connection, id: EnvId) -> Result<Option<EnvRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM sync_env WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id.0], read)
        .optional()?)
}

pub fn by_name(conn: &Connection, name: &str) -> Result<Option<EnvRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM sync_env WHERE name = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([name], read)
        .optional()?)
}

/// Adds an environment at the end of the promotion path; the first one is current.
pub fn insert(
    conn: &Connection,
    name: &str,
    backend_url: &str,
    workspace_id: &str,
) -> Result<EnvId, StoreError> {
    conn.prepare_cached(
        "INSERT INTO sync_env (name, backend_url, workspace_id, position, is_current) \
         VALUES (?1, ?2, ?3, (SELECT coalesce(max(position), 0) + 1 FROM sync_env), \
         NOT EXISTS (SELECT 1 FROM sync_env))",
    )?
    .execute(params![name, backend_url, workspace_id])?;
    Ok(EnvId(conn.last_insert_rowid()))
}

pub fn update(
    conn: &Connection,
    id: EnvId,
    name: &str,
    backend_url: &str,
    workspace_id: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE sync_env SET name = ?2, backend_url = ?3, workspace_id = ?4 WHERE id = ?1",
    )?
    .execute(params![id.0, name, backend_url, workspace_id])?;
    Ok(())
}

pub fn set_current(conn: &Connection, id: EnvId) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE sync_env SET is_current = 0 WHERE is_current = 1 AND id <> ?1")?
        .execute([id.0])?;
    conn.prepare_cached("UPDATE sync_env SET is_current = 1 WHERE id = ?1")?
        .execute([id.0])?;
    Ok(())
}

/// Deletes an environment; its outbox, base and platform test runs go with it (cascade).
pub fn delete(conn: &Connection, id: EnvId) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM sync_env WHERE id = ?1")?
        .execute([id.0])?;
    Ok(())
}
