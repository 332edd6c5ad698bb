//! `eca idp test NAME --via-platform` through the built binary, end to end on loopback: the
//! reference backend (in-process harness) as the platform, the real OpenID provider
//! (tests/oidc/provider.mjs) with a client registered for this computer's loopback redirect
//! and, or not, the platform's redirect URI, and the scripted browser (tests/oidc/browser.mjs)
//! as `$BROWSER`, playing the admin who opens the platform's link and clicks "Back to the chat".
//! The IdP's secret and the API key are in the keyring: run through `scripts/with-keyring.sh`.

mod sync_common;

use eca_core::secrets::{OsKeyring, SecretKey, SecretStore};
use eca_model::idp::IdpId;
use eca_model::secret::Secret;
use eca_testkit::node_server::{workspace_root, NodeServer};
use serde_json::{json, Value};
use sync_common::{require_session_bus, Backend, Eca, Run, API_KEY, WORKSPACE};

const CLIENT_ID: &str = "eca-platform-test";
const SECRET: &str = "platform-test-secret-123";

/// The platform, the provider, and an admin's data folder set to sync with the platform.
struct Setup {
    backend: Backend,
    provider: NodeServer,
    eca: Eca,
    _clients: tempfile::NamedTempFile,
}

impl Setup {
    /// The provider's client is registered with this computer's loopback redirect, and with the
    /// platform's redirect URI when `register_platform`; its secret is `provider_secret`.
    fn start(register_platform: bool, provider_secret: &str) -> Self {
        require_session_bus();
        let backend = Backend::start();
        let mut redirects = vec!["http://127.0.0.1/oauth/callback".to_string()];
        if register_platform {
            redirects.push(platform_redirect(&backend));
        }
        let clients = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(
            clients.path(),
            json!([{
                "client_id": CLIENT_ID,
                "client_secret": provider_secret,
                "token_endpoint_auth_method": "client_secret_basic",
                "application_type": "native",
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
                "redirect_uris": redirects,
            }])
            .to_string(),
        )
        .unwrap();
        let provider = NodeServer::start(
            "provider.mjs",
            &["--clients", clients.path().to_str().unwrap()],
        );
        let eca = Eca::new();
        eca.set_backend(&backend.url());
        Self {
            backend,
            provider,
            eca,
            _clients: clients,
        }
    }

    /// Adds "Local OP" (discovered from the provider) with `secret`; returns its id.
    fn add(&self, secret: &str) -> IdpId {
        let r = self.eca.run_with_stdin(
            &[
                "idp",
                "add",
                "--name",
                "Local OP",
                "--issuer",
                &self.provider.url,
                "--client-id",
                CLIENT_ID,
                "--client-secret-stdin",
                "--scopes",
                "openid email",
                "--claim-map",
                "email=customer_email",
                "--json",
            ],
            &format!("{secret}\n"),
        );
        assert_eq!(r.code, 0, "add failed: {}", r.stderr);
        let idp: Value = serde_json::from_str(&r.stdout).unwrap();
        idp["id"].as_str().unwrap().parse().unwrap()
    }

    fn push(&self) {
        self.eca.ok(&["sync", "push"]);
    }

