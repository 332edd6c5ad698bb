//! What a test login reports: its steps, each with a time and an outcome, the error with how to
//! fix it, and the verified identity.
//!
//! Invariants:
//! - A report holds no usable credential: access and refresh tokens appear only masked, the
//!   authorization code and the client secret never. Reports can be stored and exported.
//! - Steps appear in protocol order; a step is `running` until it ends.

pub use super::error_code::TestErrorCode;
use serde::{Deserialize, Serialize};

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type, strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
pub enum StepName {
    Discovery,
    Jwks,
    /// Only when the IdP advertises PAR (RFC 9126): the request is pushed before the browser.
    PushedAuthorization,
    Authorization,
    RedirectReceived,
    StateAndIssuer,
    CodeExchange,
    IdTokenVerification,
    Userinfo,
}

impl StepName {
    pub fn label(self) -> &'static str {
        match self {
            StepName::Discovery => "Discovery",
            StepName::Jwks => "Signing keys (JWKS)",
            StepName::PushedAuthorization => "Pushed authorization (PAR)",
            StepName::Authorization => "Authorization in the browser",
            StepName::RedirectReceived => "Redirect received",
            StepName::StateAndIssuer => "State and issuer checks",
            StepName::CodeExchange => "Code exchange",
            StepName::IdTokenVerification => "ID token verification",
            StepName::Userinfo => "Userinfo",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Running,
    Passed,
    /// Passed, with something the admin should look at (e.g. endpoints differ from discovery).
    Warning,
    Failed,
    Skipped,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Step {
    pub name: StepName,
    pub status: StepStatus,
    /// How long the step took, in milliseconds.
    #[specta(type = specta_typescript::Number)]
    pub ms: u64,
    pub detail: String,
}

/// Why a test failed, in the IdP's terms, and what to change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct TestError {
    /// The failed check, e.g. `invalid_client`, `id_token.aud`, `state`.
    pub code: TestErrorCode,
    pub message: String,
    /// What to do about it.
    pub fix: String,
}

impl TestError {
    pub fn new(code: TestErrorCode, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fix: fix.into(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum TestOutcome {
    /// The login was fully verified.
    Passed,
    Failed,
    Cancelled,
    TimedOut,
}

/// The identity the IdP vouched for, as verified.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct VerifiedIdentity {
    /// False for plain OAuth 2.0 IdPs: no ID token was verified, the identity is the profile's.
    pub id_token_verified: bool,
    #[specta(type = Option<std::collections::BTreeMap<String, specta_typescript::Unknown>>)]
    pub id_token_header: Option<serde_json::Value>,
    #[specta(type = Option<std::collections::BTreeMap<String, specta_typescript::Unknown>>)]
    pub id_token_claims: Option<serde_json::Value>,
    #[specta(type = Option<std::collections::BTreeMap<String, specta_typescript::Unknown>>)]
    pub userinfo_claims: Option<serde_json::Value>,
    /// The claim configured as the customer identifier, and its value.
    pub customer_id_claim: String,
    pub customer_id: Option<String>,
    pub granted_scopes: Vec<String>,
    pub access_token_masked: String,
    pub refresh_token_masked: Option<String>,
    /// `expires_in` of the access token, in seconds.
    #[specta(type = Option<specta_typescript::Number>)]
    pub access_token_expires_in: Option<u64>,
    /// Seconds from `iat` to `exp` of the ID token.
    #[specta(type = Option<specta_typescript::Number>)]
    pub id_token_lifetime: Option<i64>,
}

/// One test login, start to end.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct TestReport {
    pub run_id: String,
    #[specta(type = String)]
    pub idp_id: eca_model::idp::IdpId,
    pub idp_name: String,
    pub started_at: String,
    pub finished_at: String,
    pub outcome: TestOutcome,
    /// `deep_link` or `loopback`.
    pub redirect_uri: String,
    pub steps: Vec<Step>,
    pub error: Option<TestError>,
    pub identity: Option<VerifiedIdentity>,
}

impl TestReport {
    /// The report as it may be stored and exported: claim values, the customer identifier and
    /// the masked tokens are removed; claim names, steps, timings and the error stay.
    pub fn redacted(&self) -> TestReport {
        let mut r = self.clone();
        if let Some(identity) = &mut r.identity {
            for claims in [&mut identity.id_token_claims, &mut identity.userinfo_claims]
                .into_iter()
                .flatten()
            {
                if let Some(map) = claims.as_object_mut() {
                    for (name, value) in map.iter_mut() {
                        if !matches!(name.as_str(), "iss" | "aud" | "exp" | "iat" | "azp") {
                            *value = serde_json::Value::String("[redacted]".into());
                        }
                    }
                }
            }
            identity.customer_id = identity.customer_id.as_ref().map(|_| "[redacted]".into());
            identity.access_token_masked = "[redacted]".into();
            identity.refresh_token_masked = identity
                .refresh_token_masked
                .as_ref()
                .map(|_| "[redacted]".into());
        }
        r
    }
}

/// A file name for an exported history: `eca-test-history-<name>-<latest run>.json`, with the
/// name reduced to letters, digits and dashes.
pub fn history_file_name(idp_name: &str, runs: &[TestReport]) -> String {
    let name: String = idp_name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let when: String = runs
        .first()
        .map(|r| {
            r.finished_at
                .chars()
                .filter(char::is_ascii_digit)
                .take(14)
                .collect()
        })
        .unwrap_or_default();
    format!(
        "eca-test-history-{}-{}.json",
        if name.is_empty() { "idp" } else { &name },
        if when.is_empty() { "empty" } else { &when }
    )
}

/// Shows the first characters of a token and its length: enough to recognise it, not to use it.
pub fn mask(token: &str) -> String {
    let head: String = token.chars().take(4).collect();
    format!("{head}… ({} characters)", token.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_file_names_are_safe() {
        assert_eq!(
            history_file_name("Acme / Okta: prod", &[]),
            "eca-test-history-acme-okta-prod-empty.json"
        );
        assert_eq!(
            history_file_name("../../etc", &[]),
            "eca-test-history-etc-empty.json"
        );
    }

    #[test]
    fn a_failed_run_stored_by_an_older_version_still_loads() {
        // A history row as the versions with a free-string code wrote it.
        let row = r#"{"run_id":"r1","idp_id":"00000000-0000-0000-0000-000000000001",
            "idp_name":"Glewlwyd","started_at":"2026-01-01T00:00:00Z",
            "finished_at":"2026-01-01T00:00:01Z","outcome":"failed",
            "redirect_uri":"http://127.0.0.1:4000/oauth/callback",
            "steps":[{"name":"code_exchange","status":"failed","ms":12,"detail":"refused"}],
            "error":{"code":"invalid_code","message":"refused","fix":"retry"},"identity":null}"#;
        let report: TestReport = serde_json::from_str(row).unwrap();
        let error = report.error.as_ref().unwrap();
        assert_eq!(error.code, TestErrorCode::Other("invalid_code".into()));
        let again = serde_json::to_value(&report).unwrap();
        assert_eq!(
            again["error"]["code"], "invalid_code",
            "written back unchanged"
        );
    }

    #[test]
    fn masking_keeps_too_little_to_use() {
        let t = "eyJhbGciOiJSUzI1NiJ9.payload.signature";
        let m = mask(t);
        assert!(m.starts_with("eyJh"));
        assert!(!m.contains("payload"));
        assert!(m.contains(&t.len().to_string()));
    }
}
