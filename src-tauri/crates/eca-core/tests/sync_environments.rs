//! Sync environments: the single settings row of an older database becomes one environment that
//! keeps its outbox and base; each environment has its own outbox, base and API key; names and
//! places are checked in one place; switching keeps every environment's state, and moving one
//! environment starts only that one afresh.

#[path = "sync_common/mod.rs"]
mod sync_common;

use eca_core::secrets::{MemorySecrets, Secret};
use eca_core::store::{self, sync_changes, sync_envs, sync_secret_discard};
use eca_core::sync::environments::EnvironmentInput;
use eca_core::sync::key_place::KeyPlace;
use eca_core::sync::settings::{self, SyncSettings};
use eca_core::sync::{Outbox, SyncError};
use eca_model::idp::Field;
use eca_testkit::clock::TestClock;
use rusqlite::Connection;
use std::sync::Arc;
use sync_common::{backend, okta, Admin, API_KEY, WORKSPACE};

const SANDBOX: &str = "http://127.0.0.1:9001";
const PRODUCTION: &str = "http://127.0.0.1:9002";

fn input<'a>(name: &str, url: &str, key: Option<&'a Secret>) -> EnvironmentInput<'a> {
    EnvironmentInput {
        name: name.into(),
        settings: SyncSettings {
            backend_url: url.into(),
            workspace_id: "acme".into(),
        },
        api_key: key,
        start_afresh: false,
    }
}

fn outbox() -> (tempfile::TempDir, Arc<MemorySecrets>, Outbox) {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemorySecrets::new());
    let clock = Arc::new(TestClock::now_utc());
    let outbox = Outbox::open(dir.path(), secrets.clone(), clock).unwrap();
    (dir, secrets, outbox)
}

fn refused_fields(result: Result<impl std::fmt::Debug, SyncError>) -> Vec<Field> {
    match result {
        Err(SyncError::InvalidSettings(errors)) => errors.iter().map(|e| e.field).collect(),
        other => panic!("refused as invalid settings: {other:?}"),
    }
}