    /// `eca idp test` (this computer, loopback redirect); returns its outcome.
    fn local_test(&self) -> String {
        let r = self.test(&["--timeout", "30"], false);
        let report: Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout, r.stderr));
        report["outcome"].as_str().unwrap().to_string()
    }

    /// `eca idp test --via-platform --json` with the customer browser; the run and its report.
    fn platform_test(&self, timeout: &str) -> (Run, Value) {
        let r = self.test(&["--via-platform", "--timeout", timeout], true);
        let report = serde_json::from_str(&r.stdout).unwrap_or(Value::Null);
        (r, report)
    }

    fn test(&self, extra: &[&str], customer: bool) -> Run {
        let mut cmd = self.eca.cmd();
        cmd.args(["idp", "test", "Local OP", "--json"])
            .args(extra)
            .env("BROWSER", browser());
        if customer {
            cmd.env("ECA_BROWSER_CUSTOMER", "1");
        } else {
            cmd.env_remove("ECA_BROWSER_CUSTOMER");
        }
        let out = cmd.output().expect("eca runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    /// How many sign-in messages the platform's gateway sent.
    fn messages_sent(&self) -> usize {
        let url = format!("{}/v1/workspaces/{WORKSPACE}/messages", self.backend.url());
        let body: Value = self.backend.runtime.block_on(async {
            let response = reqwest::Client::new()
                .get(url)
                .bearer_auth(API_KEY)
                .send()
                .await
                .expect("the backend answers");
            response.json().await.expect("a JSON list")
        });
        body["items"].as_array().expect("items").len()
    }
}

fn platform_redirect(backend: &Backend) -> String {
    format!("{}/v1/oauth/callback", backend.url())
}

fn browser() -> String {
    format!(
        "node {}",
        workspace_root().join("tests/oidc/browser.mjs").display()
    )
}

/// Neither the link, the API key nor a client secret reaches the output.
fn assert_no_credentials(run: &Run) {
    for (what, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert!(
            !text.contains("/l/"),
            "the sign-in link is in {what}: {text}"
        );
        assert!(!text.contains(API_KEY), "the API key is in {what}");
        assert!(!text.contains(SECRET), "the client secret is in {what}");
    }
}

#[test]
fn a_pushed_idp_passes_on_the_platform_with_the_same_steps() {
    let s = Setup::start(true, SECRET);
    s.add(SECRET);
    assert_eq!(s.local_test(), "passed");
    s.push();
    let (run, report) = s.platform_test("60");
    assert_eq!(
        run.code, 0,
        "a verified test exits 0: {report:#}\n{}",
        run.stderr
    );
    assert_eq!(report["outcome"], "passed", "{report:#}");
    assert_eq!(report["redirect_uri"], platform_redirect(&s.backend));
    let steps = report["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 8, "the local test's eight steps: {steps:#?}");
    assert!(steps.iter().all(|s| s["status"] == "passed"), "{steps:#?}");
    assert_eq!(report["customer_id"], "alice");
    assert_eq!(report["claims"]["customer_email"], "alice@example.test");
    assert_eq!(report["explanation"], Value::Null);
    assert_eq!(
        s.messages_sent(),
        0,
        "the result was read, so the gateway's copy of the message (number and link) is gone"
    );
    assert_no_credentials(&run);
}

#[test]
fn an_unregistered_platform_redirect_fails_and_the_explanation_names_it() {
    let s = Setup::start(false, SECRET);
    s.add(SECRET);
    assert_eq!(
        s.local_test(),
        "passed",
        "this computer's redirect is registered"
    );
    s.push();
    // The provider refuses the platform's redirect URI and shows its own error page: the
    // browser never comes back, so the test ends at its timeout.
    let (run, report) = s.platform_test("8");
    assert_ne!(run.code, 0, "a failed test must not exit 0");
    assert_eq!(report["outcome"], "timed_out", "{report:#}");
    assert_eq!(report["error"]["code"], "timeout");
    let explanation = &report["explanation"];
    assert_eq!(
        explanation["cause"], "redirect_uri_not_registered",
        "{report:#}"
    );
    let uri = platform_redirect(&s.backend);
    let message = explanation["message"].as_str().unwrap();
    assert!(
        message.starts_with("Passes from this computer, fails on the platform")
            && message.contains(&format!("register {uri}")),
        "{message}"
    );
    assert!(explanation["fix"].as_str().unwrap().contains(&uri));
    assert_no_credentials(&run);
}

#[test]
fn a_secret_rotated_here_but_not_pushed_fails_with_invalid_client_and_the_fix_is_push() {
    let rotated = "rotated-secret-456";
    let s = Setup::start(true, rotated);
    let id = s.add(SECRET);
    s.push();
    // The IdP rotated its secret; the keyring here got the new one outside the IdP's form (so
    // no change was recorded), and the platform still holds the old one.
    OsKeyring::new()
        .put(SecretKey::IdpClientSecret(id), &Secret::new(rotated))
        .expect("the keyring takes the rotated secret");
    assert_eq!(s.local_test(), "passed", "this computer has the new secret");
    let (run, report) = s.platform_test("60");
    assert_ne!(run.code, 0, "{report:#}");
    assert_eq!(report["outcome"], "failed", "{report:#}\n{}", run.stderr);
    assert_eq!(report["error"]["code"], "invalid_client");
    assert_eq!(report["failed_step"], "code_exchange");
    let explanation = &report["explanation"];
    assert_eq!(explanation["cause"], "platform_secret", "{report:#}");
    assert!(
        explanation["message"]
            .as_str()
            .unwrap()
            .contains("not the one you tested with"),
        "{explanation}"
    );
    assert!(
        explanation["fix"].as_str().unwrap().starts_with("Push"),
        "{explanation}"
    );
}

#[test]
fn an_idp_with_unpushed_changes_is_refused_before_anything_is_sent() {
    let s = Setup::start(true, SECRET);
    s.add(SECRET);
    s.push();
    s.eca
        .ok(&["idp", "edit", "Local OP", "--notes", "changed here"]);
    let (run, _) = s.platform_test("60");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let problem: Value = serde_json::from_str(run.stderr.trim())
        .unwrap_or_else(|e| panic!("stderr is not a JSON problem ({e}): {}", run.stderr));
    assert_eq!(problem["code"], "not_pushed", "{problem}");
    let message = problem["message"].as_str().unwrap();
    assert!(
        message.contains("changed here since it was last pushed") && message.contains("Push first"),
        "{message}"
    );
    assert_eq!(s.messages_sent(), 0, "no auth request was created");
    s.push();
    assert_eq!(
        s.platform_test("60").0.code,
        0,
        "after the push, the same test passes"
    );
}

/// A passed test on the platform is what lets `eca sync promote` take the IdP to the next
/// environment (a second real backend), its secret with it; an edit since the test stops it.
#[test]
fn a_passed_platform_test_lets_the_idp_be_promoted_until_it_is_edited() {
    let s = Setup::start(true, SECRET);
    let id = s.add(SECRET);
    s.push();
    let r = s
        .eca
        .run(&["sync", "promote", "--to", "default", "--dry-run"]);
    assert_eq!(r.code, 2, "not to itself: {}", r.stderr);
    let production = Backend::start();
    let r = s.eca.run_with_stdin(
        &[
            "env",
            "add",
            "production",
            "--url",
            &production.url(),
            "--workspace",
            WORKSPACE,
            "--api-key-stdin",
        ],
        &format!("{API_KEY}\n"),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let plan = s.eca.json(&["sync", "promote", "--dry-run"]);
    assert_eq!(plan["items"][0]["refusal"], "never_tested", "{plan:#}");

    let (run, report) = s.platform_test("60");
    assert_eq!(run.code, 0, "{report:#}\n{}", run.stderr);
    let plan = s.eca.json(&["sync", "promote", "--dry-run"]);
    assert_eq!(plan["items"][0]["refusal"], Value::Null, "{plan:#}");
    let promoted = s.eca.run(&["sync", "promote", "--idp", "Local OP"]);
    assert_eq!(promoted.code, 0, "{}\n{}", promoted.stdout, promoted.stderr);
    assert!(
        promoted.stdout.contains("create   Local OP"),
        "{}",
        promoted.stdout
    );
    let held = production.idps();
    assert!(held[&id].secret_set, "promoted with its secret: {held:?}");
    assert_no_credentials(&promoted);

    s.eca.ok(&["idp", "edit", "Local OP", "--notes", "edited"]);
    s.push();
    let refused = s.eca.run(&["sync", "promote"]);
    assert_eq!(refused.code, 4, "{}\n{}", refused.stdout, refused.stderr);
    assert!(
        refused
            .stdout
            .contains("\"Local OP\" was not tested on default since it was last edited"),
        "{}",
        refused.stdout
    );
}
