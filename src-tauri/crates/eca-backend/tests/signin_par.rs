//! Customer sign-in through an IdP that requires pushed authorization requests (RFC 9126),
//! against the real provider (tests/oidc/provider.mjs `--par-required`): the click on the link
//! pushes the request first and sends the customer's browser to the IdP with only `client_id`
//! and `request_uri`; the login then passes. A push the IdP refuses fails the request at that
//! step, before the customer is sent anywhere. Both answers are checked against
//! `docs/auth-api.yaml`.

mod common;

use common::contract::Contract;
use common::platform::*;
use common::*;
use url::Url;

/// The customer's click on "Continue", as a browser sends it, without following the redirect.
async fn click(link: &str) -> Captured {
    let browser = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    send(browser.post(link)).await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_click_pushes_first_and_the_browser_gets_only_the_reference() {
    let p = platform_with(true, &["--par-required"]).await;
    let idp = p.push_idp(CLIENT_SECRET, |_| {}).await;

    let (_, link) = p.request_link(idp, OTHER_PHONE).await;
    let started = click(&link).await;
    assert_eq!(started.status, 303, "{}", started.text());
    Contract::load("auth-api.yaml").check("startSignIn", "to the IdP, pushed", &started);
    let location = Url::parse(started.header("location").expect("a Location")).unwrap();
    assert_eq!(
        location.as_str().split('?').next(),
        Some(format!("{}/auth", p.provider.url).as_str())
    );
    let keys: Vec<String> = location
        .query_pairs()
        .map(|(k, _)| k.into_owned())
        .collect();
    assert_eq!(keys, ["client_id", "request_uri"], "{location}");

    // A whole sign-in through the same IdP passes.
    let (id, link) = p.request_link(idp, OTHER_PHONE).await;
    let (status, page) = tokio::task::spawn_blocking(move || open_as_customer(&link))
        .await
        .unwrap();
    assert_eq!(status, 200, "{page}");
    let got = p.status(&id).await;
    assert_eq!(got["status"], "authenticated", "{got}");
    assert_eq!(got["result"]["customer_id"], "alice");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_push_the_idp_refuses_fails_the_request_at_that_step() {
    let p = platform_with(true, &["--par-required"]).await;
    let idp = p.push_idp("a-stale-secret", |_| {}).await;
    let (id, link) = p.request_link(idp, OTHER_PHONE).await;
    let refused = click(&link).await;
    assert_eq!(refused.status, 502, "sent nowhere: {}", refused.text());
    Contract::load("auth-api.yaml").check("startSignIn", "push refused", &refused);
    let got = p.status(&id).await;
    assert_eq!(got["status"], "failed", "{got}");
    assert_eq!(got["error"]["step"], "pushed_authorization", "{got}");
    assert_eq!(got["error"]["code"], "invalid_client", "{got}");
    assert!(!got.to_string().contains("a-stale-secret"));
}
