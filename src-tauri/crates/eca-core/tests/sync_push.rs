//! Pushing against the real reference backend (eca-backend), started in-process on an
//! ephemeral loopback port: the happy path, an unreachable backend, a refused API key,
//! rate limiting, and a connection lost after the backend committed.

#[path = "sync_common/mod.rs"]
mod sync_common;

use eca_backend::faults::FaultSettings;
use eca_core::catalog::SecretChange;
use eca_core::secrets::Secret;
use eca_core::store::sync_changes::ChangeState;
use eca_core::sync::plan::{PushRequest, SecretMode, SyncAction, SyncStatus};
use eca_core::sync::retry::RetryPolicy;
use eca_core::sync::settings::{SaveSettings, SyncSettings};
use eca_core::sync::SyncError;
use eca_model::clock::{rfc3339, Clock};
use eca_model::idp::{ClaimMapping, Field, IdpFields};
use eca_model::signing_alg::SigningAlg;
use std::sync::Arc;
use std::time::Duration;
use sync_common::{backend, okta, Admin, API_KEY, WORKSPACE};

const SECRET: &str = "hunter2-very-secret-value";

/// The plan is the program: what the backend ends up holding is exactly the planned requests.
#[tokio::test]
async fn the_plans_requests_are_what_the_backend_receives() {
    let backend = backend().await;
    let mut admin = Admin::new(&backend.url());
    let acme = admin.create(okta("Acme"), Some(SECRET));
    let beta = admin.create(okta("Beta"), None);
    for round in ["create", "edit and delete"] {
        if round == "edit and delete" {
            let edited = IdpFields {
                notes: "edited".into(),
                ..okta("Acme")
            };
            admin.update(acme.id, edited, SecretChange::Keep);
            admin.catalog.delete(beta.id).unwrap();
        }
        let plan = admin.outbox.local_plan().unwrap();
        assert_eq!(plan.outgoing().count(), 2, "{round}: {plan:#?}");
        admin.outbox.push().await.expect("the push succeeds");
        let remote = admin.outbox.remote().await.unwrap();
        for item in plan.outgoing() {
            let held = remote.iter().find(|r| r.id == item.idp_id);
            match (&item.request, held) {
                (Some(PushRequest::Put { body, secret, .. }), Some(held)) => {
                    assert_eq!(
                        held.fields, body.fields,
                        "{round}: the planned body was sent"
                    );
                    if *secret != SecretMode::Keep {
                        assert_eq!(held.secret_set, *secret == SecretMode::Set, "{round}");
                    }
                }
                (Some(PushRequest::Delete { .. }), None) => {}
                (planned, held) => panic!("{round}: planned {planned:?}, backend holds {held:?}"),
            }
        }
    }
}

#[tokio::test]
async fn local_edits_reach_the_backend_in_order() {
    let backend = backend().await;
    let mut admin = Admin::new(&backend.url());
    let acme = admin.create(okta("Acme"), Some(SECRET));
    let beta = admin.create(okta("Beta"), None);

    let report = admin.outbox.push().await.expect("the push succeeds");
    assert_eq!(report.pushed, vec![acme.id, beta.id], "oldest change first");
    assert!(
        admin.outbox.changes().unwrap().is_empty(),
        "acknowledged changes leave the outbox"
    );

    let remote = admin.outbox.remote().await.unwrap();
    assert_eq!(remote.len(), 2);
    let r_acme = remote.iter().find(|r| r.id == acme.id).unwrap();
    assert!(r_acme.secret_set, "the secret was sent from the keyring");
    let base = admin.outbox.base().unwrap();
    let b_acme = base.iter().find(|b| b.idp_id == acme.id).unwrap();
    assert_eq!(
        b_acme.version, r_acme.version,
        "the base is what the backend acknowledged"
    );
    assert_eq!(b_acme.secret_fingerprint, r_acme.secret_fingerprint);

    // Update, toggle, replace the secret, delete: each is conditional on the base version.
    admin.update(
        acme.id,
        IdpFields {
            notes: "edited".into(),
            ..okta("Acme")
        },
        SecretChange::Replace(Secret::new("another-secret-value")),
    );
    admin.catalog.set_enabled(beta.id, false).unwrap();
    let report = admin.outbox.push().await.unwrap();
    assert_eq!(report.pushed, vec![acme.id, beta.id]);
    let remote = admin.outbox.remote().await.unwrap();
    let r_acme = remote.iter().find(|r| r.id == acme.id).unwrap();
    assert_eq!(r_acme.fields.notes, "edited");
    assert_ne!(
        r_acme.secret_fingerprint, b_acme.secret_fingerprint,
        "the replaced secret was sent"
    );
    assert!(
        !remote
            .iter()
            .find(|r| r.id == beta.id)
            .unwrap()
            .fields
            .enabled
    );

    admin.catalog.delete(beta.id).unwrap();
    admin.outbox.push().await.unwrap();
    let remote = admin.outbox.remote().await.unwrap();
    assert_eq!(remote.len(), 1, "the delete reached the backend");

    let plan = admin.outbox.plan().await.unwrap();
    assert!(
        plan.items.iter().all(|i| i.status == SyncStatus::InSync),
        "after a push everything is in sync: {plan:#?}"
    );
}

