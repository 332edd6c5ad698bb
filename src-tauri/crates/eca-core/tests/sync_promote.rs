//! Promotion from one sync environment to the next, against two real reference backends: only
//! an IdP whose latest test on the platform of the source passed with its current fields goes,
//! through the push machinery (the target's base records it, the secret goes once); every other
//! IdP is refused with its reason.

#[path = "sync_common/mod.rs"]
mod sync_common;

use eca_core::catalog::SecretChange;
use eca_core::platform_test::PlatformTestReport;
use eca_core::secrets::Secret;
use eca_core::store::sync_envs;
use eca_core::sync::environments::EnvironmentInput;
use eca_core::sync::promote::{fields_digest, Refusal, TestedOn};
use eca_core::sync::settings::SyncSettings;
use eca_core::sync::SyncError;
use eca_model::idp::{IdpConfig, IdpFields};
use eca_oidc::login::report::TestOutcome;
use std::collections::BTreeMap;
use sync_common::{backend, okta, Admin, API_KEY, WORKSPACE};

/// Records a test on the platform of the current environment that ended with `outcome`, as the
/// app and the CLI record one when it ends (the login itself is `platform_test`'s to test).
fn tested(admin: &mut Admin, idp: &IdpConfig, outcome: TestOutcome, at: &str) {
    let env = sync_envs::current_id(admin.outbox.connection())
        .unwrap()
        .expect("an environment");
    let tested = TestedOn {
        env,
        idp_id: idp.id,
        fields_digest: fields_digest(&idp.fields),
    };
    let report = PlatformTestReport {
        test_id: uuid::Uuid::new_v4().hyphenated().to_string(),
        request_id: uuid::Uuid::new_v4().hyphenated().to_string(),
        idp_id: idp.id,
        idp_name: idp.fields.name.clone(),
        started_at: at.into(),
        finished_at: at.into(),
        outcome,
        redirect_uri: "http://127.0.0.1/callback".into(),
        steps: Vec::new(),
        failed_step: None,
        error: None,
        customer_id: None,
        claims: BTreeMap::new(),
        explanation: None,
    };
    admin.outbox.record_platform_test(&tested, &report).unwrap();
}

/// An IdP created, pushed to the current environment and tested there with a pass: eligible
/// for promotion.
async fn pushed_and_passed(admin: &mut Admin, name: &str) -> IdpConfig {
    let idp = admin.create(okta(name), None);
    admin.outbox.push().await.unwrap();
    tested(admin, &idp, TestOutcome::Passed, "2026-01-01T00:00:00Z");
    idp
}

fn production(url: &str) -> EnvironmentInput<'static> {
    static KEY: std::sync::OnceLock<Secret> = std::sync::OnceLock::new();
    EnvironmentInput {
        name: "production".into(),
        settings: SyncSettings {
            backend_url: url.into(),
            workspace_id: WORKSPACE.into(),
        },
        api_key: Some(KEY.get_or_init(|| Secret::new(API_KEY))),
        start_afresh: false,
    }
}

fn refusal(admin: &Admin, idp: &IdpConfig) -> Option<Refusal> {
    let promotion = admin.outbox.promotion(None, &[idp.id]).unwrap();
    assert_eq!(
        (promotion.from.as_str(), promotion.to.as_str()),
        ("default", "production")
    );
    promotion.items[0].refusal
}

