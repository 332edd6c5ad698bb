//! Customer sign-in through an IdP whose client authenticates with private_key_jwt (RFC 7523),
//! against the real provider (tests/oidc/provider.mjs `--pkjwt-jwks FILE`, the client
//! `eca-pkjwt` registered with the keys in FILE): the platform signs its client assertions
//! with its own key, whose public keys `GET …/platform-jwks` shows. Registered there, the
//! customer signs in (with and without PAR, whose audience is the issuer); with only another
//! key registered (the desktop's), the exchange is refused and the request's result says to
//! register the platform's key. The platform's private key is in no response.

mod common;

use common::contract::Contract;
use common::platform::*;
use common::*;
use eca_oidc::login::client_key::ClientKey;
use reqwest::Method;
use serde_json::{json, Value};
use std::path::Path;
use uuid::Uuid;

const PKJWT_CLIENT_ID: &str = "eca-pkjwt";

/// The platform, and a provider whose `eca-pkjwt` client is registered with the JWK Set in
/// `jwks` (read at every request) and redirects to the platform's callback.
async fn platform_for_pkjwt(jwks: &Path, more: &[&str]) -> Platform {
    let jwks = jwks.to_str().unwrap().to_string();
    let more: Vec<String> = more.iter().map(|f| f.to_string()).collect();
    platform_with_flags(true, move |callback| {
        let mut flags = vec![
            "--pkjwt-jwks".to_string(),
            jwks,
            "--extra-redirect".to_string(),
            callback.to_string(),
        ];
        flags.extend(more);
        flags
    })
    .await
}

/// Pushes the provider's `eca-pkjwt` client as a private_key_jwt IdP (no secret).
async fn push_pkjwt_idp(p: &Platform) -> Uuid {
    p.push_idp("unused", |body| {
        body.as_object_mut().unwrap().remove("client_secret");
        body["client_id"] = json!(PKJWT_CLIENT_ID);
        body["client_auth_method"] = json!("private_key_jwt");
    })
    .await
}

/// Asserts that no part of the private key text is in `what`.
fn assert_no_private_key(private: &str, what: &str, label: &str) {
    let parts: Vec<&str> = private.split('.').skip(1).collect();
    assert_eq!(parts.len(), 2, "an RSA and an EC key");
    for part in parts {
        assert!(
            !what.contains(&part[part.len() - 48..]),
            "the platform's private key must not be in {label}: {what}"
        );
    }
}

async fn signs_in_with_the_platform_key(provider_flags: &[&str]) {
    let registered = tempfile::NamedTempFile::new().unwrap();
    let p = platform_for_pkjwt(registered.path(), provider_flags).await;
    let idp = push_pkjwt_idp(&p).await;

    let shown = p.platform_jwks(idp).await;
    assert_eq!(shown.status, 200, "{}", shown.text());
    Contract::load("sync-api.yaml").check("getPlatformJwks", "found", &shown);
    let public = shown.json();
    std::fs::write(registered.path(), public["jwks"].to_string()).unwrap();
    assert_eq!(
        p.platform_jwks(idp).await.json(),
        public,
        "the key is made once and kept"
    );

    let (id, link) = p.request_link(idp, OTHER_PHONE).await;
    let (status, page) = customer_opens(link).await;
    assert_eq!(status, 200, "{page}");
    let got = p.status(&id).await;
    assert_eq!(got["status"], "authenticated", "{got}");
    assert_eq!(got["result"]["customer_id"], "alice");

    // Sync never carries the private key: not in the IdP as listed or read, not with the
    // public keys, not in a request's result.
    let private = p.platform_private_key(idp);
    let list = send(p.call(Method::GET, &Harness::idps_path(ALPHA))).await;
    let one = send(p.call(Method::GET, &Harness::idp_path(ALPHA, idp))).await;
    for (label, body) in [
        ("the IdP list", list.text()),
        ("the IdP", one.text()),
        ("the platform's public keys", shown.text()),
        ("the auth request", got.to_string()),
    ] {
        assert_no_private_key(&private, &body, label);
    }
    let listed: Value = list.json()["items"][0].clone();
    assert_eq!(listed["client_auth_method"], "private_key_jwt");
    assert_eq!(listed["secret_set"], false, "{listed}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_customer_signs_in_when_the_platform_key_is_registered() {
    signs_in_with_the_platform_key(&[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_customer_signs_in_through_a_pushed_request_signed_for_the_issuer() {
    signs_in_with_the_platform_key(&["--par-required"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_only_the_desktop_key_registered_the_result_says_to_register_the_platform_key() {
    let registered = tempfile::NamedTempFile::new().unwrap();
    let desktop = ClientKey::generate().unwrap();
    std::fs::write(registered.path(), desktop.public().jwks().to_string()).unwrap();
    let p = platform_for_pkjwt(registered.path(), &[]).await;
    let idp = push_pkjwt_idp(&p).await;

    // The first auth request makes the platform's key; it is not the one registered.
    let (id, link) = p.request_link(idp, OTHER_PHONE).await;
    let platform = p.platform_jwks(idp).await.json();
    assert_ne!(
        platform["jwks"],
        desktop.public().jwks(),
        "the platform has a key of its own"
    );
    let (status, page) = customer_opens(link).await;
    assert_eq!(status, 401, "not verified: {page}");
    let got = p.status(&id).await;
    assert_eq!(got["status"], "failed", "{got}");
    assert_eq!(got["error"]["code"], "invalid_client", "{got}");
    let fix = got["error"]["fix"].as_str().unwrap_or_default();
    assert!(
        fix.starts_with("Register the platform's public key at the IdP")
            && fix.contains("The platform (customer sign-in)"),
        "the fix names the platform's key and where to find it: {fix}"
    );
}