/// The claim mapping, channel binding and ID token signing algorithms are part of what the
/// platform uses: an edit to them is planned field by field, pushed, and held by the backend.
#[tokio::test]
async fn a_claim_mapping_edit_is_planned_and_pushed() {
    let backend = backend().await;
    let mut admin = Admin::new(&backend.url());
    let acme = admin.create(okta("Acme"), None);
    admin.outbox.push().await.expect("the creation is pushed");

    let mapped = IdpFields {
        claim_mapping: vec![ClaimMapping {
            claim: "email".into(),
            variable: "customer_email".into(),
        }],
        channel_binding: true,
        id_token_signing_algs: vec![SigningAlg::ES256, SigningAlg::HS256],
        ..okta("Acme")
    };
    admin.update(acme.id, mapped.clone(), SecretChange::Keep);
    let plan = admin.outbox.plan().await.unwrap();
    let item = plan.item(acme.id).expect("the IdP is in the plan");
    assert_eq!(
        (item.status, item.action),
        (SyncStatus::Outgoing, SyncAction::Update),
        "{item:#?}"
    );
    let fields: Vec<Field> = item.local_changes.iter().map(|c| c.field).collect();
    assert_eq!(
        fields,
        [
            Field::ChannelBinding,
            Field::ClaimMapping,
            Field::IdTokenSigningAlgs
        ]
    );
    assert_eq!(item.local_changes[0].after.as_deref(), Some("true"));
    assert_eq!(
        item.local_changes[1].after.as_deref(),
        Some(r#"[{"claim":"email","variable":"customer_email"}]"#)
    );
    assert_eq!(
        item.local_changes[2].after.as_deref(),
        Some(r#"["ES256","HS256"]"#)
    );

    admin.outbox.push().await.expect("the edit is pushed");
    let remote = admin.outbox.remote().await.unwrap();
    let held = remote.iter().find(|r| r.id == acme.id).unwrap();
    assert_eq!(held.fields.claim_mapping, mapped.claim_mapping);
    assert!(
        held.fields.channel_binding,
        "the backend returns the binding"
    );
    assert_eq!(
        held.fields.id_token_signing_algs, mapped.id_token_signing_algs,
        "the backend returns the algorithms"
    );
    let base = admin.outbox.base().unwrap();
    assert_eq!(
        base.iter()
            .find(|b| b.idp_id == acme.id)
            .unwrap()
            .fields
            .claim_mapping,
        mapped.claim_mapping,
        "the base is what the backend acknowledged"
    );
    let plan = admin.outbox.plan().await.unwrap();
    assert_eq!(
        plan.item(acme.id).unwrap().status,
        SyncStatus::InSync,
        "{plan:#?}"
    );
}

/// What a push does with the secret is planned with the rest: an edit that leaves the secret
/// alone sends none (the backend keeps its own), and a secret removed here is removed there.
#[tokio::test]
async fn a_secret_is_sent_only_when_edited_and_a_removed_one_is_removed_remotely() {
    let backend = backend().await;
    let mut admin = Admin::new(&backend.url());
    let acme = admin.create(okta("Acme"), Some(SECRET));
    let beta = admin.create(okta("Beta"), None);
    let secret_changes = |plan: &eca_core::sync::plan::SyncPlan, id| -> Vec<Option<String>> {
        plan.item(id)
            .unwrap()
            .local_changes
            .iter()
            .filter(|c| c.field == Field::ClientSecret)
            .map(|c| c.after.clone())
            .collect()
    };
    let plan = admin.outbox.local_plan().unwrap();
    assert_eq!(
        secret_changes(&plan, acme.id),
        [Some("changed".to_string())],
        "a new IdP's secret is shown as a change, never as a value"
    );
    assert!(secret_changes(&plan, beta.id).is_empty());
    admin.outbox.push().await.expect("the creations are pushed");
    let notes = |name: &str| IdpFields {
        notes: "edited".into(),
        ..okta(name)
    };
    let planned_secret = |plan: &eca_core::sync::plan::SyncPlan, id| match plan
        .item(id)
        .and_then(|i| i.request.clone())
    {
        Some(PushRequest::Put { secret, .. }) => secret,
        other => panic!("a PUT is planned for {id}, not {other:?}"),
    };

    // Edits that leave the secret alone, with a secret and without one: it is kept.
    admin.update(acme.id, notes("Acme"), SecretChange::Keep);
    admin.update(beta.id, notes("Beta"), SecretChange::Keep);
    let plan = admin.outbox.local_plan().unwrap();
    assert_eq!(planned_secret(&plan, acme.id), SecretMode::Keep);
    assert_eq!(planned_secret(&plan, beta.id), SecretMode::Keep);
    assert!(secret_changes(&plan, acme.id).is_empty(), "{plan:#?}");
    admin.outbox.push().await.expect("the edits are pushed");

    // The secret removed here: planned and shown as removed, and the backend drops it.
    admin.update(acme.id, okta("Acme"), SecretChange::Clear);
    let plan = admin.outbox.local_plan().unwrap();
    assert_eq!(planned_secret(&plan, acme.id), SecretMode::Clear);
    assert_eq!(
        secret_changes(&plan, acme.id),
        [Some("removed".to_string())]
    );
    admin.outbox.push().await.expect("the removal is pushed");
    let remote = admin.outbox.remote().await.unwrap();
    let held = remote.iter().find(|r| r.id == acme.id).unwrap();
    assert!(!held.secret_set, "the backend removed the secret");
    assert_eq!(held.secret_fingerprint, None);
}

/// Each change dealt with moves the count: a push of three reports 0, 1, 2 and 3 of 3.
#[tokio::test]
async fn a_push_reports_its_progress_change_by_change() {
    let backend = backend().await;
    let mut admin = Admin::new(&backend.url());
    for name in ["Acme", "Beta", "Gamma"] {
        admin.create(okta(name), None);
    }
    let mut seen = Vec::new();
    let report = admin
        .outbox
        .push_observed(&mut |p| seen.push((p.done, p.total)))
        .await
        .unwrap();
    assert_eq!(report.pushed.len(), 3);
    assert_eq!(seen, vec![(0, 3), (1, 3), (2, 3), (3, 3)]);
}

/// Requests are frozen, and acknowledgements recorded, a batch at a time (one transaction and
/// one sync to disk each), not change by change: seen from another connection while the push
/// is under way.
#[tokio::test]
async fn a_push_freezes_and_records_its_changes_a_batch_at_a_time() {
    let backend = backend().await;
    let mut admin = Admin::new(&backend.url());
    for name in ["Acme", "Beta", "Gamma"] {
        admin.create(okta(name), None);
    }
    let db = rusqlite::Connection::open(admin.dir.path().join(eca_core::data_dir::DB_FILE))
        .expect("a second connection to the data folder");
    let mut seen = Vec::new();
    let rows = &mut seen;
    let report = admin
        .outbox
        .push_observed(&mut move |p| {
            let (left, frozen): (u32, u32) = db
                .query_row(
                    "SELECT count(*), count(request) FROM sync_change",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap();
            rows.push((p.done, left, frozen));
        })
        .await
        .unwrap();
    assert_eq!(report.pushed.len(), 3);
    assert_eq!(
        seen,
        [(0, 3, 0), (1, 3, 3), (2, 3, 3), (3, 3, 3)],
        "(done, rows left, rows frozen): all three frozen before the first is sent, and \
         removed together once the batch is acknowledged"
    );
    assert!(admin.outbox.changes().unwrap().is_empty());
}

/// A push stopped by an unreachable backend never claims to have finished.
#[tokio::test]
async fn a_push_stopped_early_ends_short_of_its_total() {
    let backend = backend().await;
    let url = backend.url();
    backend.running.stop().await;
    let mut admin = Admin::new(&url);
    admin.create(okta("Acme"), None);
    admin.create(okta("Beta"), None);
    let mut seen = Vec::new();
    let err = admin
        .outbox
        .push_observed(&mut |p| seen.push((p.done, p.total)))
        .await
        .expect_err("nobody listens");
    assert!(matches!(err, SyncError::Unreachable(_)), "{err:?}");
    assert_eq!(seen, vec![(0, 2)]);
}

/// The platform needs the credential's expiry date to refuse sign-ins after it: an edit of the
/// date is planned as its own field, pushed, and held by the backend.
#[tokio::test]
async fn a_credential_expiry_edit_is_planned_and_pushed() {
    let backend = backend().await;
    let mut admin = Admin::new(&backend.url());
    let acme = admin.create(okta("Acme"), None);
    admin.outbox.push().await.expect("the creation is pushed");

    let dated = IdpFields {
        credential_expires_on: Some("2027-03-31".into()),
        ..okta("Acme")
    };
    admin.update(acme.id, dated, SecretChange::Keep);
    let plan = admin.outbox.plan().await.unwrap();
    let item = plan.item(acme.id).expect("the IdP is in the plan");
    let changes: Vec<(Field, Option<&str>)> = item
        .local_changes
        .iter()
        .map(|c| (c.field, c.after.as_deref()))
        .collect();
    assert_eq!(changes, [(Field::CredentialExpiresOn, Some("2027-03-31"))]);

    admin.outbox.push().await.expect("the edit is pushed");
    let remote = admin.outbox.remote().await.unwrap();
    let held = remote.iter().find(|r| r.id == acme.id).unwrap();
    assert_eq!(
        held.fields.credential_expires_on.as_deref(),
        Some("2027-03-31"),
        "the backend holds the date"
    );
    let plan = admin.outbox.plan().await.unwrap();
    assert_eq!(
        plan.item(acme.id).unwrap().status,
        SyncStatus::InSync,
        "{plan:#?}"
    );
}

#[tokio::test]
async fn an_unreachable_backend_keeps_the_changes_for_later() {
    let backend = backend().await;
    let url = backend.url();
    let sync_common::Backend { running, dir } = backend;
    running.stop().await;

    let mut admin = Admin::new(&url);
    let acme = admin.create(okta("Acme"), Some(SECRET));
    let err = admin.outbox.push().await.expect_err("nobody listens");
    assert!(matches!(err, SyncError::Unreachable(_)), "{err:?}");
    assert!(
        err.to_string().contains("kept"),
        "the message reassures: {err}"
    );
    let kept = admin.outbox.changes().unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].attempts, 1);
    assert_eq!(kept[0].state, ChangeState::Pending);

    // Edits made while offline do not change what is sent under the first key.
    admin.catalog.set_enabled(acme.id, false).unwrap();
    let kept_now = admin.outbox.changes().unwrap();
    assert_eq!(kept_now.len(), 2, "the frozen change is not coalesced into");
    assert_eq!(kept_now[0].idempotency_key, kept[0].idempotency_key);

    // The backend comes back (on its port, as after a restart) and the same change goes out
    // under the same key.
    let addr = url
        .trim_start_matches("http://")
        .parse()
        .expect("a loopback address");
    let _running =
        eca_backend::harness::start_in(dir.path(), API_KEY, Default::default(), Some(addr))
            .await
            .expect("the backend starts again");
    let report = admin.outbox.push().await.expect("online again");
    assert_eq!(
        report.pushed,
        vec![acme.id, acme.id],
        "the create, then the toggle"
    );
    assert!(admin.outbox.changes().unwrap().is_empty());
    let remote = admin.outbox.remote().await.unwrap();
    assert!(!remote[0].fields.enabled);
}

#[tokio::test]
async fn a_refused_api_key_stops_the_push_and_keeps_everything() {
    let backend = backend().await;
    let mut admin = Admin::new(&backend.url());
    admin.create(okta("Acme"), None);
    admin
        .outbox
        .save_settings(SaveSettings {
            settings: SyncSettings {
                backend_url: backend.url(),
                workspace_id: WORKSPACE.into(),
            },
            api_key: Some(&Secret::new("not-the-right-key-000000")),
            start_afresh: false,
        })
        .unwrap();
    let err = admin.outbox.push().await.expect_err("the key is refused");
    assert!(matches!(err, SyncError::Unauthorized), "{err:?}");
    assert!(err.to_string().contains("new API key"), "{err}");
    let kept = admin.outbox.changes().unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        kept[0].state,
        ChangeState::Pending,
        "nothing is marked failed"
    );

    admin
        .outbox
        .save_settings(SaveSettings {
            settings: SyncSettings {
                backend_url: backend.url(),
                workspace_id: WORKSPACE.into(),
            },
            api_key: Some(&Secret::new(API_KEY)),
            start_afresh: false,
        })
        .unwrap();
    assert_eq!(admin.outbox.push().await.unwrap().pushed.len(), 1);
}

