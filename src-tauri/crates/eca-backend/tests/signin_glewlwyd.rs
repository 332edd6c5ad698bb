//! Customer sign-in against a second, independent real OpenID provider: Glewlwyd
//! (tests/glewlwyd/, started by `eca_testkit::glewlwyd`), which matches redirect URIs exactly
//! and answers with its own quirks (a login.html detour, `auth_time: 0`, an opaque `sub`).
//! The platform verifies the login with the same engine as against oidc-provider.
//! Without glewlwyd installed this fails, saying that `make deps` installs it.

mod common;

use common::platform::open_as_customer_with;
use common::*;
use eca_testkit::glewlwyd::{GlewlwydServer, Provisioned};
use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread")]
async fn a_customer_signs_in_through_glewlwyd() {
    let harness = start_with(|_| {}).await;
    let callback = format!("{}/v1/oauth/callback", harness.backend.url());
    let op = tokio::task::spawn_blocking(move || GlewlwydServer::start(&[&callback]))
        .await
        .unwrap();
    let info = eca_oidc::discovery::fetch(&eca_oidc::http::client(), &op.issuer)
        .await
        .expect("Glewlwyd's discovery");
    let idp = Uuid::new_v4();
    let pushed = send(harness.create(
        idp,
        &Uuid::new_v4().to_string(),
        &json!({
            "name": "Glewlwyd", "protocol": "oidc", "issuer": op.issuer,
            "authorization_endpoint": info.authorization_endpoint,
            "token_endpoint": info.token_endpoint,
            "userinfo_endpoint": info.userinfo_endpoint,
            "jwks_uri": info.jwks_uri,
            "client_id": op.client_id, "client_auth_method": "client_secret_basic",
            "client_secret": op.client_secret, "scopes": ["openid", "profile", "email"],
            "extra_params": [], "redirect_uris": [harness.backend.platform_redirect_uri()],
            "customer_id_claim": "email", "enabled": true, "notes": "",
            "claim_mapping": [{"claim": "name", "variable": "customer_name"}],
            "channel_binding": false, "id_token_signing_algs": [],
        "credential_expires_on": null,
        }),
    ))
    .await;
    assert_eq!(pushed.status, 201, "{}", pushed.text());

    let created = send(
        harness
            .call(
                Method::POST,
                &format!("/v1/workspaces/{ALPHA}/auth-requests"),
            )
            .json(
                &json!({"idp_id": idp, "channel": "sms", "customer": "+27825550100",
                          "conversation_id": "glew-1"}),
            ),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let created = created.json();
    let link = created["link"].as_str().unwrap().to_string();
    let envs: Vec<(&str, String)> = op.browser_env().into_iter().collect();
    let (status, page) = tokio::task::spawn_blocking(move || open_as_customer_with(&link, &envs))
        .await
        .unwrap();
    assert_eq!(status, 200, "{page}");

    let result = send(harness.call(
        Method::GET,
        &format!(
            "/v1/workspaces/{ALPHA}/auth-requests/{}",
            created["id"].as_str().unwrap()
        ),
    ))
    .await
    .json();
    assert_eq!(result["status"], "authenticated", "{result}");
    assert_eq!(result["result"]["customer_id"], Provisioned::USER_EMAIL);
    assert!(
        result["result"]["claims"]["customer_name"].is_string(),
        "the mapped name claim: {result}"
    );
    assert_eq!(
        result["result"]["auth_time"],
        serde_json::Value::Null,
        "Glewlwyd's auth_time 0 means unknown"
    );
}
