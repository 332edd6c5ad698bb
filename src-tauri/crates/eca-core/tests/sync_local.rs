//! Sync without the backend: the plan against the base and each IdP's list badge.

use eca_core::catalog::{Catalog, SaveIdpRequest, SecretChange};
use eca_core::secrets::{MemorySecrets, Secret};
use eca_core::sync::local::SyncBadge;
use eca_core::sync::plan::{SyncAction, SyncStatus};
use eca_core::sync::settings::{SaveSettings, SyncSettings};
use eca_core::sync::Outbox;
use eca_model::clock::FixedClock;
use eca_model::idp::{Field, FieldError, IdpFields};
use std::sync::Arc;
use time::macros::datetime;

fn okta() -> IdpFields {
    eca_testkit::fixtures::okta("Okta")
}

#[test]
fn a_new_idp_is_a_draft_then_pending_and_planned_as_a_create_offline() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemorySecrets::new());
    let clock = Arc::new(FixedClock(datetime!(2026-11-24 12:00 UTC)));
    let mut catalog = Catalog::open(dir.path(), secrets.clone(), clock.clone()).unwrap();
    let id = catalog
        .save(SaveIdpRequest {
            id: None,
            fields: okta(),
            secret: SecretChange::Replace(Secret::new("s3cret-value-for-test")),
        })
        .unwrap()
        .idp
        .id;
    let mut outbox = Outbox::open(dir.path(), secrets, clock).unwrap();

    let states = outbox.sync_states().unwrap();
    assert_eq!(states.len(), 1);
    assert_eq!(
        states[0].state,
        SyncBadge::Draft,
        "without sync settings, an IdP never sent exists only here"
    );

    let plan = outbox.local_plan().unwrap();
    let item = plan.item(id).expect("the new IdP is in the plan");
    assert_eq!(
        (item.status, item.action),
        (SyncStatus::Outgoing, SyncAction::Create)
    );
    assert!(
        item.local_changes
            .iter()
            .any(|c| c.field == Field::ClientSecret
                && c.before.is_none()
                && !c.after.as_deref().unwrap_or("").contains("s3cret")),
        "the secret shows only as changed: {:?}",
        item.local_changes
    );

    outbox
        .save_settings(SaveSettings {
            settings: SyncSettings {
                backend_url: "http://127.0.0.1:9".into(),
                workspace_id: "dev".into(),
            },
            api_key: None,
            start_afresh: false,
        })
        .unwrap();
    assert_eq!(
        outbox.sync_states().unwrap()[0].state,
        SyncBadge::Pending,
        "once sync is set up, the queued create is pending"
    );
}

#[test]
fn sync_errors_reach_the_ui_with_the_codes_it_branches_on() {
    use eca_core::sync::SyncError;
    use eca_model::problem::{Problem, ProblemCode};
    let code = |e: SyncError| Problem::from(e).code;
    let place = || eca_core::sync::key_place::KeyPlace {
        origin: "https://msg.example".into(),
        workspace: "acme".into(),
    };
    assert_eq!(
        code(SyncError::NotConfigured),
        ProblemCode::SyncNotConfigured
    );
    assert_eq!(
        code(SyncError::NoApiKey(place())),
        ProblemCode::SyncNotConfigured
    );
    assert_eq!(code(SyncError::Unauthorized), ProblemCode::Unauthorized);
    assert_eq!(
        code(SyncError::Forbidden("dev".into())),
        ProblemCode::Unauthorized
    );
    assert_eq!(
        code(SyncError::Busy {
            detail: "503".into(),
            retry_at: "later".into()
        }),
        ProblemCode::BackendUnreachable
    );
    assert_eq!(
        code(SyncError::InvalidSettings(vec![FieldError::new(
            Field::WorkspaceId,
            "x"
        )])),
        ProblemCode::Validation
    );
    let problem = Problem::from(SyncError::Unauthorized);
    assert!(
        problem.message.contains("API key"),
        "the message says what to fix: {}",
        problem.message
    );
    let fields =
        |e: SyncError| -> Vec<Field> { Problem::from(e).fields.iter().map(|f| f.field).collect() };
    assert_eq!(
        fields(SyncError::Unauthorized),
        vec![Field::ApiKey],
        "a refused key"
    );
    assert_eq!(fields(SyncError::NoApiKey(place())), vec![Field::ApiKey]);
    assert_eq!(fields(SyncError::NotConfigured), vec![Field::BackendUrl]);
    assert_eq!(
        fields(SyncError::InvalidSettings(vec![FieldError::new(
            Field::WorkspaceId,
            "x"
        )])),
        vec![Field::WorkspaceId],
        "a settings refusal names its field"
    );
    assert!(fields(SyncError::Protocol("?".into())).is_empty());
}