/// A key that opens another workspace than the configured one (HTTP 403) stops the push like a
/// refused key: the change is kept pending, not marked failed, and the error names the
/// workspace the admin set.
#[tokio::test]
async fn a_key_of_another_workspace_stops_the_push_and_keeps_everything() {
    let backend = backend().await;
    let mut admin = Admin::new(&backend.url());
    admin
        .outbox
        .save_settings(SaveSettings {
            settings: SyncSettings {
                backend_url: backend.url(),
                workspace_id: "another-workspace".into(),
            },
            api_key: Some(&Secret::new(API_KEY)),
            start_afresh: true,
        })
        .unwrap();
    admin.create(okta("Acme"), None);
    let err = admin
        .outbox
        .push()
        .await
        .expect_err("the workspace is refused");
    match &err {
        SyncError::Forbidden(workspace) => assert_eq!(workspace, "another-workspace"),
        other => panic!("stopped as forbidden: {other:?}"),
    }
    let kept = admin.outbox.changes().unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        kept[0].state,
        ChangeState::Pending,
        "nothing is marked failed"
    );
    assert_eq!(kept[0].last_error, None, "{:?}", kept[0]);
}

/// Every request is refused with `status` and `Retry-After: retry_after_secs` until the push's
/// `nth` wait, when the fault clears.
fn refused_until_wait(
    backend: &Arc<sync_common::Backend>,
    admin: &Admin,
    status: u16,
    retry_after_secs: u32,
    nth: usize,
) {
    let mut faults = FaultSettings {
        retry_after_secs,
        ..FaultSettings::default()
    };
    match status {
        429 => faults.error_429_rate = 1.0,
        503 => faults.error_503_rate = 1.0,
        other => panic!("no fault answers {other}"),
    }
    backend.set_faults(faults);
    let clear = backend.clone();
    admin.pause.on_pause(move |n| {
        if n == nth {
            clear.set_faults(FaultSettings::default());
        }
    });
}

