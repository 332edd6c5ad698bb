//! "Test on the platform": the admin's test login through the messaging platform's own
//! redirect URI, with the configuration and client secret that sync pushed (docs/auth-api.yaml,
//! an auth request of `kind: admin_test`), reported with the same steps as Test Configuration.
//!
//! - [`precondition`]: the IdP must be pushed and unchanged since (pure).
//! - [`wire`]: the auth API's shapes this client sends and reads.
//! - [`return_link`]: how the browser says it came back (the app's deep link, or the CLI's
//!   loopback listener), and the tests waiting for it.
//! - [`explain`]: why the platform's result differs from this computer's (pure, one place).
//! - here: [`Outbox::start_platform_test`] checks and creates the auth request;
//!   [`StartedPlatformTest::run`] opens the link, waits, reads the outcome and reports; the
//!   caller records the outcome with [`Outbox::record_platform_test`] (the promotion gate).
//!
//! Invariants:
//! - Nothing is sent to the platform unless the precondition holds: it must test what was
//!   pushed, or its result would say nothing about this configuration.
//! - The link (a single-use sign-in credential) and the API key are never logged, printed or
//!   put in a report. The result is read once, after the wait; the platform hands out the
//!   customer data of a result only on that first read.
//! - The outbox is needed only to start: the wait runs without it, so sync is not held up.

pub mod explain;
pub mod precondition;
pub mod return_link;
pub mod wire;

use crate::store::sync_changes::{self, ChangeState};
use crate::store::{idps, sync_base, StoreError};
use crate::sync::client::{self, BackendClient, RemoteProblem};
use crate::sync::promote::{fields_digest, TestedOn};
use crate::sync::push::read_ok;
use crate::sync::{Outbox, SyncError};
use eca_model::clock::{rfc3339, Clock};
use eca_model::idp::{IdpConfig, IdpId};
use eca_model::phone::e164;
use eca_model::problem::{Problem, ProblemCode};
use eca_oidc::http::{HttpError, HttpResponse};
use eca_oidc::login::browser::Browser;
use eca_oidc::login::report::{Step, StepName, TestError, TestErrorCode, TestOutcome};
use explain::{Context, Explanation, PlatformFailure};
use precondition::NotPushed;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use url::Url;
use uuid::Uuid;
use wire::{AuthRequestState, Created, PlatformInfo, Status};

/// The number a test's link is "sent" to when the admin gives none: +1 202 555 0100, in the
/// 555-0100…0199 range reserved for fiction, so no one's phone is ever texted. Only channel
/// binding compares it with the IdP's verified number; test with your own number for that.
pub const TEST_CUSTOMER: &str = "+12025550100";
/// How long a test waits for the browser to come back by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, thiserror::Error)]
pub enum PlatformTestError {
    #[error("{}", .why.message(.name))]
    NotPushed { name: String, why: NotPushed },
    #[error("The test number is not an international number (E.164: + and 8 to 15 digits, e.g. +27821234567).")]
    BadNumber,
    #[error("The platform refused to start the test. {0}")]
    Refused(String),
    #[error(transparent)]
    Sync(#[from] SyncError),
}

impl From<StoreError> for PlatformTestError {
    fn from(e: StoreError) -> Self {
        PlatformTestError::Sync(e.into())
    }
}

impl From<PlatformTestError> for Problem {
    fn from(e: PlatformTestError) -> Self {
        match e {
            e @ PlatformTestError::NotPushed { .. } => {
                Problem::new(ProblemCode::NotPushed, e.to_string())
            }
            e @ (PlatformTestError::BadNumber | PlatformTestError::Refused(_)) => {
                Problem::new(ProblemCode::Validation, e.to_string())
            }
            PlatformTestError::Sync(e) => e.into(),
        }
    }
}

/// What to test on the platform, and where the browser comes back to.
pub struct PlatformTestRequest {
    /// Chosen by the caller, before the request exists: the return URL carries it.
    pub test_id: Uuid,
    pub idp_id: IdpId,
    /// The number the link is sent to (E.164); [`TEST_CUSTOMER`] unless the admin gives one.
    pub customer: String,
    /// [`return_link::deep_link`] for the app, the loopback listener's URL for the CLI.
    pub return_url: String,
}

/// How the wait for the browser ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waited {
    CameBack,
    TimedOut,
    Cancelled,
}

