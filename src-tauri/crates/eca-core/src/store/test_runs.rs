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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store;
    use eca_oidc::login::report::{TestOutcome, VerifiedIdentity};
    use serde_json::json;

    /// Run ids are UUIDs; run `n`'s ends in `n`.
    fn run_id(n: usize) -> String {
        format!("00000000-0000-4000-8000-{n:012}")
    }

    fn report(idp: IdpId, n: usize) -> TestReport {
        TestReport {
            run_id: run_id(n),
            idp_id: idp,
            idp_name: "Okta".into(),
            started_at: format!("2026-01-01T00:{:02}:{:02}Z", n / 60, n % 60),
            finished_at: format!("2026-01-01T01:{:02}:{:02}Z", n / 60, n % 60),
            outcome: TestOutcome::Passed,
            redirect_uri: "loopback".into(),
            steps: vec![],
            error: None,
            identity: Some(VerifiedIdentity {
                id_token_verified: true,
                id_token_claims: Some(json!({
                    "iss": "https://okta.example", "sub": "user-4711", "email": "ann@example.com"
                })),
                userinfo_claims: Some(
                    json!({ "sub": "user-4711", "phone_number": "+4915112345678" }),
                ),
                customer_id_claim: "sub".into(),
                customer_id: Some("user-4711".into()),
                access_token_masked: "eyJh… (812 characters)".into(),
                refresh_token_masked: Some("8f3a… (64 characters)".into()),
                ..VerifiedIdentity::default()
            }),
        }
    }

    #[test]
    fn a_run_is_stored_without_claim_values_identifiers_or_tokens() {
        let conn = store::open_in_memory().unwrap();
        let idp = IdpId::new();
        insert(&conn, &report(idp, 1)).unwrap();
        let row: String = conn
            .query_row("SELECT report FROM test_run", [], |r| r.get(0))
            .unwrap();
        for value in [
            "user-4711",
            "ann@example.com",
            "+4915112345678",
            "eyJh",
            "8f3a",
        ] {
            assert!(!row.contains(value), "{value} is in the stored row: {row}");
        }
        let stored = &for_idp(&conn, idp).unwrap()[0];
        let claims = stored
            .identity
            .as_ref()
            .unwrap()
            .id_token_claims
            .as_ref()
            .unwrap();
        assert_eq!(claims["iss"], "https://okta.example", "who issued it stays");
        assert_eq!(
            claims["email"], "[redacted]",
            "the claim's name stays, not its value"
        );
    }

    #[test]
    fn the_newest_runs_are_kept_per_idp_and_older_ones_dropped() {
        let conn = store::open_in_memory().unwrap();
        let (busy, quiet) = (IdpId::new(), IdpId::new());
        insert(&conn, &report(quiet, 0)).unwrap();
        let total = KEEP_PER_IDP as usize + 3;
        for n in 1..=total {
            insert(&conn, &report(busy, n)).unwrap();
        }
        let kept = for_idp(&conn, busy).unwrap();
        assert_eq!(kept.len(), KEEP_PER_IDP as usize);
        assert_eq!(kept[0].run_id, run_id(total), "newest first");
        assert_eq!(
            kept.last().unwrap().run_id,
            run_id(4),
            "the three oldest were dropped"
        );
        assert_eq!(
            for_idp(&conn, quiet).unwrap().len(),
            1,
            "another IdP's runs are its own"
        );
    }
}
