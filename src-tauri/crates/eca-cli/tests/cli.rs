//! The `eca` binary, run as an admin or a script would run it, each test in its own temporary
//! `--data-dir` (so they run in parallel).
//!
//! Tests that store a client secret need a real Secret Service: run them through
//! `scripts/with-keyring.sh` (`make test` does). The discovery tests start the local OpenID
//! provider of tests/oidc/ (Node and `npm ci --prefix tests/oidc`; they fail, never skip).

use assert_cmd::Command;
use eca_core::secrets::{OsKeyring, SecretKey, SecretStore};
use eca_model::idp::IdpId;
use eca_testkit::leaks::{canary, contains, files_under};
use eca_testkit::node_server::NodeServer;
use serde_json::{json, Value};
use std::path::Path;
use tempfile::TempDir;

/// One data folder and the `eca` commands run on it.
struct Eca {
    dir: TempDir,
}

/// What a finished `eca` run printed.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Eca {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("a temporary data folder"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `eca --data-dir <this folder>`, with no logging and no data folder from the environment.
    fn cmd(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_eca"));
        cmd.arg("--data-dir")
            .arg(self.path())
            .env_remove("RUST_LOG")
            .env_remove("ECA_DATA_DIR");
        cmd
    }

    fn run(&self, args: &[&str]) -> Run {
        run(self.cmd().args(args))
    }

    /// Runs a command that must succeed; returns its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert_eq!(r.code, 0, "`eca {}` failed: {}", args.join(" "), r.stderr);
        r.stdout
    }

    /// Runs a command with `--json` that must succeed; returns its parsed stdout.
    fn json(&self, args: &[&str]) -> Value {
        let mut with_json = args.to_vec();
        with_json.push("--json");
        let out = self.ok(&with_json);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {out}"))
    }

    fn list(&self) -> Vec<Value> {
        match self.json(&["idp", "list"]) {
            Value::Array(items) => items,
            other => panic!("`idp list --json` prints an array, got {other}"),
        }
    }

    fn show(&self, idp: &str) -> Value {
        self.json(&["idp", "show", idp])
    }

    /// Adds a valid OpenID Connect IdP with every endpoint given (no discovery, no network).
    fn add(&self, name: &str, host: &str, extra: &[&str]) -> Value {
        let args = oidc_args(name, host);
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        args.extend(extra);
        self.json(&args)
    }
}

fn require_session_bus() {
    eca_testkit::keyring::require_session_bus("this test stores a client secret");
}

fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("eca runs");
    Run {
        code: out.status.code().expect("eca exits, it is not killed"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

fn oidc_args(name: &str, host: &str) -> Vec<String> {
    [
        "idp",
        "add",
        "--name",
        name,
        "--issuer",
        &format!("https://{host}"),
        "--authorization-endpoint",
        &format!("https://{host}/auth"),
        "--token-endpoint",
        &format!("https://{host}/token"),
        "--jwks-uri",
        &format!("https://{host}/jwks"),
        "--client-id",
        &format!("client-of-{host}"),
    ]
    .map(String::from)
    .to_vec()
}

fn keyring_value(id: &str) -> Option<String> {
    let id: IdpId = id.parse().expect("the id is a UUID");
    OsKeyring::new()
        .get(SecretKey::IdpClientSecret(id))
        .expect("the keyring is reachable")
        .map(|s| s.expose().to_string())
}

fn assert_one_line_error(r: &Run, code: i32, starts_with: &str) {
    assert_eq!(r.code, code, "exit status; stderr: {}", r.stderr);
    assert_eq!(
        r.stderr.lines().count(),
        1,
        "an error is exactly one line on stderr: {:?}",
        r.stderr
    );
    assert!(
        r.stderr.starts_with(starts_with),
        "expected stderr to start with {starts_with:?}: {}",
        r.stderr
    );
    assert_eq!(r.stdout, "", "nothing on stdout when a command fails");
}

// ---- version --------------------------------------------------------------------------------

/// `eca --version` names the version of the app it belongs to: tauri.conf.json's, the one the
/// app's updater compares releases with.
#[test]
fn version_is_the_apps() {
    let conf: Value = serde_json::from_str(include_str!("../../../../tauri.conf.json"))
        .expect("tauri.conf.json is JSON");
    let app_version = conf["version"]
        .as_str()
        .expect("tauri.conf.json has a version");
    let r = run(Command::new(env!("CARGO_BIN_EXE_eca")).arg("--version"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.trim_end(), format!("eca {app_version}"));
}

// ---- add, list, show, edit ------------------------------------------------------------------

#[test]
fn add_list_show_round_trip_with_json_shapes() {
    let eca = Eca::new();
    assert!(eca.list().is_empty(), "a new data folder has no IdP");

    let added = eca.add("Okta", "okta.example", &[]);
    let id = added["id"].as_str().expect("the saved IdpConfig has an id");
    assert_eq!(added["name"], "Okta");
    assert_eq!(added["protocol"], "oidc");
    assert_eq!(added["issuer"], "https://okta.example");
    assert_eq!(
        added["scopes"],
        json!(["openid", "profile", "email"]),
        "blank() defaults"
    );
    assert_eq!(added["customer_id_claim"], "sub");
    assert_eq!(added["enabled"], true);
    assert_eq!(added["has_secret"], false);
    for key in [
        "created_at",
        "updated_at",
        "client_auth_method",
        "extra_params",
    ] {
        assert!(
            added.get(key).is_some(),
            "IdpConfig JSON has {key}: {added}"
        );
    }

    let list = eca.list();
    assert_eq!(list.len(), 1);
    let mut keys: Vec<&str> = list[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "client_auth_method",
            "credential_expires_on",
            "credential_expiry",
            "credential_reminder",
            "enabled",
            "has_secret",
            "host",
            "id",
            "last_test",
            "name",
            "protocol",
            "secret_set_aside",
            "updated_at"
        ],
        "list --json prints IdpSummary rows"
    );
    assert_eq!(list[0]["id"], id);
    assert_eq!(list[0]["host"], "okta.example");

    assert_eq!(
        eca.show("Okta"),
        added,
        "show by name prints what add saved"
    );
    assert_eq!(
        eca.show("okta"),
        added,
        "names are found case-insensitively"
    );
    assert_eq!(eca.show(id), added, "show by id");

    let text = eca.ok(&["idp", "show", "Okta"]);
    assert!(
        text.lines()
            .any(|l| l.starts_with("Issuer URL") && l.ends_with("https://okta.example")),
        "text output labels the fields as the form does: {text}"
    );
    let table = eca.ok(&["idp", "list"]);
    assert!(table.starts_with("NAME"), "{table}");
    assert!(table.contains("okta.example"), "{table}");

    let missing = eca.run(&["idp", "show", "Nope"]);
    assert_one_line_error(
        &missing,
        1,
        "error: No identity provider named or with id \"Nope\"",
    );
}

#[test]
fn oauth2_idps_are_added_with_their_own_fields() {
    let eca = Eca::new();
    let added = eca.json(&[
        "idp",
        "add",
        "--name",
        "GitHub",
        "--protocol",
        "oauth2",
        "--authorization-endpoint",
        "https://gh.example/login/oauth/authorize",
        "--token-endpoint",
        "https://gh.example/login/oauth/access_token",
        "--userinfo-endpoint",
        "https://api.gh.example/user",
        "--client-id",
        "gh-client",
        "--client-auth-method",
        "client_secret_post",
        "--scopes",
        "read:user user:email",
        "--customer-id-claim",
        "email",
        "--redirect-uri",
        "https://app.example/cb",
        "--param",
        "allow_signup=false",
        "--test-redirect",
        "loopback",
        "--notes",
        "line one\nline two",
        "--disabled",
    ]);
    assert_eq!(added["protocol"], "oauth2");
    assert_eq!(added["issuer"], Value::Null);
    assert_eq!(added["client_auth_method"], "client_secret_post");
    assert_eq!(added["scopes"], json!(["read:user", "user:email"]));
    assert_eq!(added["customer_id_claim"], "email");
    assert_eq!(added["redirect_uris"], json!(["https://app.example/cb"]));
    assert_eq!(
        added["extra_params"],
        json!([{"key": "allow_signup", "value": "false"}])
    );
    assert_eq!(added["test_redirect"], "loopback");
    assert_eq!(added["notes"], "line one\nline two");
    assert_eq!(added["enabled"], false, "--disabled adds it turned off");
}

#[test]
fn edit_changes_only_the_fields_given() {
    let eca = Eca::new();
    let before = eca.add(
        "Entra",
        "entra.example",
        &[
            "--param",
            "prompt=login",
            "--param",
            "acr_values=urn:mfa",
            "--redirect-uri",
            "https://app.example/cb",
            "--notes",
            "first",
        ],
    );

    let after = eca.json(&["idp", "edit", "Entra", "--notes", "second"]);
    for (key, value) in before.as_object().unwrap() {
        match key.as_str() {
            "notes" => assert_eq!(after[key], "second"),
            "updated_at" => {}
            _ => assert_eq!(
                &after[key], value,
                "{key} must not change when only --notes is given"
            ),
        }
    }

    let after = eca.json(&["idp", "edit", "Entra", "--param", "max_age=0"]);
    assert_eq!(
        after["extra_params"],
        json!([{"key": "max_age", "value": "0"}]),
        "giving --param replaces the list"
    );
    assert_eq!(after["redirect_uris"], before["redirect_uris"]);

    let after = eca.json(&[
        "idp",
        "edit",
        "Entra",
        "--clear-params",
        "--redirect-uri",
        "https://app.example/cb2",
        "--redirect-uri",
        "https://app.example/cb3",
    ]);
    assert_eq!(after["extra_params"], json!([]));
    assert_eq!(
        after["redirect_uris"],
        json!(["https://app.example/cb2", "https://app.example/cb3"])
    );

    let after = eca.json(&[
        "idp",
        "edit",
        "Entra",
        "--clear-redirect-uris",
        "--enabled",
        "false",
    ]);
    assert_eq!(after["redirect_uris"], json!([]));
    assert_eq!(after["enabled"], false);

    let after = eca.json(&[
        "idp",
        "edit",
        before["id"].as_str().unwrap(),
        "--name",
        "Entra ID",
    ]);
    assert_eq!(after["name"], "Entra ID", "an IdP is found by id too");
    assert_eq!(after["id"], before["id"], "the id never changes");
    assert_eq!(
        eca.run(&["idp", "show", "Entra"]).code,
        1,
        "the old name is gone"
    );

    let nothing = eca.run(&["idp", "edit", "Entra ID"]);
    assert_one_line_error(&nothing, 2, "error: nothing to change");

    let bad = eca.run(&[
        "idp",
        "edit",
        "Entra ID",
        "--jwks-uri",
        "http://keys.example/jwks",
    ]);
    assert_one_line_error(&bad, 2, "error: JWKS URI: must use https");
    assert_eq!(
        eca.show("Entra ID")["jwks_uri"],
        "https://entra.example/jwks",
        "a refused edit writes nothing"
    );
}

#[test]
fn id_token_algs_are_added_edited_cleared_and_shown() {
    let eca = Eca::new();
    let added = eca.add(
        "Okta",
        "okta.example",
        &["--id-token-alg", "HS256", "--id-token-alg", "RS256"],
    );
    assert_eq!(
        added["id_token_signing_algs"],
        json!(["RS256", "HS256"]),
        "--json prints the list as stored: deduplicated, in a fixed order"
    );
    let plain = eca.add("Plain", "plain.example", &[]);
    assert_eq!(plain["id_token_signing_algs"], json!([]), "the default set");

    let text = eca.ok(&["idp", "show", "Okta"]);
    assert!(
        text.lines()
            .any(|l| l.starts_with("ID token signing algorithms") && l.ends_with("RS256, HS256")),
        "{text}"
    );
    let text = eca.ok(&["idp", "show", "Plain"]);
    assert!(
        text.lines()
            .any(|l| l.starts_with("ID token signing algorithms")
                && l.ends_with("default (the asymmetric ones the IdP advertises)")),
        "{text}"
    );

    let after = eca.json(&["idp", "edit", "Okta", "--notes", "n"]);
    assert_eq!(
        after["id_token_signing_algs"],
        json!(["RS256", "HS256"]),
        "kept"
    );
    let after = eca.json(&["idp", "edit", "Okta", "--id-token-alg", "ES256"]);
    assert_eq!(after["id_token_signing_algs"], json!(["ES256"]), "replaced");
    let after = eca.json(&["idp", "edit", "Okta", "--clear-id-token-algs"]);
    assert_eq!(
        after["id_token_signing_algs"],
        json!([]),
        "back to the default"
    );

    let none = eca.run(&["idp", "edit", "Okta", "--id-token-alg", "none"]);
    assert_eq!(none.code, 2, "{}", none.stderr);
    assert!(none.stderr.contains("never accepted"), "{}", none.stderr);
    let public = eca.run(&[
        "idp",
        "edit",
        "Okta",
        "--client-auth-method",
        "none",
        "--id-token-alg",
        "HS512",
    ]);
    assert_one_line_error(
        &public,
        2,
        "error: ID token signing algorithms: HS512 is keyed with the client secret",
    );
    assert_eq!(
        eca.show("Okta")["id_token_signing_algs"],
        json!([]),
        "nothing written"
    );
}

#[test]
fn claim_maps_and_channel_binding_are_added_edited_cleared_and_shown() {
    let eca = Eca::new();
    let added = eca.add(
        "Okta",
        "okta.example",
        &[
            "--claim-map",
            "email=customer_email",
            "--claim-map",
            "phone_number=customer_phone",
            "--channel-binding",
            "true",
        ],
    );
    assert_eq!(
        added["claim_mapping"],
        json!([
            {"claim": "email", "variable": "customer_email"},
            {"claim": "phone_number", "variable": "customer_phone"}
        ]),
        "--json prints the mapping in order"
    );
    assert_eq!(added["channel_binding"], true);
    let plain = eca.add("Plain", "plain.example", &[]);
    assert_eq!(plain["claim_mapping"], json!([]), "none by default");
    assert_eq!(plain["channel_binding"], false, "off by default");

    let text = eca.ok(&["idp", "show", "Okta"]);
    assert!(
        text.lines().any(|l| l.starts_with("Claim mapping")
            && l.ends_with("email → customer_email, phone_number → customer_phone")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("Channel binding") && l.ends_with("yes")),
        "{text}"
    );

    let after = eca.json(&["idp", "edit", "Okta", "--notes", "n"]);
    assert_eq!(
        after["claim_mapping"], added["claim_mapping"],
        "an edit without --claim-map keeps the list"
    );
    let after = eca.json(&["idp", "edit", "Okta", "--claim-map", "sub=customer_id"]);
    assert_eq!(
        after["claim_mapping"],
        json!([{"claim": "sub", "variable": "customer_id"}]),
        "--claim-map on edit replaces the list"
    );
    assert_eq!(after["channel_binding"], true, "the binding is kept");
    let after = eca.json(&[
        "idp",
        "edit",
        "Okta",
        "--clear-claim-map",
        "--channel-binding",
        "false",
    ]);
    assert_eq!(after["claim_mapping"], json!([]));
    assert_eq!(after["channel_binding"], false);

    let bad = eca.run(&["idp", "edit", "Okta", "--claim-map", "email=customer-email"]);
    assert_one_line_error(
        &bad,
        2,
        "error: Claim mapping: \"customer-email\" is not a valid variable name",
    );
    assert_eq!(
        eca.show("Okta")["claim_mapping"],
        json!([]),
        "nothing written"
    );
    let malformed = eca.run(&["idp", "edit", "Okta", "--claim-map", "email"]);
    assert_eq!(malformed.code, 2, "{}", malformed.stderr);
    assert!(
        malformed.stderr.contains("expected CLAIM=VARIABLE"),
        "{}",
        malformed.stderr
    );
    let both = eca.run(&[
        "idp",
        "edit",
        "Okta",
        "--clear-claim-map",
        "--claim-map",
        "email=e",
    ]);
    assert_eq!(both.code, 2, "clearing and setting at once is refused");
}

#[test]
fn a_loopback_port_is_set_shown_refused_out_of_range_and_cleared() {
    let eca = Eca::new();
    let added = eca.add(
        "Glew",
        "glew.example",
        &["--test-redirect", "loopback", "--loopback-port", "8765"],
    );
    assert_eq!(added["loopback_port"], 8765);
    assert_eq!(eca.show("Glew")["loopback_port"], 8765, "--json shows it");
    let text = eca.ok(&["idp", "show", "Glew"]);
    assert!(
        text.lines()
            .any(|l| l.starts_with("Loopback port") && l.ends_with(" 8765")),
        "{text}"
    );

    let r = eca.run(&["idp", "edit", "Glew", "--loopback-port", "80"]);
    assert_one_line_error(
        &r,
        2,
        "error: Loopback port: must be between 1024 and 65535 (lower ports need administrator \
         rights); leave it empty to pick a free port for each test",
    );
    let r = eca.run(&["idp", "edit", "Glew", "--test-redirect", "deep_link"]);
    assert_one_line_error(
        &r,
        2,
        "error: Loopback port: is used only by the loopback test redirect",
    );
    assert_eq!(eca.show("Glew")["loopback_port"], 8765, "nothing written");

    let cleared = eca.json(&["idp", "edit", "Glew", "--loopback-port", "none"]);
    assert_eq!(cleared["loopback_port"], Value::Null);
    let text = eca.ok(&["idp", "show", "Glew"]);
    assert!(text.contains("none (a free port per test)"), "{text}");
}

/// The day `days` from today (UTC), as `--credential-expires-on` takes it.
fn day_from_today(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}

#[test]
fn a_credential_expiry_is_set_listed_with_its_reminder_refused_when_garbled_and_cleared() {
    let eca = Eca::new();
    let soon = day_from_today(10);
    let added = eca.add("Okta", "okta.example", &["--credential-expires-on", &soon]);
    assert_eq!(added["credential_expires_on"], soon.as_str());
    assert_eq!(
        eca.list()[0]["credential_expiry"],
        json!({"state": "due_soon", "days_left": 10}),
        "list --json says how near it is"
    );
    let reminder = &eca.list()[0]["credential_reminder"];
    assert!(
        reminder
            .as_str()
            .is_some_and(|r| r.starts_with(&format!("The client secret expires on {soon}"))),
        "list --json says what to do: {reminder}"
    );
    let text = eca.ok(&["idp", "list"]);
    assert!(text.contains(&format!("in 10 days ({soon})")), "{text}");

    let past = day_from_today(-3);
    eca.ok(&["idp", "edit", "Okta", "--credential-expires-on", &past]);
    assert_eq!(
        eca.list()[0]["credential_expiry"],
        json!({"state": "expired", "days_ago": 3})
    );
    let text = eca.ok(&["idp", "list"]);
    assert!(text.contains(&format!("expired ({past})")), "{text}");
    let text = eca.ok(&["idp", "show", "Okta"]);
    assert!(
        text.lines().any(|l| l.starts_with("Client secret")
            && l.ends_with(&format!("not set; expires on {past}"))),
        "{text}"
    );

    let r = eca.run(&[
        "idp",
        "edit",
        "Okta",
        "--credential-expires-on",
        "31/03/2027",
    ]);
    assert_one_line_error(
        &r,
        2,
        "error: Secret expires on: \"31/03/2027\" is not a date: write it as YYYY-MM-DD",
    );
    let r = eca.run(&["idp", "edit", "Okta", "--client-auth-method", "none"]);
    assert_one_line_error(
        &r,
        2,
        "error: Secret expires on: applies only to a client with a credential",
    );
    assert_eq!(
        eca.show("Okta")["credential_expires_on"],
        past.as_str(),
        "nothing written"
    );

    let cleared = eca.json(&["idp", "edit", "Okta", "--credential-expires-on", "none"]);
    assert_eq!(cleared["credential_expires_on"], Value::Null);
    assert_eq!(
        eca.list()[0]["credential_expiry"],
        json!({"state": "no_date"})
    );
    assert_eq!(eca.list()[0]["credential_reminder"], Value::Null);
}

#[test]
fn enable_and_disable_take_effect() {
    let eca = Eca::new();
    eca.add("Auth0", "auth0.example", &["--disabled"]);
    assert_eq!(eca.list()[0]["enabled"], false);

    let summary = eca.json(&["idp", "enable", "Auth0"]);
    assert_eq!(
        summary["enabled"], true,
        "enable --json prints the IdpSummary"
    );
    assert_eq!(eca.list()[0]["enabled"], true);

    assert_eq!(
        eca.ok(&["idp", "disable", "Auth0"]).trim(),
        "Disabled \"Auth0\"."
    );
    assert_eq!(eca.show("Auth0")["enabled"], false);
}

#[test]
fn delete_needs_yes() {
    let eca = Eca::new();
    let added = eca.add("Keycloak", "kc.example", &[]);

    let refused = eca.run(&["idp", "delete", "Keycloak"]);
    assert_one_line_error(&refused, 2, "error: deleting \"Keycloak\" cannot be undone");
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);
    assert_eq!(eca.list().len(), 1, "nothing is deleted without --yes");

    let deleted = eca.json(&["idp", "delete", "Keycloak", "--yes"]);
    assert_eq!(deleted, json!({"deleted": added["id"], "name": "Keycloak"}));
    assert!(eca.list().is_empty());
    assert_eq!(eca.run(&["idp", "delete", "Keycloak", "--yes"]).code, 1);
}

#[test]
fn the_data_folder_can_come_from_the_environment() {
    let eca = Eca::new();
    let mut args = oidc_args("From env", "env.example");
    args.push("--json".into());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_eca"));
    let r = run(cmd
        .args(&args)
        .env("ECA_DATA_DIR", eca.path())
        // Were the variable ignored, the default folder would be in here, not the user's.
        .env("XDG_DATA_HOME", eca.path().join("xdg"))
        .env_remove("RUST_LOG"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        eca.list().len(),
        1,
        "ECA_DATA_DIR names the same folder as --data-dir"
    );
}

// ---- refused input --------------------------------------------------------------------------

#[test]
fn a_bad_url_is_a_one_line_error_naming_the_field_and_nothing_is_written() {
    let eca = Eca::new();
    let mut args = oidc_args("Bad", "bad.example");
    let issuer = args.iter().position(|a| a == "--issuer").unwrap() + 1;
    args[issuer] = "http://bad.example".into();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    let r = eca.run(&args);
    assert_one_line_error(
        &r,
        2,
        "error: Issuer URL: must use https (http is allowed only for localhost, for development)",
    );
    assert!(eca.list().is_empty(), "a refused add writes nothing");

    // With only an issuer, the endpoints would come from discovery: the bad issuer is reported
    // before any network call, without "is required" noise about the endpoints.
    let r = eca.run(&[
        "idp",
        "add",
        "--name",
        "Bad",
        "--issuer",
        "http://bad.example",
        "--client-id",
        "c",
    ]);
    assert_one_line_error(&r, 2, "error: Issuer URL: must use https");
    assert!(!r.stderr.contains("endpoint"), "{}", r.stderr);

    // Several problems: all of them, on one line, joined with "; ".
    let r = eca.run(&[
        "idp",
        "add",
        "--name",
        "",
        "--protocol",
        "oauth2",
        "--authorization-endpoint",
        "https://x.example/a",
        "--token-endpoint",
        "javascript:alert(1)",
        "--userinfo-endpoint",
        "https://x.example/u",
        "--client-id",
        "c",
    ]);
    assert_one_line_error(
        &r,
        2,
        "error: Name: is required; Token endpoint: must be an https URL",
    );
    assert!(eca.list().is_empty());
}

#[test]
fn json_errors_are_the_core_problem_shape() {
    let eca = Eca::new();
    let r = eca.run(&[
        "idp",
        "add",
        "--name",
        "P",
        "--issuer",
        "http://p.example",
        "--client-id",
        "c",
        "--json",
    ]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "");
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    let problem: Value = serde_json::from_str(&r.stderr).expect("stderr is a Problem as JSON");
    assert_eq!(problem["code"], "validation");
    assert_eq!(problem["fields"][0]["field"], "issuer");
    assert!(problem["message"]
        .as_str()
        .unwrap()
        .starts_with("Issuer URL: "));

    let r = eca.run(&["idp", "show", "ghost", "--json"]);
    assert_eq!(r.code, 1);
    let problem: Value = serde_json::from_str(&r.stderr).expect("stderr is a Problem as JSON");
    assert_eq!(problem["code"], "not_found");
    assert_eq!(problem["fields"], json!([]));
}

#[test]
fn a_duplicate_name_or_issuer_is_refused() {
    let eca = Eca::new();
    eca.add("Okta", "okta.example", &[]);

    let args = oidc_args("OKTA", "other.example");
    let r = eca.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_one_line_error(&r, 2, "error: Name: is already used by \"Okta\"");

    let args = oidc_args("Okta 2", "okta.example");
    let r = eca.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_one_line_error(&r, 2, "error: Issuer URL: is already used by \"Okta\"");

    assert_eq!(eca.list().len(), 1, "neither duplicate was written");
}

#[test]
fn a_secret_is_never_taken_as_a_flag_value() {
    let eca = Eca::new();
    let secret = canary("FLAG");
    let mut args = oidc_args("Flag", "flag.example");
    args.push(format!("--client-secret={secret}"));
    let r = eca.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_one_line_error(
        &r,
        2,
        "error: Client secret: is never taken as a flag value",
    );
    assert!(r.stderr.contains("--client-secret-stdin"), "{}", r.stderr);
    assert!(
        !r.stderr.contains(&secret),
        "the refusal must not echo the value"
    );
    assert!(eca.list().is_empty());
}

#[test]
fn a_public_client_with_a_secret_is_refused_before_the_keyring() {
    let eca = Eca::new();
    let mut args = oidc_args("Public", "public.example");
    args.extend(["--client-auth-method", "none", "--client-secret-stdin"].map(String::from));
    let r = run(eca.cmd().args(&args).write_stdin("some-secret\n"));
    assert_one_line_error(&r, 2, "error: Client secret: a public client");
    assert!(eca.list().is_empty());
}

// ---- export and import ----------------------------------------------------------------------

#[test]
fn export_then_import_round_trips() {
    let a = Eca::new();
    let okta = a.add("Okta", "okta.example", &["--param", "prompt=login"]);
    let entra = a.add("Entra", "entra.example", &["--disabled"]);

    let file = a.path().join("idps.json");
    let said = a.ok(&["idp", "export", "--output", file.to_str().unwrap()]);
    assert!(said.contains("Exported 2"), "{said}");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(doc["format"], "eca-admin/idps");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["idps"].as_array().unwrap().len(), 2);
    let stdout_doc: Value = serde_json::from_str(&a.ok(&["idp", "export"])).unwrap();
    assert_eq!(
        stdout_doc["idps"], doc["idps"],
        "stdout and --output write the same document"
    );

    let b = Eca::new();
    let said = b.ok(&["idp", "import", file.to_str().unwrap()]);
    assert!(
        said.starts_with("Imported 2 identity provider(s)."),
        "{said}"
    );
    for original in [&okta, &entra] {
        let copy = b.show(original["id"].as_str().unwrap());
        for key in [
            "name",
            "issuer",
            "extra_params",
            "enabled",
            "client_id",
            "jwks_uri",
        ] {
            assert_eq!(copy[key], original[key], "{key} survives export and import");
        }
    }

    let c = Eca::new();
    let stdin = std::fs::read_to_string(&file).unwrap();
    let said = c
        .cmd()
        .args(["idp", "import", "-", "--json"])
        .write_stdin(stdin)
        .output()
        .unwrap();
    assert!(
        said.status.success(),
        "{}",
        String::from_utf8_lossy(&said.stderr)
    );
    let said: Value = serde_json::from_slice(&said.stdout).unwrap();
    assert_eq!(said["imported"], 2, "import - reads stdin: {said}");
    assert_eq!(c.list().len(), 2);
}

#[test]
fn an_import_with_one_bad_entry_writes_nothing() {
    let a = Eca::new();
    a.add("Good", "good.example", &[]);
    a.add("Bad", "bad.example", &[]);
    let mut doc: Value = serde_json::from_str(&a.ok(&["idp", "export"])).unwrap();
    let bad = doc["idps"]
        .as_array()
        .unwrap()
        .iter()
        .position(|e| e["name"] == "Bad")
        .expect("the export has the IdP named Bad");
    doc["idps"][bad]["token_endpoint"] = json!("http://bad.example/token");
    let file = a.path().join("broken.json");
    std::fs::write(&file, doc.to_string()).unwrap();

    let b = Eca::new();
    let r = b.run(&["idp", "import", file.to_str().unwrap()]);
    assert_one_line_error(&r, 2, "error: Nothing was imported");
    assert!(
        r.stderr.contains(&format!(
            "entry {} (\"Bad\"): Token endpoint: must use https",
            bad + 1
        )),
        "the error names the entry and the field: {}",
        r.stderr
    );
    assert!(b.list().is_empty(), "the good entry was not written either");

    // A pasted secret is refused, not silently dropped.
    doc["idps"][bad]["token_endpoint"] = json!("https://bad.example/token");
    doc["idps"][bad]["client_secret"] = json!("pasted");
    std::fs::write(&file, doc.to_string()).unwrap();
    let r = b.run(&["idp", "import", file.to_str().unwrap()]);
    assert_one_line_error(&r, 2, "error: Nothing was imported");
    assert!(
        r.stderr.contains("unknown field \"client_secret\""),
        "{}",
        r.stderr
    );
    assert!(b.list().is_empty());

    std::fs::write(&file, "{\"hello\": 1}").unwrap();
    let r = b.run(&["idp", "import", file.to_str().unwrap()]);
    assert_one_line_error(&r, 2, "error: The file is not an ECA Admin export");
}

// ---- secrets (real keyring) -----------------------------------------------------------------

/// THE leak test: a secret given to `eca` ends up in the keyring and nowhere else, even with
/// every log turned on.
#[test]
fn a_client_secret_leaks_nowhere() {
    require_session_bus();
    let eca = Eca::new();
    let secret = canary("LEAK");
    let mut args = oidc_args("Leak", "leak.example");
    args.push("--client-secret-stdin".into());
    let r = run(eca
        .cmd()
        .args(&args)
        .env("RUST_LOG", "trace")
        .write_stdin(format!("{secret}\n")));
    assert_eq!(r.code, 0, "add with a secret: {}", r.stderr);
    assert!(
        r.stderr.contains("keyring"),
        "RUST_LOG=trace must turn logging on (else this test proves nothing): {}",
        r.stderr
    );
    assert!(!r.stdout.contains(&secret), "the secret is in stdout");
    assert!(
        !r.stderr.contains(&secret),
        "the secret is in the logs on stderr"
    );

    let files = files_under(eca.path());
    assert!(
        files.iter().any(|f| f.ends_with("eca-admin.sqlite3")),
        "the database is in the data folder: {files:?}"
    );
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        assert!(
            !contains(&bytes, &secret),
            "the secret is in {}",
            file.display()
        );
    }

    let shown = eca.show("Leak");
    assert_eq!(
        shown["has_secret"], true,
        "show --json says the secret is set"
    );
    assert!(!shown.to_string().contains(&secret));
    let id = shown["id"].as_str().unwrap();
    assert_eq!(
        keyring_value(id).as_deref(),
        Some(secret.as_str()),
        "the secret is in the keyring, without the trailing newline of stdin"
    );
    eca.ok(&["idp", "delete", id, "--yes"]);
    assert_eq!(
        keyring_value(id),
        None,
        "delete removes the secret from the keyring"
    );
}

