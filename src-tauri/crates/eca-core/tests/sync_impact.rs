//! The impact of disabling or deleting an IdP, asked of the reference backend with seeded
//! usages: what the app's dialogs, the plan and the CLI show.

mod sync_common;

use eca_core::sync::impact::UsageCheck;
use eca_model::problem::ProblemCode;
use eca_model::usage::{IdpUsage, UsageKind};
use sync_common::*;

fn usages() -> Vec<IdpUsage> {
    vec![
        IdpUsage {
            kind: UsageKind::ChatFlowNode,
            id: "node-1".into(),
            name: "Order status".into(),
            node: Some("OAuth Request".into()),
        },
        IdpUsage {
            kind: UsageKind::ChatDeskExtension,
            id: "ext-1".into(),
            name: "CRM".into(),
            node: None,
        },
    ]
}

#[tokio::test]
async fn the_plan_names_the_flows_a_pushed_delete_or_disable_would_break() {
    let backend = backend().await;
    let mut admin = Admin::new(&backend.url());
    let used = admin.create(okta("Okta"), Some("s3cret-value-for-test")).id;
    let unused = admin.create(okta("Beta"), Some("s3cret-value-for-test")).id;
    admin.outbox.push().await.expect("the creates are pushed");
    backend.seed_usages(used, &usages());

    let impact = admin.outbox.impact(&[used, unused]).await;
    assert_eq!(impact[0].check, UsageCheck::Checked { usages: usages() });
    assert_eq!(
        impact[0].summary,
        "Used by 1 flow and 1 Chat Desk extension: Order status › OAuth Request, \
         Chat Desk extension CRM."
    );
    assert!(impact[0].is_used() && !impact[1].is_used());
    assert_eq!(impact[1].check, UsageCheck::Checked { usages: vec![] });
    assert!(
        impact[0].disable_asks_first && !impact[1].disable_asks_first,
        "a disable asks first only when something uses the IdP: {impact:?}"
    );

    admin.catalog.set_enabled(used, false).unwrap();
    admin.catalog.delete(unused).unwrap();
    let plan = admin.outbox.plan().await.unwrap();
    let impact = admin.outbox.plan_impact(&plan).await;
    let ids: Vec<_> = impact.iter().map(|i| i.idp_id).collect();
    let mut expected = vec![used, unused];
    expected.sort();
    let mut got = ids.clone();
    got.sort();
    assert_eq!(got, expected, "the disable and the delete, nothing else");
    let of_used = impact.iter().find(|i| i.idp_id == used).unwrap();
    assert!(of_used.is_used(), "{of_used:?}");
}

#[tokio::test]
async fn an_unreachable_backend_or_no_sync_says_usage_was_not_checked_and_why() {
    let backend = backend().await;
    let mut admin = Admin::new(&backend.url());
    let id = admin.create(okta("Okta"), None).id;
    let other = admin.create(okta("Beta"), None).id;
    backend.running.stop().await;
    let impact = admin.outbox.impact(&[id, other]).await;
    for item in &impact {
        let UsageCheck::Unchecked { reason, code } = &item.check else {
            panic!("nothing answered, so nothing was checked: {item:?}");
        };
        assert!(reason.contains("cannot be reached"), "{reason}");
        assert_eq!(*code, ProblemCode::BackendUnreachable);
        assert!(
            item.summary
                .starts_with("Couldn't check which flows use it:"),
            "{}",
            item.summary
        );
        assert!(
            !item.is_used(),
            "an unchecked IdP is not claimed to be used"
        );
        assert!(
            item.disable_asks_first,
            "flows nobody could list may break: a disable asks first"
        );
    }
    assert!(
        admin.catalog.get(id).is_ok(),
        "checking wrote nothing and removed nothing"
    );

    let dir = tempfile::tempdir().unwrap();
    let secrets = std::sync::Arc::new(eca_core::secrets::MemorySecrets::new());
    let clock = std::sync::Arc::new(eca_testkit::clock::TestClock::now_utc());
    let mut unset = eca_core::sync::Outbox::open(dir.path(), secrets, clock).unwrap();
    let impact = unset.impact(&[id]).await;
    assert!(
        matches!(
            impact[0].check,
            UsageCheck::Unchecked {
                code: ProblemCode::SyncNotConfigured,
                ..
            }
        ),
        "{impact:?}"
    );
    assert!(
        impact[0].summary.contains("sync is not set up"),
        "{}",
        impact[0].summary
    );
    assert!(
        !impact[0].disable_asks_first,
        "without sync there is no platform to break: no question"
    );
}

#[tokio::test]
async fn a_usage_outside_the_contract_is_not_shown_but_said_to_be_unreadable() {
    let backend = backend().await;
    let mut admin = Admin::new(&backend.url());
    let id = admin.create(okta("Okta"), Some("s3cret-value-for-test")).id;
    admin.outbox.push().await.expect("the create is pushed");
    // The database allows it, the contract does not: an extension has no node.
    let off_contract = IdpUsage {
        kind: UsageKind::ChatDeskExtension,
        id: "ext-9".into(),
        name: "CRM".into(),
        node: Some("<script>".into()),
    };
    backend.seed_usages(id, &[off_contract]);

    let impact = admin.outbox.impact(&[id]).await;
    let UsageCheck::Unchecked { code, reason } = &impact[0].check else {
        panic!("an off-contract usage must not reach a dialog: {impact:?}");
    };
    assert_eq!(*code, ProblemCode::Internal);
    assert!(
        reason.contains("\"ext-9\" is a Chat Desk extension"),
        "{reason}"
    );
    assert!(impact[0].disable_asks_first, "unknown usage: asks first");
}

/// An API key that does not open the configured workspace (HTTP 403): the usage is not
/// checked, and the reason names the workspace the admin set, so they can see which is wrong.
#[tokio::test]
async fn a_key_of_another_workspace_says_which_workspace_it_does_not_open() {
    let backend = backend().await;
    let mut admin = Admin::new(&backend.url());
    let id = admin.create(okta("Okta"), None).id;
    admin
        .outbox
        .save_settings(eca_core::sync::settings::SaveSettings {
            settings: eca_core::sync::settings::SyncSettings {
                backend_url: backend.url(),
                workspace_id: "another-workspace".into(),
            },
            api_key: Some(&eca_core::secrets::Secret::new(API_KEY)),
            start_afresh: true,
        })
        .expect("valid sync settings");
    let impact = admin.outbox.impact(&[id]).await;
    let UsageCheck::Unchecked { reason, code } = &impact[0].check else {
        panic!("the backend refused, so nothing was checked: {impact:?}");
    };
    assert_eq!(*code, ProblemCode::Unauthorized);
    assert!(
        reason.contains("the workspace \"another-workspace\" (HTTP 403)"),
        "{reason}"
    );
}
