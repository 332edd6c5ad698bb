//! A locked Secret Service, for real: the default collection of a gnome-keyring is locked over
//! D-Bus (`org.freedesktop.Secret.Service.Lock`), as a screen lock or the admin would. Saving a
//! secret then fails with the "locked" message and keeps the rest of the edit; deleting an IdP
//! whose secret cannot be removed keeps the IdP.
//!
//! Locking would break every other keyring test sharing the session, so the test runs itself
//! again in a private session and keyring of its own (`scripts/with-keyring.sh`).

use eca_core::catalog::{Catalog, CatalogError, SaveIdpRequest, SecretChange};
use eca_core::secrets::{OsKeyring, Secret, SecretError};
use eca_model::clock::SystemClock;
use eca_model::idp::IdpFields;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

const INNER: &str = "ECA_LOCKED_KEYRING_INNER";

#[test]
fn a_locked_keyring_keeps_the_edit_and_the_idp_and_says_so() {
    if std::env::var_os(INNER).is_none() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
        let status = Command::new(repo.join("scripts/with-keyring.sh"))
            .arg(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "a_locked_keyring_keeps_the_edit_and_the_idp_and_says_so",
            ])
            .args(["--nocapture", "--test-threads=1"])
            .env(INNER, "1")
            // No display: gnome-keyring's unlock prompt must fail at once, never wait for a click.
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .status()
            .expect("scripts/with-keyring.sh runs");
        assert!(
            status.success(),
            "the test in its own keyring failed: {status}"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut catalog = Catalog::open(
        dir.path(),
        Arc::new(OsKeyring::new()),
        Arc::new(SystemClock),
    )
    .unwrap();
    let saved = catalog
        .save(SaveIdpRequest {
            id: None,
            fields: eca_testkit::fixtures::okta("Locked"),
            secret: SecretChange::Replace(Secret::new("stored-before-the-lock")),
        })
        .unwrap();
    assert_eq!(saved.secret_error, None, "the keyring is open at first");

    lock_the_default_collection();

    let edited = IdpFields {
        notes: "typed while the keyring was locked".into(),
        ..saved.idp.fields.clone()
    };
    let out = catalog
        .save(SaveIdpRequest {
            id: Some(saved.idp.id),
            fields: edited.clone(),
            secret: SecretChange::Replace(Secret::new("new-secret-while-locked")),
        })
        .expect("the edit is saved without its secret");
    let message = out
        .secret_error
        .expect("the save says the secret was not stored");
    assert!(
        message.contains(&SecretError::Locked.to_string()),
        "the keyring's own words: {message}"
    );
    assert!(!message.contains("new-secret-while-locked"));
    assert_eq!(
        catalog.get(saved.idp.id).unwrap().fields,
        edited,
        "the edit is kept"
    );

    let refused = catalog.delete(saved.idp.id).unwrap_err();
    assert!(
        matches!(refused, CatalogError::Secret(SecretError::Locked)),
        "{refused:?}"
    );
    assert!(
        catalog.get(saved.idp.id).is_ok(),
        "an IdP whose secret cannot be removed is kept, with it"
    );
}

/// Locks the keyring's default collection over D-Bus; gnome-keyring locks without a prompt.
fn lock_the_default_collection() {
    let out = Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.secrets",
            "/org/freedesktop/secrets",
            "org.freedesktop.Secret.Service.Lock",
            "array:objpath:/org/freedesktop/secrets/aliases/default",
        ])
        .output()
        .expect("dbus-send runs");
    let reply = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && reply.contains("/org/freedesktop/secrets/"),
        "the Secret Service locked the collection: {reply} {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
