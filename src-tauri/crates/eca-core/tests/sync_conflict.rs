//! Two admins on two data folders sync the same IdP with the real reference backend: the one
//! who pushes second gets a 412, which becomes a conflict, resolved by keep mine or take theirs.

#[path = "sync_common/mod.rs"]
mod sync_common;

use eca_core::catalog::SecretChange;
use eca_core::secrets::Secret;
use eca_core::store::sync_changes::ChangeState;
use eca_core::sync::plan::{RemoteChange, SyncStatus};
use eca_core::transfer;
use eca_model::clock::SystemClock;
use eca_model::idp::{Field, IdpFields, IdpId};
use sync_common::{backend, okta, Admin, Backend};

/// Bob imports Alice's IdPs (same ids) and takes the backend's copy of `id` as his base.
async fn second_admin(backend: &Backend, alice: &Admin, id: IdpId) -> Admin {
    let mut bob = Admin::new(&backend.url());
    let json =
        serde_json::to_string(&transfer::export(&alice.catalog, &SystemClock).unwrap()).unwrap();
    transfer::import(&mut bob.catalog, &json).unwrap();
    // Bob's import is a creation the backend already has: a conflict on his side too.
    let report = bob.outbox.push().await.unwrap();
    assert_eq!(
        report.conflicts,
        vec![id],
        "create over an existing IdP is a 412"
    );
    bob.outbox.take_theirs(id).await.unwrap();
    assert!(bob.outbox.changes().unwrap().is_empty());
    bob
}

/// Alice creates "Acme" and pushes; Bob imports it (same id) and takes the backend's copy as
/// his base; then both edit the notes and Bob pushes first. Alice's push meets a 412.
async fn conflicting_admins() -> (Backend, Admin, Admin, IdpId) {
    let backend = backend().await;
    let mut alice = Admin::new(&backend.url());
    let acme = alice.create(okta("Acme"), Some("alice-secret-value"));
    assert_eq!(alice.outbox.push().await.unwrap().pushed, vec![acme.id]);

    let mut bob = second_admin(&backend, &alice, acme.id).await;

    let notes = |n: &str| IdpFields {
        notes: n.into(),
        ..okta("Acme")
    };
    bob.update(acme.id, notes("bob was here"), SecretChange::Keep);
    alice.update(acme.id, notes("alice was here"), SecretChange::Keep);
    assert_eq!(bob.outbox.push().await.unwrap().pushed, vec![acme.id]);

    let report = alice.outbox.push().await.unwrap();
    assert_eq!(report.conflicts, vec![acme.id], "{report:?}");
    let kept = alice.outbox.changes().unwrap();
    assert_eq!(kept.len(), 1, "the change is kept, never dropped");
    assert_eq!(kept[0].state, ChangeState::Conflict);
    assert!(kept[0]
        .last_error
        .as_deref()
        .unwrap_or("")
        .contains("keep yours or take theirs"));
    (backend, alice, bob, acme.id)
}

#[tokio::test]
async fn a_conflict_is_detected_and_never_overwritten_blindly() {
    let (_backend, mut alice, _bob, id) = conflicting_admins().await;
    let remote = alice.outbox.remote_idp(id).await.unwrap().unwrap();
    assert_eq!(remote.fields.notes, "bob was here", "Bob's push stands");

    let plan = alice.outbox.plan().await.unwrap();
    let item = plan.item(id).unwrap();
    assert_eq!(item.status, SyncStatus::Conflict);
    assert_eq!(item.remote_change, RemoteChange::Updated);
    assert_eq!(
        item.local_changes[0].after.as_deref(),
        Some("alice was here")
    );
    assert_eq!(
        item.remote_changes[0].after.as_deref(),
        Some("bob was here")
    );

    // Pushing again does not resend the conflicting change, nor later ones of the IdP.
    alice.catalog.set_enabled(id, false).unwrap();
    let report = alice.outbox.push().await.unwrap();
    assert!(
        report.pushed.is_empty() && report.waiting == vec![id],
        "{report:?}"
    );
    assert_eq!(
        report.conflicts,
        vec![id],
        "a conflict left by an earlier push is still reported, never a silent \"0 pushed\""
    );
    let remote = alice.outbox.remote_idp(id).await.unwrap().unwrap();
    assert!(
        remote.fields.enabled,
        "nothing of Alice's reached the backend"
    );
}

#[tokio::test]
async fn keep_mine_rebases_and_pushes_under_a_new_key() {
    let (_backend, mut alice, mut bob, id) = conflicting_admins().await;
    let report = alice.outbox.keep_mine(id).await.unwrap();
    // The backend recorded the 412 under the old key; reused with the new precondition it
    // would answer 422 (key reused), so a clean push shows a new key was used.
    assert_eq!(report.pushed, vec![id], "{report:?}");
    assert!(alice.outbox.changes().unwrap().is_empty());
    let remote = alice.outbox.remote_idp(id).await.unwrap().unwrap();
    assert_eq!(remote.fields.notes, "alice was here");
    assert_eq!(alice.outbox.base().unwrap()[0].version, remote.version);

    // Bob now sees Alice's version as drift, not as a conflict.
    let plan = bob.outbox.plan().await.unwrap();
    assert_eq!(plan.item(id).unwrap().status, SyncStatus::Drift);
    // And Bob's next edit is a conflict for him, until he takes theirs.
    bob.update(
        id,
        IdpFields {
            notes: "bob again".into(),
            ..okta("Acme")
        },
        SecretChange::Keep,
    );
    assert_eq!(bob.outbox.push().await.unwrap().conflicts, vec![id]);
}

