//! The `sync_change` table: the outbox of local edits still to push, oldest first, per sync
//! environment (`env`, NULL only before any environment exists).
//!
//! Invariants:
//! - A row is written in the same transaction as the edit it records (see
//!   [`crate::sync::outbox::record`]), and removed in the same transaction that records the
//!   backend's acknowledgement in `sync_base`.
//! - `request` is set once (see [`freeze`]) and never changed afterwards: it is the exact
//!   request sent under the row's idempotency key.
//! - No secret value is ever written here. A frozen request that sends the client secret has a
//!   copy of the value in the keyring (see [`crate::sync::secret_copy`]); removing or re-keying
//!   its row queues that copy for deletion, by trigger ([`super::sync_secret_discard`]).

use super::sync_envs::EnvId;
use super::StoreError;
use eca_model::idp::IdpId;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

/// What kind of edit a change records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Create,
    Update,
    Delete,
    Enable,
    Disable,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Create => "create",
            ChangeKind::Update => "update",
            ChangeKind::Delete => "delete",
            ChangeKind::Enable => "enable",
            ChangeKind::Disable => "disable",
        }
    }
    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "create" => Self::Create,
            "update" => Self::Update,
            "delete" => Self::Delete,
            "enable" => Self::Enable,
            "disable" => Self::Disable,
            other => return Err(StoreError::Corrupt(format!("sync change kind {other:?}"))),
        })
    }
}

/// Where a change stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ChangeState {
    /// Waiting to be pushed (or retried).
    Pending,
    /// Refused by the backend; it and later changes of the IdP wait for the admin.
    Failed,
    /// The backend's copy changed since the base: resolve with keep mine / take theirs.
    Conflict,
}

impl ChangeState {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeState::Pending => "pending",
            ChangeState::Failed => "failed",
            ChangeState::Conflict => "conflict",
        }
    }
    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "pending" => Self::Pending,
            "failed" => Self::Failed,
            "conflict" => Self::Conflict,
            other => return Err(StoreError::Corrupt(format!("sync change state {other:?}"))),
        })
    }
}

/// One outbox row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct SyncChange {
    #[specta(type = specta_typescript::Number)]
    pub seq: i64,
    pub idp_id: IdpId,
    pub kind: ChangeKind,
    /// The client secret was set, replaced or removed (the value is never recorded).
    pub secret_changed: bool,
    pub created_at: String,
    pub idempotency_key: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<String>,
    pub state: ChangeState,
    /// The frozen request (JSON), once one may have been sent under the key.
    #[serde(skip)]
    pub request: Option<String>,
}

const COLUMNS: &str = "seq, idp_id, kind, secret_changed, created_at, idempotency_key, attempts, \
     last_error, next_attempt_at, state, request";

pub fn insert(
    conn: &Connection,
    env: Option<EnvId>,
    id: IdpId,
    kind: ChangeKind,
    secret_changed: bool,
    created_at: &str,
    idempotency_key: &str,
) -> Result<i64, StoreError> {
    conn.prepare_cached(
        "INSERT INTO sync_change (idp_id, kind, secret_changed, created_at, idempotency_key, env) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        id.to_string(),
        kind.as_str(),
        secret_changed,
        created_at,
        idempotency_key,
        env.map(|e| e.0)
    ])?;
    Ok(conn.last_insert_rowid())
}

/// The newest change of one IdP, if any.
pub fn latest_for_idp(
    conn: &Connection,
    env: Option<EnvId>,
    id: IdpId,
) -> Result<Option<SyncChange>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM sync_change WHERE idp_id = ?1 AND env IS ?2 \
         ORDER BY seq DESC LIMIT 1"
    );
    let row = conn
        .prepare_cached(&sql)?
        .query_row(params![id.to_string(), env.map(|e| e.0)], |r| Ok(read(r)))
        .optional()?;
    row.transpose()
}

pub fn get(conn: &Connection, seq: i64) -> Result<Option<SyncChange>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM sync_change WHERE seq = ?1");
    let row = conn
        .prepare_cached(&sql)?
        .query_row([seq], |r| Ok(read(r)))
        .optional()?;
    row.transpose()
}

/// Every change, oldest first.
pub fn list(conn: &Connection, env: Option<EnvId>) -> Result<Vec<SyncChange>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM sync_change WHERE env IS ?1 ORDER BY seq");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([env.map(|e| e.0)], |r| Ok(read(r)))?;
    rows.map(|r| r?).collect()
}

/// Folds a later edit into a change nothing was sent under yet.
pub fn merge(
    conn: &Connection,
    seq: i64,
    kind: ChangeKind,
    secret_changed: bool,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE sync_change SET kind = ?2, secret_changed = ?3 WHERE seq = ?1 AND request IS NULL",
    )?
    .execute(params![seq, kind.as_str(), secret_changed])?;
    Ok(())
}

/// Records the request about to be sent under the change's key. Returns false when it was
/// already frozen (the caller must then resend the stored one).
pub fn freeze(conn: &Connection, seq: i64, request: &str) -> Result<bool, StoreError> {
    let n = conn
        .prepare_cached("UPDATE sync_change SET request = ?2 WHERE seq = ?1 AND request IS NULL")?
        .execute(params![seq, request])?;
    Ok(n == 1)
}

