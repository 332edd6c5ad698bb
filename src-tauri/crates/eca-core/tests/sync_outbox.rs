//! The outbox as catalog edits fill it: one pending change per edit, in the edit's own
//! transaction, coalesced while unsent, never holding a secret. No backend needed.

use eca_core::catalog::{Catalog, CatalogError, SaveIdpRequest, SecretChange};
use eca_core::secrets::{MemorySecrets, Secret};
use eca_core::store::sync_changes::{self, ChangeKind, ChangeState, SyncChange};
use eca_core::store::sync_envs;
use eca_core::transfer;
use eca_model::clock::FixedClock;
use eca_model::idp::{Field, IdpFields, IdpId};
use eca_testkit::fixtures::okta;
use eca_testkit::leaks::SYNC_TABLES;
use rusqlite::Connection;
use std::sync::Arc;
use time::macros::datetime;

const SECRET: &str = "hunter2-very-secret-value";

fn catalog() -> (tempfile::TempDir, Arc<MemorySecrets>, Catalog) {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemorySecrets::new());
    let clock = Arc::new(FixedClock(datetime!(2026-11-24 12:00 UTC)));
    let catalog = Catalog::open(dir.path(), secrets.clone(), clock).unwrap();
    (dir, secrets, catalog)
}

fn save(c: &mut Catalog, id: Option<IdpId>, fields: IdpFields, secret: SecretChange) -> IdpId {
    c.save(SaveIdpRequest { id, fields, secret })
        .expect("save should succeed")
        .idp
        .id
}

fn changes(c: &Catalog) -> Vec<SyncChange> {
    sync_changes::list(
        c.connection(),
        sync_envs::current_id(c.connection()).unwrap(),
    )
    .unwrap()
}

/// Marks every change as sent (its request frozen), as a push does before sending.
fn freeze_all(conn: &Connection) {
    for c in sync_changes::list(conn, sync_envs::current_id(conn).unwrap()).unwrap() {
        sync_changes::freeze(conn, c.seq, "{}").unwrap();
    }
}

/// One catalog edit, applied to a catalog.
type Edit = Box<dyn Fn(&mut Catalog)>;

#[test]
fn every_kind_of_edit_records_a_pending_change() {
    let (_dir, _secrets, mut c) = catalog();
    let id = save(
        &mut c,
        None,
        okta("Acme"),
        SecretChange::Replace(Secret::new(SECRET)),
    );
    let rows = changes(&c);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].kind, ChangeKind::Create);
    assert_eq!(rows[0].state, ChangeState::Pending);
    assert!(
        rows[0].secret_changed,
        "a new secret is recorded as changed"
    );
    assert_eq!(rows[0].idempotency_key.len(), 36, "a UUID");

    // Each following edit is recorded after a (simulated) send, so none coalesces.
    let cases: Vec<(ChangeKind, Edit)> = vec![
        (
            ChangeKind::Update,
            Box::new(move |c| {
                let f = IdpFields {
                    notes: "edited".into(),
                    ..okta("Acme")
                };
                save(c, Some(id), f, SecretChange::Keep);
            }),
        ),
        (
            ChangeKind::Disable,
            Box::new(move |c| drop(c.set_enabled(id, false).unwrap())),
        ),
        (
            ChangeKind::Enable,
            Box::new(move |c| drop(c.set_enabled(id, true).unwrap())),
        ),
        (ChangeKind::Delete, Box::new(move |c| c.delete(id).unwrap())),
    ];
    for (kind, edit) in cases {
        freeze_all(c.connection());
        let before = changes(&c).len();
        edit(&mut c);
        let rows = changes(&c);
        assert_eq!(rows.len(), before + 1, "{kind:?} must record one change");
        assert_eq!(rows.last().unwrap().kind, kind);
        assert_eq!(rows.last().unwrap().idp_id, id);
    }
    let keys: std::collections::HashSet<String> =
        changes(&c).into_iter().map(|c| c.idempotency_key).collect();
    assert_eq!(keys.len(), 5, "every change has its own key");
}

#[test]
fn unsent_edits_of_one_idp_coalesce_under_the_oldest_key() {
    let (_dir, _secrets, mut c) = catalog();
    let id = save(&mut c, None, okta("Acme"), SecretChange::Keep);
    let key = changes(&c)[0].idempotency_key.clone();
    c.set_enabled(id, false).unwrap();
    let f = IdpFields {
        notes: "x".into(),
        enabled: false,
        ..okta("Acme")
    };
    save(
        &mut c,
        Some(id),
        f,
        SecretChange::Replace(Secret::new(SECRET)),
    );
    let rows = changes(&c);
    assert_eq!(
        rows.len(),
        1,
        "nothing was sent, so one change is enough: {rows:#?}"
    );
    assert_eq!(
        rows[0].kind,
        ChangeKind::Create,
        "still a creation for the backend"
    );
    assert_eq!(rows[0].idempotency_key, key);
    assert!(rows[0].secret_changed);

    c.delete(id).unwrap();
    assert!(
        changes(&c).is_empty(),
        "created and deleted before any push: nothing to send"
    );
}

