//! Runs a "Test Configuration" login in the background and tells the window about it.
//!
//! Invariants:
//! - The window learns progress and the result only through the events below; the report it
//!   receives is not stored anywhere but the (redacted) history.
//! - A run is forgotten (cancel handle dropped, deep-link registration removed) when it ends.

use crate::state::AppState;
use eca_model::idp::{IdpConfig, IdpFields, TestRedirect};
use eca_oidc::login::browser::SystemBrowser;
use eca_oidc::login::client_auth::ClientCredential;
use eca_oidc::login::flow::DEFAULT_TIMEOUT;
use eca_oidc::login::report::{Step, TestReport};
use eca_oidc::login::run::{self, Capture, TestLogin};
use serde::Serialize;
use std::sync::Arc;
use tauri::{AppHandle, Emitter, Manager, Runtime};

/// Rust → UI: `{ run_id, steps }` after each step change.
pub const PROGRESS_EVENT: &str = "test-run://progress";
/// Rust → UI: the finished [`TestReport`].
pub const FINISHED_EVENT: &str = "test-run://finished";
/// Rust → UI: `{ reason }`, a callback that matched no pending login.
pub const REFUSED_EVENT: &str = "test-run://callback-refused";

#[derive(Clone, Serialize)]
struct Progress<'a> {
    run_id: &'a str,
    steps: &'a [Step],
}

#[derive(Clone, Serialize)]
pub struct Refusal {
    pub reason: String,
}

/// Starts the run in the background; returns at once.
pub fn spawn<R: Runtime>(
    app: AppHandle<R>,
    run_id: String,
    idp: IdpConfig,
    credential: Option<ClientCredential>,
) {
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let cancel = state.track_run(&run_id);
        let progress_app = app.clone();
        let progress_id = run_id.clone();
        let observer = Arc::new(move |steps: &[Step]| {
            let _ = progress_app.emit(
                PROGRESS_EVENT,
                Progress {
                    run_id: &progress_id,
                    steps,
                },
            );
        });
        let tested = idp.fields.clone();
        let capture = match idp.fields.test_redirect {
            TestRedirect::DeepLink => Capture::DeepLink(&state.callbacks),
            TestRedirect::Loopback => Capture::Loopback,
        };
        let login = TestLogin {
            run_id: run_id.clone(),
            idp,
            credential,
            capture,
            timeout: DEFAULT_TIMEOUT,
            observer: Some(observer),
        };
        // A dropped handle (the run was forgotten) must not read as a cancel.
        let cancelled = async {
            if cancel.await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        let report = run::run(&state.login_context(), login, &SystemBrowser, cancelled).await;
        state.forget_run(&run_id);
        record(&state, &report, &tested);
        if let Err(error) = app.emit(FINISHED_EVENT, &report) {
            tracing::error!("cannot send the test result to the window: {error}");
        }
    });
}

fn record(state: &AppState, report: &TestReport, tested: &IdpFields) {
    let recorded = state
        .catalog()
        .map_err(|p| p.message)
        .and_then(|mut c| c.record_test_run(report, tested).map_err(|e| e.to_string()));
    if let Err(error) = recorded {
        tracing::error!("cannot record the test run in the history: {error}");
    }
    tracing::info!(run_id = %report.run_id, outcome = ?report.outcome, "test login finished");
}