/// Notes a failed attempt that will be retried.
pub fn record_attempt(
    conn: &Connection,
    seq: i64,
    error: &str,
    next_attempt_at: Option<&str>,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE sync_change SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3 \
         WHERE seq = ?1",
    )?
    .execute(params![seq, clip(error), next_attempt_at])?;
    Ok(())
}

/// Says why a change is not sent yet, without counting an attempt or changing its state.
pub fn note(conn: &Connection, seq: i64, why: &str) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE sync_change SET last_error = ?2 WHERE seq = ?1")?
        .execute(params![seq, clip(why)])?;
    Ok(())
}

pub fn set_state(
    conn: &Connection,
    seq: i64,
    state: ChangeState,
    error: Option<&str>,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE sync_change SET state = ?2, last_error = ?3, attempts = attempts + 1 WHERE seq = ?1",
    )?
    .execute(params![seq, state.as_str(), error.map(clip)])?;
    Ok(())
}

pub fn delete(conn: &Connection, seq: i64) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM sync_change WHERE seq = ?1")?
        .execute([seq])?;
    Ok(())
}

/// Removes every change (sync moves to another backend; none of them is for it).
pub fn clear(conn: &Connection, env: EnvId) -> Result<(), StoreError> {
    conn.execute("DELETE FROM sync_change WHERE env = ?1", [env.0])?;
    Ok(())
}

/// Gives the changes recorded before any environment existed to `env` (the first one).
pub fn adopt(conn: &Connection, env: EnvId) -> Result<(), StoreError> {
    conn.execute("UPDATE sync_change SET env = ?1 WHERE env IS NULL", [env.0])?;
    Ok(())
}

pub fn delete_for_idp(conn: &Connection, env: Option<EnvId>, id: IdpId) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM sync_change WHERE idp_id = ?1 AND env IS ?2")?
        .execute(params![id.to_string(), env.map(|e| e.0)])?;
    Ok(())
}

fn clip(s: &str) -> String {
    s.chars().take(4000).collect()
}

fn read(r: &Row<'_>) -> Result<SyncChange, StoreError> {
    let id: String = r.get(1)?;
    Ok(SyncChange {
        seq: r.get(0)?,
        idp_id: id
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("sync change id {id:?}")))?,
        kind: ChangeKind::parse(&r.get::<_, String>(2)?)?,
        secret_changed: r.get(3)?,
        created_at: r.get(4)?,
        idempotency_key: r.get(5)?,
        attempts: r.get(6)?,
        last_error: r.get(7)?,
        next_attempt_at: r.get(8)?,
        state: ChangeState::parse(&r.get::<_, String>(9)?)?,
        request: r.get(10)?,
    })
}

/// Makes a failed change sendable again: back to `pending`, unfrozen, under a new key (the old
/// key's secret copy is queued for deletion, by trigger). Only
/// for changes the backend refused before processing (it recorded nothing under the old key).
pub fn reset(conn: &Connection, seq: i64, new_key: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE sync_change SET state = 'pending', request = NULL, idempotency_key = ?2, \
         last_error = NULL, next_attempt_at = NULL WHERE seq = ?1",
    )?
    .execute(params![seq, new_key])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{self, sync_envs};

    fn key() -> String {
        uuid::Uuid::new_v4().hyphenated().to_string()
    }

    #[test]
    fn a_note_says_why_without_counting_an_attempt() {
        let conn = store::open_in_memory().unwrap();
        let seq = insert(
            &conn,
            None,
            IdpId::new(),
            ChangeKind::Create,
            false,
            "t",
            &key(),
        )
        .unwrap();
        note(&conn, seq, "waiting for the secret").unwrap();
        let change = get(&conn, seq).unwrap().unwrap();
        assert_eq!(
            (change.last_error.as_deref(), change.attempts, change.state),
            (Some("waiting for the secret"), 0, ChangeState::Pending)
        );
    }

    #[test]
    fn clearing_an_environment_leaves_the_others_changes() {
        let conn = store::open_in_memory().unwrap();
        let staging = sync_envs::insert(&conn, "staging", "https://s.example", "acme").unwrap();
        let production =
            sync_envs::insert(&conn, "production", "https://p.example", "acme").unwrap();
        let id = IdpId::new();
        insert(
            &conn,
            Some(staging),
            id,
            ChangeKind::Create,
            false,
            "t",
            &key(),
        )
        .unwrap();
        let kept = insert(
            &conn,
            Some(production),
            id,
            ChangeKind::Create,
            false,
            "t",
            &key(),
        )
        .unwrap();

        clear(&conn, staging).unwrap();
        assert!(list(&conn, Some(staging)).unwrap().is_empty());
        let left: Vec<i64> = list(&conn, Some(production))
            .unwrap()
            .iter()
            .map(|c| c.seq)
            .collect();
        assert_eq!(left, [kept]);
    }
}