#[test]
fn an_export_contains_no_secret() {
    require_session_bus();
    let eca = Eca::new();
    let secret = canary("EXPORT");
    let mut args = oidc_args("Exported", "exported.example");
    args.push("--client-secret-stdin".into());
    let r = run(eca.cmd().args(&args).write_stdin(secret.clone()));
    assert_eq!(r.code, 0, "{}", r.stderr);

    let text = eca.ok(&["idp", "export"]);
    assert!(
        !text.contains(&secret),
        "the export holds the secret: {text}"
    );
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        doc["idps"][0]["had_secret"], true,
        "the export says a secret was set"
    );
    let id = doc["idps"][0]["id"].as_str().unwrap();
    assert_eq!(keyring_value(id).as_deref(), Some(secret.as_str()));
    eca.ok(&["idp", "delete", id, "--yes"]);
}

/// An import that moves an IdP's token endpoint elsewhere sets its stored secret aside: the
/// import says which, the list shows it, and `idp test` refuses before any request is made.
#[test]
fn an_import_that_moves_the_token_endpoint_sets_the_secret_aside() {
    require_session_bus();
    let eca = Eca::new();
    let mut args = oidc_args("Moved", "moved.example");
    args.push("--client-secret-stdin".into());
    let r = run(eca
        .cmd()
        .args(&args)
        .write_stdin("entered-for-moved-example"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut doc: Value = serde_json::from_str(&eca.ok(&["idp", "export"])).unwrap();
    doc["idps"][0]["token_endpoint"] = json!("https://evil.example/token");
    let file = eca.path().join("moved.json");
    std::fs::write(&file, doc.to_string()).unwrap();

    let said = eca.ok(&["idp", "import", file.to_str().unwrap()]);
    assert!(
        said.contains("set aside")
            && said.contains("Moved: needs re-entry")
            && said.contains("https://moved.example")
            && said.contains("https://evil.example"),
        "the import names the IdP and both origins: {said}"
    );
    let said = eca.json(&["idp", "import", file.to_str().unwrap()]);
    assert_eq!(said["secrets_set_aside"][0]["name"], "Moved", "{said}");
    let table = eca.ok(&["idp", "list"]);
    assert!(table.contains("re-enter"), "{table}");

    let r = eca.run(&["idp", "test", "Moved", "--timeout", "1"]);
    assert_eq!(r.code, 2, "refused as invalid, not run: {}", r.stderr);
    assert!(
        r.stderr.contains("needs re-entry") && r.stderr.contains("https://evil.example"),
        "{}",
        r.stderr
    );
    let id = doc["idps"][0]["id"].as_str().unwrap();
    assert_eq!(
        keyring_value(id).as_deref(),
        Some("entered-for-moved-example"),
        "the secret is set aside, not deleted"
    );
    eca.ok(&["idp", "delete", id, "--yes"]);
}

#[test]
fn edit_replaces_and_clears_the_secret() {
    require_session_bus();
    let eca = Eca::new();
    let id = eca.add("Rotating", "rotating.example", &[])["id"]
        .as_str()
        .unwrap()
        .to_string();
    let first = canary("FIRST");
    let second = canary("SECOND");

    let r = run(eca
        .cmd()
        .args(["idp", "edit", "Rotating", "--client-secret-stdin", "--json"])
        .write_stdin(format!("{first}\r\n")));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let saved: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(saved["has_secret"], true);
    assert_eq!(keyring_value(&id).as_deref(), Some(first.as_str()));

    let r = run(eca
        .cmd()
        .args(["idp", "edit", "Rotating", "--client-secret-stdin"])
        .write_stdin(second.clone()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains(&second));
    assert_eq!(
        keyring_value(&id).as_deref(),
        Some(second.as_str()),
        "replaced"
    );

    let cleared = eca.json(&["idp", "edit", "Rotating", "--clear-client-secret"]);
    assert_eq!(cleared["has_secret"], false);
    assert_eq!(
        keyring_value(&id),
        None,
        "--clear-client-secret removes it from the keyring"
    );
}

/// No Secret Service reachable: the secret is refused with the keyring's message, exit 1, and
/// the IdP's other fields are saved. Needs no keyring (the bus address points nowhere).
#[test]
fn with_no_keyring_the_other_fields_are_saved() {
    let eca = Eca::new();
    let mut args = oidc_args("No keyring", "nokeyring.example");
    args.extend(["--notes", "typed by hand", "--client-secret-stdin"].map(String::from));
    let r = run(eca
        .cmd()
        .args(&args)
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
        .write_stdin("value-that-goes-nowhere\n"));
    assert_eq!(r.code, 1, "a refused secret is a failure: {}", r.stderr);
    assert!(
        r.stderr
            .starts_with("error: The other fields were saved, but the client secret was not."),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("No OS keyring is reachable"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stdout.contains("No keyring"),
        "the saved IdP is printed: {}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("value-that-goes-nowhere")
            && !r.stderr.contains("value-that-goes-nowhere")
    );

    let saved = eca.show("No keyring");
    assert_eq!(
        saved["notes"], "typed by hand",
        "the other fields are saved"
    );
    assert_eq!(saved["has_secret"], false);

    let mut args = oidc_args("No keyring 2", "nokeyring2.example");
    args.extend(["--client-secret-stdin", "--json"].map(String::from));
    let r = run(eca
        .cmd()
        .args(&args)
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
        .write_stdin("x-secret"));
    assert_eq!(r.code, 1);
    let saved: Value = serde_json::from_str(&r.stdout).expect("stdout: the saved IdpConfig");
    assert_eq!(saved["name"], "No keyring 2");
    let problem: Value = serde_json::from_str(&r.stderr).expect("stderr: a Problem");
    assert_eq!(problem["code"], "keyring");
}

// ---- presets ---------------------------------------------------------------------------------

#[test]
fn presets_are_listed_with_their_parameters_and_quirks() {
    let eca = Eca::new();
    let listed = eca.json(&["idp", "presets"]);
    let ids: Vec<&str> = listed
        .as_array()
        .expect("an array")
        .iter()
        .map(|p| p["id"].as_str().expect("an id"))
        .collect();
    let expected: Vec<&str> = eca_model::preset::all()
        .iter()
        .map(|p| p.id.as_str())
        .collect();
    assert_eq!(ids, expected, "every preset, in the data file's order");
    let text = eca.ok(&["idp", "presets"]);
    assert!(
        text.contains("https://login.microsoftonline.com/{tenant}/v2.0"),
        "{text}"
    );
    assert!(
        text.contains("tenant: Tenant (e.g. contoso.onmicrosoft.com)"),
        "{text}"
    );
    assert!(text.contains("/oauth2/userInfo"), "Cognito's quirk: {text}");
}

/// The values the Cognito preset needs.
const COGNITO_PARAMS: [&str; 6] = [
    "--preset-param",
    "region=eu-west-1",
    "--preset-param",
    "user_pool_id=eu-west-1_AbC",
    "--preset-param",
    "domain=acme.auth.eu-west-1.amazoncognito.com",
];

/// The endpoints given, so that no discovery runs (preset issuers are not on loopback).
fn preset_args<'a>(preset: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "idp",
        "add",
        "--preset",
        preset,
        "--name",
        "From a preset",
        "--client-id",
        "c-1",
        "--authorization-endpoint",
        "https://idp.example/auth",
        "--token-endpoint",
        "https://idp.example/token",
        "--jwks-uri",
        "https://idp.example/jwks",
    ];
    args.extend(rest);
    args
}

#[test]
fn a_preset_fills_its_fields_and_the_flags_given_win() {
    let eca = Eca::new();
    let google = eca.json(&preset_args("google", &[]));
    assert_eq!(google["issuer"], "https://accounts.google.com");
    assert_eq!(google["client_auth_method"], "client_secret_post");
    assert_eq!(google["test_redirect"], "loopback", "Google: loopback only");
    assert_eq!(google["scopes"], json!(["openid", "profile", "email"]));

    let eca = Eca::new();
    let keycloak = eca.json(&preset_args(
        "keycloak",
        &[
            "--preset-param",
            "host=sso.acme.com",
            "--preset-param",
            "realm=customers",
            "--client-auth-method",
            "none",
            "--customer-id-claim",
            "email",
        ],
    ));
    assert_eq!(keycloak["issuer"], "https://sso.acme.com/realms/customers");
    assert_eq!(keycloak["client_auth_method"], "none", "the flag wins");
    assert_eq!(keycloak["customer_id_claim"], "email", "the flag wins");

    let eca = Eca::new();
    let cognito = eca.json(&preset_args("cognito", &COGNITO_PARAMS));
    assert_eq!(
        cognito["issuer"],
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC"
    );
    assert_eq!(
        cognito["userinfo_endpoint"],
        "https://acme.auth.eu-west-1.amazoncognito.com/oauth2/userInfo"
    );
}

#[test]
fn discovery_fills_the_endpoints_a_preset_left_and_keeps_off_its_userinfo_override() {
    let provider = NodeServer::start("provider.mjs", &[]);
    let issuer = provider.url.as_str();
    let eca = Eca::new();
    let mut args = vec!["idp", "add", "--preset", "cognito"];
    args.extend(COGNITO_PARAMS);
    // The flag wins over the preset's issuer: the local provider stands in for the pool.
    args.extend([
        "--issuer",
        issuer,
        "--name",
        "Pool",
        "--client-id",
        "eca-public",
    ]);
    args.extend(["--client-auth-method", "none"]);
    let added = eca.json(&args);
    assert_eq!(added["token_endpoint"], format!("{issuer}/token"));
    assert_eq!(added["jwks_uri"], format!("{issuer}/jwks"));
    assert_eq!(
        added["userinfo_endpoint"], "https://acme.auth.eu-west-1.amazoncognito.com/oauth2/userInfo",
        "discovery's userinfo ({issuer}/me) does not replace the preset's override"
    );
}

#[test]
fn a_preset_parameter_out_of_its_form_is_refused_and_nothing_is_written() {
    let eca = Eca::new();
    let r = eca.run(&preset_args(
        "okta-org",
        &["--preset-param", "domain=acme.okta.com/evil"],
    ));
    assert_one_line_error(&r, 2, "error: Okta domain \"acme.okta.com/evil\" is not in");
    let r = eca.run(&preset_args("entra", &[]));
    assert_one_line_error(&r, 2, "error: Tenant is needed");
    let r = eca.run(&preset_args("no-such", &[]));
    assert_one_line_error(&r, 2, "error: There is no preset \"no-such\"");
    assert!(eca.list().is_empty(), "nothing was written");
}

// ---- discovery (local OpenID provider) ------------------------------------------------------

#[test]
fn discovery_fills_the_endpoints() {
    let provider = NodeServer::start("provider.mjs", &[]);
    let issuer = provider.url.as_str();

    let eca = Eca::new();
    let added = eca.json(&[
        "idp",
        "add",
        "--name",
        "X",
        "--issuer",
        issuer,
        "--client-id",
        "eca-public",
        "--client-auth-method",
        "none",
    ]);
    assert_eq!(added["authorization_endpoint"], format!("{issuer}/auth"));
    assert_eq!(added["token_endpoint"], format!("{issuer}/token"));
    assert_eq!(added["userinfo_endpoint"], format!("{issuer}/me"));
    assert_eq!(added["jwks_uri"], format!("{issuer}/jwks"));
    assert_eq!(added["client_auth_method"], "none");

    // A flag wins over the discovered value.
    let other = Eca::new();
    let added = other.json(&[
        "idp",
        "add",
        "--name",
        "X",
        "--issuer",
        issuer,
        "--client-id",
        "eca-public",
        "--token-endpoint",
        "http://127.0.0.1:9/custom-token",
    ]);
    assert_eq!(added["token_endpoint"], "http://127.0.0.1:9/custom-token");
    assert_eq!(added["authorization_endpoint"], format!("{issuer}/auth"));
}

#[test]
fn a_failed_discovery_writes_nothing() {
    // Nothing listens there.
    let port = eca_testkit::free_port();
    let eca = Eca::new();
    let r = eca.run(&[
        "idp",
        "add",
        "--name",
        "Down",
        "--issuer",
        &format!("http://127.0.0.1:{port}"),
        "--client-id",
        "c",
    ]);
    assert_one_line_error(&r, 1, "error: ");
    assert!(
        r.stderr.contains("127.0.0.1"),
        "the error says which host: {}",
        r.stderr
    );
    assert!(eca.list().is_empty());
}
