//! `eca idp test` and `eca idp check` through the built binary, against the real OpenID
//! provider of tests/oidc/, with the scripted browser (tests/oidc/browser.mjs) as `$BROWSER`.
//! Pushed authorization requests (RFC 9126) against the same provider with `--par` and
//! `--par-required`. The confidential-client tests store a secret: run through
//! `scripts/with-keyring.sh`.

use assert_cmd::Command;
use eca_core::secrets::{OsKeyring, SecretKey, SecretStore};
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

/// `eca idp list --json` of `dir`.
fn list_json(dir: &TempDir) -> Value {
    let out = eca(dir).args(["idp", "list", "--json"]).output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
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

/// The step `name` of a report: its status and detail.
fn step<'a>(report: &'a Value, name: &str) -> Option<(&'a str, &'a str)> {
    report["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["name"] == name)
        .map(|s| (s["status"].as_str().unwrap(), s["detail"].as_str().unwrap()))
}

/// A public client of the provider, its customer id the email.
const PUBLIC_CLIENT: &[&str] = &[
    "--client-id",
    "eca-public",
    "--client-auth-method",
    "none",
    "--customer-id-claim",
    "email",
    "--scopes",
    "openid email",
];

#[test]
fn a_public_client_is_verified_and_recorded() {
    let op = NodeServer::start("provider.mjs", &[]);
    let dir = tempfile::tempdir().unwrap();
    add(&dir, &op.url, PUBLIC_CLIENT, None);
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
    let list = list_json(&dir);
    assert_eq!(list[0]["last_test"]["outcome"], "passed", "{list:#}");
}

/// The login sends the secret read from the keyring: with the provider's secret stored it
/// passes, and after a rotation to a wrong one it fails where the secret is first sent: at the
/// code exchange, or with PAR required at the PAR endpoint (client_secret_basic there too,
/// client_id in the body once), before any browser opens. The provider answers
/// `invalid_client` to a wrong secret and to none alike, so its log of what each request
/// presented (`--client-auth-log`) shows that the wrong secret was sent, not none.
#[test]
fn the_secret_sent_is_the_one_in_the_keyring() {
    eca_testkit::keyring::require_session_bus("this test stores a secret");
    for (flags, refused_at, back_channel) in [
        (&[][..], "code_exchange", &["token"][..]),
        (
            &["--par-required"][..],
            "pushed_authorization",
            &["request", "token"][..],
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("client-auth.jsonl");
        let mut args = flags.to_vec();
        args.extend(["--client-auth-log", log.to_str().unwrap()]);
        let op = NodeServer::start("provider.mjs", &args);
        add(
            &dir,
            &op.url,
            &["--client-id", "eca-confidential", "--client-secret-stdin"],
            Some("confidential-secret-123\n"),
        );
        let (code, report) = test_json(&dir);
        assert_eq!(code, 0, "the stored secret is the provider's: {report:#}");
        assert_eq!(report["outcome"], "passed");
        let mut sent: Vec<Value> = back_channel
            .iter()
            .map(|endpoint| presented(endpoint, "confidential-secret-123"))
            .collect();
        assert_eq!(
            all_presented(&log),
            sent,
            "each back-channel request of the login sent the stored secret"
        );

        edit(&dir, &["--client-secret-stdin"], Some("wrong-secret\n"));
        let (code, report) = test_json(&dir);
        assert_ne!(code, 0, "a failed login must not exit 0");
        assert_eq!(report["outcome"], "failed");
        assert_eq!(report["error"]["code"], "invalid_client", "{report:#}");
        assert!(report["error"]["message"]
            .as_str()
            .unwrap()
            .contains("invalid_client"));
        assert_eq!(
            step(&report, refused_at).map(|s| s.0),
            Some("failed"),
            "{report:#}"
        );
        // Refused at the first back-channel request: nothing after it is sent.
        sent.push(presented(back_channel[0], "wrong-secret"));
        assert_eq!(
            all_presented(&log),
            sent,
            "the refused request sent the rotated secret, not none"
        );
        if refused_at == "pushed_authorization" {
            let no_browser = step(&report, "authorization").is_none();
            assert!(no_browser, "no browser after a refused push: {report:#}");
        }
        assert!(
            !report.to_string().contains("wrong-secret"),
            "the secret is never printed"
        );
    }
}

/// Every back-channel request in the provider's `--client-auth-log`, in order: its endpoint,
/// the client, how it authenticated, and the SHA-256 of the secret it presented.
fn all_presented(log: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(log).expect("the provider logged its back-channel requests");
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// An entry of [`all_presented`]: the confidential client's `secret` sent to `endpoint` with
/// HTTP Basic.
fn presented(endpoint: &str, secret: &str) -> Value {
    use sha2::Digest;
    let sha256 = sha2::Sha256::digest(secret.as_bytes());
    let hex: String = sha256.iter().map(|b| format!("{b:02x}")).collect();
    serde_json::json!({
        "endpoint": endpoint,
        "client_id": "eca-confidential",
        "method": "client_secret_basic",
        "secret_sha256": hex,
    })
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

// Pushed authorization requests (RFC 9126).

#[test]
fn a_login_to_a_provider_that_requires_par_pushes_first_and_passes() {
    let op = NodeServer::start("provider.mjs", &["--par-required"]);
    let dir = tempfile::tempdir().unwrap();
    add(&dir, &op.url, PUBLIC_CLIENT, None);
    let (code, report) = test_json(&dir);
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

/// What makes the tests above able to fail: the provider really requires the push. A plain
/// OAuth 2.0 configuration of the same endpoints (no discovery, so no PAR) sends the request in
/// the browser's URL, and the provider refuses it.
#[test]
fn the_same_provider_refuses_a_login_that_does_not_push() {
    let op = NodeServer::start("provider.mjs", &["--par-required"]);
    let dir = tempfile::tempdir().unwrap();
    let endpoints = [
        ("--authorization-endpoint", "auth"),
        ("--token-endpoint", "token"),
        ("--userinfo-endpoint", "me"),
    ]
    .map(|(flag, path)| [flag.to_string(), format!("{}/{path}", op.url)]);
    let mut args: Vec<&str> = endpoints.iter().flatten().map(String::as_str).collect();
    args.extend(["--protocol", "oauth2"]);
    args.extend(PUBLIC_CLIENT);
    add(&dir, &op.url, &args, None);
    let (code, report) = test_json(&dir);
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
        add(&dir, &op.url, PUBLIC_CLIENT, None);
        let (code, checks) = readiness(&dir);
        assert_eq!(code, 0, "{flags:?}: ready: {checks:#?}");
        let (got, detail) = checks
            .get("Pushed authorization (PAR)")
            .unwrap_or_else(|| panic!("{flags:?}: no PAR check: {checks:#?}"));
        assert_eq!(got, status, "{flags:?}: {detail}");
        assert!(detail.starts_with(says), "{flags:?}: {detail}");
    }
}

/// private_key_jwt from the admin's side: `eca idp add --client-auth-method private_key_jwt`
/// makes a key in the keyring, `eca idp show --public-jwk` prints what to register, and once it
/// is registered at the provider the test login passes with the key read from the keyring.
/// The private key is nowhere but the keyring: not in the data folder, the export, or
/// anything `eca` printed.
#[test]
fn a_private_key_jwt_client_logs_in_with_the_key_it_shows_for_registration() {
    eca_testkit::keyring::require_session_bus("this test stores a signing key");
    let jwks_file = tempfile::NamedTempFile::new().unwrap();
    let path = jwks_file.path().to_str().unwrap().to_string();
    let op = NodeServer::start("provider.mjs", &["--pkjwt-jwks", &path]);
    let dir = tempfile::tempdir().unwrap();
    let pkjwt = [
        "--client-id",
        "eca-pkjwt",
        "--client-auth-method",
        "private_key_jwt",
    ];
    add(&dir, &op.url, &pkjwt, None);

    let shown = eca(&dir)
        .args(["idp", "show", "Local OP", "--public-jwk"])
        .output()
        .unwrap();
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    let jwks: Value = serde_json::from_slice(&shown.stdout).expect("a JWK Set");
    let keys = jwks["keys"].as_array().expect("keys");
    assert_eq!(keys.len(), 2, "RSA and EC: {jwks:#}");
    assert!(
        keys.iter().all(|k| k.get("d").is_none()),
        "public keys only: {jwks:#}"
    );
    std::fs::write(jwks_file.path(), &shown.stdout).unwrap();

    let (code, report) = test_json(&dir);
    assert_eq!(code, 0, "the registered key signs in: {report:#}");
    assert_eq!(report["outcome"], "passed");
    let (_, checks) = readiness(&dir);
    assert_eq!(
        checks["Client assertion algorithm"].0, "passed",
        "{checks:#?}"
    );

    let list = list_json(&dir);
    let id: eca_model::idp::IdpId = list[0]["id"].as_str().unwrap().parse().unwrap();
    let stored = OsKeyring::new()
        .get(SecretKey::IdpSigningKey(id))
        .unwrap()
        .expect("the key is in the keyring");
    let export = eca(&dir).args(["idp", "export"]).output().unwrap();
    for part in stored.expose().split('.').skip(1) {
        let needle = &part[..48];
        assert!(
            eca_testkit::leaks::files_containing(dir.path(), needle).is_empty(),
            "the private key is not in the data folder"
        );
        for output in [&export.stdout, &shown.stdout, &shown.stderr] {
            assert!(!eca_testkit::leaks::contains(output, needle));
        }
    }
    let deleted = eca(&dir)
        .args(["idp", "delete", "Local OP", "--yes"])
        .output()
        .unwrap();
    assert!(deleted.status.success());
    assert!(
        OsKeyring::new()
            .get(SecretKey::IdpSigningKey(id))
            .unwrap()
            .is_none(),
        "deleting the IdP forgets its key"
    );
}
