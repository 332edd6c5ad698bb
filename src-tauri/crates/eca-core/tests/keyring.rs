//! The real OS keyring: a Secret Service on a private D-Bus session (gnome-keyring, started by
//! `scripts/with-keyring.sh`, which `make test` wraps the Rust tests in).

use eca_core::catalog::{Catalog, CatalogError, SaveIdpRequest, SecretChange};
use eca_core::secrets::{OsKeyring, Secret, SecretError, SecretKey, SecretStore};
use eca_model::clock::SystemClock;
use eca_model::idp::IdpId;
use std::sync::{Arc, Mutex};

fn require_session_bus() {
    eca_testkit::keyring::require_session_bus("these tests keep secrets");
}

#[test]
fn secrets_round_trip_through_the_os_keyring() {
    require_session_bus();
    let keyring = OsKeyring::new();
    let key = SecretKey::IdpClientSecret(IdpId::new());
    assert!(
        keyring.get(key).unwrap().is_none(),
        "a fresh id has no entry"
    );
    keyring.put(key, &Secret::new("kr-secret-1")).unwrap();
    assert_eq!(keyring.get(key).unwrap().unwrap().expose(), "kr-secret-1");
    keyring.put(key, &Secret::new("kr-secret-2")).unwrap();
    assert_eq!(
        keyring.get(key).unwrap().unwrap().expose(),
        "kr-secret-2",
        "put replaces"
    );
    keyring.delete(key).unwrap();
    assert!(keyring.get(key).unwrap().is_none());
    keyring
        .delete(key)
        .expect("deleting an absent entry is fine");
}

#[test]
fn the_catalog_keeps_secrets_in_the_keyring_only() {
    require_session_bus();
    let dir = tempfile::tempdir().unwrap();
    let keyring = Arc::new(OsKeyring::new());
    let mut catalog = Catalog::open(dir.path(), keyring.clone(), Arc::new(SystemClock)).unwrap();
    let known = "KNOWN-SECRET-7f3a9c1e-do-not-store";
    let fields = eca_testkit::fixtures::okta("Keyring test");
    let out = catalog
        .save(SaveIdpRequest {
            id: None,
            fields,
            secret: SecretChange::Replace(Secret::new(known)),
        })
        .unwrap();
    assert_eq!(out.secret_error, None);
    assert_eq!(
        catalog.client_secret(out.idp.id).unwrap().unwrap().expose(),
        known
    );

    // The value must be in none of the database files, the WAL included (read before any
    // checkpoint folds it into the main file).
    let mut seen = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        seen += 1;
        assert!(
            !bytes.windows(known.len()).any(|w| w == known.as_bytes()),
            "the secret was found in {}",
            path.display()
        );
    }
    assert!(
        seen >= 2,
        "expected the database and its -wal file, saw {seen} files"
    );

    catalog.delete(out.idp.id).unwrap();
    assert!(
        keyring
            .get(SecretKey::IdpClientSecret(out.idp.id))
            .unwrap()
            .is_none(),
        "delete removes the secret"
    );
}

/// A save whose SQLite write fails after the keyring stored the new secret puts the keyring
/// back: the secret the IdP had is there again, not the one of the failed save.
#[test]
fn a_save_that_fails_in_sqlite_puts_the_real_keyring_back() {
    require_session_bus();
    let dir = tempfile::tempdir().unwrap();
    let keyring = Arc::new(OsKeyring::new());
    let mut catalog = Catalog::open(dir.path(), keyring.clone(), Arc::new(SystemClock)).unwrap();
    let saved = catalog
        .save(SaveIdpRequest {
            id: None,
            fields: eca_testkit::fixtures::okta("Rolled back"),
            secret: SecretChange::Replace(Secret::new("the-secret-before")),
        })
        .unwrap();
    // The audit row cannot be written: the save fails after the keyring took the new secret.
    catalog
        .connection()
        .execute_batch("DROP TABLE idp_audit")
        .unwrap();
    let failed = catalog.save(SaveIdpRequest {
        id: Some(saved.idp.id),
        fields: saved.idp.fields.clone(),
        secret: SecretChange::Replace(Secret::new("the-secret-of-the-failed-save")),
    });
    assert!(failed.is_err(), "{failed:?}");
    let key = SecretKey::IdpClientSecret(saved.idp.id);
    assert_eq!(
        keyring.get(key).unwrap().unwrap().expose(),
        "the-secret-before"
    );
    keyring.delete(key).unwrap();
}

/// A save of a new IdP whose SQLite write fails after the keyring stored its secret removes that
/// secret again: the real keyring keeps nothing for an IdP that was never saved.
#[test]
fn a_new_idp_whose_sqlite_write_fails_leaves_no_secret_in_the_real_keyring() {
    require_session_bus();
    let dir = tempfile::tempdir().unwrap();
    let keyring = Arc::new(Watched::default());
    let mut catalog = Catalog::open(dir.path(), keyring.clone(), Arc::new(SystemClock)).unwrap();
    catalog
        .connection()
        .execute_batch("DROP TABLE idp_audit")
        .unwrap();
    let failed = catalog.save(SaveIdpRequest {
        id: None,
        fields: eca_testkit::fixtures::okta("Never saved"),
        secret: SecretChange::Replace(Secret::new("the-secret-of-a-new-idp")),
    });
    assert!(
        matches!(failed, Err(CatalogError::Store(_))),
        "the SQLite write fails: {failed:?}"
    );
    let stored = keyring.stored.lock().unwrap().clone();
    let [key] = stored.as_slice() else {
        panic!("the save stores the new secret once, before the rows: {stored:?}");
    };
    assert!(
        OsKeyring::new().get(*key).unwrap().is_none(),
        "the secret of the failed save is gone from the keyring"
    );
    assert!(catalog.list().unwrap().is_empty(), "and no IdP was saved");
}

/// The real OS keyring, noting which entries were stored through it (only their keys).
#[derive(Default)]
struct Watched {
    keyring: OsKeyring,
    stored: Mutex<Vec<SecretKey>>,
}

impl SecretStore for Watched {
    fn put(&self, key: SecretKey, secret: &Secret) -> Result<(), SecretError> {
        self.keyring.put(key, secret)?;
        self.stored.lock().unwrap().push(key);
        Ok(())
    }

    fn get(&self, key: SecretKey) -> Result<Option<Secret>, SecretError> {
        self.keyring.get(key)
    }

    fn delete(&self, key: SecretKey) -> Result<(), SecretError> {
        self.keyring.delete(key)
    }
}
