//! Contract tests: the server against `docs/auth-api.yaml`.
//!
//! A scripted customer sign-in, its failures and the route refusals cover every operation;
//! each response is checked against the spec by [`Contract::check`], and at the end every
//! status the spec declares must have been seen. The login runs against a real OpenID provider
//! (tests/oidc/provider.mjs); the scripted browser stops at the redirect back to the platform
//! (`ECA_BROWSER_PRINT=1`), so the callback itself is requested, and checked, here.

mod common;

use common::contract::Contract;
use common::platform::*;
use common::*;
use eca_testkit::node_server::workspace_root;
use reqwest::Method;
use serde_json::json;
use std::collections::BTreeSet;
use std::process::Command;
use uuid::Uuid;

const SPEC: &str = "auth-api.yaml";

#[test]
fn the_spec_is_well_formed() {
    let contract = Contract::load(SPEC);
    assert_eq!(contract.doc["openapi"], "3.1.0");
    let ids: BTreeSet<String> = contract
        .operations()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        ids.into_iter().collect::<Vec<_>>(),
        [
            "createAuthRequest",
            "deleteWebhook",
            "getAuthRequest",
            "getPlatform",
            "getWebhook",
            "listMessages",
            "oauthCallback",
            "openLink",
            "putWebhook",
            "startSignIn"
        ]
    );
    for schema in contract.doc["components"]["schemas"]
        .as_object()
        .unwrap()
        .values()
    {
        contract.validator(schema);
    }
}

#[test]
fn the_create_schema_refuses_what_the_server_refuses() {
    let contract = Contract::load(SPEC);
    let validator = contract.validator(&json!({"$ref": "#/components/schemas/AuthRequestCreate"}));
    let valid = json!({
        "idp_id": Uuid::new_v4(), "channel": "sms", "customer": "+27825550100",
        "conversation_id": "c-1"
    });
    assert!(validator.is_valid(&valid));
    for (member, value) in [
        ("customer", json!("+27 82 555 0100")),
        ("customer", json!("0825550100")),
        ("channel", json!("email")),
        ("conversation_id", json!("")),
        ("conversation_id", json!("has space")),
        ("kind", json!("robot")),
        ("extra", json!(1)),
    ] {
        let mut body = valid.clone();
        body[member] = value.clone();
        assert!(!validator.is_valid(&body), "{member}: {value}");
    }
}