async fn retried_until_the_fault_clears(status: u16) {
    let backend = Arc::new(backend().await);
    let mut admin = Admin::new(&backend.url());
    let acme = admin.create(okta("Acme"), None);
    refused_until_wait(&backend, &admin, status, 2, 2);

    let report = admin.outbox.push().await.expect("the push gets through");
    assert_eq!(report.pushed, vec![acme.id]);
    let waits = admin.pause.waits();
    assert_eq!(waits.len(), 2, "two refusals, two waits: {waits:?}");
    assert!(
        waits.iter().all(|w| *w >= Duration::from_secs(2)),
        "Retry-After is honoured: {waits:?}"
    );
    assert!(admin.outbox.changes().unwrap().is_empty());
}

#[tokio::test]
async fn rate_limiting_is_waited_out() {
    retried_until_the_fault_clears(429).await;
}

#[tokio::test]
async fn unavailability_is_waited_out() {
    retried_until_the_fault_clears(503).await;
}

/// The longest wait a push sits through is inclusive: a `Retry-After` of exactly `max_wait` is
/// waited out within the push, not deferred to the next one.
#[tokio::test]
async fn a_retry_after_of_exactly_the_longest_wait_is_waited_out() {
    let backend = Arc::new(backend().await);
    let mut admin = Admin::new(&backend.url());
    admin.set_policy(RetryPolicy {
        max_wait: Duration::from_secs(2),
        ..sync_common::policy()
    });
    let acme = admin.create(okta("Acme"), None);
    refused_until_wait(&backend, &admin, 503, 2, 1);
    let report = admin.outbox.push().await.expect("the wait is sat through");
    assert_eq!(report.pushed, vec![acme.id]);
    assert_eq!(admin.pause.waits(), [Duration::from_secs(2)]);
}