/// A test on the platform, start to end: the same step list as Test Configuration's report,
/// as the platform ran it.
#[derive(Clone, Debug, PartialEq, Serialize, specta::Type)]
pub struct PlatformTestReport {
    pub test_id: String,
    /// The platform's auth request.
    pub request_id: String,
    pub idp_id: IdpId,
    pub idp_name: String,
    pub started_at: String,
    pub finished_at: String,
    pub outcome: TestOutcome,
    /// The platform's redirect URI, which the login went through.
    pub redirect_uri: String,
    pub steps: Vec<Step>,
    pub failed_step: Option<StepName>,
    pub error: Option<TestError>,
    /// The customer id the platform verified (the IdP's customer-id claim).
    pub customer_id: Option<String>,
    /// The mapped claims, by variable name, as a flow would receive them.
    #[specta(type = BTreeMap<String, specta_typescript::Unknown>)]
    pub claims: BTreeMap<String, Value>,
    /// Why the platform's result differs from this computer's, when it failed.
    pub explanation: Option<Explanation>,
}

impl Outbox {
    /// `GET /v1/platform` of the configured backend (public: no API key needed).
    pub async fn platform(&mut self) -> Result<PlatformInfo, SyncError> {
        let settings = self.settings()?.ok_or(SyncError::NotConfigured)?;
        let url = settings.url()?;
        let http = eca_oidc::http::client();
        let response = read_ok(client::platform(&http, &url).await, &settings.workspace_id)?;
        parse(&response)
    }

    /// Checks the precondition, then creates the test's auth request on the platform.
    pub async fn start_platform_test(
        &mut self,
        request: PlatformTestRequest,
    ) -> Result<StartedPlatformTest, PlatformTestError> {
        let customer = e164(&request.customer).ok_or(PlatformTestError::BadNumber)?;
        let idp =
            idps::get(&self.conn, request.idp_id)?.ok_or(SyncError::NotFound(request.idp_id))?;
        let scope = self.scope()?;
        let synced = sync_base::get(&self.conn, scope, idp.id)?.is_some();
        let changes: Vec<ChangeState> = sync_changes::list(&self.conn, scope)?
            .into_iter()
            .filter(|c| c.idp_id == idp.id)
            .map(|c| c.state)
            .collect();
        precondition::check(synced, &changes).map_err(|why| PlatformTestError::NotPushed {
            name: idp.fields.name.clone(),
            why,
        })?;
        let env = self.current_env()?;
        let client = self.client_for(&env)?;
        let workspace = env.workspace_id.clone();
        let tested = TestedOn {
            env: env.id,
            idp_id: idp.id,
            fields_digest: fields_digest(&idp.fields),
        };
        let platform: PlatformInfo = parse(&read_ok(client.platform().await, &workspace)?)?;
        let body = wire::create_body(idp.id, &customer, request.test_id, &request.return_url);
        let created = created(client.create_auth_request(&body).await, &workspace)?;
        Ok(StartedPlatformTest {
            client,
            test_id: request.test_id,
            request_id: created.id,
            link: created.link,
            redirect_uri: platform.redirect_uri,
            idp,
            customer,
            started_at: rfc3339(self.clock.now()),
            clock: Arc::clone(&self.clock),
            tested,
        })
    }
}

/// A test whose auth request exists on the platform, waiting for its browser.
pub struct StartedPlatformTest {
    client: BackendClient,
    test_id: Uuid,
    request_id: Uuid,
    link: Url,
    redirect_uri: String,
    idp: IdpConfig,
    customer: String,
    started_at: String,
    clock: Arc<dyn Clock>,
    tested: TestedOn,
}

impl StartedPlatformTest {
    pub fn test_id(&self) -> Uuid {
        self.test_id
    }

    /// The environment and fields this test is about, for [`Outbox::record_platform_test`]
    /// once it has ended.
    pub fn tested(&self) -> TestedOn {
        self.tested.clone()
    }