/// Where the IdP sends the browser back after the login: the platform's callback URL.
fn redirect_after_login(authorization_url: &str) -> String {
    let out = Command::new("node")
        .arg(workspace_root().join("tests/oidc/browser.mjs"))
        .arg(authorization_url)
        .env("ECA_BROWSER_PRINT", "1")
        .output()
        .expect("node runs the scripted browser");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_and_status_matches_the_spec() {
    let p = platform(true).await;
    let mut contract = Contract::load(SPEC);
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    let get = |path: &str| no_redirects.get(p.url(path));
    let requests = format!("/v1/workspaces/{ALPHA}/auth-requests");
    let messages = format!("/v1/workspaces/{ALPHA}/messages");

    contract.check("getPlatform", "public", &send(get("/v1/platform")).await);

    let good = p.push_idp(CLIENT_SECRET, |_| {}).await;
    let stale = p.push_idp("not-the-secret", |_| {}).await;
    let unreachable = p
        .push_idp(CLIENT_SECRET, |body| {
            body["issuer"] = json!("http://127.0.0.1:9");
        })
        .await;
    let body = |idp: Uuid| {
        json!({"idp_id": idp, "channel": "sms", "customer": OTHER_PHONE,
               "conversation_id": "conv-1", "kind": "admin_test"})
    };

    // createAuthRequest
    let created = p.create_request(body(good)).await;
    contract.check("createAuthRequest", "created", &created);
    let created = created.json();
    let (id, link) = (
        created["id"].as_str().unwrap().to_string(),
        created["link"].as_str().unwrap().to_string(),
    );
    let malformed = send(
        p.call(Method::POST, &requests)
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    contract.check("createAuthRequest", "malformed", &malformed);
    let anonymous = send(p.harness.http.post(p.url(&requests)).json(&body(good))).await;
    contract.check("createAuthRequest", "no key", &anonymous);
    let other = send(
        p.harness
            .http
            .post(p.url(&format!("/v1/workspaces/{BETA}/auth-requests")))
            .bearer_auth(ALPHA_KEY)
            .json(&body(good)),
    )
    .await;
    contract.check("createAuthRequest", "other workspace", &other);
    let huge = send(
        p.call(Method::POST, &requests)
            .header("content-type", "application/json")
            .body(format!("\"{}\"", "x".repeat(20_000))),
    )
    .await;
    contract.check("createAuthRequest", "too large", &huge);
    let mut invalid = body(good);
    invalid["customer"] = json!("not a number");
    contract.check(
        "createAuthRequest",
        "invalid",
        &p.create_request(invalid).await,
    );
    let expired = p
        .push_idp(CLIENT_SECRET, |body| {
            body["credential_expires_on"] = json!("2020-01-31");
        })
        .await;
    let refused = p.create_request(body(expired)).await;
    assert_eq!(
        refused.problem_type(),
        "urn:eca:problem:credential-expired",
        "{}",
        refused.text()
    );
    contract.check("createAuthRequest", "credential expired", &refused);

    // listMessages
    contract.check(
        "listMessages",
        "ok",
        &send(p.call(Method::GET, &messages)).await,
    );
    contract.check(
        "listMessages",
        "no key",
        &send(p.harness.http.get(p.url(&messages))).await,
    );
    contract.check(
        "listMessages",
        "other workspace",
        &send(
            p.harness
                .http
                .get(p.url(&format!("/v1/workspaces/{BETA}/messages")))
                .bearer_auth(ALPHA_KEY),
        )
        .await,
    );

    // getAuthRequest
    let one = format!("{requests}/{id}");
    contract.check(
        "getAuthRequest",
        "pending",
        &send(p.call(Method::GET, &one)).await,
    );
    contract.check(
        "getAuthRequest",
        "bad id",
        &send(p.call(Method::GET, &format!("{requests}/nope"))).await,
    );
    contract.check(
        "getAuthRequest",
        "unknown",
        &send(p.call(Method::GET, &format!("{requests}/{}", Uuid::new_v4()))).await,
    );
    contract.check(
        "getAuthRequest",
        "no key",
        &send(p.harness.http.get(p.url(&one))).await,
    );
    contract.check(
        "getAuthRequest",
        "other workspace",
        &send(
            p.harness
                .http
                .get(p.url(&format!("/v1/workspaces/{BETA}/auth-requests/{id}")))
                .bearer_auth(ALPHA_KEY),
        )
        .await,
    );

    // openLink, startSignIn, then the callback of a login that passes.
    let path = |url: &str| url.trim_start_matches(&p.harness.backend.url()).to_string();
    let post = |path: &str| no_redirects.post(p.url(path));
    contract.check(
        "openLink",
        "the continue page",
        &send(get(&path(&link))).await,
    );
    let started = send(post(&path(&link))).await;
    contract.check("startSignIn", "to the IdP", &started);
    let cookie = started
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_string();
    let authorization = started.header("location").unwrap().to_string();
    let back = tokio::task::spawn_blocking(move || redirect_after_login(&authorization))
        .await
        .unwrap();
    let callback = get(&path(&back)).header("cookie", &cookie);
    contract.check("oauthCallback", "verified", &send(callback).await);
    let done = send(p.call(Method::GET, &one)).await;
    contract.check("getAuthRequest", "authenticated", &done);
    let done = done.json();
    assert_eq!(done["status"], "authenticated", "{done}");
    let steps = done["steps"]
        .as_array()
        .expect("an admin test keeps its steps");
    assert!(steps.iter().all(|s| s["status"] != "failed"), "{done}");
    contract.check("openLink", "used", &send(get(&path(&link))).await);
    contract.check("startSignIn", "used", &send(post(&path(&link))).await);
    let unknown = "/l/AAAAAAAAAAAAAAAAAAAAAA";
    contract.check("openLink", "unknown", &send(get(unknown)).await);
    contract.check("startSignIn", "unknown", &send(post(unknown)).await);

    // A login the platform cannot verify (the IdP refuses its secret).
    let failing = p.create_request(body(stale)).await.json();
    let started = send(post(&path(failing["link"].as_str().unwrap()))).await;
    let cookie = started
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let authorization = started.header("location").unwrap().to_string();
    let back = tokio::task::spawn_blocking(move || redirect_after_login(&authorization))
        .await
        .unwrap();
    let callback = get(&path(&back)).header("cookie", &cookie);
    contract.check("oauthCallback", "not verified", &send(callback).await);
    let failed = send(p.call(
        Method::GET,
        &format!("{requests}/{}", failing["id"].as_str().unwrap()),
    ))
    .await;
    contract.check("getAuthRequest", "failed", &failed);
    assert_eq!(failed.json()["error"]["code"], "invalid_client");
    contract.check(
        "oauthCallback",
        "replayed",
        &send(get(&path(&back)).header("cookie", &cookie)).await,
    );

    // An IdP the platform cannot reach: the link cannot start a login.
    let down = p.create_request(body(unreachable)).await.json();
    contract.check(
        "startSignIn",
        "IdP unreachable",
        &send(post(&path(down["link"].as_str().unwrap()))).await,
    );
    let down = send(p.call(
        Method::GET,
        &format!("{requests}/{}", down["id"].as_str().unwrap()),
    ))
    .await
    .json();
    assert_eq!(down["status"], "failed");
    assert_eq!(down["error"]["step"], "discovery", "{down}");

    // The webhook: set, read, refused, removed.
    let hook = format!("/v1/workspaces/{ALPHA}/webhook");
    let other_hook = format!("/v1/workspaces/{BETA}/webhook");
    contract.check(
        "getWebhook",
        "none yet",
        &send(p.call(Method::GET, &hook)).await,
    );
    for (what, body) in [
        ("set", json!({"url": "https://flows.example/eca"})),
        ("not https", json!({"url": "http://flows.example/eca"})),
    ] {
        let response = send(p.call(Method::PUT, &hook).json(&body)).await;
        contract.check("putWebhook", what, &response);
    }
    contract.check(
        "putWebhook",
        "malformed",
        &send(
            p.call(Method::PUT, &hook)
                .header("content-type", "application/json")
                .body("{"),
        )
        .await,
    );
    contract.check(
        "putWebhook",
        "too large",
        &send(
            p.call(Method::PUT, &hook)
                .header("content-type", "application/json")
                .body(format!("{{\"url\": \"{}\"}}", "x".repeat(20_000))),
        )
        .await,
    );
    contract.check("getWebhook", "set", &send(p.call(Method::GET, &hook)).await);
    for (op, method) in [
        ("putWebhook", Method::PUT),
        ("getWebhook", Method::GET),
        ("deleteWebhook", Method::DELETE),
    ] {
        let body = json!({"url": "https://flows.example/eca"});
        let anonymous = p
            .harness
            .http
            .request(method.clone(), p.url(&hook))
            .json(&body);
        contract.check(op, "no key", &send(anonymous).await);
        let other = p
            .harness
            .http
            .request(method, p.url(&other_hook))
            .bearer_auth(ALPHA_KEY)
            .json(&body);
        contract.check(op, "other workspace", &send(other).await);
    }
    contract.check(
        "deleteWebhook",
        "removed",
        &send(p.call(Method::DELETE, &hook)).await,
    );
    contract.check(
        "deleteWebhook",
        "already gone",
        &send(p.call(Method::DELETE, &hook)).await,
    );

    let missing = contract.unexercised();
    assert!(
        missing.is_empty(),
        "the spec declares statuses the script never saw: {missing:?}"
    );
}