#[tokio::test]
async fn a_long_retry_after_defers_the_change_instead_of_sleeping() {
    let backend = backend().await;
    let mut admin = Admin::new(&backend.url());
    admin.create(okta("Acme"), None);
    backend.set_faults(FaultSettings {
        error_503_rate: 1.0,
        retry_after_secs: 600,
        ..FaultSettings::default()
    });
    let err = admin.outbox.push().await.expect_err("too long to wait");
    let retry_at = rfc3339(admin.clock.now() + Duration::from_secs(600));
    match &err {
        SyncError::Busy { retry_at: at, .. } => {
            assert_eq!(*at, retry_at, "the error says when to try again")
        }
        other => panic!("expected Busy, got {other:?}"),
    }
    assert!(
        admin.pause.waits().is_empty(),
        "a 10-minute wait is not slept through"
    );
    let kept = admin.outbox.changes().unwrap();
    assert_eq!(
        kept[0].next_attempt_at.as_deref(),
        Some(retry_at.as_str()),
        "the retry time is recorded"
    );

    backend.set_faults(FaultSettings::default());
    let report = admin.outbox.push().await.unwrap();
    assert!(
        report.pushed.is_empty(),
        "Retry-After is honoured across pushes"
    );
    assert_eq!(report.waiting.len(), 1);

    // At the recorded time itself, the change is sent.
    admin.clock.advance(time::Duration::seconds(600));
    let report = admin.outbox.push().await.unwrap();
    assert_eq!(report.pushed.len(), 1, "{report:?}");
    assert!(report.waiting.is_empty());
}