#[test]
fn an_older_database_keeps_its_outbox_and_base_in_one_environment() {
    let mut conn = Connection::open_in_memory().unwrap();
    store::migrations().to_version(&mut conn, 11).unwrap();
    let id = "0b6a1f8e-2f7c-4d3e-9a51-6c1d2e3f4a5b";
    let key = "7e57a8c2-1b3d-4e5f-8a9b-0c1d2e3f4a5b";
    conn.execute_batch(&format!(
        "INSERT INTO sync_settings (id, backend_url, workspace_id) VALUES (1, '{SANDBOX}', 'acme');
         INSERT INTO sync_change (idp_id, kind, created_at, idempotency_key, request)
             VALUES ('{id}', 'update', 't', '{key}', '{{\"secret\":\"set\"}}');
         INSERT INTO sync_base (idp_id, fields, version, secret_set, synced_at)
             VALUES ('{id}', '{{}}', 'r1', 1, 't');"
    ))
    .unwrap();
    store::migrations().to_latest(&mut conn).unwrap();

    let envs = sync_envs::list(&conn).unwrap();
    assert_eq!(envs.len(), 1, "the settings row became one environment");
    let env = &envs[0];
    assert_eq!(
        (
            env.name.as_str(),
            env.backend_url.as_str(),
            env.workspace_id.as_str()
        ),
        ("default", SANDBOX, "acme")
    );
    assert!(env.current, "and it is the current one");
    let changes = sync_changes::list(&conn, Some(env.id)).unwrap();
    assert_eq!(changes.len(), 1, "the queued change belongs to it");
    assert_eq!(changes[0].idempotency_key, key, "under the same key");
    let base: (String, i64) = conn
        .query_row("SELECT idp_id, env FROM sync_base", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(base, (id.to_string(), env.id.0), "the base belongs to it");

    // 0008's trigger still queues the secret copy of a settled change for deletion.
    sync_changes::delete(&conn, changes[0].seq).unwrap();
    assert_eq!(
        sync_secret_discard::list(&conn).unwrap(),
        vec![key.to_string()]
    );
}

#[test]
fn names_and_places_are_checked_and_unique() {
    let (_dir, _secrets, mut outbox) = outbox();
    outbox
        .add_environment(input("sandbox", SANDBOX, None))
        .unwrap();
    assert_eq!(
        refused_fields(outbox.add_environment(input("Prod", PRODUCTION, None))),
        [Field::EnvironmentName]
    );
    assert_eq!(
        refused_fields(outbox.add_environment(input("sandbox", PRODUCTION, None))),
        [Field::EnvironmentName],
        "a name is used once"
    );
    assert_eq!(
        refused_fields(outbox.add_environment(input("production", SANDBOX, None))),
        [Field::WorkspaceId],
        "a place belongs to one environment, so its key does too"
    );
    assert_eq!(
        refused_fields(outbox.add_environment(input("2nd", "http://x.example", None))),
        [Field::EnvironmentName, Field::BackendUrl],
        "every bad field is named"
    );
    // The sync settings form edits the current environment through the same rule.
    outbox
        .add_environment(input("production", PRODUCTION, None))
        .unwrap();
    outbox.use_environment("production").unwrap();
    let onto_sandbox = outbox.save_settings(settings::SaveSettings {
        settings: SyncSettings {
            backend_url: SANDBOX.into(),
            workspace_id: "acme".into(),
        },
        api_key: Some(&Secret::new("a-key-for-sandbox-0123456789")),
        start_afresh: true,
    });
    assert_eq!(
        refused_fields(onto_sandbox),
        [Field::WorkspaceId],
        "the settings form cannot move production onto sandbox's place either"
    );
    match outbox.use_environment("staging") {
        Err(SyncError::UnknownEnvironment(name)) => assert_eq!(name, "staging"),
        other => panic!("an unknown name is refused: {other:?}"),
    }
}

#[test]
fn each_environment_has_its_own_outbox_base_and_key() {
    let (dir, secrets, mut outbox) = outbox();
    let mut catalog = eca_core::catalog::Catalog::open(
        dir.path(),
        secrets.clone(),
        Arc::new(TestClock::now_utc()),
    )
    .unwrap();
    let (sandbox_key, production_key) = (
        Secret::new(API_KEY),
        Secret::new("production-key-0123456789"),
    );
    let first = outbox
        .add_environment(input("sandbox", SANDBOX, Some(&sandbox_key)))
        .unwrap();
    assert!(first.current && first.has_api_key, "{first:?}");
    let second = outbox
        .add_environment(input("production", PRODUCTION, Some(&production_key)))
        .unwrap();
    assert!(!second.current, "adding does not switch");

    catalog
        .save(eca_core::catalog::SaveIdpRequest {
            id: None,
            fields: okta("Acme"),
            secret: eca_core::catalog::SecretChange::Keep,
        })
        .unwrap();
    assert_eq!(
        outbox.changes().unwrap().len(),
        1,
        "the edit is queued for sandbox"
    );
    outbox.use_environment("production").unwrap();
    assert!(
        outbox.changes().unwrap().is_empty(),
        "production has its own outbox"
    );
    outbox.use_environment("sandbox").unwrap();
    assert_eq!(
        outbox.changes().unwrap().len(),
        1,
        "switching back keeps sandbox's"
    );

    let key_of = |url: &str| {
        let settings = SyncSettings {
            backend_url: url.into(),
            workspace_id: "acme".into(),
        };
        settings::api_key(secrets.as_ref(), &settings).unwrap()
    };
    assert_eq!(key_of(SANDBOX).expose(), API_KEY);
    assert_eq!(key_of(PRODUCTION).expose(), "production-key-0123456789");

    outbox.remove_environment("production").unwrap();
    let place = KeyPlace::of(&SyncSettings {
        backend_url: PRODUCTION.into(),
        workspace_id: "acme".into(),
    })
    .unwrap();
    assert_eq!(
        eca_core::secrets::SecretStore::get(secrets.as_ref(), place.secret_key()).unwrap(),
        None,
        "a removed environment's key is deleted"
    );
    match outbox.remove_environment("sandbox") {
        Ok(()) => {}
        other => panic!("the last environment can be removed: {other:?}"),
    }
}

#[test]
fn the_current_environment_is_not_removed_while_others_exist() {
    let (_dir, _secrets, mut outbox) = outbox();
    outbox
        .add_environment(input("sandbox", SANDBOX, None))
        .unwrap();
    outbox
        .add_environment(input("production", PRODUCTION, None))
        .unwrap();
    match outbox.remove_environment("sandbox") {
        Err(SyncError::RemoveCurrent(name)) => assert_eq!(name, "sandbox"),
        other => panic!("refused: {other:?}"),
    }
    assert_eq!(outbox.environments().unwrap().len(), 2, "nothing removed");
}

/// An environment without its own key never borrows another's: pushing to it stops before
/// anything is sent, naming its place.
#[tokio::test]
async fn an_environment_without_its_key_never_uses_anothers() {
    let sandbox = backend().await;
    let production = backend().await;
    let mut admin = Admin::new(&sandbox.url());
    admin.create(okta("Acme"), Some("a-long-enough-secret"));
    let mut production_input = input("production", &production.url(), None);
    production_input.settings.workspace_id = WORKSPACE.into();
    admin.outbox.add_environment(production_input).unwrap();
    admin.outbox.use_environment("production").unwrap();
    match admin.outbox.push().await {
        Err(SyncError::NoApiKey(place)) => {
            assert_eq!(place.origin, production.url().trim_end_matches('/'))
        }
        other => panic!("no key for production: {other:?}"),
    }
    assert!(admin.outbox.remote().await.is_err(), "nor for a read");
    admin.outbox.use_environment("default").unwrap();
    let report = admin.outbox.push().await.unwrap();
    assert_eq!(
        report.pushed.len(),
        1,
        "sandbox still pushes with its own key"
    );
}

#[tokio::test]
async fn moving_one_environment_starts_only_that_one_afresh() {
    let sandbox = backend().await;
    let mut admin = Admin::new(&sandbox.url());
    admin.create(okta("Acme"), None);
    admin.outbox.push().await.unwrap();
    admin
        .outbox
        .add_environment(input("production", PRODUCTION, None))
        .unwrap();
    let key = Secret::new("moved-key-0123456789abcdef");
    let mut moved = input("production", "http://127.0.0.1:9003", Some(&key));
    match admin.outbox.edit_environment("production", moved) {
        Err(SyncError::MoveNotConfirmed { .. }) => {}
        other => panic!("a move needs the confirmation: {other:?}"),
    }
    moved = input("production", "http://127.0.0.1:9003", Some(&key));
    moved.start_afresh = true;
    admin.outbox.edit_environment("production", moved).unwrap();
    assert_eq!(
        admin.outbox.base().unwrap().len(),
        1,
        "sandbox keeps its base"
    );
    assert!(
        admin.outbox.changes().unwrap().is_empty(),
        "and its empty outbox"
    );
    admin.outbox.use_environment("production").unwrap();
    assert_eq!(
        admin.outbox.changes().unwrap().len(),
        1,
        "production queues every IdP as new"
    );
}
