//! Promotion: an IdP goes from the current sync environment (the source, e.g. "sandbox") to the
//! next along the promotion path (or a named one, e.g. "production"), only if its latest test on
//! the platform of the source passed with the fields it has now.
//!
//! - [`gate`] (pure): eligible, or the one reason it is not ([`Refusal`]).
//! - [`Outbox::promotion`]: every chosen IdP with its eligibility (the plan shown first);
//!   [`Outbox::promote`] queues the eligible ones in the target's outbox and pushes that outbox
//!   through the same machinery as any push (preconditions, idempotency keys, conflicts,
//!   retries), so the target's base records what it acknowledged.
//!
//! Invariants:
//! - "Tested with the current fields" is checked by digest ([`fields_digest`], the wire fields
//!   the platform holds), recorded with every test on the platform against its environment; a
//!   run without one (before environments existed) never counts.
//! - A promoted IdP's secret goes along only under the binding rules: an IdP whose secret is set
//!   aside is refused, and a secret is sent once per frozen change like any push.

use crate::platform_test::precondition::{self, NotPushed};
use crate::platform_test::PlatformTestReport;
use crate::store::platform_test_runs::{self, PlatformTestRun};
use crate::store::sync_changes::{self, ChangeKind, ChangeState};
use crate::store::sync_envs::{self, EnvId, EnvRow};
use crate::store::{idps, sync_base};
use crate::sync::client::BackendClient;
use crate::sync::environments::named;
use crate::sync::outbox::record_in;
use crate::sync::{Outbox, PushReport, SyncError};
use eca_model::clock::rfc3339;
use eca_model::idp::{IdpFields, IdpId};
use eca_model::wire::WireFields;
use eca_oidc::login::report::TestOutcome;
use rusqlite::{Connection, TransactionBehavior};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Why an IdP cannot be promoted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// No test on the platform of the source has been recorded.
    NeverTested,
    /// The latest test on the source did not pass.
    LatestTestFailed,
    /// It changed since its latest test on the source (or since it was pushed there).
    EditedSinceTest,
    /// Its client secret was entered for another token endpoint or client id.
    SecretSetAside,
}

impl Refusal {
    /// What to tell the admin, naming the IdP and the source environment.
    pub fn message(self, name: &str, source: &str) -> String {
        match self {
            Refusal::NeverTested => format!(
                "\"{name}\" was never tested on {source}: test it on the platform there first."
            ),
            Refusal::LatestTestFailed => format!(
                "The latest test of \"{name}\" on {source} failed: fix it, push, and test it \
                 there again."
            ),
            Refusal::EditedSinceTest => format!(
                "\"{name}\" was not tested on {source} since it was last edited: push and test \
                 it on the platform there again."
            ),
            Refusal::SecretSetAside => format!(
                "The client secret of \"{name}\" was entered for another token endpoint or \
                 client ID: enter it again, then test it on {source}."
            ),
        }
    }
}

/// The digest of the fields the platform holds for an IdP with these local fields (the wire
/// form, as pushed): what a test on the platform tested.
pub fn fields_digest(fields: &IdpFields) -> String {
    let wire = serde_json::to_vec(&WireFields::from(fields)).unwrap_or_default();
    Sha256::digest(wire)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether an IdP may be promoted: its latest test on the source passed, with the fields it has
/// now (`digest`), and it has not changed on the source since it was pushed (`pushed`).
pub fn gate(
    latest: Option<&PlatformTestRun>,
    digest: &str,
    pushed: Result<(), NotPushed>,
    secret_set_aside: bool,
) -> Result<(), Refusal> {
    let latest = latest.ok_or(Refusal::NeverTested)?;
    if latest.outcome != TestOutcome::Passed {
        return Err(Refusal::LatestTestFailed);
    }
    if latest.fields_digest != digest || pushed.is_err() {
        return Err(Refusal::EditedSinceTest);
    }
    if secret_set_aside {
        return Err(Refusal::SecretSetAside);
    }
    Ok(())
}

/// One IdP of a promotion, eligible or not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct PromotionItem {
    pub idp_id: IdpId,
    pub idp_name: String,
    /// `None` when it can be promoted.
    pub refusal: Option<Refusal>,
    /// The refusal's message.
    pub reason: Option<String>,
    /// Whether the target has it already (an update) or not (a create).
    pub on_target: bool,
}

