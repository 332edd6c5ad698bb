//! The platform's public keys for a private_key_jwt IdP, read from the reference backend as
//! the IdP form and `eca idp show --public-jwk` read them: a state to show until sync is set
//! up and the IdP pushed, then the keys the backend holds, which are not this computer's.

#[path = "sync_common/mod.rs"]
mod sync_common;

use eca_core::secrets::MemorySecrets;
use eca_core::sync::platform_key::PlatformKeyView;
use eca_core::sync::Outbox;
use eca_model::idp::ClientAuthMethod;
use eca_testkit::clock::TestClock;
use serde_json::Value;
use std::sync::Arc;
use sync_common::{backend, okta, Admin, API_KEY, WORKSPACE};

#[tokio::test(flavor = "multi_thread")]
async fn the_platform_key_shows_once_the_idp_is_pushed_and_is_not_this_computers() {
    let backend = backend().await;
    let mut admin = Admin::new(&backend.url());
    let mut fields = okta("Acme");
    fields.client_auth_method = ClientAuthMethod::PrivateKeyJwt;
    let idp = admin.create(fields, None);
    let desktop = admin.catalog.generate_key(idp.id, false).unwrap();

    assert_eq!(
        admin.outbox.platform_key(idp.id).await.unwrap(),
        PlatformKeyView::NotPushed,
        "the backend has no such IdP before the push"
    );
    admin.outbox.push().await.expect("the push succeeds");
    let PlatformKeyView::Shown { keys, created_at } =
        admin.outbox.platform_key(idp.id).await.unwrap()
    else {
        panic!("the pushed IdP's platform key is shown");
    };

    let direct: Value = reqwest::Client::new()
        .get(format!(
            "{}/v1/workspaces/{WORKSPACE}/idps/{}/platform-jwks",
            backend.url(),
            idp.id
        ))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let shown: Value = serde_json::from_str(&keys.jwks).unwrap();
    assert_eq!(
        shown, direct["jwks"],
        "the backend's keys, as it holds them"
    );
    assert_eq!(keys.kid, direct["jwks"]["keys"][0]["kid"].as_str().unwrap());
    assert_eq!(created_at, direct["created_at"].as_str().unwrap());
    assert!(keys
        .certificate_pem
        .starts_with("-----BEGIN CERTIFICATE-----"));
    assert_ne!(keys.kid, desktop.kid, "the platform's key is its own");
    assert_ne!(keys.jwks, desktop.jwks);
}

#[tokio::test]
async fn without_sync_set_up_there_is_no_platform_to_ask() {
    let dir = tempfile::tempdir().unwrap();
    let mut outbox = Outbox::open(
        dir.path(),
        Arc::new(MemorySecrets::new()),
        Arc::new(TestClock::now_utc()),
    )
    .unwrap();
    let id = eca_model::idp::IdpId::new();
    assert_eq!(
        outbox.platform_key(id).await.unwrap(),
        PlatformKeyView::SyncNotSetUp
    );
}