#[tokio::test]
async fn take_theirs_replaces_the_local_copy_and_drops_the_change() {
    let (_backend, mut alice, _bob, id) = conflicting_admins().await;
    alice.outbox.take_theirs(id).await.unwrap();
    assert!(
        alice.outbox.changes().unwrap().is_empty(),
        "the pending change is dropped"
    );
    let local = alice.catalog.get(id).unwrap();
    assert_eq!(local.fields.notes, "bob was here");
    assert!(
        local.has_secret,
        "the local secret is kept (the backend never returns it)"
    );
    let history = alice.catalog.history(id).unwrap();
    assert_eq!(
        history[0].changes[0].field,
        Field::Notes,
        "taking theirs is audited"
    );

    let plan = alice.outbox.plan().await.unwrap();
    assert_eq!(
        plan.item(id).unwrap().status,
        SyncStatus::InSync,
        "{plan:#?}"
    );
    // Alice's next edit goes out normally.
    alice.catalog.set_enabled(id, false).unwrap();
    assert_eq!(alice.outbox.push().await.unwrap().pushed, vec![id]);
}

#[tokio::test]
async fn deleted_remotely_while_edited_locally() {
    let (_backend, mut alice, mut bob, id) = conflicting_admins().await;
    // Bob deletes it on the backend; Alice keeps her edit: the IdP is created again.
    bob.catalog.delete(id).unwrap();
    assert_eq!(bob.outbox.push().await.unwrap().pushed, vec![id]);
    assert!(alice.outbox.remote_idp(id).await.unwrap().is_none());
    let plan = alice.outbox.plan().await.unwrap();
    assert_eq!(plan.item(id).unwrap().remote_change, RemoteChange::Deleted);
    assert_eq!(plan.item(id).unwrap().status, SyncStatus::Conflict);

    alice.outbox.keep_mine(id).await.unwrap();
    let remote = alice.outbox.remote_idp(id).await.unwrap().unwrap();
    assert_eq!(remote.fields.notes, "alice was here");
    assert!(remote.secret_set, "keep mine sends my secret again");

    // The other way round: Bob takes theirs and gets it back locally.
    bob.outbox.take_theirs(id).await.unwrap();
    assert_eq!(bob.catalog.get(id).unwrap().fields.notes, "alice was here");
}

#[tokio::test]
async fn keep_mine_without_a_local_secret_keeps_theirs() {
    let backend = backend().await;
    let mut alice = Admin::new(&backend.url());
    let acme = alice.create(okta("Acme"), Some("alice-secret-value"));
    alice.outbox.push().await.unwrap();
    let before = alice.outbox.remote_idp(acme.id).await.unwrap().unwrap();

    // Bob imports the IdP (imports never carry secrets) and insists on his copy.
    let mut bob = Admin::new(&backend.url());
    let json =
        serde_json::to_string(&transfer::export(&alice.catalog, &SystemClock).unwrap()).unwrap();
    transfer::import(&mut bob.catalog, &json).unwrap();
    bob.update(
        acme.id,
        IdpFields {
            notes: "bob's".into(),
            ..okta("Acme")
        },
        SecretChange::Keep,
    );
    assert_eq!(bob.outbox.push().await.unwrap().conflicts, vec![acme.id]);
    assert_eq!(
        bob.outbox.keep_mine(acme.id).await.unwrap().pushed,
        vec![acme.id]
    );

    let after = bob.outbox.remote_idp(acme.id).await.unwrap().unwrap();
    assert_eq!(after.fields.notes, "bob's");
    assert!(
        after.secret_set,
        "having no secret here must not remove the backend's"
    );
    assert_eq!(after.secret_fingerprint, before.secret_fingerprint);
}

/// Secrets are never pulled, but another admin's edit of one shows in the plan as drift, by
/// the backend's fingerprint: "changed" when replaced, "removed" when removed.
#[tokio::test]
async fn another_admins_secret_edit_shows_as_drift_replaced_or_removed() {
    let backend = backend().await;
    let mut alice = Admin::new(&backend.url());
    let acme = alice.create(okta("Acme"), Some("alice-secret-value"));
    alice.outbox.push().await.unwrap();
    let mut bob = second_admin(&backend, &alice, acme.id).await;

    for (edit, shown) in [
        (
            SecretChange::Replace(Secret::new("bob-secret-value")),
            "changed",
        ),
        (SecretChange::Clear, "removed"),
    ] {
        bob.update(acme.id, okta("Acme"), edit);
        assert_eq!(bob.outbox.push().await.unwrap().pushed, vec![acme.id]);
        let plan = alice.outbox.plan().await.unwrap();
        let item = plan.item(acme.id).unwrap();
        assert_eq!(item.status, SyncStatus::Drift, "{shown}: {item:#?}");
        let secret: Vec<Option<&str>> = item
            .remote_changes
            .iter()
            .filter(|c| c.field == Field::ClientSecret)
            .map(|c| c.after.as_deref())
            .collect();
        assert_eq!(secret, [Some(shown)], "{item:#?}");
        alice.outbox.take_theirs(acme.id).await.unwrap();
    }
}
