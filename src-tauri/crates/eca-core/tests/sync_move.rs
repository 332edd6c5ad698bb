//! The sync API key belongs to the backend origin and workspace it was entered for: it is never
//! found for another place, settings that move sync elsewhere need a new key and a
//! confirmation, and the confirmed move starts sync afresh without losing a local edit.

#[path = "sync_common/mod.rs"]
mod sync_common;

use eca_core::catalog::SecretChange;
use eca_core::secrets::{MemorySecrets, Secret};
use eca_core::store::sync_changes::ChangeKind;
use eca_core::sync::settings::{SaveSettings, SyncSettings};
use eca_core::sync::{Outbox, SyncError};
use eca_model::idp::{Field, IdpFields};
use eca_testkit::clock::TestClock;
use std::collections::BTreeMap;
use std::sync::Arc;
use sync_common::{backend, okta, Admin, API_KEY, WORKSPACE};

fn to<'a>(
    url: &str,
    workspace: &str,
    key: Option<&'a Secret>,
    start_afresh: bool,
) -> SaveSettings<'a> {
    SaveSettings {
        settings: SyncSettings {
            backend_url: url.into(),
            workspace_id: workspace.into(),
        },
        api_key: key,
        start_afresh,
    }
}

/// What the backend at `url` holds, by name: (notes, whether a secret is set).
async fn held(url: &str) -> BTreeMap<String, (String, bool)> {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemorySecrets::new());
    let mut observer = Outbox::open(dir.path(), secrets, Arc::new(TestClock::now_utc())).unwrap();
    let key = Secret::new(API_KEY);
    observer
        .save_settings(to(url, WORKSPACE, Some(&key), false))
        .unwrap();
    observer
        .remote()
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.fields.name, (r.fields.notes, r.secret_set)))
        .collect()
}

#[tokio::test]
async fn a_key_is_never_found_for_another_place() {
    let backend = backend().await;
    let admin = Admin::new(&backend.url());
    // A second data folder of the same user (one OS keyring) syncs somewhere else.
    let dir = tempfile::tempdir().unwrap();
    let mut other = Outbox::open(dir.path(), admin.secrets.clone(), admin.clock.clone()).unwrap();
    other
        .save_settings(to("https://elsewhere.example", WORKSPACE, None, false))
        .unwrap();

    assert!(
        !other.setup().unwrap().has_api_key,
        "the first folder's key was entered for {}, not for elsewhere.example",
        backend.url()
    );
    let err = other.push().await.expect_err("no key for this place");
    assert!(matches!(err, SyncError::NoApiKey(_)), "{err:?}");
    assert!(
        err.to_string().contains("https://elsewhere.example"),
        "the message names the place that needs a key: {err}"
    );
    assert!(admin.outbox.setup().unwrap().has_api_key);
}

#[tokio::test]
async fn moving_without_a_new_key_is_refused_naming_both_places() {
    let backend = backend().await;
    let mut admin = Admin::new(&backend.url());
    admin.create(okta("Acme"), Some("acme-secret-value-1"));
    admin.outbox.push().await.unwrap();
    let before = (
        admin.outbox.settings().unwrap(),
        admin.outbox.base().unwrap(),
    );

    for (url, workspace) in [
        ("https://evil.example", WORKSPACE),
        (backend.url().as_str(), "another-workspace"),
    ] {
        let err = admin
            .outbox
            .save_settings(to(url, workspace, None, true))
            .expect_err("a move needs a new key");
        let SyncError::InvalidSettings(errors) = &err else {
            panic!("a field error: {err:?}");
        };
        assert_eq!(errors[0].field, Field::ApiKey, "{errors:?}");
        let message = &errors[0].message;
        let (old, new) = (backend.url(), url.trim_end_matches('/').to_string());
        assert!(
            message.contains(&old) && message.contains(&new),
            "{message}"
        );
        assert!(message.contains(workspace), "{message}");
    }
    assert_eq!(
        (
            admin.outbox.settings().unwrap(),
            admin.outbox.base().unwrap()
        ),
        before,
        "nothing was changed"
    );

    // Another path on the same server is the same place: the key still goes there.
    let same = format!("{}/", backend.url());
    admin
        .outbox
        .save_settings(to(&same, WORKSPACE, None, false))
        .expect("the same origin and workspace");
    assert_eq!(admin.outbox.base().unwrap(), before.1);
}

#[tokio::test]
async fn a_confirmed_move_starts_afresh_and_loses_no_local_edit() {
    let (old, new) = (backend().await, backend().await);
    let mut admin = Admin::new(&old.url());
    let acme = admin.create(okta("Acme"), Some("acme-secret-value-1"));
    let beta = admin.create(okta("Beta"), None);
    admin.outbox.push().await.unwrap();
    // Edits not yet pushed: an update, a delete and a create.
    let edited = IdpFields {
        notes: "edited here".into(),
        ..okta("Acme")
    };
    admin.update(acme.id, edited, SecretChange::Keep);
    admin.catalog.delete(beta.id).unwrap();
    let gamma = admin.create(okta("Gamma"), Some("gamma-secret-value-1"));

    let key = Secret::new(API_KEY);
    let changes = admin.outbox.changes().unwrap();
    let err = admin
        .outbox
        .save_settings(to(&new.url(), WORKSPACE, Some(&key), false))
        .expect_err("the move needs a confirmation");
    assert!(matches!(err, SyncError::MoveNotConfirmed { .. }), "{err:?}");
    assert!(err.to_string().contains(&new.url()), "{err}");
    assert_eq!(admin.outbox.changes().unwrap(), changes, "nothing changed");
    assert_eq!(
        admin.outbox.settings().unwrap().unwrap().backend_url,
        old.url()
    );

    admin
        .outbox
        .save_settings(to(&new.url(), WORKSPACE, Some(&key), true))
        .expect("a confirmed move with a new key");
    assert!(
        admin.outbox.base().unwrap().is_empty(),
        "the new backend has nothing yet"
    );
    let queued: Vec<_> = admin
        .outbox
        .changes()
        .unwrap()
        .into_iter()
        .map(|c| (c.idp_id, c.kind, c.request.is_none()))
        .collect();
    assert_eq!(
        queued,
        [
            (acme.id, ChangeKind::Create, true),
            (gamma.id, ChangeKind::Create, true)
        ],
        "every local IdP is new there; the delete was for the old backend"
    );

    let report = admin.outbox.push().await.unwrap();
    assert_eq!(report.pushed.len(), 2, "{report:?}");
    let on_new = held(&new.url()).await;
    assert_eq!(
        on_new["Acme"],
        ("edited here".to_string(), true),
        "{on_new:?}"
    );
    assert!(on_new["Gamma"].1, "the secret went with the create");
    assert_eq!(on_new.len(), 2);
    let on_old = held(&old.url()).await;
    assert_eq!(
        on_old.len(),
        2,
        "nothing is deleted on the old backend: {on_old:?}"
    );
    assert_eq!(on_old["Acme"].0, okta("Acme").notes, "nor sent there");

    // Moving back: what the old backend already holds is a conflict, never overwritten.
    admin
        .outbox
        .save_settings(to(&old.url(), WORKSPACE, Some(&key), true))
        .unwrap();
    let report = admin.outbox.push().await.unwrap();
    assert_eq!(report.conflicts, [acme.id], "{report:?}");
    assert_eq!(held(&old.url()).await["Acme"].0, okta("Acme").notes);
}
