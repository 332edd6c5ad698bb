//! The `api_key` table: which key (by its SHA-256) opens which workspace.
//!
//! Invariants: a key opens exactly one workspace; granting it to a second one is refused. The
//! table holds exactly the keys granted at the last start ([`keep_only`]): a key whose
//! `--api-key` was removed stops working.

use super::StoreError;
use crate::workspace::WorkspaceId;
use rusqlite::{params, Connection, OptionalExtension};

/// Records that the key with `key_hash` opens `workspace` (no-op when it already does).
pub fn grant(
    conn: &Connection,
    key_hash: &str,
    workspace: &WorkspaceId,
    now: &str,
) -> Result<(), StoreError> {
    let existing: Option<String> = conn
        .query_row(
            "SELECT workspace_id FROM api_key WHERE key_hash = ?1",
            [key_hash],
            |r| r.get(0),
        )
        .optional()?;
    match existing {
        Some(owner) if owner == workspace.as_str() => Ok(()),
        Some(owner) => Err(StoreError::KeyInUse(owner)),
        None => {
            conn.execute(
                "INSERT INTO api_key (key_hash, workspace_id, created_at) VALUES (?1, ?2, ?3)",
                params![key_hash, workspace.as_str(), now],
            )?;
            Ok(())
        }
    }
}

/// Revokes every key but those with these hashes; how many were revoked.
pub fn keep_only(conn: &Connection, key_hashes: &[String]) -> Result<usize, StoreError> {
    let mut revoked = 0;
    for (hash, _) in all(conn)? {
        if !key_hashes.contains(&hash) {
            revoked += conn.execute("DELETE FROM api_key WHERE key_hash = ?1", [&hash])?;
        }
    }
    Ok(revoked)
}

/// Every (key hash, workspace) pair.
pub fn all(conn: &Connection) -> Result<Vec<(String, WorkspaceId)>, StoreError> {
    let mut stmt = conn.prepare("SELECT key_hash, workspace_id FROM api_key")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    rows.map(|row| {
        let (hash, workspace) = row?;
        let workspace = workspace
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("api_key workspace {workspace:?}")))?;
        Ok((hash, workspace))
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::workspaces;

    #[test]
    fn a_key_opens_one_workspace() {
        let conn = crate::store::open_in_memory().unwrap();
        let (a, b): (WorkspaceId, WorkspaceId) = ("a".parse().unwrap(), "b".parse().unwrap());
        workspaces::ensure(&conn, &a, "t").unwrap();
        workspaces::ensure(&conn, &b, "t").unwrap();
        let hash = "0".repeat(64);
        grant(&conn, &hash, &a, "t").unwrap();
        grant(&conn, &hash, &a, "t").expect("granting again to the same workspace is a no-op");
        assert!(
            grant(&conn, &hash, &b, "t").is_err(),
            "a key must not open two workspaces"
        );
        assert_eq!(all(&conn).unwrap(), vec![(hash, a)]);
    }
}
