//! `eca idp test` through the built binary against a second, independent real OpenID provider,
//! Glewlwyd (tests/glewlwyd/, started by `eca_testkit::glewlwyd`), with the scripted browser
//! (tests/oidc/browser.mjs, which signs in through Glewlwyd's login.html detour) as `$BROWSER`.
//!
//! Glewlwyd matches redirect URIs exactly, port included: a login passes with the IdP's fixed
//! loopback port registered, and without one it is refused and the fix names that remedy.
//! These tests store a client secret: run through `scripts/with-keyring.sh` (make test does).
//! Without glewlwyd installed they fail, saying that `make deps` installs it.

use assert_cmd::Command;
use eca_testkit::glewlwyd::{GlewlwydServer, Provisioned};
use eca_testkit::node_server::workspace_root;
use serde_json::Value;
use tempfile::TempDir;

const IDP: &str = "Glewlwyd";

fn loopback_redirect(port: u16) -> String {
    format!("http://127.0.0.1:{port}/oauth/callback")
}

fn eca(dir: &TempDir, op: &GlewlwydServer) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_eca"));
    cmd.arg("--data-dir")
        .arg(dir.path())
        .env(
            "BROWSER",
            format!(
                "node {}",
                workspace_root().join("tests/oidc/browser.mjs").display()
            ),
        )
        .envs(op.browser_env())
        .env_remove("RUST_LOG")
        .env_remove("ECA_DATA_DIR");
    cmd
}

/// Adds the IdP (endpoints by discovery) with its secret and the loopback test redirect.
fn add(dir: &TempDir, op: &GlewlwydServer, loopback_port: Option<u16>) {
    eca_testkit::keyring::require_session_bus("this test stores the client secret");
    let port = loopback_port.map(|p| p.to_string());
    let mut cmd = eca(dir, op);
    cmd.args(["idp", "add", "--name", IDP, "--issuer", &op.issuer])
        .args(["--client-id", &op.client_id, "--client-secret-stdin"])
        .args([
            "--customer-id-claim",
            "email",
            "--scopes",
            "openid profile email",
        ])
        .args(["--test-redirect", "loopback"])
        .args(port.iter().flat_map(|p| ["--loopback-port", p.as_str()]))
        .write_stdin(format!("{}\n", op.client_secret));
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "add failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `eca idp test` with `--json`: the exit code, the report, and stderr (where the
/// scripted browser says what it saw).
fn test_json(dir: &TempDir, op: &GlewlwydServer, timeout_secs: u32) -> (i32, Value, String) {
    let out = eca(dir, op)
        .args(["idp", "test", IDP, "--json", "--timeout"])
        .arg(timeout_secs.to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    (out.status.code().unwrap_or(-1), report, stderr)
}

#[test]
fn a_login_on_the_fixed_loopback_port_is_verified() {
    let port = eca_testkit::free_port();
    let op = GlewlwydServer::start(&[&loopback_redirect(port)]);
    let dir = tempfile::tempdir().unwrap();
    add(&dir, &op, Some(port));

    let (code, report, stderr) = test_json(&dir, &op, 30);
    assert_eq!(code, 0, "a verified login exits 0: {report:#}\n{stderr}");
    assert_eq!(report["outcome"], "passed");
    assert_eq!(report["redirect_uri"], loopback_redirect(port).as_str());
    assert_eq!(report["id_token_verified"], true, "{report:#}");
    assert_eq!(report["claims"]["iss"], op.issuer.as_str());
    assert_eq!(report["claims"]["aud"], op.client_id.as_str());
    assert_eq!(report["customer_id_claim"], "email");
    assert_eq!(report["customer_id"], Provisioned::USER_EMAIL);
    assert_eq!(
        report["userinfo"]["sub"], report["claims"]["sub"],
        "userinfo is about the ID token's subject"
    );
    let steps = report["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 8, "all eight steps are reported: {steps:#?}");
    assert!(
        steps.iter().all(|s| s["status"] == "passed"),
        "every step passed, none with a warning: {steps:#?}"
    );
    let state = steps
        .iter()
        .find(|s| s["name"] == "state_and_issuer")
        .unwrap_or_else(|| panic!("a state and issuer step: {steps:#?}"));
    assert_eq!(
        state["detail"], "State matches; iss matches.",
        "Glewlwyd sends the RFC 9207 iss (oauth-as-iss-id is on): {state}"
    );
}

#[test]
fn without_a_fixed_port_glewlwyd_refuses_and_the_fix_names_the_fixed_port() {
    let registered = eca_testkit::free_port();
    let op = GlewlwydServer::start(&[&loopback_redirect(registered)]);
    let dir = tempfile::tempdir().unwrap();
    add(&dir, &op, None);

    let (code, report, stderr) = test_json(&dir, &op, 5);
    assert_eq!(code, 1, "a refused login does not exit 0: {report:#}");
    assert!(
        stderr.contains("(HTTP 403)"),
        "Glewlwyd answers the authorization request with a bare 403: {stderr}"
    );
    assert_eq!(report["outcome"], "timed_out", "{report:#}");
    assert_eq!(report["error"]["code"], "timeout");
    let used = report["redirect_uri"].as_str().expect("the redirect used");
    let random_port = used
        .strip_prefix("http://127.0.0.1:")
        .and_then(|rest| rest.strip_suffix("/oauth/callback"))
        .unwrap_or_else(|| panic!("a loopback redirect: {used}"));
    assert_ne!(random_port, registered.to_string());
    let fix = report["error"]["fix"].as_str().expect("a fix");
    assert!(
        fix.contains("set \"Loopback port\" in the IdP's form")
            && fix.contains("register exactly http://127.0.0.1:N/oauth/callback"),
        "the fix names the fixed-port remedy: {fix}"
    );
    assert!(
        !fix.contains(random_port),
        "a port picked for one run is never offered for registration: {fix}"
    );
}
