//! One whole test login, from the click to the report: the redirect capture (deep link or
//! loopback), the browser, the wait with its timeout and cancel, then the checks.
//!
//! Invariant: whatever happens (a refused browser, a timeout, a cancel, a panic), the caller
//! gets a finished [`TestReport`], and a deep-link registration never outlives its run. A panic
//! is caught here, the one place the app and the CLI both run a login through; the report then
//! shows the steps as they last were, the running one failed ([`flow::crashed`]).

use super::browser::Browser;
use super::client_auth::ClientCredential;
use super::flow::{self, LoginContext, Started};
use super::loopback::{LoopbackError, LoopbackListener};
use super::pending::PendingCallbacks;
use super::report::{Step, TestError, TestErrorCode, TestOutcome, TestReport};
use super::steps::Observer;
use crate::panicked::{self, Panicked};
use eca_model::idp::IdpConfig;
use std::future::Future;
use std::sync::{Arc, Mutex};
use time::Duration;

/// The app's private-use redirect URI (RFC 8252 §7.1): the bundle identifier as the scheme.
pub const DEEP_LINK_REDIRECT: &str = "com.ecaadmin.desktop:/oauth/callback";

/// How the redirect comes back.
pub enum Capture<'a> {
    /// A listener on 127.0.0.1 for this run only.
    Loopback,
    /// The OS hands the app a deep link, which the app passes to these callbacks.
    DeepLink(&'a PendingCallbacks),
}

pub struct TestLogin<'a> {
    pub run_id: String,
    pub idp: IdpConfig,
    /// The client secret or signing key, when the method uses one.
    pub credential: Option<ClientCredential>,
    pub capture: Capture<'a>,
    pub timeout: Duration,
    pub observer: Option<Observer>,
}

/// Runs the login to its end. `cancelled` resolves when the admin cancels.
pub async fn run(
    ctx: &LoginContext,
    mut login: TestLogin<'_>,
    browser: &dyn Browser,
    cancelled: impl Future<Output = ()>,
) -> TestReport {
    let (run_id, idp) = (login.run_id.clone(), login.idp.clone());
    let seen = StepsSeen::default();
    login.observer = Some(seen.observer(login.observer.take()));
    let (redirect_uri, callbacks) = match &login.capture {
        Capture::Loopback => (String::new(), None),
        Capture::DeepLink(callbacks) => (DEEP_LINK_REDIRECT.to_string(), Some(*callbacks)),
    };
    let running = async {
        match callbacks {
            None => run_loopback(ctx, login, browser, cancelled).await,
            Some(callbacks) => run_deep_link(ctx, login, callbacks, browser, cancelled).await,
        }
    };
    match panicked::catch("a test login", running).await {
        Ok(report) => report,
        Err(Panicked) => {
            if let Some(callbacks) = callbacks {
                callbacks.cancel(&run_id);
            }
            flow::crashed(ctx, run_id, idp, redirect_uri, seen.take())
        }
    }
}

/// The steps as the run's observer last saw them, for the report of a run that panicked.
#[derive(Clone, Default)]
struct StepsSeen(Arc<Mutex<Vec<Step>>>);

impl StepsSeen {
    /// An observer that keeps the steps, then tells `inner`.
    fn observer(&self, inner: Option<Observer>) -> Observer {
        let seen = self.clone();
        Arc::new(move |steps: &[Step]| {
            *seen.lock() = steps.to_vec();
            if let Some(inner) = &inner {
                inner(steps);
            }
        })
    }

    fn take(&self) -> Vec<Step> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Step>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The redirect comes to a listener on 127.0.0.1 (on the IdP's fixed loopback port, if set),
/// which lives as long as this run.
async fn run_loopback(
    ctx: &LoginContext,
    login: TestLogin<'_>,
    browser: &dyn Browser,
    cancelled: impl Future<Output = ()>,
) -> TestReport {
    let listener = match LoopbackListener::bind(login.idp.fields.loopback_port).await {
        Ok(l) => l,
        Err(e) => {
            return flow::failed_before_start(
                ctx,
                login.run_id,
                login.idp,
                String::new(),
                listener_error(e),
            )
        }
    };
    let std_timeout = std_duration(login.timeout);
    let Started {
        authorization_url,
        pending,
    } = match start(ctx, login, listener.redirect_uri()).await {
        Ok(s) => s,
        Err(report) => return *report,
    };
    if let Err(e) = browser.open(&authorization_url) {
        return flow::abandon(
            pending,
            TestOutcome::Failed,
            Some(browser_error(e)),
            ctx.clock.now(),
        );
    }
    let deadline = tokio::time::Instant::now() + std_timeout;
    let state = pending.state().to_string();
    tokio::select! {
        result = listener.wait(&state, deadline) => match result {
            Ok(params) => flow::complete(ctx, pending, Ok(params)).await,
            Err(_) => flow::abandon(pending, TestOutcome::TimedOut, None, ctx.clock.now()),
        },
        () = cancelled => flow::abandon(pending, TestOutcome::Cancelled, None, ctx.clock.now()),
    }
}

/// The OS hands the redirect to the app, which passes it to `callbacks`; the registration is
/// removed however the run ends.
async fn run_deep_link(
    ctx: &LoginContext,
    login: TestLogin<'_>,
    callbacks: &PendingCallbacks,
    browser: &dyn Browser,
    cancelled: impl Future<Output = ()>,
) -> TestReport {
    let std_timeout = std_duration(login.timeout);
    let Started {
        authorization_url,
        pending,
    } = match start(ctx, login, DEEP_LINK_REDIRECT.into()).await {
        Ok(s) => s,
        Err(report) => return *report,
    };
    let receiver = callbacks.register(&pending.run_id, pending.state(), pending.expires_at);
    let run_id = pending.run_id.clone();
    if let Err(e) = browser.open(&authorization_url) {
        callbacks.cancel(&run_id);
        return flow::abandon(
            pending,
            TestOutcome::Failed,
            Some(browser_error(e)),
            ctx.clock.now(),
        );
    }
    let report = tokio::select! {
        result = tokio::time::timeout(std_timeout, receiver) => match result {
            Ok(Ok(params)) => flow::complete(ctx, pending, Ok(params)).await,
            _ => flow::abandon(pending, TestOutcome::TimedOut, None, ctx.clock.now()),
        },
        () = cancelled => flow::abandon(pending, TestOutcome::Cancelled, None, ctx.clock.now()),
    };
    callbacks.cancel(&run_id);
    report
}

async fn start(
    ctx: &LoginContext,
    login: TestLogin<'_>,
    redirect_uri: String,
) -> Result<Started, Box<TestReport>> {
    let TestLogin {
        run_id,
        idp,
        credential,
        timeout,
        observer,
        ..
    } = login;
    flow::prepare(
        ctx,
        run_id,
        idp,
        credential,
        redirect_uri,
        timeout,
        observer,
    )
    .await
}

fn std_duration(timeout: Duration) -> std::time::Duration {
    std::time::Duration::from_millis(timeout.whole_milliseconds().max(0) as u64)
}

fn browser_error(message: String) -> TestError {
    TestError::new(
        TestErrorCode::Browser,
        message,
        "Set $BROWSER, or open a default browser once.",
    )
}

fn listener_error(e: LoopbackError) -> TestError {
    let fix = e.fix();
    TestError::new(TestErrorCode::Loopback, e.to_string(), fix)
}
