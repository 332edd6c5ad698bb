//! The `sync_base` table: per IdP, the state the backend last acknowledged (the "base" of the
//! three-way comparison in [`crate::sync::plan`]), per sync environment ([`super::sync_envs`]).
//!
//! Invariants: written only from a backend answer (a successful write, or a conflict resolved
//! by the admin), in the same transaction that removes the change it acknowledges; holds a
//! secret's fingerprint at most, never the secret.

use super::sync_envs::EnvId;
use super::StoreError;
use eca_model::idp::IdpId;
use eca_model::wire::{RemoteIdp, WireFields};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

/// The last-synced state of one IdP.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct BaseEntry {
    pub idp_id: IdpId,
    pub fields: WireFields,
    pub version: String,
    pub secret_set: bool,
    pub secret_fingerprint: Option<String>,
    pub synced_at: String,
}

impl BaseEntry {
    /// The base a backend answer establishes.
    pub fn from_remote(remote: &RemoteIdp, synced_at: &str) -> Self {
        Self {
            idp_id: remote.id,
            fields: remote.fields.clone(),
            version: remote.version.clone(),
            secret_set: remote.secret_set,
            secret_fingerprint: remote.secret_fingerprint.clone(),
            synced_at: synced_at.to_string(),
        }
    }
}

pub fn upsert(conn: &Connection, env: EnvId, entry: &BaseEntry) -> Result<(), StoreError> {
    let fields =
        serde_json::to_string(&entry.fields).map_err(|e| StoreError::Sqlite(e.to_string()))?;
    conn.prepare_cached(
        "INSERT INTO sync_base (idp_id, fields, version, secret_set, secret_fingerprint, synced_at, \
         env) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (env, idp_id) DO UPDATE SET fields = ?2, \
         version = ?3, secret_set = ?4, secret_fingerprint = ?5, synced_at = ?6",
    )?
    .execute(params![
        entry.idp_id.to_string(),
        fields,
        entry.version,
        entry.secret_set,
        entry.secret_fingerprint,
        entry.synced_at,
        env.0
    ])?;
    Ok(())
}

pub fn get(
    conn: &Connection,
    env: Option<EnvId>,
    id: IdpId,
) -> Result<Option<BaseEntry>, StoreError> {
    let row = conn
        .prepare_cached(
            "SELECT idp_id, fields, version, secret_set, secret_fingerprint, synced_at \
             FROM sync_base WHERE idp_id = ?1 AND env IS ?2",
        )?
        .query_row(params![id.to_string(), env.map(|e| e.0)], |r| Ok(read(r)))
        .optional()?;
    row.transpose()
}

pub fn list(conn: &Connection, env: Option<EnvId>) -> Result<Vec<BaseEntry>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT idp_id, fields, version, secret_set, secret_fingerprint, synced_at \
         FROM sync_base WHERE env IS ?1 ORDER BY idp_id",
    )?;
    let rows = stmt.query_map([env.map(|e| e.0)], |r| Ok(read(r)))?;
    rows.map(|r| r?).collect()
}

pub fn delete(conn: &Connection, env: EnvId, id: IdpId) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM sync_base WHERE idp_id = ?1 AND env = ?2")?
        .execute(params![id.to_string(), env.0])?;
    Ok(())
}

/// Forgets every entry (sync moves to another backend, which holds none of them).
pub fn clear(conn: &Connection, env: EnvId) -> Result<(), StoreError> {
    conn.execute("DELETE FROM sync_base WHERE env = ?1", [env.0])?;
    Ok(())
}

fn read(r: &rusqlite::Row<'_>) -> Result<BaseEntry, StoreError> {
    let id: String = r.get(0)?;
    let fields: String = r.get(1)?;
    Ok(BaseEntry {
        idp_id: id
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("sync base id {id:?}")))?,
        fields: serde_json::from_str(&fields)
            .map_err(|e| StoreError::Corrupt(format!("sync base fields: {e}")))?,
        version: r.get(2)?,
        secret_set: r.get(3)?,
        secret_fingerprint: r.get(4)?,
        synced_at: r.get(5)?,
    })
}
