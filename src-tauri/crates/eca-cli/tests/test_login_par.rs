//! Pushed authorization requests (RFC 9126) through the built `eca` binary, against the real
//! OpenID provider of tests/oidc/ (`--par`, `--par-required`), with the scripted browser as
//! `$BROWSER`: a login to a provider that requires PAR pushes first and passes, the same
//! provider refuses a login that does not push, and readiness says whether PAR is required,
//! available or not advertised. The confidential-client test stores a secret: run through
//! `scripts/with-keyring.sh`.

use assert_cmd::Command;
use eca_testkit::node_server::{workspace_root, NodeServer};
use serde_json::Value;
use tempfile::TempDir;

fn eca(dir: &TempDir) -> Command {
    let browser = workspace_root().join("tests/oidc/browser.mjs");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_eca"));
    cmd.arg("--data-dir")
        .arg(dir.path())
        .env("BROWSER", format!("node {}", browser.display()))
        .env_remove("RUST_LOG");
    cmd
}

fn add(dir: &TempDir, args: &[&str], stdin: Option<&str>) {
    let mut cmd = eca(dir);
    cmd.args(["idp", "add", "--name", "Local OP"]).args(args);
    if let Some(input) = stdin {
        cmd.write_stdin(input);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "add failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `eca idp <command> "Local OP" --json`: the exit code and the parsed report.
fn run_json(dir: &TempDir, command: &[&str]) -> (i32, Value) {
    let out = eca(dir)
        .arg("idp")
        .args(command)
        .args(["Local OP", "--json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), report)
}

fn test_login(dir: &TempDir) -> (i32, Value) {
    run_json(dir, &["test", "--timeout", "30"])
}

/// The step `name` of a report: its status and detail.
fn step<'a>(report: &'a Value, name: &str) -> Option<(&'a str, &'a str)> {
    report["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["name"] == name)
        .map(|s| (s["status"].as_str().unwrap(), s["detail"].as_str().unwrap()))
}

fn public_client(issuer: &str) -> Vec<String> {
    [
        "--issuer",
        issuer,
        "--client-id",
        "eca-public",
        "--client-auth-method",
        "none",
        "--customer-id-claim",
        "email",
        "--scopes",
        "openid email",
    ]
    .map(String::from)
    .to_vec()
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn a_login_to_a_provider_that_requires_par_pushes_first_and_passes() {
    let op = NodeServer::start("provider.mjs", &["--par-required"]);
    let dir = tempfile::tempdir().unwrap();
    add(&dir, &strs(&public_client(&op.url)), None);
    let (code, report) = test_login(&dir);
    assert_eq!(code, 0, "a verified login exits 0: {report:#}");
    assert_eq!(report["customer_id"], "alice@example.test", "{report:#}");
    let (status, detail) = step(&report, "pushed_authorization").expect("a PAR step");
    assert_eq!(status, "passed", "{report:#}");
    assert!(
        detail.contains("requires PAR") && detail.contains(&format!("{}/request", op.url)),
        "says why and where it pushed: {detail}"
    );
    let names: Vec<&str> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names[..4],
        ["discovery", "jwks", "pushed_authorization", "authorization"],
        "the push comes before the browser"
    );
}

/// The same login of a confidential client: client_secret_basic at the PAR endpoint (its
/// header, and client_id in the body once), then a wrong secret refused at the PAR endpoint,
/// before any browser opens.
#[test]
fn a_confidential_client_authenticates_at_the_par_endpoint() {
    eca_testkit::keyring::require_session_bus("this test stores a secret");
    let op = NodeServer::start("provider.mjs", &["--par-required"]);
    let dir = tempfile::tempdir().unwrap();
    add(
        &dir,
        &[
            "--issuer",
            &op.url,
            "--client-id",
            "eca-confidential",
            "--client-secret-stdin",
        ],
        Some("confidential-secret-123\n"),
    );
    let (code, report) = test_login(&dir);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(step(&report, "pushed_authorization").unwrap().0, "passed");

    let out = eca(&dir)
        .args(["idp", "edit", "Local OP", "--client-secret-stdin"])
        .write_stdin("wrong-secret\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    let (code, report) = test_login(&dir);
    assert_ne!(code, 0);
    assert_eq!(report["error"]["code"], "invalid_client", "{report:#}");
    let (status, detail) = step(&report, "pushed_authorization").unwrap();
    assert_eq!(status, "failed");
    assert!(detail.contains("PAR endpoint"), "{detail}");
    assert!(
        step(&report, "authorization").is_none(),
        "no browser after a refused push: {report:#}"
    );
    assert!(!report.to_string().contains("wrong-secret"));
}

/// What makes the test above able to fail: the provider really requires the push. A plain
/// OAuth 2.0 configuration of the same endpoints (no discovery, so no PAR) sends the request in
/// the browser's URL, and the provider refuses it.
#[test]
fn the_same_provider_refuses_a_login_that_does_not_push() {
    let op = NodeServer::start("provider.mjs", &["--par-required"]);
    let dir = tempfile::tempdir().unwrap();
    let endpoint = |path: &str| format!("{}/{path}", op.url);
    add(
        &dir,
        &strs(&[
            "--protocol".into(),
            "oauth2".into(),
            "--authorization-endpoint".into(),
            endpoint("auth"),
            "--token-endpoint".into(),
            endpoint("token"),
            "--userinfo-endpoint".into(),
            endpoint("me"),
            "--client-id".into(),
            "eca-public".into(),
            "--client-auth-method".into(),
            "none".into(),
            "--scopes".into(),
            "openid email".into(),
            "--customer-id-claim".into(),
            "email".into(),
        ]),
        None,
    );
    let (code, report) = test_login(&dir);
    assert_ne!(code, 0, "{report:#}");
    assert!(
        step(&report, "pushed_authorization").is_none(),
        "{report:#}"
    );
    assert_eq!(report["error"]["code"], "invalid_request", "{report:#}");
    let message = report["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("Pushed Authorization Request must be used"),
        "{message}"
    );
}

#[test]
fn readiness_says_whether_par_is_required_available_or_not_advertised() {
    for (flags, status, says) in [
        (&["--par-required"][..], "passed", "PAR required"),
        (&["--par"][..], "passed", "PAR available"),
        (&[][..], "skipped", "Not advertised"),
    ] {
        let op = NodeServer::start("provider.mjs", flags);
        let dir = tempfile::tempdir().unwrap();
        add(&dir, &strs(&public_client(&op.url)), None);
        let (code, report) = run_json(&dir, &["check"]);
        assert_eq!(code, 0, "{flags:?}: ready: {report:#}");
        let check = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "Pushed authorization (PAR)")
            .unwrap_or_else(|| panic!("{flags:?}: no PAR check: {report:#}"));
        assert_eq!(check["status"], status, "{flags:?}: {check}");
        assert!(
            check["detail"].as_str().unwrap().starts_with(says),
            "{flags:?}: {check}"
        );
    }
}
