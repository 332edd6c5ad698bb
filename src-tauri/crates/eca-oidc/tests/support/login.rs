//! Test logins through the real engine with the scripted system browser of
//! tests/oidc/browser.mjs, as the login tests against real providers run them.

use eca_model::idp::IdpConfig;
use eca_oidc::login::browser::Browser;
use eca_oidc::login::client_auth::ClientCredential;
use eca_oidc::login::flow::LoginContext;
use eca_oidc::login::pending::PendingCallbacks;
use eca_oidc::login::report::{StepName, StepStatus, TestReport};
use eca_oidc::login::run::{self, Capture, TestLogin, DEEP_LINK_REDIRECT};
use eca_testkit::node_server::workspace_root;
use std::process::Command;
use std::sync::Arc;
use url::Url;

/// What the desktop's test login runs with: no provider cache, the system clock.
pub fn ctx() -> LoginContext {
    LoginContext {
        http: eca_oidc::http::client(),
        clock: Arc::new(eca_model::clock::SystemClock),
        provider_cache: None,
    }
}

/// The scripted browser as the app's [`Browser`]: `node tests/oidc/browser.mjs <url>`. With
/// `deep_links`, it plays the OS too: the redirect it ends at is delivered to those callbacks.
#[derive(Clone)]
pub struct ScriptedBrowser {
    pub envs: Vec<(String, String)>,
    pub deep_links: Option<Arc<PendingCallbacks>>,
}

impl ScriptedBrowser {
    pub fn new(envs: &[(&str, &str)]) -> Self {
        Self {
            envs: envs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            deep_links: None,
        }
    }
}

impl Browser for ScriptedBrowser {
    fn open(&self, url: &Url) -> Result<(), String> {
        let mut cmd = Command::new("node");
        cmd.arg(workspace_root().join("tests/oidc/browser.mjs"))
            .arg(url.as_str())
            .envs(self.envs.clone());
        if self.deep_links.is_some() {
            cmd.env("ECA_BROWSER_PRINT", "1");
        }
        let deep_links = self.deep_links.clone();
        std::thread::spawn(move || {
            let out = cmd.output().expect("node");
            assert!(
                out.status.success(),
                "browser.mjs failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            if let Some(callbacks) = deep_links {
                let redirect = String::from_utf8(out.stdout).unwrap().trim().to_string();
                callbacks
                    .deliver(
                        &redirect,
                        DEEP_LINK_REDIRECT,
                        time::OffsetDateTime::now_utc(),
                    )
                    .unwrap_or_else(|e| panic!("the deep link {redirect} was refused: {e}"));
            }
        });
        Ok(())
    }
}

/// A test login of `idp` through `browser`, as Test Configuration runs it.
pub async fn login_with(
    idp: IdpConfig,
    credential: Option<ClientCredential>,
    capture: Capture<'_>,
    browser: &dyn Browser,
) -> TestReport {
    let login = TestLogin {
        run_id: uuid::Uuid::new_v4().to_string(),
        idp,
        credential,
        capture,
        timeout: time::Duration::seconds(30),
        observer: None,
    };
    run::run(&ctx(), login, browser, std::future::pending()).await
}

/// The status of the step `name` of `report` (panics when it has none).
pub fn step(report: &TestReport, name: StepName) -> StepStatus {
    report
        .steps
        .iter()
        .find(|s| s.name == name)
        .map(|s| s.status)
        .unwrap_or_else(|| panic!("no step {name:?}: {report:#?}"))
}
