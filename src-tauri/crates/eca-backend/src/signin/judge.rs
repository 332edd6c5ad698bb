//! From the engine's finished login to the auth request's [`Outcome`]: the platform's own
//! rules on top of the relying-party checks (the channel binding, the claim mapping), and the
//! fixes that differ on the platform (the key a private_key_jwt IdP must know is the
//! platform's, not the desktop's).
//!
//! Invariant: a request is `authenticated` only when the engine passed the login (which
//! includes the customer-id claim) and the channel binding, when on, holds.

use super::request::{Failure, IdpRef, Outcome, Verified};
use eca_model::clock::rfc3339;
use eca_model::idp::IdpConfig;
use eca_oidc::login::claims;
use eca_oidc::login::report::{StepStatus, TestError, TestErrorCode, TestOutcome, TestReport};
use serde_json::Value;
use time::OffsetDateTime;

/// What the platform checks beyond the engine, for one request.
pub struct Judging<'a> {
    pub idp: &'a IdpConfig,
    /// The number the link was sent to, E.164.
    pub customer: &'a str,
    /// Keep every step in the outcome (ECA Admin's "Test on the platform").
    pub admin_test: bool,
}

pub fn judge(report: TestReport, judging: &Judging<'_>) -> Outcome {
    let steps = judging.admin_test.then(|| report.steps.clone());
    let failed_step = report
        .steps
        .iter()
        .find(|s| s.status == StepStatus::Failed)
        .map(|s| s.name);
    let failure = |error: TestError, step| Outcome {
        result: None,
        error: Some(Failure {
            step,
            fix: platform_fix(&error, judging.idp).unwrap_or(error.fix),
            code: error.code,
            message: error.message,
        }),
        steps: steps.clone(),
    };
    let identity = match (report.outcome, report.identity, report.error) {
        (TestOutcome::Passed, Some(identity), _) => identity,
        (_, _, Some(error)) => return failure(error, failed_step),
        (outcome, _, None) => {
            return failure(
                TestError::new(
                    TestErrorCode::Timeout,
                    format!("The login ended without a result ({outcome:?})."),
                    "Ask the customer to open a new link.",
                ),
                failed_step,
            )
        }
    };
    let f = &judging.idp.fields;
    if f.channel_binding {
        if let Err(error) = claims::check_channel_binding(&identity, judging.customer) {
            return failure(error, None);
        }
    }
    let mapping = f
        .claim_mapping
        .iter()
        .map(|m| (m.claim.as_str(), m.variable.as_str()));
    Outcome {
        result: Some(Verified {
            idp: IdpRef {
                id: judging.idp.id.0,
                name: f.name.clone(),
            },
            customer_id: identity.customer_id.clone(),
            claims: claims::mapped(&identity, mapping),
            auth_time: auth_time(claims::claim(&identity, "auth_time")),
            claims_erased: false,
        }),
        error: None,
        steps,
    }
}

/// What to do about `error` on the platform, where it differs from the engine's fix (which is
/// written for ECA Admin's Test Configuration): a private_key_jwt IdP that refuses the client
/// does not know the platform's public key.
fn platform_fix(error: &TestError, idp: &IdpConfig) -> Option<String> {
    let signs = idp.fields.client_auth_method.uses_key();
    (signs && error.code == TestErrorCode::InvalidClient).then(|| PLATFORM_KEY_FIX.to_string())
}

/// The fix for a private_key_jwt IdP that does not know the platform's key.
pub const PLATFORM_KEY_FIX: &str = "Register the platform's public key at the IdP for this \
     client ID: ECA Admin shows it in the IdP's form under \"The platform (customer sign-in)\" \
     (or `eca idp show --public-jwk`). The platform signs with its own key, not with the key of \
     the computer that ran Test Configuration: register both. A replaced platform key must be \
     registered again.";

/// The ID token's `auth_time` (seconds since the epoch) in RFC 3339; none when absent or 0
/// (some IdPs send 0 when they do not know).
fn auth_time(value: Option<&Value>) -> Option<String> {
    let seconds = value?.as_i64().filter(|s| *s > 0)?;
    OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .map(rfc3339)
}

#[cfg(test)]
mod tests {
    use super::*;
    use eca_model::idp::{ClientAuthMethod, IdpFields, IdpId, Protocol};
    use eca_oidc::login::report::{Step, StepName};
    use serde_json::json;
    use uuid::Uuid;

    fn idp(method: ClientAuthMethod) -> IdpConfig {
        let mut fields = IdpFields::blank(Protocol::Oidc);
        fields.name = "Acme".into();
        fields.client_auth_method = method;
        IdpConfig {
            id: IdpId(Uuid::nil()),
            fields,
            has_secret: false,
            secret_entered_for: None,
            created_at: "2026-11-30T08:00:00Z".into(),
            updated_at: "2026-11-30T08:00:00Z".into(),
        }
    }

    fn step(name: StepName, status: StepStatus) -> Step {
        Step {
            name,
            status,
            ms: 1,
            detail: String::new(),
        }
    }

    /// A login the IdP refused at the code exchange with `code`, after discovery passed.
    fn refused(code: TestErrorCode) -> TestReport {
        TestReport {
            run_id: "run".into(),
            idp_id: IdpId(Uuid::nil()),
            idp_name: "Acme".into(),
            started_at: "2026-11-30T08:00:00Z".into(),
            finished_at: "2026-11-30T08:00:01Z".into(),
            outcome: TestOutcome::Failed,
            redirect_uri: "loopback".into(),
            steps: vec![
                step(StepName::Discovery, StepStatus::Passed),
                step(StepName::CodeExchange, StepStatus::Failed),
                step(StepName::IdTokenVerification, StepStatus::Skipped),
            ],
            error: Some(TestError::new(code, "refused", "the engine's fix")),
            identity: None,
        }
    }

    fn failure(report: TestReport, idp: &IdpConfig) -> Failure {
        let judging = Judging {
            idp,
            customer: "+27825550100",
            admin_test: false,
        };
        judge(report, &judging)
            .error
            .expect("a refused login is a failure")
    }

    #[test]
    fn a_failure_names_the_step_that_failed() {
        let failure = failure(
            refused(TestErrorCode::InvalidClient),
            &idp(ClientAuthMethod::ClientSecretBasic),
        );
        assert_eq!(
            failure.step,
            Some(StepName::CodeExchange),
            "the failed step, not the first one"
        );
    }

    #[test]
    fn a_private_key_jwt_idp_refusing_the_client_is_told_to_register_the_platform_key() {
        let signing = idp(ClientAuthMethod::PrivateKeyJwt);
        let fix = |code, idp| failure(refused(code), idp).fix;
        assert_eq!(
            fix(TestErrorCode::InvalidClient, &signing),
            PLATFORM_KEY_FIX
        );
        assert_eq!(
            fix(TestErrorCode::InvalidGrant, &signing),
            "the engine's fix",
            "another refusal keeps the engine's fix"
        );
        assert_eq!(
            fix(
                TestErrorCode::InvalidClient,
                &idp(ClientAuthMethod::ClientSecretBasic)
            ),
            "the engine's fix",
            "a client with a secret has no platform key to register"
        );
    }

    #[test]
    fn auth_time_is_a_date_when_the_idp_knows_it() {
        assert_eq!(
            auth_time(Some(&json!(1_764_460_800))).as_deref(),
            Some("2025-11-30T00:00:00Z")
        );
        assert_eq!(auth_time(Some(&json!(0))), None, "Glewlwyd sends 0");
        assert_eq!(auth_time(Some(&json!("soon"))), None);
        assert_eq!(auth_time(None), None);
    }
}
