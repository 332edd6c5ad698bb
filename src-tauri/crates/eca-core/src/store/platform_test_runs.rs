//! The `platform_test_run` table: how each test on the platform ended, against which sync
//! environment, and a digest of the fields it tested: the gate of a promotion
//! ([`crate::sync::promote`]).
//!
//! Invariants: holds no report, claim or secret, only the outcome; rows go with their IdP
//! (deleted by the catalog in the same transaction) and with their environment (cascade).

use super::sync_envs::EnvId;
use super::StoreError;
use eca_model::idp::IdpId;
use eca_oidc::login::report::TestOutcome;
use rusqlite::{params, Connection, OptionalExtension};

/// One test on the platform, as the promotion gate reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformTestRun {
    pub test_id: String,
    pub idp_id: IdpId,
    pub env: EnvId,
    /// SHA-256 (hex) of the wire fields the platform held when the test ran.
    pub fields_digest: String,
    pub outcome: TestOutcome,
    pub finished_at: String,
}

pub fn insert(conn: &Connection, run: &PlatformTestRun) -> Result<(), StoreError> {
    let outcome =
        serde_json::to_value(run.outcome).map_err(|e| StoreError::Sqlite(e.to_string()))?;
    conn.prepare_cached(
        "INSERT INTO platform_test_run (test_id, idp_id, env, fields_digest, outcome, finished_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        run.test_id,
        run.idp_id.to_string(),
        run.env.0,
        run.fields_digest,
        outcome.as_str(),
        run.finished_at
    ])?;
    Ok(())
}

/// The latest test of `id` against `env`, if any.
pub fn latest(
    conn: &Connection,
    env: EnvId,
    id: IdpId,
) -> Result<Option<PlatformTestRun>, StoreError> {
    let row = conn
        .prepare_cached(
            "SELECT test_id, fields_digest, outcome, finished_at FROM platform_test_run \
             WHERE idp_id = ?1 AND env = ?2 ORDER BY finished_at DESC, rowid DESC LIMIT 1",
        )?
        .query_row(params![id.to_string(), env.0], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .optional()?;
    row.map(|(test_id, fields_digest, outcome, finished_at)| {
        let outcome = serde_json::from_value(serde_json::Value::String(outcome))
            .map_err(|e| StoreError::Corrupt(format!("platform test outcome: {e}")))?;
        Ok(PlatformTestRun {
            test_id,
            idp_id: id,
            env,
            fields_digest,
            outcome,
            finished_at,
        })
    })
    .transpose()
}

pub fn delete_for_idp(conn: &Connection, id: IdpId) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM platform_test_run WHERE idp_id = ?1")?
        .execute([id.to_string()])?;
    Ok(())
}
