//! The `idempotency_record` table: the recorded response of each processed write.
//!
//! Invariants: a record is written in the same transaction as the write it describes, and is
//! never updated; records older than [`crate::idempotency::RETENTION`] are purged.

use super::StoreError;
use crate::workspace::WorkspaceId;
use rusqlite::{params, Connection, OptionalExtension};

/// A response as recorded: status, the headers to replay, body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub request_hash: String,
    pub response: StoredResponse,
}

pub fn find(
    conn: &Connection,
    workspace: &WorkspaceId,
    key: &str,
) -> Result<Option<IdempotencyRecord>, StoreError> {
    let row: Option<(String, u16, String, Vec<u8>)> = conn
        .query_row(
            "SELECT request_hash, status, headers, body FROM idempotency_record
             WHERE workspace_id = ?1 AND idem_key = ?2",
            params![workspace.as_str(), key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    row.map(|(request_hash, status, headers, body)| {
        let headers = serde_json::from_str(&headers)
            .map_err(|e| StoreError::Corrupt(format!("idempotency headers: {e}")))?;
        Ok(IdempotencyRecord {
            request_hash,
            response: StoredResponse {
                status,
                headers,
                body,
            },
        })
    })
    .transpose()
}

pub fn insert(
    conn: &Connection,
    workspace: &WorkspaceId,
    key: &str,
    record: &IdempotencyRecord,
    created_unix: i64,
) -> Result<(), StoreError> {
    let headers = serde_json::to_string(&record.response.headers)
        .map_err(|e| StoreError::Sqlite(e.to_string()))?;
    conn.execute(
        "INSERT INTO idempotency_record
             (workspace_id, idem_key, request_hash, status, headers, body, created_unix)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            workspace.as_str(),
            key,
            record.request_hash,
            record.response.status,
            headers,
            record.response.body,
            created_unix
        ],
    )?;
    Ok(())
}

/// Removes the records created before `cutoff_unix`; how many.
pub fn purge_before(conn: &Connection, cutoff_unix: i64) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "DELETE FROM idempotency_record WHERE created_unix < ?1",
        [cutoff_unix],
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::workspaces;

    #[test]
    fn records_round_trip_and_old_ones_are_purged() {
        let conn = crate::store::open_in_memory().unwrap();
        let dev: WorkspaceId = "dev".parse().unwrap();
        workspaces::ensure(&conn, &dev, "t").unwrap();
        let record = IdempotencyRecord {
            request_hash: "a".repeat(64),
            response: StoredResponse {
                status: 201,
                headers: vec![("etag".into(), "\"r1\"".into())],
                body: b"{}".to_vec(),
            },
        };
        insert(&conn, &dev, "old", &record, 100).unwrap();
        insert(&conn, &dev, "new", &record, 200).unwrap();
        assert_eq!(find(&conn, &dev, "old").unwrap(), Some(record.clone()));
        assert!(
            insert(&conn, &dev, "new", &record, 300).is_err(),
            "a record is never overwritten"
        );
        assert_eq!(purge_before(&conn, 150).unwrap(), 1);
        assert_eq!(
            find(&conn, &dev, "old").unwrap(),
            None,
            "the old record must be gone"
        );
        assert_eq!(find(&conn, &dev, "new").unwrap(), Some(record));
    }
}
