//! The auth API's shapes (docs/auth-api.yaml) as "Test on the platform" sends and reads them:
//! only the members it uses, so a backend that adds members stays readable.
//!
//! Invariant: the request body is always `kind: admin_test`, so the platform keeps every step
//! and accepts the app's deep link as the return URL.

use eca_model::idp::IdpId;
use eca_oidc::login::report::{Step, StepName, TestErrorCode};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use url::Url;
use uuid::Uuid;

/// `GET /v1/platform`: what an admin registers at the IdP for customer sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct PlatformInfo {
    /// Register exactly this at the IdP.
    pub redirect_uri: String,
    pub link_base: String,
}

/// The conversation id of a test: `eca-admin-test-<test id>`, so the platform's records show
/// which requests were admins' tests.
pub fn conversation_id(test_id: Uuid) -> String {
    format!("eca-admin-test-{}", test_id.hyphenated())
}

/// The body of `POST …/auth-requests` for a test: an SMS to `customer` (E.164).
pub fn create_body(idp: IdpId, customer: &str, test_id: Uuid, return_url: &str) -> Value {
    json!({
        "idp_id": idp,
        "channel": "sms",
        "customer": customer,
        "conversation_id": conversation_id(test_id),
        "return_url": return_url,
        "kind": "admin_test",
    })
}

/// `201` of `POST …/auth-requests`.
#[derive(Debug, Deserialize)]
pub struct Created {
    pub id: Uuid,
    /// The single-use sign-in link: a credential, never logged or shown.
    pub link: Url,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Authenticated,
    Failed,
    Expired,
}

/// `GET …/auth-requests/{id}`.
#[derive(Debug, Deserialize)]
pub struct AuthRequestState {
    pub status: Status,
    #[serde(default)]
    pub opened_at: Option<String>,
    #[serde(default)]
    pub result: Option<Verified>,
    #[serde(default)]
    pub error: Option<Failure>,
    #[serde(default)]
    pub steps: Option<Vec<Step>>,
}

#[derive(Debug, Deserialize)]
pub struct Verified {
    pub customer_id: Option<String>,
    #[serde(default)]
    pub claims: BTreeMap<String, Value>,
}

#[derive(Debug, Deserialize)]
pub struct Failure {
    pub step: Option<StepName>,
    pub code: TestErrorCode,
    pub message: String,
    pub fix: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_an_admin_test_by_sms() {
        let test = Uuid::new_v4();
        let idp = IdpId::new();
        let body = create_body(
            idp,
            "+12025550100",
            test,
            "http://127.0.0.1:1/platform-test/done",
        );
        assert_eq!(body["kind"], "admin_test");
        assert_eq!(body["channel"], "sms");
        assert_eq!(body["idp_id"], idp.to_string());
        assert_eq!(
            body["conversation_id"],
            format!("eca-admin-test-{test}"),
            "the conversation names the test"
        );
    }

    #[test]
    fn a_failed_request_reads_with_its_step_and_code() {
        let state: AuthRequestState = serde_json::from_value(json!({
            "id": Uuid::new_v4(), "status": "failed", "opened_at": "2026-01-01T00:00:00Z",
            "result": null,
            "error": {"step": "code_exchange", "code": "invalid_client", "message": "m", "fix": "f"},
            "steps": [{"name": "code_exchange", "status": "failed", "ms": 3, "detail": "m"}],
            "a_member_added_later": true
        }))
        .unwrap();
        assert_eq!(state.status, Status::Failed);
        let error = state.error.unwrap();
        assert_eq!(error.step, Some(StepName::CodeExchange));
        assert_eq!(error.code, TestErrorCode::InvalidClient);
        assert_eq!(state.steps.unwrap().len(), 1);
    }
}
