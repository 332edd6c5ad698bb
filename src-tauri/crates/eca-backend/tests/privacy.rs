//! Nothing about a customer reaches the backend's log: the `eca-backend` binary, logging
//! everything (`RUST_LOG=trace`), serves a whole customer sign-in against a real provider;
//! then its log is searched for the customer's number, id and email, the link's token, the
//! client secret and the API key.

mod common;

use common::platform::{open_as_customer, CLIENT_ID, CLIENT_SECRET};
use common::{client, send};
use eca_testkit::node_server::NodeServer;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use uuid::Uuid;

const CUSTOMER: &str = "+27825550123";

#[tokio::test(flavor = "multi_thread")]
async fn a_sign_in_leaves_nothing_about_the_customer_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("stderr.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_eca-backend"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--allow-private-addresses",
            "--data-dir",
        ])
        .arg(dir.path())
        .env_remove("ECA_BACKEND_SECRET_KEY")
        .env_remove("ECA_BACKEND_API_KEYS")
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .expect("the binary starts");
    let mut banner = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut banner)
        .unwrap();
    let url = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap()
        .to_string();
    let key = banner
        .split_whitespace()
        .find_map(|w| w.strip_prefix("api_key="))
        .unwrap()
        .to_string();

    let clients = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        clients.path(),
        json!([{
            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "token_endpoint_auth_method": "client_secret_basic", "application_type": "web",
            "grant_types": ["authorization_code"], "response_types": ["code"],
            "redirect_uris": [format!("{url}/v1/oauth/callback")],
        }])
        .to_string(),
    )
    .unwrap();
    let provider = NodeServer::start(
        "provider.mjs",
        &["--clients", clients.path().to_str().unwrap()],
    );
    let issuer = &provider.url;
    let http = client();
    let idp = Uuid::new_v4();
    let pushed = send(
        http.put(format!("{url}/v1/workspaces/dev/idps/{idp}"))
            .bearer_auth(&key)
            .header("If-None-Match", "*")
            .header("Idempotency-Key", Uuid::new_v4().to_string())
            .json(&json!({
                    "name": "Local OP", "protocol": "oidc", "issuer": issuer,
                    "authorization_endpoint": format!("{issuer}/auth"),
                    "token_endpoint": format!("{issuer}/token"),
                    "userinfo_endpoint": format!("{issuer}/me"),
                    "jwks_uri": format!("{issuer}/jwks"),
                    "client_id": CLIENT_ID, "client_auth_method": "client_secret_basic",
                    "client_secret": CLIENT_SECRET, "scopes": ["openid", "email"],
                    "extra_params": [], "redirect_uris": [], "customer_id_claim": "email",
                    "enabled": true, "notes": "",
                    "claim_mapping": [{"claim": "email", "variable": "customer_email"}],
                    "channel_binding": false, "id_token_signing_algs": [],
            "credential_expires_on": null,
                })),
    )
    .await;
    assert_eq!(pushed.status, 201, "{}", pushed.text());
    let created = send(
        http.post(format!("{url}/v1/workspaces/dev/auth-requests"))
            .bearer_auth(&key)
            .json(
                &json!({"idp_id": idp, "channel": "sms", "customer": CUSTOMER,
                          "conversation_id": "conv-7"}),
            ),
    )
    .await
    .json();
    let link = created["link"].as_str().unwrap().to_string();
    let token = link.rsplit('/').next().unwrap().to_string();
    let opened = link.clone();
    let (status, page) = tokio::task::spawn_blocking(move || open_as_customer(&opened))
        .await
        .unwrap();
    assert_eq!(status, 200, "{page}");
    let result = send(
        http.get(format!(
            "{url}/v1/workspaces/dev/auth-requests/{}",
            created["id"].as_str().unwrap()
        ))
        .bearer_auth(&key),
    )
    .await
    .json();
    assert_eq!(result["result"]["customer_id"], "alice@example.test");

    let _ = child.kill();
    let _ = child.wait();
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        log.contains("/v1/oauth/callback"),
        "the log does record requests (else this test proves nothing): {log}"
    );
    for (what, secret) in [
        ("the customer's number", CUSTOMER),
        ("the customer's number without +", &CUSTOMER[1..]),
        ("the customer id", "alice@example.test"),
        ("the customer id, URL-encoded", "alice%40example.test"),
        ("the link's token", token.as_str()),
        ("the client secret", CLIENT_SECRET),
        ("the API key", key.as_str()),
    ] {
        assert!(!log.contains(secret), "{what} is in the log:\n{log}");
    }
}
