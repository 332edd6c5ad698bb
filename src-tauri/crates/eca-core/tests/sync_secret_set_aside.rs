//! A stored client secret never follows its IdP to another token endpoint origin or client id
//! through a push: against the real reference backend, the IdP is held back whole until the
//! secret is entered again for the new place (issue "Hardening", item 1).

#[path = "sync_common/mod.rs"]
mod sync_common;

use eca_core::catalog::SecretChange;
use eca_core::secrets::Secret;
use eca_model::idp::IdpFields;
use sync_common::{backend, okta, Admin};

#[tokio::test]
async fn an_idp_whose_secret_is_set_aside_is_held_back_until_it_is_entered_again() {
    let backend = backend().await;
    let mut admin = Admin::new(&backend.url());
    let acme = admin.create(okta("Acme"), Some("entered-for-acme-1234"));
    admin.outbox.push().await.expect("the first push succeeds");

    let moved = IdpFields {
        token_endpoint: "https://evil.example/token".into(),
        notes: "moved".into(),
        ..acme.fields.clone()
    };
    admin.update(acme.id, moved.clone(), SecretChange::Keep);
    let report = admin.outbox.push().await.expect("the push itself succeeds");
    assert!(report.pushed.is_empty(), "{report:?}");
    assert_eq!(report.waiting, vec![acme.id], "{report:?}");
    let remote = admin.outbox.remote().await.unwrap();
    assert_eq!(
        remote[0].fields.token_endpoint, acme.fields.token_endpoint,
        "the backend still has the endpoint its secret belongs to"
    );
    let change = &admin.outbox.changes().unwrap()[0];
    let why = change.last_error.as_deref().unwrap_or_default();
    assert!(
        why.contains("Held back") && why.contains("https://evil.example"),
        "the change says why it waits: {why:?}"
    );
    assert_eq!(change.attempts, 0, "nothing was sent");

    // Entered again for the new place, the IdP goes with its new secret.
    admin.update(
        acme.id,
        moved.clone(),
        SecretChange::Replace(Secret::new("entered-for-evil-5678")),
    );
    let report = admin.outbox.push().await.unwrap();
    assert_eq!(report.pushed, vec![acme.id], "{report:?}");
    let remote = admin.outbox.remote().await.unwrap();
    assert_eq!(remote[0].fields.token_endpoint, moved.token_endpoint);
    assert!(remote[0].secret_set);
    assert!(admin.outbox.changes().unwrap().is_empty());
}