/// What a promotion would do: from which environment to which, IdP by IdP.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct Promotion {
    pub from: String,
    pub to: String,
    pub items: Vec<PromotionItem>,
}

impl Promotion {
    pub fn eligible(&self) -> impl Iterator<Item = &PromotionItem> {
        self.items.iter().filter(|i| i.refusal.is_none())
    }
}

/// A promotion carried out: the plan, and the push to the target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct PromoteReport {
    pub promotion: Promotion,
    pub push: PushReport,
}

/// Which environment the test ran against and what it tested, taken when it started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestedOn {
    pub env: EnvId,
    pub idp_id: IdpId,
    pub fields_digest: String,
}

impl Outbox {
    /// Records how a test on the platform ended, for the promotion gate.
    pub fn record_platform_test(
        &mut self,
        tested: &TestedOn,
        report: &PlatformTestReport,
    ) -> Result<(), SyncError> {
        let run = PlatformTestRun {
            test_id: report.test_id.clone(),
            idp_id: tested.idp_id,
            env: tested.env,
            fields_digest: tested.fields_digest.clone(),
            outcome: report.outcome,
            finished_at: report.finished_at.clone(),
        };
        Ok(platform_test_runs::insert(&self.conn, &run)?)
    }

    /// The environment after the current one on the promotion path, or the one named `to`.
    fn promotion_ends(&self, to: Option<&str>) -> Result<(EnvRow, EnvRow), SyncError> {
        let source = self.current_env()?;
        let target = match to {
            Some(name) => named(&self.conn, name)?,
            None => sync_envs::list(&self.conn)?
                .into_iter()
                .find(|e| e.position > source.position)
                .ok_or_else(|| SyncError::NoNextEnvironment(source.name.clone()))?,
        };
        if target.id == source.id {
            return Err(SyncError::PromoteToItself(source.name));
        }
        Ok((source, target))
    }

    /// The promotion plan: each chosen IdP (all when `ids` is empty) with its eligibility.
    pub fn promotion(&self, to: Option<&str>, ids: &[IdpId]) -> Result<Promotion, SyncError> {
        let (source, target) = self.promotion_ends(to)?;
        plan_in(&self.conn, &source, &target, ids)
    }

    /// Promotes the eligible IdPs of [`Outbox::promotion`]: queues each in the target's outbox
    /// (its secret with it when it has one), then pushes the target's outbox.
    pub async fn promote(
        &mut self,
        to: Option<&str>,
        ids: &[IdpId],
    ) -> Result<PromoteReport, SyncError> {
        let (promotion, target, client) = self.queue_promotion(to, ids)?;
        let push = self.push_to(&client, &target, &mut |_| {}).await?;
        Ok(PromoteReport { promotion, push })
    }

    /// Queues the eligible IdPs in the target's outbox. The gate is read in the transaction
    /// that queues, so no edit lands between the check and the queueing. A target that cannot
    /// be pushed to now (no API key) is refused before anything is queued: a change waits
    /// unfrozen until its first push, and would then take the IdP's fields as they are by then,
    /// tested or not. Returns the target's client, made with the key read for that check.
    fn queue_promotion(
        &mut self,
        to: Option<&str>,
        ids: &[IdpId],
    ) -> Result<(Promotion, EnvRow, BackendClient), SyncError> {
        let (source, target) = self.promotion_ends(to)?;
        let client = self.client_for(&target)?;
        let at = rfc3339(self.clock.now());
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let promotion = plan_in(&tx, &source, &target, ids)?;
        for item in promotion.eligible() {
            let has_secret = idps::get(&tx, item.idp_id)?.is_some_and(|idp| idp.has_secret);
            let kind = match item.on_target {
                true => ChangeKind::Update,
                false => ChangeKind::Create,
            };
            record_in(&tx, Some(target.id), item.idp_id, kind, has_secret, &at)?;
        }
        tx.commit()?;
        Ok((promotion, target, client))
    }
}