    /// Opens the link in `browser`, waits for `wait` (the browser came back, or a timeout or
    /// cancel), then reads the outcome. `local` is how the last Test Configuration from this
    /// computer ended, for the explanation.
    pub async fn run(
        self,
        browser: &dyn Browser,
        wait: impl Future<Output = Waited>,
        local: Option<TestOutcome>,
    ) -> Result<PlatformTestReport, PlatformTestError> {
        let ending = match browser.open(&self.link) {
            Err(message) => Ending::BrowserFailed(message),
            Ok(()) => match wait.await {
                // What the platform saw so far still explains a cancel (an admin who saw the
                // IdP's error page cancels); a read that fails leaves a plain cancel.
                Waited::Cancelled => Ending::Cancelled(self.read().await.ok()),
                Waited::CameBack | Waited::TimedOut => Ending::Read(self.read().await?),
            },
        };
        let local_passed = local == Some(TestOutcome::Passed);
        let conclusion = conclude(
            ending,
            &self.redirect_uri,
            &self.idp,
            &self.customer,
            local_passed,
        );
        Ok(PlatformTestReport {
            test_id: self.test_id.hyphenated().to_string(),
            request_id: self.request_id.hyphenated().to_string(),
            idp_id: self.idp.id,
            idp_name: self.idp.fields.name.clone(),
            started_at: self.started_at,
            finished_at: rfc3339(self.clock.now()),
            outcome: conclusion.outcome,
            redirect_uri: self.redirect_uri,
            steps: conclusion.steps,
            failed_step: conclusion.failed_step,
            error: conclusion.error,
            customer_id: conclusion.customer_id,
            claims: conclusion.claims,
            explanation: conclusion.explanation,
        })
    }

    async fn read(&self) -> Result<AuthRequestState, PlatformTestError> {
        let workspace = self.client.workspace().to_string();
        let response = read_ok(self.client.auth_request(self.request_id).await, &workspace)?;
        Ok(parse(&response)?)
    }
}

/// How the test ended, before it is reported.
#[derive(Debug)]
enum Ending {
    BrowserFailed(String),
    /// Cancelled by the admin, with the platform's state then, if it could be read.
    Cancelled(Option<AuthRequestState>),
    Read(AuthRequestState),
}

/// The report's verdict, from the ending alone.
#[derive(Debug)]
struct Conclusion {
    outcome: TestOutcome,
    steps: Vec<Step>,
    failed_step: Option<StepName>,
    error: Option<TestError>,
    customer_id: Option<String>,
    claims: BTreeMap<String, Value>,
    explanation: Option<Explanation>,
}

impl Conclusion {
    fn ended(outcome: TestOutcome, steps: Vec<Step>) -> Self {
        Self {
            outcome,
            steps,
            failed_step: None,
            error: None,
            customer_id: None,
            claims: BTreeMap::new(),
            explanation: None,
        }
    }
}

/// What the report says, from how the test ended; the explanation comes from [`explain`].
fn conclude(
    ending: Ending,
    redirect_uri: &str,
    idp: &IdpConfig,
    customer: &str,
    local_passed: bool,
) -> Conclusion {
    let state = match ending {
        Ending::BrowserFailed(message) => {
            return Conclusion {
                error: Some(TestError::new(
                    TestErrorCode::Browser,
                    message,
                    "Set $BROWSER, or open a default browser once.",
                )),
                ..Conclusion::ended(TestOutcome::Failed, Vec::new())
            }
        }
        Ending::Cancelled(None) => return Conclusion::ended(TestOutcome::Cancelled, Vec::new()),
        Ending::Cancelled(Some(state)) => (state, true),
        Ending::Read(state) => (state, false),
    };
    let (state, cancelled) = state;
    let steps = state.steps.unwrap_or_default();
    if state.status == Status::Authenticated {
        let result = state.result;
        return Conclusion {
            customer_id: result.as_ref().and_then(|r| r.customer_id.clone()),
            claims: result.map(|r| r.claims).unwrap_or_default(),
            ..Conclusion::ended(TestOutcome::Passed, steps)
        };
    }
    let failure = failure_of(state.status, state.error, cancelled);
    let seen = match state.status {
        Status::Failed => PlatformFailure::Failed(&failure.code),
        _ => PlatformFailure::NoResult {
            link_opened: state.opened_at.is_some(),
        },
    };
    let ctx = Context {
        local_passed,
        redirect_uri,
        customer_id_claim: &idp.fields.customer_id_claim,
        signs_with_key: idp.fields.client_auth_method.uses_key(),
        customer,
        platform_message: &failure.message,
        platform_fix: &failure.fix,
    };
    let explanation = explain::explain(seen, &ctx);
    let outcome = match state.status {
        Status::Failed => TestOutcome::Failed,
        _ if cancelled => TestOutcome::Cancelled,
        _ => TestOutcome::TimedOut,
    };
    // The explanation's fix accounts for both results (the platform's alone is generic, or
    // absent when there is no result).
    let fix = match &explanation {
        Some(e) => e.fix.clone(),
        None => failure.fix,
    };
    Conclusion {
        failed_step: failure.step,
        error: Some(TestError::new(failure.code, failure.message, fix)),
        explanation,
        ..Conclusion::ended(outcome, steps)
    }
}

