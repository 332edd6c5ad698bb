//! The `workspace` table: the workspaces, their salts and their revision counters.
//!
//! Invariant: a workspace's `last_revision` only grows, so every version it hands out is new.

use super::StoreError;
use crate::workspace::WorkspaceId;
use rusqlite::{params, Connection, OptionalExtension};

/// A workspace as the request pipeline needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub fingerprint_salt: Vec<u8>,
}

/// The workspace `id`, created (with a fresh salt) when it does not exist yet.
pub fn ensure(conn: &Connection, id: &WorkspaceId, now: &str) -> Result<Workspace, StoreError> {
    conn.execute(
        "INSERT INTO workspace (id, fingerprint_salt, created_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO NOTHING",
        params![id.as_str(), crate::crypto::new_salt().to_vec(), now],
    )?;
    get(conn, id)?.ok_or_else(|| StoreError::Corrupt(format!("workspace {id} vanished")))
}

pub fn get(conn: &Connection, id: &WorkspaceId) -> Result<Option<Workspace>, StoreError> {
    let salt: Option<Vec<u8>> = conn
        .query_row(
            "SELECT fingerprint_salt FROM workspace WHERE id = ?1",
            [id.as_str()],
            |r| r.get(0),
        )
        .optional()?;
    Ok(salt.map(|fingerprint_salt| Workspace {
        id: id.clone(),
        fingerprint_salt,
    }))
}

pub fn all(conn: &Connection) -> Result<Vec<Workspace>, StoreError> {
    let mut stmt = conn.prepare("SELECT id, fingerprint_salt FROM workspace ORDER BY id")?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
    })?;
    rows.map(|row| {
        let (id, fingerprint_salt) = row?;
        let id = id
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("workspace id {id:?}")))?;
        Ok(Workspace {
            id,
            fingerprint_salt,
        })
    })
    .collect()
}

/// Takes the next revision number of the workspace (call inside the write's transaction).
pub fn next_revision(conn: &Connection, id: &WorkspaceId) -> Result<i64, StoreError> {
    Ok(conn.query_row(
        "UPDATE workspace SET last_revision = last_revision + 1 WHERE id = ?1
         RETURNING last_revision",
        [id.as_str()],
        |r| r.get(0),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ensure_is_idempotent_and_revisions_grow() {
        let conn = super::super::open_in_memory().unwrap();
        let dev: WorkspaceId = "dev".parse().unwrap();
        let first = ensure(&conn, &dev, "t").unwrap();
        let again = ensure(&conn, &dev, "t").unwrap();
        assert_eq!(first, again, "a second ensure must keep the salt");
        assert_eq!(first.fingerprint_salt.len(), 16);
        assert_eq!(next_revision(&conn, &dev).unwrap(), 1);
        assert_eq!(next_revision(&conn, &dev).unwrap(), 2);
        assert_eq!(all(&conn).unwrap(), vec![first]);
    }
}
