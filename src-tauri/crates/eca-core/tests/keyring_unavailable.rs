//! With no Secret Service reachable, saving a secret fails clearly and the edit is kept.
//! This binary points D-Bus at a socket that does not exist, so it must stay on its own.

use eca_core::catalog::{Catalog, SaveIdpRequest, SecretChange};
use eca_core::secrets::{OsKeyring, Secret, SecretError, SecretKey, SecretStore};
use eca_model::clock::SystemClock;
use eca_model::idp::{IdpFields, Protocol};
use std::sync::Arc;

fn without_keyring() {
    // Every test in this binary wants the same environment, so the races are harmless.
    std::env::set_var(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/eca-no-bus",
    );
}

#[test]
fn the_keyring_error_says_what_to_do() {
    without_keyring();
    let err = OsKeyring::new()
        .put(
            SecretKey::IdpClientSecret(Default::default()),
            &Secret::new("value-xyz"),
        )
        .unwrap_err();
    assert!(matches!(err, SecretError::Unavailable { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("No OS keyring is reachable"), "{msg}");
    assert!(msg.contains("never stored anywhere else"), "{msg}");
    assert!(!msg.contains("value-xyz"));
}

#[test]
fn saving_with_no_keyring_keeps_the_edit() {
    without_keyring();
    let dir = tempfile::tempdir().unwrap();
    let mut catalog = Catalog::open(
        dir.path(),
        Arc::new(OsKeyring::new()),
        Arc::new(SystemClock),
    )
    .unwrap();
    let fields = IdpFields {
        name: "No keyring".into(),
        issuer: Some("https://nk.example".into()),
        authorization_endpoint: "https://nk.example/a".into(),
        token_endpoint: "https://nk.example/t".into(),
        jwks_uri: Some("https://nk.example/k".into()),
        client_id: "c".into(),
        notes: "typed by hand, must survive".into(),
        ..IdpFields::blank(Protocol::Oidc)
    };
    let out = catalog
        .save(SaveIdpRequest {
            id: None,
            fields,
            secret: SecretChange::Replace(Secret::new("value-xyz")),
        })
        .expect("the edit is saved without its secret");
    let msg = out.secret_error.expect("the secret's refusal is reported");
    assert!(msg.contains("No OS keyring is reachable"), "{msg}");
    assert!(!out.idp.has_secret);
    let stored = catalog.get(out.idp.id).unwrap();
    assert_eq!(stored.fields.notes, "typed by hand, must survive");
}