/// Why a test without an authenticated result did not pass: the platform's own failure, or
/// that it has no result (the admin cancelled, or the wait ran out).
fn failure_of(status: Status, error: Option<wire::Failure>, cancelled: bool) -> wire::Failure {
    let no_result = |code, message: &str| wire::Failure {
        step: None,
        code,
        message: message.into(),
        fix: String::new(),
    };
    match status {
        Status::Failed | Status::Authenticated => error.unwrap_or(wire::Failure {
            step: None,
            code: TestErrorCode::IdpError,
            message: "The platform reports a failure without saying which check failed.".into(),
            fix: "Test on the platform again.".into(),
        }),
        Status::Pending | Status::Expired if cancelled => no_result(
            TestErrorCode::Cancelled,
            "Cancelled before the platform had a result: the login had not come back to the \
             platform's redirect URI.",
        ),
        Status::Pending | Status::Expired => no_result(
            TestErrorCode::Timeout,
            "The platform has no result for this test: the login never came back to the \
             platform's redirect URI.",
        ),
    }
}

fn parse<T: serde::de::DeserializeOwned>(response: &HttpResponse) -> Result<T, SyncError> {
    response
        .json()
        .map_err(|e| SyncError::Protocol(e.to_string()))
}

/// The answer to `POST …/auth-requests`: the platform's refusals (unknown, disabled or
/// incomplete IdP, a field it does not take) in its words; the rest as every read.
fn created(
    result: Result<HttpResponse, HttpError>,
    workspace: &str,
) -> Result<Created, PlatformTestError> {
    if let Ok(response) = &result {
        let status = response.meta.status;
        if matches!(status, 400 | 404 | 422) {
            let problem = RemoteProblem::parse(response);
            return Err(PlatformTestError::Refused(problem.describe(status)));
        }
    }
    Ok(parse(&read_ok(result, workspace)?)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use eca_model::idp::{IdpFields, Protocol};
    use eca_oidc::login::report::StepStatus;
    use serde_json::json;

    const URI: &str = "http://127.0.0.1:8787/v1/oauth/callback";

    fn idp() -> IdpConfig {
        let mut fields = IdpFields::blank(Protocol::Oidc);
        fields.name = "Acme".into();
        fields.customer_id_claim = "email".into();
        eca_testkit::fixtures::saved(fields)
    }

    fn read(state: Value) -> Ending {
        Ending::Read(serde_json::from_value(state).unwrap())
    }

    fn conclude_on(ending: Ending, local_passed: bool) -> Conclusion {
        conclude(ending, URI, &idp(), TEST_CUSTOMER, local_passed)
    }

    #[test]
    fn an_authenticated_request_passes_with_the_platforms_steps_and_customer() {
        let c = conclude_on(
            read(json!({"status": "authenticated", "opened_at": "t",
                "result": {"customer_id": "alice@example.test", "claims": {"customer_email": "alice@example.test"}},
                "steps": [{"name": "userinfo", "status": "passed", "ms": 1, "detail": "ok"}]})),
            true,
        );
        assert_eq!(c.outcome, TestOutcome::Passed);
        assert_eq!(c.steps[0].status, StepStatus::Passed);
        assert_eq!(c.customer_id.as_deref(), Some("alice@example.test"));
        assert_eq!(c.claims["customer_email"], "alice@example.test");
        assert!(c.error.is_none() && c.explanation.is_none());
    }

    #[test]
    fn a_failed_request_keeps_the_platforms_error_and_explains_it() {
        let c = conclude_on(
            read(json!({"status": "failed", "opened_at": "t",
                "error": {"step": "code_exchange", "code": "invalid_client", "message": "Refused.", "fix": "Check the secret."}})),
            true,
        );
        assert_eq!(c.outcome, TestOutcome::Failed);
        assert_eq!(c.failed_step, Some(StepName::CodeExchange));
        let error = c.error.unwrap();
        assert_eq!(error.code, TestErrorCode::InvalidClient);
        let explanation = c.explanation.unwrap();
        assert_eq!(explanation.cause, explain::Cause::PlatformSecret);
        assert_eq!(
            error.fix, explanation.fix,
            "the explanation's fix, not the platform's generic one"
        );
        assert!(error.fix.starts_with("Push"), "{}", error.fix);
        let alone = conclude_on(
            read(json!({"status": "failed", "opened_at": "t",
                "error": {"step": "authorization", "code": "access_denied", "message": "Refused.", "fix": "Ask the user."}})),
            false,
        );
        assert!(alone.explanation.is_none());
        assert_eq!(
            alone.error.unwrap().fix,
            "Ask the user.",
            "with nothing to explain, the platform's own fix"
        );
    }

    #[test]
    fn no_result_times_out_and_the_fix_is_the_explanations() {
        let c = conclude_on(read(json!({"status": "pending", "opened_at": "t"})), true);
        assert_eq!(c.outcome, TestOutcome::TimedOut);
        let error = c.error.unwrap();
        assert_eq!(error.code, TestErrorCode::Timeout);
        assert!(error.fix.contains(URI), "{}", error.fix);
        assert_eq!(
            c.explanation.unwrap().cause,
            explain::Cause::RedirectUriNotRegistered
        );
        let expired = conclude_on(read(json!({"status": "expired", "opened_at": null})), false);
        assert_eq!(expired.outcome, TestOutcome::TimedOut);
        assert_eq!(
            expired.explanation.unwrap().cause,
            explain::Cause::LinkNotOpened
        );
    }

    #[test]
    fn a_cancel_is_explained_by_what_the_platform_saw() {
        let state = |v: Value| serde_json::from_value(v).unwrap();
        let waiting = state(json!({"status": "pending", "opened_at": "t"}));
        let c = conclude_on(Ending::Cancelled(Some(waiting)), true);
        assert_eq!(c.outcome, TestOutcome::Cancelled);
        assert_eq!(c.error.as_ref().unwrap().code, TestErrorCode::Cancelled);
        assert_eq!(
            c.explanation.unwrap().cause,
            explain::Cause::RedirectUriNotRegistered
        );
        assert!(c.error.unwrap().fix.contains(URI));
        let finished = state(json!({"status": "failed", "opened_at": "t",
            "error": {"step": "code_exchange", "code": "invalid_client", "message": "Refused.", "fix": "Push."}}));
        let c = conclude_on(Ending::Cancelled(Some(finished)), true);
        assert_eq!(
            c.outcome,
            TestOutcome::Failed,
            "a result that arrived is shown"
        );
    }

    #[test]
    fn an_unread_cancel_or_a_browser_that_would_not_start_explains_nothing() {
        let c = conclude_on(Ending::Cancelled(None), true);
        assert_eq!(c.outcome, TestOutcome::Cancelled);
        assert!(c.explanation.is_none());
        let c = conclude_on(Ending::BrowserFailed("no browser".into()), true);
        assert_eq!(c.outcome, TestOutcome::Failed);
        assert_eq!(c.error.unwrap().code, TestErrorCode::Browser);
    }
}