#[tokio::test]
async fn a_reply_lost_after_the_commit_is_replayed_not_applied_twice() {
    let backend = backend().await;
    let mut admin = Admin::new(&backend.url());
    let acme = admin.create(okta("Acme"), Some(SECRET));

    // The backend commits the create, then drops the connection; with a single try the push
    // gives up, like an app killed before the reply.
    backend.set_faults(FaultSettings {
        drop_after_commit_rate: 1.0,
        ..FaultSettings::default()
    });
    admin.set_policy(RetryPolicy {
        max_attempts: 1,
        ..sync_common::policy()
    });
    let err = admin.outbox.push().await.expect_err("the reply was lost");
    assert!(matches!(err, SyncError::Busy { .. }), "{err:?}");
    let lost = admin.outbox.changes().unwrap();
    assert_eq!(lost.len(), 1, "the change is kept");
    let remote = admin.outbox.remote().await.unwrap();
    assert_eq!(remote.len(), 1, "the backend did apply it");

    // Restart: the same change goes out with the same key. Sent afresh, a create of an
    // existing IdP would be a 412 conflict; replayed, it is the recorded 201.
    let url = backend.url();
    let mut admin = admin.restart(&url);
    // Past the short backoff the failed try recorded (a killed app records none).
    admin.clock.advance(time::Duration::seconds(1));
    backend.set_faults(FaultSettings::default());
    assert_eq!(
        admin.outbox.changes().unwrap()[0].idempotency_key,
        lost[0].idempotency_key,
        "the key survives the restart"
    );
    let report = admin.outbox.push().await.expect("the replay succeeds");
    assert_eq!(report.pushed, vec![acme.id], "{report:?}");
    assert!(report.conflicts.is_empty());
    let base = admin.outbox.base().unwrap();
    assert_eq!(base[0].version, remote[0].version, "one write, one version");

    // The same for an update, under drop-after-commit with retries inside one push.
    backend.set_faults(FaultSettings {
        drop_after_commit_rate: 1.0,
        ..FaultSettings::default()
    });
    admin.update(
        acme.id,
        IdpFields {
            notes: "once".into(),
            ..okta("Acme")
        },
        SecretChange::Keep,
    );
    let report = admin
        .outbox
        .push()
        .await
        .expect("retried with the same key");
    assert_eq!(report.pushed, vec![acme.id]);
    assert_eq!(admin.pause.waits().len(), 1, "one lost reply, one retry");
    let remote = admin.outbox.remote().await.unwrap();
    assert_eq!(remote[0].fields.notes, "once");
    assert_eq!(admin.outbox.base().unwrap()[0].version, remote[0].version);
}

