//! `eca idp test` and `eca idp check` through the built binary, against the real OpenID
//! provider of tests/oidc/, with the scripted browser (tests/oidc/browser.mjs) as `$BROWSER`.
//! The confidential-client test stores a secret: run through `scripts/with-keyring.sh`.

use assert_cmd::Command;
use eca_testkit::node_server::{workspace_root, NodeServer};
use serde_json::Value;
use tempfile::TempDir;

fn browser() -> String {
    format!(
        "node {}",
        workspace_root().join("tests/oidc/browser.mjs").display()
    )
}

fn eca(dir: &TempDir) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_eca"));
    cmd.arg("--data-dir")
        .arg(dir.path())
        .env("BROWSER", browser())
        .env_remove("RUST_LOG");
    cmd
}

fn add(dir: &TempDir, issuer: &str, extra: &[&str], stdin: Option<&str>) {
    let mut cmd = eca(dir);
    cmd.args(["idp", "add", "--name", "Local OP", "--issuer", issuer])
        .args(extra);
    succeeds(cmd, stdin, "add");
}

/// Runs `cmd` with `stdin`, if any, and expects it to succeed.
fn succeeds(mut cmd: Command, stdin: Option<&str>, what: &str) {
    if let Some(input) = stdin {
        cmd.write_stdin(input);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `eca idp edit "Local OP" ARGS…` in `dir`, which must succeed.
fn edit(dir: &TempDir, args: &[&str], stdin: Option<&str>) {
    let mut cmd = eca(dir);
    cmd.args(["idp", "edit", "Local OP"]).args(args);
    succeeds(cmd, stdin, "edit");
}

/// Runs `eca idp test "Local OP" --json`; returns the exit code and the parsed report.
fn test_json(dir: &TempDir) -> (i32, Value) {
    let out = eca(dir)
        .args(["idp", "test", "Local OP", "--timeout", "30", "--json"])
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

#[test]
fn a_public_client_is_verified_and_recorded() {
    let op = NodeServer::start("provider.mjs", &[]);
    let dir = tempfile::tempdir().unwrap();
    add(
        &dir,
        &op.url,
        &[
            "--client-id",
            "eca-public",
            "--client-auth-method",
            "none",
            "--customer-id-claim",
            "email",
            "--scopes",
            "openid email",
        ],
        None,
    );
    let (code, report) = test_json(&dir);
    assert_eq!(code, 0, "a verified login exits 0: {report:#}");
    assert_eq!(report["outcome"], "passed");
    assert_eq!(report["claims"]["sub"], "alice", "{report:#}");
    assert_eq!(report["customer_id"], "alice@example.test");
    assert_eq!(report["id_token_verified"], true);
    let steps = report["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 8, "all eight steps are reported: {steps:#?}");
    for step in steps {
        assert!(
            step["name"].is_string()
                && step["status"].is_string()
                && step["ms"].is_u64()
                && step["detail"].is_string(),
            "{step}"
        );
    }
    // Recorded in the IdP's history: the list shows the last result.
    let list: Value = serde_json::from_slice(
        &eca(&dir)
            .args(["idp", "list", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(list[0]["last_test"]["outcome"], "passed", "{list:#}");
}

/// The login sends the secret read from the keyring: with the provider's secret stored it
/// passes, and after a rotation to a wrong one it fails at the code exchange. (A wrong secret
/// alone cannot tell "wrong" from "none sent": the provider answers `invalid_client` to both.)
#[test]
fn the_secret_sent_is_the_one_in_the_keyring() {
    eca_testkit::keyring::require_session_bus("this test stores a secret");
    let op = NodeServer::start("provider.mjs", &[]);
    let dir = tempfile::tempdir().unwrap();
    add(
        &dir,
        &op.url,
        &["--client-id", "eca-confidential", "--client-secret-stdin"],
        Some("confidential-secret-123\n"),
    );
    let (code, report) = test_json(&dir);
    assert_eq!(code, 0, "the stored secret is the provider's: {report:#}");
    assert_eq!(report["outcome"], "passed");

    edit(&dir, &["--client-secret-stdin"], Some("wrong-secret\n"));
    let (code, report) = test_json(&dir);
    assert_ne!(code, 0, "a failed login must not exit 0");
    assert_eq!(report["outcome"], "failed");
    assert_eq!(report["error"]["code"], "invalid_client", "{report:#}");
    assert!(report["error"]["message"]
        .as_str()
        .unwrap()
        .contains("invalid_client"));
    assert!(
        !report.to_string().contains("wrong-secret"),
        "the secret is never printed"
    );
}

#[test]
fn check_reports_readiness_without_a_login() {
    let op = NodeServer::start("provider.mjs", &[]);
    let dir = tempfile::tempdir().unwrap();
    add(
        &dir,
        &op.url,
        &["--client-id", "eca-public", "--client-auth-method", "none"],
        None,
    );
    let out = eca(&dir)
        .args(["idp", "check", "Local OP", "--json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(out.status.success(), "{report:#}");
    assert_eq!(report["ready"], true);
    let names: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for expected in [
        "Discovery issuer matches",
        "PKCE S256 advertised",
        "Client authentication advertised",
        "JWKS reachable",
        "Clock skew",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    // Plain http on loopback is allowed for development, but said.
    let https = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Endpoints use https")
        .unwrap();
    assert_eq!(https["status"], "warning");
}

/// `eca idp check --json` of the IdP "Local OP" in `dir`: the exit code, and each check's
/// status and detail by name.
fn readiness(dir: &TempDir) -> (i32, std::collections::BTreeMap<String, (String, String)>) {
    let out = eca(dir)
        .args(["idp", "check", "Local OP", "--json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let checks = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let text = |k: &str| c[k].as_str().unwrap().to_string();
            (text("name"), (text("status"), text("detail")))
        })
        .collect();
    (out.status.code().unwrap_or(-1), checks)
}

/// The expiry date of the client secret is a readiness line: a warning within 30 days (still
/// ready), a failure once expired (not ready: the platform refuses sign-ins with it).
#[test]
fn readiness_reminds_of_the_secret_expiry_and_fails_once_it_has_expired() {
    let op = NodeServer::start("provider.mjs", &[]);
    let dir = tempfile::tempdir().unwrap();
    let soon = (time::OffsetDateTime::now_utc().date() + time::Duration::days(10)).to_string();
    let confidential = [
        "--client-id",
        "eca-confidential",
        "--credential-expires-on",
        &soon,
    ];
    add(&dir, &op.url, &confidential, None);
    let (code, checks) = readiness(&dir);
    assert_eq!(code, 0, "a reminder is not a failure: {checks:#?}");
    let (status, detail) = &checks["Client secret expiry"];
    assert_eq!(status, "warning", "{checks:#?}");
    assert!(
        detail.contains(&format!("expires on {soon}, in 10 days")),
        "{detail}"
    );

    let past = (time::OffsetDateTime::now_utc().date() - time::Duration::days(1)).to_string();
    edit(&dir, &["--credential-expires-on", &past], None);
    let (code, checks) = readiness(&dir);
    assert_ne!(code, 0, "an expired secret is not ready: {checks:#?}");
    let (status, detail) = &checks["Client secret expiry"];
    assert_eq!(status, "failed", "{checks:#?}");
    assert!(
        detail.contains(&format!("expired on {past}")) && detail.contains("refuses"),
        "{detail}"
    );
}

/// Readiness against a real provider configured wrong, one mistake at a time: each is failed
/// by the check that names it, the others pass, and `eca idp check` exits non-zero.
#[test]
fn readiness_names_what_a_misconfigured_provider_gets_wrong() {
    let public = ["--client-id", "eca-public", "--client-auth-method", "none"];
    let cases: [(&[&str], &[&str], &str, &str); 3] = [
        (
            &["--no-s256"],
            &public,
            "PKCE S256 advertised",
            "enable PKCE with S256",
        ),
        (
            &["--auth-methods", "client_secret_basic,none"],
            &[
                "--client-id",
                "eca-confidential",
                "--client-auth-method",
                "client_secret_post",
            ],
            "Client authentication advertised",
            "not client_secret_post",
        ),
        (
            &[],
            &[
                "--client-id",
                "eca-public",
                "--client-auth-method",
                "none",
                "--jwks-uri",
                "http://127.0.0.1:9/jwks",
            ],
            "JWKS reachable",
            "127.0.0.1:9",
        ),
    ];
    for (provider_args, idp_args, failed, says) in cases {
        let op = NodeServer::start("provider.mjs", provider_args);
        let dir = tempfile::tempdir().unwrap();
        add(&dir, &op.url, idp_args, None);
        let (code, checks) = readiness(&dir);
        assert_ne!(code, 0, "{provider_args:?}: not ready: {checks:#?}");
        let (status, detail) = &checks[failed];
        assert_eq!(status, "failed", "{provider_args:?}: {checks:#?}");
        assert!(detail.contains(says), "{provider_args:?}: {detail}");
        let others_failed: Vec<&String> = checks
            .iter()
            .filter(|(name, (status, _))| status == "failed" && *name != failed)
            .map(|(name, _)| name)
            .collect();
        assert!(
            others_failed.is_empty(),
            "{provider_args:?}: only {failed} fails: {checks:#?}"
        );
    }

    // A provider behind a proxy that names it at another path: its document's issuer is not
    // the URL it was fetched from.
    let op = NodeServer::start("provider.mjs", &["--issuer-path", "/other"]);
    let origin = op.url.trim_end_matches("/other").to_string();
    let dir = tempfile::tempdir().unwrap();
    let endpoints = [
        "--client-id".to_string(),
        "eca-public".into(),
        "--client-auth-method".into(),
        "none".into(),
        "--authorization-endpoint".into(),
        format!("{origin}/auth"),
        "--token-endpoint".into(),
        format!("{origin}/token"),
        "--jwks-uri".into(),
        format!("{origin}/jwks"),
    ];
    add(
        &dir,
        &origin,
        &endpoints.iter().map(String::as_str).collect::<Vec<_>>(),
        None,
    );
    let (code, checks) = readiness(&dir);
    assert_ne!(code, 0);
    let (status, detail) = &checks["Discovery issuer matches"];
    assert_eq!(status, "failed", "{checks:#?}");
    assert!(
        detail.contains(&op.url),
        "the detail names the document's issuer: {detail}"
    );
}

#[test]
fn a_test_that_never_comes_back_times_out() {
    let op = NodeServer::start("provider.mjs", &[]);
    let dir = tempfile::tempdir().unwrap();
    add(
        &dir,
        &op.url,
        &["--client-id", "eca-public", "--client-auth-method", "none"],
        None,
    );
    let out = eca(&dir)
        .env("BROWSER", "true")
        .args(["idp", "test", "Local OP", "--timeout", "1", "--json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(report["outcome"], "timed_out", "{report:#}");
}
