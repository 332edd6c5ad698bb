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
    use serde_json::json;

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