#[tokio::test]
async fn secrets_never_reach_the_sync_tables_even_after_a_push() {
    let backend = backend().await;
    let mut admin = Admin::new(&backend.url());
    admin.create(okta("Acme"), Some(SECRET));
    admin.outbox.push().await.unwrap();
    let conn = admin.outbox.connection();
    let text = eca_testkit::leaks::text_cells(conn, eca_testkit::leaks::SYNC_TABLES);
    assert!(!text.is_empty());
    assert!(
        !text.contains(SECRET),
        "a sync table holds the client secret"
    );
    assert!(!text.contains(API_KEY), "a sync table holds the API key");
    let fingerprint: Option<String> = conn
        .query_row("SELECT secret_fingerprint FROM sync_base", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        fingerprint.map(|f| f.len()),
        Some(16),
        "only the fingerprint is kept"
    );
}

/// A panic while one change is being sent (here injected where the push waits before a retry)
/// fails that change with a message, and the push goes on with the other IdPs: no silent hang,
/// no crashed push.
#[tokio::test]
async fn a_panic_while_sending_fails_that_change_and_the_push_goes_on() {
    let backend = Arc::new(backend().await);
    let mut admin = Admin::new(&backend.url());
    let acme = admin.create(okta("Acme"), None);
    let beta = admin.create(okta("Beta"), None);
    backend.set_faults(FaultSettings {
        error_503_rate: 1.0,
        retry_after_secs: 1,
        ..FaultSettings::default()
    });
    let clear = backend.clone();
    admin.pause.on_pause(move |_| {
        clear.set_faults(FaultSettings::default());
        panic!("injected: a bug while sending Acme's change");
    });

    let report = admin.outbox.push().await.expect("the push reports");
    assert_eq!(report.failed, vec![acme.id], "{report:?}");
    assert_eq!(report.pushed, vec![beta.id], "the push went on: {report:?}");
    let kept = admin.outbox.changes().unwrap();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0].state, ChangeState::Failed);
    let message = kept[0].last_error.as_deref().unwrap_or_default();
    assert!(message.contains("internal error"), "{message}");
    assert!(
        !message.contains("injected"),
        "the panic's text stays in the log: {message}"
    );
}