#[test]
fn an_unchanged_save_and_a_no_op_toggle_record_nothing() {
    let (_dir, _secrets, mut c) = catalog();
    let id = save(&mut c, None, okta("Acme"), SecretChange::Keep);
    freeze_all(c.connection());
    save(&mut c, Some(id), okta("Acme"), SecretChange::Keep);
    c.set_enabled(id, true).unwrap();
    assert_eq!(changes(&c).len(), 1);
}

#[test]
fn a_refused_edit_leaves_no_change_behind() {
    let (_dir, secrets, mut c) = catalog();
    let id = save(
        &mut c,
        None,
        okta("Acme"),
        SecretChange::Replace(Secret::new(SECRET)),
    );
    freeze_all(c.connection());
    // Invalid fields: nothing written, nothing recorded.
    let bad = IdpFields {
        name: String::new(),
        ..okta("Acme")
    };
    let refused = c.save(SaveIdpRequest {
        id: Some(id),
        fields: bad,
        secret: SecretChange::Keep,
    });
    assert!(
        matches!(&refused, Err(CatalogError::Invalid(errors)) if errors.iter().any(|e| e.field == Field::Name)),
        "{refused:?}"
    );
    // The keyring refuses to delete the secret: the delete is rolled back, with its change.
    secrets.fail_from_now();
    let refused = c.delete(id);
    assert!(
        matches!(refused, Err(CatalogError::Secret(_))),
        "{refused:?}"
    );
    assert!(c.get(id).is_ok(), "the IdP is kept");
    assert_eq!(changes(&c).len(), 1, "only the creation is recorded");
}

#[test]
fn an_import_records_a_change_per_idp() {
    let (_dir, _secrets, mut source) = catalog();
    save(&mut source, None, okta("Acme"), SecretChange::Keep);
    save(&mut source, None, okta("Beta"), SecretChange::Keep);
    let clock = FixedClock(datetime!(2026-11-24 12:00 UTC));
    let json = serde_json::to_string(&transfer::export(&source, &clock).unwrap()).unwrap();

    let (_dir2, _secrets2, mut target) = catalog();
    transfer::import(&mut target, &json).unwrap();
    let rows = changes(&target);
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.kind == ChangeKind::Create));
}

#[test]
fn secrets_never_reach_the_sync_tables() {
    let (_dir, _secrets, mut c) = catalog();
    let id = save(
        &mut c,
        None,
        okta("Acme"),
        SecretChange::Replace(Secret::new(SECRET)),
    );
    freeze_all(c.connection());
    let replaced = format!("{SECRET}-2");
    save(
        &mut c,
        Some(id),
        okta("Acme"),
        SecretChange::Replace(Secret::new(&replaced)),
    );
    let text = eca_testkit::leaks::text_cells(c.connection(), SYNC_TABLES);
    assert!(
        !text.contains(SECRET),
        "a secret leaked into the sync tables"
    );
    assert!(changes(&c).iter().all(|c| c.secret_changed));
}

/// What the "Retry" button of Pending changes relies on: `retry_failed` makes exactly the
/// given IdP's failed changes sendable again, unfrozen and under new keys, and leaves every
/// other change (another IdP's failure, a later pending edit) as it was.
#[test]
fn retry_failed_resets_only_that_idps_failed_changes() {
    let (dir, secrets, mut c) = catalog();
    let acme = save(&mut c, None, okta("Acme"), SecretChange::Keep);
    let beta = save(&mut c, None, okta("Beta"), SecretChange::Keep);
    freeze_all(c.connection());
    for change in changes(&c) {
        sync_changes::set_state(
            c.connection(),
            change.seq,
            ChangeState::Failed,
            Some("issuer: is not allowed in this workspace"),
        )
        .unwrap();
    }
    // A later edit of Acme waits behind its failed change.
    c.set_enabled(acme, false).unwrap();
    let before = changes(&c);
    assert_eq!(before.len(), 3, "{before:#?}");

    let clock = Arc::new(FixedClock(datetime!(2026-11-24 12:00 UTC)));
    let mut outbox = eca_core::sync::Outbox::open(dir.path(), secrets, clock).unwrap();
    assert_eq!(outbox.retry_failed(acme).unwrap(), 1, "Acme's one failure");

    let after = changes(&c);
    let (acme_created, beta_created, acme_disabled) = (&after[0], &after[1], &after[2]);
    assert_eq!(acme_created.idp_id, acme);
    assert_eq!(
        acme_created.state,
        ChangeState::Pending,
        "Acme's failure is retried"
    );
    assert_eq!(acme_created.last_error, None, "its old error is cleared");
    assert_eq!(
        acme_created.request, None,
        "unfrozen: the request is built again"
    );
    assert_ne!(
        acme_created.idempotency_key, before[0].idempotency_key,
        "a retried change gets a new key"
    );
    assert_eq!(beta_created.idp_id, beta);
    assert_eq!(beta_created, &before[1], "Beta waits for its own retry");
    assert_eq!(
        acme_disabled, &before[2],
        "a pending change is left as it is"
    );

    // A second click (or a stale screen) finds nothing failed and changes nothing.
    assert_eq!(outbox.retry_failed(acme).unwrap(), 0);
    assert_eq!(changes(&c), after);
}