/// The promotion plan from `source` to `target`, read on `conn`: each chosen IdP (all when
/// `ids` is empty) with its eligibility.
fn plan_in(
    conn: &Connection,
    source: &EnvRow,
    target: &EnvRow,
    ids: &[IdpId],
) -> Result<Promotion, SyncError> {
    let changes = sync_changes::list(conn, Some(source.id))?;
    let set_aside: HashMap<IdpId, _> = idps::secrets_set_aside(conn)?.into_iter().collect();
    let mut items = Vec::new();
    for idp in idps::list_full(conn)? {
        if !ids.is_empty() && !ids.contains(&idp.id) {
            continue;
        }
        let states: Vec<ChangeState> = changes
            .iter()
            .filter(|c| c.idp_id == idp.id)
            .map(|c| c.state)
            .collect();
        let synced = sync_base::get(conn, Some(source.id), idp.id)?.is_some();
        let latest = platform_test_runs::latest(conn, source.id, idp.id)?;
        let refusal = gate(
            latest.as_ref(),
            &fields_digest(&idp.fields),
            precondition::check(synced, &states),
            set_aside.contains_key(&idp.id),
        )
        .err();
        items.push(PromotionItem {
            idp_id: idp.id,
            reason: refusal.map(|r| r.message(&idp.fields.name, &source.name)),
            idp_name: idp.fields.name,
            refusal,
            on_target: sync_base::get(conn, Some(target.id), idp.id)?.is_some(),
        });
    }
    for id in ids {
        if !items.iter().any(|i| i.idp_id == *id) {
            return Err(SyncError::NotFound(*id));
        }
    }
    Ok(Promotion {
        from: source.name.clone(),
        to: target.name.clone(),
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(outcome: TestOutcome, digest: &str) -> PlatformTestRun {
        PlatformTestRun {
            test_id: "t".into(),
            idp_id: IdpId::new(),
            env: EnvId(1),
            fields_digest: digest.into(),
            outcome,
            finished_at: "t".into(),
        }
    }

    #[test]
    fn only_a_passed_test_of_the_current_fields_opens_the_gate() {
        let passed = run(TestOutcome::Passed, "d1");
        assert_eq!(gate(Some(&passed), "d1", Ok(()), false), Ok(()));
        assert_eq!(gate(None, "d1", Ok(()), false), Err(Refusal::NeverTested));
        for outcome in [
            TestOutcome::Failed,
            TestOutcome::Cancelled,
            TestOutcome::TimedOut,
        ] {
            let r = run(outcome, "d1");
            assert_eq!(
                gate(Some(&r), "d1", Ok(()), false),
                Err(Refusal::LatestTestFailed),
                "{outcome:?}"
            );
        }
        assert_eq!(
            gate(Some(&passed), "d2", Ok(()), false),
            Err(Refusal::EditedSinceTest),
            "fields changed since the test"
        );
        assert_eq!(
            gate(Some(&passed), "d1", Err(NotPushed::Changed), false),
            Err(Refusal::EditedSinceTest),
            "edited (a secret, say) and not pushed since"
        );
        assert_eq!(
            gate(Some(&passed), "d1", Ok(()), true),
            Err(Refusal::SecretSetAside)
        );
    }

    #[test]
    fn refusals_name_the_idp_and_the_source() {
        for (refusal, words) in [
            (Refusal::NeverTested, "never tested on sandbox"),
            (
                Refusal::LatestTestFailed,
                "latest test of \"Acme\" on sandbox failed",
            ),
            (
                Refusal::EditedSinceTest,
                "not tested on sandbox since it was last edited",
            ),
            (
                Refusal::SecretSetAside,
                "entered for another token endpoint",
            ),
        ] {
            let m = refusal.message("Acme", "sandbox");
            assert!(m.contains("\"Acme\"") && m.contains(words), "{m}");
        }
    }

    #[test]
    fn the_digest_follows_the_fields() {
        let fields = blank_named("Acme");
        let same = fields_digest(&fields);
        assert_eq!(same.len(), 64);
        assert_eq!(fields_digest(&fields), same);
        let edited = IdpFields {
            notes: "edited".into(),
            ..fields
        };
        assert_ne!(fields_digest(&edited), same);
    }

    fn blank_named(name: &str) -> IdpFields {
        IdpFields {
            name: name.into(),
            ..IdpFields::blank(eca_model::idp::Protocol::Oidc)
        }
    }
}