#[tokio::test]
async fn only_an_idp_tested_with_its_current_fields_is_promoted() {
    let (sandbox, prod) = (backend().await, backend().await);
    let mut admin = Admin::new(&sandbox.url());
    admin
        .outbox
        .add_environment(production(&prod.url()))
        .unwrap();
    let passed = admin.create(okta("Passed"), Some("passed-secret-0123456789"));
    let failed = admin.create(okta("Failed"), None);
    let never = admin.create(okta("Never"), None);
    admin.outbox.push().await.unwrap();
    tested(
        &mut admin,
        &failed,
        TestOutcome::Passed,
        "2026-01-01T00:00:00Z",
    );
    tested(
        &mut admin,
        &failed,
        TestOutcome::Failed,
        "2026-01-02T00:00:00Z",
    );
    tested(
        &mut admin,
        &passed,
        TestOutcome::Passed,
        "2026-01-02T00:00:00Z",
    );

    let promotion = admin.outbox.promotion(None, &[]).unwrap();
    let by_name: BTreeMap<&str, Option<Refusal>> = promotion
        .items
        .iter()
        .map(|i| (i.idp_name.as_str(), i.refusal))
        .collect();
    assert_eq!(
        by_name,
        BTreeMap::from([
            ("Failed", Some(Refusal::LatestTestFailed)),
            ("Never", Some(Refusal::NeverTested)),
            ("Passed", None),
        ]),
        "the latest test counts, on the source only"
    );
    let reason = promotion
        .items
        .iter()
        .find(|i| i.idp_id == never.id)
        .unwrap();
    assert_eq!(
        reason.reason.as_deref(),
        Some("\"Never\" was never tested on default: test it on the platform there first.")
    );

    let report = admin.outbox.promote(None, &[]).await.unwrap();
    assert_eq!(
        report.push.pushed,
        vec![passed.id],
        "only the eligible IdP is sent"
    );
    admin.outbox.use_environment("production").unwrap();
    let remote = admin.outbox.remote().await.unwrap();
    assert_eq!(remote.len(), 1, "production holds the promoted IdP alone");
    assert_eq!(remote[0].id, passed.id);
    assert!(
        remote[0].secret_set,
        "its secret went along (bound, not set aside)"
    );
    assert_eq!(
        admin.outbox.base().unwrap().len(),
        1,
        "production's base records it"
    );
    assert!(
        admin.outbox.changes().unwrap().is_empty(),
        "nothing left queued"
    );
    admin.outbox.use_environment("default").unwrap();
    assert_eq!(
        refusal(&admin, &passed),
        None,
        "promoting again is allowed (an update)"
    );
    let again = admin.outbox.promotion(None, &[passed.id]).unwrap();
    assert!(again.items[0].on_target, "the target has it now");
}

#[tokio::test]
async fn an_idp_edited_since_its_test_is_refused() {
    let (sandbox, prod) = (backend().await, backend().await);
    let mut admin = Admin::new(&sandbox.url());
    admin
        .outbox
        .add_environment(production(&prod.url()))
        .unwrap();
    let idp = pushed_and_passed(&mut admin, "Acme").await;
    assert_eq!(refusal(&admin, &idp), None);

    let edited = IdpFields {
        notes: "edited".into(),
        ..idp.fields.clone()
    };
    admin.update(idp.id, edited, SecretChange::Keep);
    assert_eq!(
        refusal(&admin, &idp),
        Some(Refusal::EditedSinceTest),
        "edited, not pushed"
    );
    admin.outbox.push().await.unwrap();
    assert_eq!(
        refusal(&admin, &idp),
        Some(Refusal::EditedSinceTest),
        "pushed again, but not tested since"
    );
    let report = admin.outbox.promote(None, &[idp.id]).await.unwrap();
    assert!(report.push.pushed.is_empty(), "nothing sent");
    assert!(prod_is_empty(&mut admin).await, "production has nothing");
}

async fn prod_is_empty(admin: &mut Admin) -> bool {
    admin.outbox.use_environment("production").unwrap();
    let empty = admin.outbox.remote().await.unwrap().is_empty();
    admin.outbox.use_environment("default").unwrap();
    empty
}

#[tokio::test]
async fn the_last_environment_has_nowhere_to_promote_to() {
    let sandbox = backend().await;
    let admin = Admin::new(&sandbox.url());
    match admin.outbox.promotion(None, &[]) {
        Err(SyncError::NoNextEnvironment(name)) => assert_eq!(name, "default"),
        other => panic!("refused: {other:?}"),
    }
    match admin.outbox.promotion(Some("default"), &[]) {
        Err(SyncError::PromoteToItself(name)) => assert_eq!(name, "default"),
        other => panic!("refused: {other:?}"),
    }
}

/// A target without its API key is refused before anything is queued: a change queued there
/// would wait unfrozen and, pushed once the key is set, carry the IdP as it is by then, tested
/// or not.
#[tokio::test]
async fn a_target_that_cannot_be_pushed_to_gets_nothing_queued() {
    let (sandbox, prod) = (backend().await, backend().await);
    let mut admin = Admin::new(&sandbox.url());
    let mut keyless = production(&prod.url());
    keyless.api_key = None;
    admin.outbox.add_environment(keyless).unwrap();
    let idp = pushed_and_passed(&mut admin, "Acme").await;
    assert_eq!(refusal(&admin, &idp), None, "eligible");

    match admin.outbox.promote(None, &[idp.id]).await {
        Err(SyncError::NoApiKey(place)) => {
            assert!(place.to_string().contains(&prod.url()), "{place}")
        }
        other => panic!("refused for the missing key: {other:?}"),
    }
    admin.outbox.use_environment("production").unwrap();
    assert_eq!(
        admin.outbox.changes().unwrap(),
        Vec::new(),
        "nothing waits in production's outbox"
    );
}
