//! `eca idp test NAME --via-platform`: "Test on the platform", headless. The platform's link
//! opens in `$BROWSER`; the platform's page links back to a one-shot loopback listener, whose
//! GET with the return's own `state` says the browser came back; then the outcome is read from
//! the platform.
//!
//! Invariants: exit status 0 only when the platform authenticated the test; the link and the
//! API key are never printed; the explanation of a difference from this computer's last test
//! is the core's ([`eca_core::platform_test::explain`]).

use crate::error::CliError;
use crate::idp_test::{runtime, step_line};
use crate::output::{self, print};
use eca_core::catalog::Catalog;
use eca_core::platform_test::return_link::RETURN_PATH;
use eca_core::platform_test::{PlatformTestReport, PlatformTestRequest, Waited, TEST_CUSTOMER};
use eca_core::sync::Outbox;
use eca_oidc::login::browser::SystemBrowser;
use eca_oidc::login::loopback::LoopbackListener;
use eca_oidc::login::report::TestOutcome;
use std::time::Duration;
use tokio::time::Instant;

/// Runs a test on the platform; returns whether the platform authenticated it.
pub fn test(
    catalog: Catalog,
    mut outbox: Outbox,
    idp: &str,
    phone: Option<String>,
    timeout_secs: u64,
    json: bool,
) -> Result<bool, CliError> {
    let idp = catalog.find(idp)?;
    let local = catalog.test_history(idp.id)?.first().map(|r| r.outcome);
    let report = runtime()?.block_on(async {
        let listener = LoopbackListener::bind_at(None, RETURN_PATH)
            .await
            .map_err(|e| CliError::io("the browser's return", std::io::Error::other(e)))?;
        // Only the platform's page knows this state, so no other local process can end the wait.
        let state = uuid::Uuid::new_v4().simple().to_string();
        let request = PlatformTestRequest {
            test_id: uuid::Uuid::new_v4(),
            idp_id: idp.id,
            customer: phone.unwrap_or_else(|| TEST_CUSTOMER.to_string()),
            return_url: format!("{}?state={state}", listener.redirect_uri()),
        };
        let started = outbox.start_platform_test(request).await?;
        if !json {
            crate::output::eprint(&format!(
                "Testing \"{}\" on the platform: log in in the browser (waiting up to {timeout_secs} s)…",
                idp.fields.name
            ));
        }
        let deadline = Instant::now() + Duration::from_secs(timeout_secs.max(1));
        let wait = async {
            tokio::select! {
                came_back = listener.wait(&state, deadline) => match came_back {
                    Ok(_) => Waited::CameBack,
                    Err(_) => Waited::TimedOut,
                },
                () = ctrl_c() => Waited::Cancelled,
            }
        };
        let tested = started.tested();
        let report = started.run(&SystemBrowser, wait, local).await?;
        outbox.record_platform_test(&tested, &report)?;
        Ok::<_, CliError>(report)
    })?;
    print(&if json {
        output::json(&report)
    } else {
        report_text(&report)
    })?;
    Ok(report.outcome == TestOutcome::Passed)
}

async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

fn report_text(report: &PlatformTestReport) -> String {
    let mut out = vec![format!(
        "On the platform (redirect URI {}):",
        report.redirect_uri
    )];
    out.extend(report.steps.iter().map(step_line));
    match (&report.error, report.outcome) {
        (Some(error), _) => {
            out.push(format!(
                "\nFailed on the platform ({}): {}",
                error.code, error.message
            ));
            if !error.fix.is_empty() {
                out.push(format!("How to fix: {}", error.fix));
            }
        }
        (None, TestOutcome::Passed) => {
            out.push("\nVerified on the platform.".into());
            out.push(format!(
                "Customer identifier: {}",
                report.customer_id.as_deref().unwrap_or("-")
            ));
            for (variable, value) in &report.claims {
                out.push(format!("{variable}: {value}"));
            }
        }
        (None, _) => out.push("\nCancelled.".into()),
    }
    if let Some(explanation) = &report.explanation {
        out.push(format!("\n{}", explanation.message));
        out.push(format!("How to fix: {}", explanation.fix));
    }
    out.join("\n")
}
