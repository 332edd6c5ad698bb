//! What a test login reports: its steps, each with a time and an outcome, the error with how to
//! fix it, and the verified identity.
//!
//! Invariants:
//! - A report holds no usable credential: access and refresh tokens appear only masked, the
//!   authorization code and the client secret never. Reports can be stored and exported.
//! - Steps appear in protocol order; a step is `running` until it ends.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum StepName {
    Discovery,
    Jwks,
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
            StepName::Authorization => "Authorization in the browser",
            StepName::RedirectReceived => "Redirect received",
            StepName::StateAndIssuer => "State and issuer checks",
            StepName::CodeExchange => "Code exchange",
            StepName::IdTokenVerification => "ID token verification",
            StepName::Userinfo => "Userinfo",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum StepStatus {
    Running,
    Passed,
    /// Passed, with something the admin should look at (e.g. endpoints differ from discovery).
    Warning,
    Failed,
    Skipped,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Step {
    pub name: StepName,
    pub status: StepStatus,
    /// How long the step took, in milliseconds.
    #[ts(type = "number")]
    pub ms: u64,
    pub detail: String,
}

/// Why a test failed, in the IdP's terms, and what to change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TestError {
    /// A stable name of the failed check, e.g. `invalid_client`, `id_token.aud`, `state`.
    pub code: String,
    pub message: String,
    /// What to do about it.
    pub fix: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum TestOutcome {
    /// The login was fully verified.
    Passed,
    Failed,
    Cancelled,
    TimedOut,
}

/// The identity the IdP vouched for, as verified.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct VerifiedIdentity {
    /// False for plain OAuth 2.0 IdPs: no ID token was verified, the identity is the profile's.
    pub id_token_verified: bool,
    #[ts(type = "Record<string, unknown> | null")]
    pub id_token_header: Option<serde_json::Value>,
    #[ts(type = "Record<string, unknown> | null")]
    pub id_token_claims: Option<serde_json::Value>,
    #[ts(type = "Record<string, unknown> | null")]
    pub userinfo_claims: Option<serde_json::Value>,
    /// The claim configured as the customer identifier, and its value.
    pub customer_id_claim: String,
    pub customer_id: Option<String>,
    pub granted_scopes: Vec<String>,
    pub access_token_masked: String,
    pub refresh_token_masked: Option<String>,
    /// `expires_in` of the access token, in seconds.
    #[ts(type = "number | null")]
    pub access_token_expires_in: Option<u64>,
    /// Seconds from `iat` to `exp` of the ID token.
    #[ts(type = "number | null")]
    pub id_token_lifetime: Option<i64>,
}

/// One test login, start to end.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TestReport {
    pub run_id: String,
    #[ts(type = "string")]
    pub idp_id: crate::model::IdpId,
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

/// Shows the first characters of a token and its length: enough to recognise it, not to use it.
pub fn mask(token: &str) -> String {
    let head: String = token.chars().take(4).collect();
    format!("{head}… ({} characters)", token.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_keeps_too_little_to_use() {
        let t = "eyJhbGciOiJSUzI1NiJ9.payload.signature";
        let m = mask(t);
        assert!(m.starts_with("eyJh"));
        assert!(!m.contains("payload"));
        assert!(m.contains(&t.len().to_string()));
    }
}
