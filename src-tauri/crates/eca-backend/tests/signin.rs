//! Customer sign-in end to end (`docs/auth-api.yaml`): the backend in-process, a real OpenID
//! provider on loopback (npm `oidc-provider`, tests/oidc/provider.mjs) registered with the
//! platform's redirect URI, and the scripted browser of tests/oidc/browser.mjs playing the
//! customer who opens the link from the message.
//!
//! Covers the main path (link → continue → IdP → callback → authenticated with the customer
//! id and the mapped claims, read once), and the failures: a replayed link, an expired link, a
//! secret the platform holds that the IdP refuses, the channel binding, a login finished in
//! another browser, a redirect URI the IdP does not know, a click abandoned before the IdP
//! answered (the link stays unspent), an HS256 ID token the synced IdP does not allow, and the
//! refusals of the create route, a secret removed after the link went out, and a login that
//! cannot start (its steps kept for an admin's test only). The platform's sweep erases an unread
//! result when its retention ends and deletes the request a day later. And the load rule:
//! logins share the platform's cache of the IdP's keys, so N logins fetch the JWKS once.

mod common;

use common::platform::*;
use common::*;
use eca_backend::config::DATABASE_FILE;
use eca_model::clock::Clock;
use eca_model::credential_expiry;
use eca_oidc::reach::Reach;
use eca_testkit::node_server::workspace_root;
use reqwest::Method;
use serde_json::{json, Value};
use std::process::Command;
use time::Duration;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread")]
async fn a_customer_signs_in_and_the_flow_reads_who_once() {
    let p = platform(true).await;
    let platform_info = send(p.harness.http.get(p.url("/v1/platform"))).await.json();
    assert_eq!(
        platform_info["redirect_uri"],
        format!("{}/v1/oauth/callback", p.harness.backend.url())
    );
    let idp = p.push_idp(CLIENT_SECRET, |_| {}).await;
    let (id, link) = p.request_link(idp, OTHER_PHONE).await;
    assert!(link.starts_with(platform_info["link_base"].as_str().unwrap()));
    assert_eq!(p.status(&id).await["status"], "pending");

    // A link preview fetches the link: that does not use it.
    let preview = send(p.harness.http.get(&link)).await;
    assert_eq!(preview.status, 200);
    assert!(
        preview.text().contains("+27•••••0100"),
        "{}",
        preview.text()
    );
    assert_eq!(p.status(&id).await["opened_at"], Value::Null);

    let (status, page) = tokio::task::spawn_blocking({
        let link = link.clone();
        move || open_as_customer(&link)
    })
    .await
    .unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("You're verified"), "{page}");
    assert!(
        page.contains("href=\"https://chat.example/conversations/42\""),
        "a link back to the chat: {page}"
    );

    let first = p.status(&id).await;
    assert_eq!(first["status"], "authenticated", "{first}");
    assert_eq!(first["conversation_id"], "conv-42");
    let result = &first["result"];
    assert_eq!(result["customer_id"], "alice");
    assert_eq!(
        result["claims"],
        json!({"customer_email": "alice@example.test"})
    );
    assert_eq!(result["idp"]["name"], "Local OP");
    assert_eq!(result["claims_erased"], false);
    assert!(
        first["steps"].is_null(),
        "steps are for the admin's test only"
    );

    let second = p.status(&id).await;
    assert_eq!(second["status"], "authenticated");
    assert_eq!(
        second["result"]["customer_id"],
        Value::Null,
        "read once: {second}"
    );
    assert_eq!(second["result"]["claims"], json!({}));
    assert_eq!(second["result"]["claims_erased"], true);

    // The link is single-use.
    let (status, page) = tokio::task::spawn_blocking(move || open_as_customer(&link))
        .await
        .unwrap();
    assert_eq!(status, 410, "{page}");
    assert!(page.contains("already used"), "{page}");
}

