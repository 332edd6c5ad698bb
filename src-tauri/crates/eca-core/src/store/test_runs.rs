//! The `test_run` table: the redacted history of "Test Configuration" runs, per IdP.
//!
//! Invariants: only [`TestReport::redacted`] reports are written (no tokens, no claim values);
//! rows are deleted with their IdP, by the catalog, in the same transaction.

use super::StoreError;
use eca_model::idp::IdpId;
use eca_oidc::login::report::TestReport;
use rusqlite::{params, Connection};

/// How many runs per IdP are kept; older ones are dropped when a new one is written.
pub const KEEP_PER_IDP: i64 = 50;

pub fn insert(conn: &Connection, report: &TestReport) -> Result<(), StoreError> {
    let redacted = report.redacted();
    let json = serde_json::to_string(&redacted).map_err(|e| StoreError::Sqlite(e.to_string()))?;
    let outcome =
        serde_json::to_value(redacted.outcome).map_err(|e| StoreError::Sqlite(e.to_string()))?;
    conn.prepare_cached(
        "INSERT INTO test_run (run_id, idp_id, finished_at, outcome, report) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![redacted.run_id, redacted.idp_id.to_string(), redacted.finished_at, outcome.as_str(), json])?;
    conn.prepare_cached(
        "DELETE FROM test_run WHERE idp_id = ?1 AND run_id NOT IN \
         (SELECT run_id FROM test_run WHERE idp_id = ?1 ORDER BY finished_at DESC LIMIT ?2)",
    )?
    .execute(params![redacted.idp_id.to_string(), KEEP_PER_IDP])?;
    Ok(())
}

/// The runs of one IdP, newest first.
pub fn for_idp(conn: &Connection, id: IdpId) -> Result<Vec<TestReport>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT report FROM test_run WHERE idp_id = ?1 ORDER BY finished_at DESC",
    )?;
    let rows = stmt.query_map([id.to_string()], |r| r.get::<_, String>(0))?;
    rows.map(|row| {
        serde_json::from_str(&row?).map_err(|e| StoreError::Corrupt(format!("test run: {e}")))
    })
    .collect()
}

pub fn delete_for_idp(conn: &Connection, id: IdpId) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM test_run WHERE idp_id = ?1")?
        .execute([id.to_string()])?;
    Ok(())
}
