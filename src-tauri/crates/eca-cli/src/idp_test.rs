//! `eca idp test` and `eca idp check`: the desktop app's "Test Configuration" and "Check
//! readiness", headless. The login's redirect comes back to a loopback listener (the desktop app,
//! not the CLI, handles the deep link); the browser is `$BROWSER` when set.
//!
//! Invariants: exit status 0 only when the login was fully verified (or every readiness check
//! passed); tokens are never printed, only masked; the run is recorded (redacted) in the IdP's
//! history like the app's runs.

use crate::error::CliError;
use crate::output::print;
use eca_core::catalog::{Catalog, SecretChange, StartTestRequest};
use eca_model::clock::SystemClock;
use eca_oidc::login::browser::SystemBrowser;
use eca_oidc::login::flow::LoginContext;
use eca_oidc::login::readiness::{self, ReadinessReport};
use eca_oidc::login::report::{Step, StepStatus, TestOutcome, TestReport};
use eca_oidc::login::run::{self, Capture, TestLogin};
use serde_json::json;
use std::sync::{Arc, Mutex};

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::io("cannot start the network runtime", e))
}

fn context() -> LoginContext {
    LoginContext {
        http: eca_oidc::http::client(),
        clock: Arc::new(SystemClock),
        // `eca idp test`: discovery and keys fetched fresh for every test.
        provider_cache: None,
    }
}

/// Runs a test login; returns whether it was fully verified.
pub fn test(
    mut catalog: Catalog,
    idp: &str,
    timeout_secs: u64,
    json: bool,
) -> Result<bool, CliError> {
    let stored = catalog.find(idp)?;
    // The saved IdP, through the same gate as the app's test: a secret set aside is not sent.
    let (idp, credential) = catalog.test_target(StartTestRequest {
        id: Some(stored.id),
        fields: stored.fields,
        secret: SecretChange::Keep,
    })?;
    // Progress on stderr as each step ends, so stdout holds only the result.
    let printed = Arc::new(Mutex::new(0usize));
    let observer = (!json).then(|| {
        Arc::new(move |steps: &[Step]| {
            let mut done = printed.lock().unwrap_or_else(|p| p.into_inner());
            for step in steps
                .iter()
                .skip(*done)
                .take_while(|s| s.status != StepStatus::Running)
            {
                crate::output::eprint(&step_line(step));
                *done += 1;
            }
        }) as eca_oidc::login::steps::Observer
    });
    let tested = idp.fields.clone();
    let login = TestLogin {
        run_id: uuid::Uuid::new_v4().to_string(),
        idp,
        credential,
        capture: Capture::Loopback,
        timeout: time::Duration::seconds(timeout_secs.max(1) as i64),
        observer,
    };
    let report = runtime()?.block_on(async {
        let cancelled = async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        run::run(&context(), login, &SystemBrowser, cancelled).await
    });
    catalog.record_test_run(&report, &tested)?;
    print(&if json {
        report_json(&report)
    } else {
        report_text(&report)
    })?;
    Ok(report.outcome == TestOutcome::Passed)
}

/// Runs the readiness checks; returns whether none failed.
pub fn check(catalog: Catalog, idp: &str, json: bool) -> Result<bool, CliError> {
    let idp = catalog.find(idp)?;
    let report = runtime()?.block_on(readiness::check(&context(), &idp));
    print(&if json {
        serde_json::to_string_pretty(&report).unwrap_or_default()
    } else {
        readiness_text(&report)
    })?;
    Ok(report.ready)
}

fn status_word(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Running => "running",
        StepStatus::Passed => "ok",
        StepStatus::Warning => "warning",
        StepStatus::Failed => "FAILED",
        StepStatus::Skipped => "skipped",
    }
}

pub(crate) fn step_line(step: &Step) -> String {
    format!(
        "{:<8} {:<30} {:>6} ms  {}",
        status_word(step.status),
        step.name.label(),
        step.ms,
        step.detail
    )
}

/// `steps` (name, status, ms, detail), `error` (code, message, fix) and the verified `claims`.
fn report_json(report: &TestReport) -> String {
    let identity = report.identity.as_ref();
    let value = json!({
        "outcome": report.outcome,
        "idp": report.idp_name,
        "redirect_uri": report.redirect_uri,
        "steps": report.steps,
        "error": report.error,
        "claims": identity.and_then(|i| i.id_token_claims.clone().or_else(|| i.userinfo_claims.clone())),
        "userinfo": identity.and_then(|i| i.userinfo_claims.clone()),
        "customer_id_claim": identity.map(|i| i.customer_id_claim.clone()),
        "customer_id": identity.and_then(|i| i.customer_id.clone()),
        "id_token_verified": identity.is_some_and(|i| i.id_token_verified),
        "granted_scopes": identity.map(|i| i.granted_scopes.clone()),
        "access_token": identity.map(|i| i.access_token_masked.clone()),
    });
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

fn report_text(report: &TestReport) -> String {
    let mut out: Vec<String> = report.steps.iter().map(step_line).collect();
    match (&report.error, &report.identity) {
        (Some(error), _) => {
            out.push(format!("\nFailed ({}): {}", error.code, error.message));
            if !error.fix.is_empty() {
                out.push(format!("How to fix: {}", error.fix));
            }
        }
        (None, Some(identity)) => {
            out.push("\nConfiguration verified.".into());
            if !identity.id_token_verified {
                out.push("No ID token was verified: plain OAuth 2.0; the identity comes from the profile endpoint.".into());
            }
            out.push(format!(
                "Customer identifier ({}): {}",
                identity.customer_id_claim,
                identity.customer_id.as_deref().unwrap_or("-")
            ));
            out.push(format!(
                "Granted scopes: {}",
                identity.granted_scopes.join(" ")
            ));
            out.push(format!("Access token: {}", identity.access_token_masked));
        }
        (None, None) => {}
    }
    out.join("\n")
}

fn readiness_text(report: &ReadinessReport) -> String {
    let mut out: Vec<String> = report
        .checks
        .iter()
        .map(|c| format!("{:<8} {:<34} {}", status_word(c.status), c.name, c.detail))
        .collect();
    out.push(if report.ready {
        "\nReady for a test login.".into()
    } else {
        "\nNot ready: fix the failed checks.".into()
    });
    out.join("\n")
}