#[tokio::test(flavor = "multi_thread")]
async fn logins_share_one_fetch_of_the_idps_keys() {
    const LOGINS: usize = 3;
    let p = platform(true).await;
    let jwks = CountingProxy::start(&p.provider.url).await;
    let jwks_uri = format!("{}/jwks", jwks.url);
    let idp = p
        .push_idp(CLIENT_SECRET, |body| body["jwks_uri"] = json!(jwks_uri))
        .await;
    for login in 0..LOGINS {
        let (id, link) = p.request_link(idp, OTHER_PHONE).await;
        let (status, page) = tokio::task::spawn_blocking(move || open_as_customer(&link))
            .await
            .unwrap();
        assert_eq!(status, 200, "login {login}: {page}");
        assert_eq!(p.status(&id).await["status"], "authenticated");
    }
    assert_eq!(
        jwks.requests(),
        1,
        "{LOGINS} logins, one JWKS fetch: the platform caches the IdP's keys"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn server_timing_is_sent_only_when_asked() {
    for on in [false, true] {
        let h = start_with(|config| config.server_timing = on).await;
        let page = send(h.http.get(h.url("/l/AAAAAAAAAAAAAAAAAAAAAA"))).await;
        let timing = page.header("server-timing").map(str::to_string);
        assert_eq!(timing.is_some(), on, "--server-timing {on}: {timing:?}");
        if let Some(timing) = timing {
            assert!(timing.starts_with("app;dur=") && timing.contains(", idp;dur=0.000"));
        }
        let health = send(h.http.get(h.url("/v1/health"))).await;
        assert!(
            health.header("server-timing").is_none(),
            "customer routes only"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_the_idp_refuses_fails_at_the_code_exchange() {
    let p = platform(true).await;
    let idp = p.push_idp("a-stale-secret", |_| {}).await;
    let (id, link) = p.request_link(idp, OTHER_PHONE).await;
    let (status, page) = tokio::task::spawn_blocking(move || open_as_customer(&link))
        .await
        .unwrap();
    assert_eq!(status, 401, "{page}");
    assert!(page.contains("could not verify"), "{page}");
    let got = p.status(&id).await;
    assert_eq!(got["status"], "failed", "{got}");
    assert_eq!(got["error"]["step"], "code_exchange");
    assert_eq!(got["error"]["code"], "invalid_client");
    assert!(got["result"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn hs256_id_tokens_sign_in_only_when_the_synced_idp_lists_hs256() {
    let p = platform(true).await;
    let hs256_client = |algs: Value| {
        move |body: &mut Value| {
            body["client_id"] = json!(HS256_CLIENT_ID);
            body["id_token_signing_algs"] = algs;
        }
    };
    let default = p
        .push_idp(HS256_CLIENT_SECRET, hs256_client(json!([])))
        .await;
    let (refused, link) = p.request_link(default, OTHER_PHONE).await;
    let (status, page) = tokio::task::spawn_blocking(move || open_as_customer(&link))
        .await
        .unwrap();
    assert_eq!(status, 401, "{page}");
    let got = p.status(&refused).await;
    assert_eq!(got["status"], "failed", "{got}");
    assert_eq!(got["error"]["step"], "id_token_verification", "{got}");
    assert_eq!(got["error"]["code"], "id_token.alg_not_allowed", "{got}");

    let listed = p
        .push_idp(HS256_CLIENT_SECRET, hs256_client(json!(["HS256"])))
        .await;
    let (accepted, link) = p.request_link(listed, OTHER_PHONE).await;
    let (status, page) = tokio::task::spawn_blocking(move || open_as_customer(&link))
        .await
        .unwrap();
    assert_eq!(status, 200, "{page}");
    assert_eq!(p.status(&accepted).await["status"], "authenticated");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_channel_binding_wants_the_number_the_link_went_to() {
    let p = platform(true).await;
    let idp = p
        .push_idp(CLIENT_SECRET, |body| body["channel_binding"] = json!(true))
        .await;

    let (elsewhere, link) = p.request_link(idp, OTHER_PHONE).await;
    let (status, _) = tokio::task::spawn_blocking(move || open_as_customer(&link))
        .await
        .unwrap();
    assert_eq!(status, 401);
    let got = p.status(&elsewhere).await;
    assert_eq!(got["status"], "failed", "{got}");
    assert_eq!(got["error"]["code"], "channel_binding.mismatch");

    let (own, link) = p.request_link(idp, ALICE_PHONE).await;
    let (status, page) = tokio::task::spawn_blocking(move || open_as_customer(&link))
        .await
        .unwrap();
    assert_eq!(status, 200, "{page}");
    assert_eq!(p.status(&own).await["status"], "authenticated");
}

/// The day before the clock's (UTC).
fn yesterday(clock: &TestClock) -> time::Date {
    credential_expiry::today(clock).previous_day().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_credential_that_expires_before_the_click_fails_the_request_and_starts_nothing() {
    let p = platform(true).await;
    // Two minutes before midnight (UTC): the secret's last day is today, the link is sent.
    let now = p.clock.now();
    let midnight = (now.date().next_day().unwrap()).midnight().assume_utc();
    p.clock.advance(midnight - now - Duration::minutes(2));
    let last_day = credential_expiry::today(&*p.clock).to_string();
    let idp = p
        .push_idp(CLIENT_SECRET, |body| {
            body["credential_expires_on"] = json!(last_day);
        })
        .await;
    let (id, link) = p.request_link(idp, OTHER_PHONE).await;

    // Three minutes later the link is still valid, and the secret has expired.
    p.clock.advance(Duration::minutes(3));
    let (status, page) = tokio::task::spawn_blocking(move || open_as_customer(&link))
        .await
        .unwrap();
    assert_ne!(
        status, 200,
        "no login starts with an expired secret: {page}"
    );
    let got = p.status(&id).await;
    assert_eq!(got["status"], "failed", "{got}");
    assert_eq!(got["error"]["code"], "credential_expired", "{got}");
    assert_eq!(got["error"]["step"], Value::Null, "no step ran: {got}");
    assert!(
        got["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains(&format!("expired on {last_day}"))),
        "{got}"
    );
}

/// A platform reaches IdPs at public addresses only: an IdP configured on its own network
/// (here loopback, as a metadata endpoint or an internal page would be) is never called.
#[tokio::test(flavor = "multi_thread")]
async fn a_platform_never_calls_an_idp_on_its_own_network() {
    let p = platform_reaching(Reach::PublicOnly, true, |_| Vec::new()).await;
    let idp = p.push_idp(CLIENT_SECRET, |_| {}).await;
    let (id, link) = p.request_link(idp, OTHER_PHONE).await;
    let (status, page) = customer_opens(link).await;
    assert_ne!(status, 200, "{page}");
    let result = p.status(&id).await;
    assert_eq!(result["status"], "failed", "{result}");
    let message = result["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("127.0.0.1") && message.contains("public addresses only"),
        "{result}"
    );
}

/// Nor does it deliver webhooks there: a receiver on its own network is refused when the
/// webhook is set, by the rule delivery applies, and nothing is set.
#[tokio::test(flavor = "multi_thread")]
async fn a_platform_refuses_a_webhook_on_its_own_network_when_it_is_set() {
    let p = platform_reaching(Reach::PublicOnly, true, |_| Vec::new()).await;
    let hook = format!("/v1/workspaces/{ALPHA}/webhook");
    // Other literal addresses are refused as a web URL: a webhook names its host by DNS name.
    for (url, address) in [
        ("http://127.0.0.1:9/hook", "127.0.0.1"),
        ("http://[::1]:9/hook", "::1"),
        ("http://localhost:9/hook", "127.0.0.1"),
        ("https://hooks.localhost/hook", "127.0.0.1"),
    ] {
        let refused = send(p.call(Method::PUT, &hook).json(&json!({ "url": url }))).await;
        assert_eq!(refused.status, 422, "{url}: {}", refused.text());
        assert_eq!(refused.json()["errors"][0]["field"], "url", "{url}");
        let message = refused.json()["errors"][0]["message"].to_string();
        assert!(
            message.contains(address) && message.contains("public addresses only"),
            "{url}: {message}"
        );
        let shown = send(p.call(Method::GET, &hook)).await;
        assert_eq!(
            shown.status,
            404,
            "{url}: nothing was set: {}",
            shown.text()
        );
    }
    // A DNS name is taken: the resolver checks its addresses at delivery.
    let set = send(
        p.call(Method::PUT, &hook)
            .json(&json!({ "url": "https://hooks.example.com/hook" })),
    )
    .await;
    assert_eq!(set.status, 200, "{}", set.text());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_link_starts_nothing() {
    let p = platform(true).await;
    let idp = p.push_idp(CLIENT_SECRET, |_| {}).await;
    let (id, link) = p.request_link(idp, OTHER_PHONE).await;
    p.clock
        .advance(Duration::minutes(10) + Duration::seconds(1));
    let (status, page) = tokio::task::spawn_blocking(move || open_as_customer(&link))
        .await
        .unwrap();
    assert_eq!(status, 410, "{page}");
    assert!(page.contains("expired"), "{page}");
    assert_eq!(p.status(&id).await["status"], "expired");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unregistered_platform_redirect_never_comes_back() {
    let p = platform(false).await;
    let idp = p.push_idp(CLIENT_SECRET, |_| {}).await;
    let (id, link) = p.request_link(idp, OTHER_PHONE).await;
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(workspace_root().join("tests/oidc/browser.mjs"))
            .arg(&link)
            .env("ECA_BROWSER_CUSTOMER", "1")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        !out.status.success(),
        "the IdP must stop the customer at its own error page"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("redirect_uri"),
        "the IdP names the redirect URI: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(p.status(&id).await["status"], "pending");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_the_platform_cannot_serve_is_refused_with_its_reason() {
    let p = platform(true).await;
    let enabled = p.push_idp(CLIENT_SECRET, |_| {}).await;
    let disabled = p
        .push_idp(CLIENT_SECRET, |body| body["enabled"] = json!(false))
        .await;
    let public_without_secret = p
        .push_idp(CLIENT_SECRET, |body| {
            body.as_object_mut().unwrap().remove("client_secret");
        })
        .await;
    let expired = p
        .push_idp(CLIENT_SECRET, |body| {
            body["credential_expires_on"] = json!(yesterday(&p.clock).to_string());
        })
        .await;
    let request = |idp: Uuid, customer: &str| json!({"idp_id": idp, "channel": "sms", "customer": customer, "conversation_id": "c"});
    let refused = p.create_request(request(expired, OTHER_PHONE)).await;
    assert!(
        refused.json()["detail"]
            .as_str()
            .is_some_and(|d| d.contains("expired on") && d.contains("push it")),
        "the problem says when and what to do: {}",
        refused.text()
    );
    for (body, kind, field) in [
        (request(expired, OTHER_PHONE), "credential-expired", None),
        (request(Uuid::new_v4(), OTHER_PHONE), "unknown-idp", None),
        (request(disabled, OTHER_PHONE), "idp-disabled", None),
        (
            request(public_without_secret, OTHER_PHONE),
            "config-incomplete",
            None,
        ),
        (
            request(enabled, "0825550100"),
            "validation",
            Some("customer"),
        ),
    ] {
        let refused = p.create_request(body).await;
        assert_eq!(refused.status, 422, "{}", refused.text());
        assert_eq!(refused.problem_type(), format!("urn:eca:problem:{kind}"));
        if let Some(field) = field {
            assert_eq!(refused.json()["errors"][0]["field"], field);
        }
    }
    let messages = send(p.call(Method::GET, &format!("/v1/workspaces/{ALPHA}/messages"))).await;
    assert_eq!(messages.json()["items"], json!([]), "nothing was sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_finished_request_reaches_the_webhook_signed() {
    use axum::http::{HeaderMap, StatusCode};
    use hmac::{Hmac, Mac};

    let p = platform(true).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, Vec<u8>)>();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hook", listener.local_addr().unwrap());
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let tx = tx.clone();
            async move {
                let signature = headers
                    .get("eca-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                let _ = tx.send((signature, body.to_vec()));
                StatusCode::OK
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, receiver).await });

    let set = send(
        p.call(Method::PUT, &format!("/v1/workspaces/{ALPHA}/webhook"))
            .json(&json!({ "url": hook_url })),
    )
    .await;
    assert_eq!(set.status, 200, "{}", set.text());
    let secret = set.json()["secret"].as_str().unwrap().to_string();
    let shown = send(p.call(Method::GET, &format!("/v1/workspaces/{ALPHA}/webhook"))).await;
    assert_eq!(
        shown.json(),
        json!({ "url": hook_url }),
        "the secret is shown once"
    );

    let idp = p.push_idp(CLIENT_SECRET, |_| {}).await;
    let (id, link) = p.request_link(idp, OTHER_PHONE).await;
    let (status, _) = tokio::task::spawn_blocking(move || open_as_customer(&link))
        .await
        .unwrap();
    assert_eq!(status, 200);
    let (signature, body) = tokio::time::timeout(std::time::Duration::from_secs(30), rx.recv())
        .await
        .expect("the webhook is called")
        .unwrap();

    let (t, v1) = signature
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
        .unwrap_or_else(|| panic!("ECA-Signature t=…,v1=…: {signature:?}"));
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(&body);
    assert_eq!(
        v1,
        hex::encode(mac.finalize().into_bytes()),
        "signed with the secret"
    );
    let delivered: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(delivered["id"], id.as_str());
    assert_eq!(delivered["status"], "authenticated", "{delivered}");
    assert_eq!(delivered["result"]["customer_id"], "alice");
    assert_eq!(
        delivered["result"]["claims"]["customer_email"],
        "alice@example.test"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_finished_in_another_browser_is_refused() {
    let p = platform(true).await;
    let idp = p.push_idp(CLIENT_SECRET, |_| {}).await;
    let (id, link) = p.request_link(idp, OTHER_PHONE).await;
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(workspace_root().join("tests/oidc/browser.mjs"))
            .arg(&link)
            .env("ECA_BROWSER_CUSTOMER", "1")
            .env("ECA_BROWSER_DROP_COOKIES", "1")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("PAGE 401"), "{stdout}");
    let got = p.status(&id).await;
    assert_eq!(got["status"], "failed", "{got}");
    assert_eq!(got["error"]["code"], "browser_binding.mismatch");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_result_nobody_reads_is_erased_when_its_retention_ends() {
    let p = platform(true).await;
    let idp = p.push_idp(CLIENT_SECRET, |_| {}).await;
    let (id, link) = p.request_link(idp, OTHER_PHONE).await;
    let (status, _) = tokio::task::spawn_blocking(move || open_as_customer(&link))
        .await
        .unwrap();
    assert_eq!(status, 200);
    // The result is kept for the link's lifetime after the login, then it is gone unread.
    p.clock
        .advance(Duration::minutes(10) + Duration::seconds(1));
    let got = p.status(&id).await;
    assert_eq!(got["status"], "authenticated", "{got}");
    assert_eq!(got["result"]["claims_erased"], true, "{got}");
    assert_eq!(got["result"]["customer_id"], Value::Null);
    assert_eq!(got["result"]["claims"], json!({}));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_click_whose_browser_goes_away_before_the_idp_answers_leaves_the_link_unspent() {
    let p = platform(true).await;
    // An IdP that accepts connections and never answers: the click waits on its discovery.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://{}", silent.local_addr().unwrap());
    let idp = p
        .push_idp(CLIENT_SECRET, |body| body["issuer"] = json!(issuer))
        .await;
    let (id, link) = p.request_link(idp, OTHER_PHONE).await;
    let impatient = reqwest::Client::builder()
        .timeout(std::time::Duration::from_millis(300))
        .build()
        .unwrap();
    let click = impatient.post(&link).send().await;
    assert!(
        click.is_err(),
        "the click waits on the silent IdP: {click:?}"
    );

    // The backend notices the closed connection and drops the click; until then the link is
    // held by it, and shows as used.
    let mut page = send(p.harness.http.get(&link)).await;
    for _ in 0..50 {
        if page.text().contains("+27•••••0100") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        page = send(p.harness.http.get(&link)).await;
    }
    assert_eq!(page.status, 200);
    assert!(
        page.text().contains("+27•••••0100"),
        "the link can still be continued: {}",
        page.text()
    );
    let status = p.status(&id).await;
    assert_eq!(status["status"], "pending", "{status}");
    assert_eq!(status["opened_at"], Value::Null, "{status}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_callback_whose_browser_leaves_before_the_token_answer_fails_as_cancelled() {
    let p = platform(true).await;
    // A token endpoint that accepts connections and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let token_endpoint = format!("http://{}/token", silent.local_addr().unwrap());
    let idp = p
        .push_idp(CLIENT_SECRET, |body| {
            body["token_endpoint"] = json!(token_endpoint)
        })
        .await;
    let (id, link) = p.request_link(idp, OTHER_PHONE).await;

    // The click, by hand: where it sends the browser, and the cookie that binds the login.
    let by_hand = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_millis(500))
        .build()
        .unwrap();
    let clicked = by_hand.post(&link).send().await.unwrap();
    assert_eq!(clicked.status(), 303);
    let header = |name| clicked.headers()[name].to_str().unwrap().to_string();
    let (authorize, binding) = (header("location"), header("set-cookie"));
    let binding = binding.split(';').next().unwrap().to_string();
    // The scripted browser logs in at the IdP and prints the redirect back to the platform.
    let callback = tokio::task::spawn_blocking(move || {
        let out = Command::new("node")
            .arg(workspace_root().join("tests/oidc/browser.mjs"))
            .arg(&authorize)
            .env("ECA_BROWSER_PRINT", "1")
            .output()
            .expect("node runs the scripted browser");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    })
    .await
    .unwrap();
    assert!(callback.contains("/v1/oauth/callback?"), "{callback}");

    // The customer's browser comes back, then leaves while the platform waits on the IdP.
    let left = by_hand
        .get(&callback)
        .header("cookie", &binding)
        .send()
        .await;
    assert!(
        left.is_err(),
        "the callback waits on the silent IdP: {left:?}"
    );
    let mut status = p.status(&id).await;
    for _ in 0..50 {
        if status["status"] != "pending" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        status = p.status(&id).await;
    }
    assert_eq!(status["status"], "failed", "{status}");
    assert_eq!(status["error"]["code"], "cancelled", "{status}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_click_after_the_idp_was_deleted_fails_though_an_earlier_click_read_it() {
    let p = platform(true).await;
    let idp = p.push_idp(CLIENT_SECRET, |_| {}).await;
    let (_, first) = p.request_link(idp, OTHER_PHONE).await;
    let (second_id, second) = p.request_link(idp, OTHER_PHONE).await;
    let by_hand = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let clicked = by_hand.post(&first).send().await.unwrap();
    assert_eq!(clicked.status(), 303, "the first click reads the IdP");

    let stored = send(p.call(Method::GET, &Harness::idp_path(ALPHA, idp))).await;
    let version = stored.json()["version"].as_str().unwrap().to_string();
    let deleted = send(p.harness.delete(idp, &version, "delete-1")).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());

    let refused = by_hand.post(&second).send().await.unwrap();
    assert_ne!(refused.status(), 303, "no login starts at a deleted IdP");
    let status = p.status(&second_id).await;
    assert_eq!(status["status"], "failed", "{status}");
    assert_eq!(status["error"]["code"], "idp_unavailable", "{status}");
}

/// A link's request as the backend's database holds it, or `None` once it is gone. Read from
/// the file, so no status read erases anything.
#[derive(Debug, PartialEq)]
struct Stored {
    status: String,
    claims_erased: bool,
    /// The number the link went to (kept until the claims are erased, if not before), and the
    /// customer id in the stored outcome.
    customer: Option<String>,
    customer_id: Option<String>,
}

fn stored(p: &Platform, id: &str) -> Option<Stored> {
    use rusqlite::OptionalExtension;
    let path = p.harness.dir.path().join(DATABASE_FILE);
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    conn.query_row(
        "SELECT status, claims_erased, customer, outcome ->> '$.result.customer_id'
         FROM auth_request WHERE id = ?1",
        [id],
        |r| {
            Ok(Stored {
                status: r.get(0)?,
                claims_erased: r.get(1)?,
                customer: r.get(2)?,
                customer_id: r.get(3)?,
            })
        },
    )
    .optional()
    .unwrap()
}

/// Polls `check` until it holds; panics with `what` after 20 s.
async fn until(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if check() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("never happened: {what}");
}

/// The platform's own sweep (not a status read) erases a result nobody read once its
/// retention ends, keeps the erased request a day, then deletes it.
#[tokio::test(flavor = "multi_thread")]
async fn the_sweep_erases_an_unread_result_and_forgets_its_request_a_day_later() {
    let p = platform_configured(
        true,
        |_| Vec::new(),
        |config| {
            config.erase_every = std::time::Duration::from_millis(20);
        },
    )
    .await;
    let idp = p.push_idp(CLIENT_SECRET, |_| {}).await;
    let (id, link) = p.request_link(idp, OTHER_PHONE).await;
    let (status, _) = tokio::task::spawn_blocking(move || open_as_customer(&link))
        .await
        .unwrap();
    assert_eq!(status, 200);
    until("the result is stored", || {
        stored(&p, &id).is_some_and(|s| s.status == "authenticated")
    })
    .await;
    let before = stored(&p, &id).unwrap();
    assert!(!before.claims_erased, "{before:?}");
    assert_eq!(before.customer_id.as_deref(), Some("alice"), "{before:?}");

    p.clock
        .advance(eca_backend::signin::DEFAULT_LINK_TTL + Duration::seconds(1));
    until(
        "the sweep erases the unread result and keeps its request",
        || stored(&p, &id).is_some_and(|s| s.claims_erased),
    )
    .await;
    let after = stored(&p, &id).unwrap();
    assert_eq!(
        (after.customer, after.customer_id),
        (None, None),
        "nothing about the customer is left"
    );
    assert_eq!(after.status, "authenticated", "the outcome itself is kept");
    p.clock
        .advance(eca_backend::signin::KEEP_ERASED_ROWS + Duration::seconds(1));
    until("a day later the erased request is deleted", || {
        stored(&p, &id).is_none()
    })
    .await;
}

/// A secret removed after the link went out fails the click as a missing secret, with the fix
/// that helps (push it again), not as an IdP that went away.
#[tokio::test(flavor = "multi_thread")]
async fn a_secret_removed_after_the_link_went_out_fails_the_click_as_missing() {
    let p = platform(true).await;
    let idp = p.push_idp(CLIENT_SECRET, |_| {}).await;
    let (id, link) = p.request_link(idp, OTHER_PHONE).await;
    let stored = send(p.call(Method::GET, &Harness::idp_path(ALPHA, idp))).await;
    let version = stored.json()["version"].as_str().unwrap().to_string();
    let no_secret = p.idp_body(CLIENT_SECRET, |body| body["client_secret"] = Value::Null);
    let replaced = send(
        p.harness
            .replace(idp, &version, "remove-secret", &no_secret),
    )
    .await;
    assert_eq!(replaced.status, 200, "{}", replaced.text());

    let (status, _) = tokio::task::spawn_blocking(move || open_as_customer(&link))
        .await
        .unwrap();
    assert_ne!(status, 200, "no login starts without the secret");
    let got = p.status(&id).await;
    assert_eq!(got["status"], "failed", "{got}");
    assert_eq!(got["error"]["code"], "missing_secret", "{got}");
    let fix = got["error"]["fix"].as_str().unwrap_or_default();
    assert!(fix.contains("client secret"), "{got}");
}

/// A login that cannot start (the IdP's discovery unreachable) keeps its step list for an
/// admin's test on the platform, and gives a flow none.
#[tokio::test(flavor = "multi_thread")]
async fn a_login_that_cannot_start_keeps_its_steps_only_for_an_admin_test() {
    let p = platform(true).await;
    let idp = p
        .push_idp(CLIENT_SECRET, |body| {
            body["issuer"] = json!(format!("http://127.0.0.1:{}", eca_testkit::free_port()))
        })
        .await;
    for kind in ["admin_test", "customer"] {
        let mut body = json!({"idp_id": idp, "channel": "sms", "customer": OTHER_PHONE,
                              "conversation_id": "conv-1"});
        if kind == "admin_test" {
            body["kind"] = json!(kind);
        }
        let created = p.create_request(body).await;
        assert_eq!(created.status, 201, "{}", created.text());
        let created = created.json();
        let link = created["link"].as_str().unwrap().to_string();
        let id = created["id"].as_str().unwrap().to_string();
        let (status, _) = tokio::task::spawn_blocking(move || open_as_customer(&link))
            .await
            .unwrap();
        assert_ne!(status, 200, "{kind}: nothing to sign in at");
        let got = p.status(&id).await;
        assert_eq!(got["status"], "failed", "{kind}: {got}");
        let steps = got["steps"].as_array().map(Vec::len).unwrap_or(0);
        match kind {
            "admin_test" => assert!(steps > 0, "an admin test keeps its steps: {got}"),
            _ => assert_eq!(got["steps"], Value::Null, "a flow gets no steps: {got}"),
        }
    }
}
