//! The impact of disabling or deleting IdPs: which Chat Flow OAuth Request nodes and Chat Desk
//! extensions use them, asked of the backend (`GET /idps/{id}/usages`). The app's confirm
//! dialogs, its pending-changes plan, and the CLI's `idp disable`/`idp delete`/`sync plan` all
//! ask here.
//!
//! Invariants:
//! - Checking never fails and never blocks: when the backend cannot be asked (sync not set up,
//!   no key, offline, busy, refused), the answer says usage was not checked and why, and the
//!   admin may go ahead; nothing is written here.
//! - The sentence the admin reads is [`eca_model::usage::summary`]'s, the same everywhere, and
//!   whether a disable asks first is decided here once, for the app and the CLI.
//! - A usage the backend answers is held to the contract's limits ([`IdpUsage::check`], the
//!   backend's own rule) before it reaches a dialog; one that breaks them makes the check fail.

use crate::sync::outbox::Outbox;
use crate::sync::plan::{SyncAction, SyncPlan};
use crate::sync::push::{client_workspace, read_ok};
use crate::sync::SyncError;
use eca_model::idp::IdpId;
use eca_model::problem::{Problem, ProblemCode};
use eca_model::usage::{self, IdpUsage, UsageList};
use serde::Serialize;

/// What is known about one IdP's usage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum UsageCheck {
    /// The backend answered: these use it (none: nothing does).
    Checked { usages: Vec<IdpUsage> },
    /// The backend could not be asked; `reason` says why, `code` what kind of why (the UI
    /// does not ask again before a disable when sync is simply not set up).
    Unchecked { code: ProblemCode, reason: String },
}

/// The impact of disabling or deleting one IdP.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct IdpImpact {
    pub idp_id: IdpId,
    pub check: UsageCheck,
    /// One sentence for the admin: "Used by 2 flows: …", or why usage was not checked.
    pub summary: String,
    /// Whether a disable asks the admin first ([`IdpImpact::disable_asks_first`]); a delete
    /// always does. The app's toggle and `eca idp disable` read this, not a rule of their own.
    pub disable_asks_first: bool,
}

impl IdpImpact {
    fn new(idp_id: IdpId, check: UsageCheck) -> Self {
        let summary = match &check {
            UsageCheck::Checked { usages } => usage::summary(usages),
            UsageCheck::Unchecked { reason, .. } => {
                format!("Couldn't check which flows use it: {reason}")
            }
        };
        Self {
            idp_id,
            disable_asks_first: Self::disable_asks_first(&check),
            check,
            summary,
        }
    }

    /// A disable asks first when something uses the IdP, or when the backend could not be
    /// asked (offline, key refused…): it may break flows nobody could list. Without sync set
    /// up there is no platform to break, so it goes ahead.
    fn disable_asks_first(check: &UsageCheck) -> bool {
        match check {
            UsageCheck::Checked { usages } => !usages.is_empty(),
            UsageCheck::Unchecked { code, .. } => *code != ProblemCode::SyncNotConfigured,
        }
    }

    /// Whether something is known to use the IdP.
    pub fn is_used(&self) -> bool {
        matches!(&self.check, UsageCheck::Checked { usages } if !usages.is_empty())
    }
}

/// Why usage could not be checked, in the admin's words.
fn unchecked(error: SyncError) -> UsageCheck {
    let reason = match &error {
        SyncError::NotConfigured => "sync is not set up, so no backend can say. Set it up to \
                                     check before you disable or delete."
            .to_string(),
        other => other.to_string(),
    };
    UsageCheck::Unchecked {
        code: Problem::from(error).code,
        reason,
    }
}

impl Outbox {
    /// The impact of disabling or deleting each of `ids`, in order. The first failure to ask
    /// the backend is the answer for the rest too (they would fail alike, one timeout each).
    pub async fn impact(&mut self, ids: &[IdpId]) -> Vec<IdpImpact> {
        let mut out = Vec::with_capacity(ids.len());
        let mut failed: Option<UsageCheck> = None;
        for &id in ids {
            let check = match &failed {
                Some(why) => why.clone(),
                None => match self.usages(id).await {
                    Ok(usages) => UsageCheck::Checked { usages },
                    Err(e) => failed.insert(unchecked(e)).clone(),
                },
            };
            out.push(IdpImpact::new(id, check));
        }
        out
    }

    /// The impact of the plan's outgoing deletes and disables.
    pub async fn plan_impact(&mut self, plan: &SyncPlan) -> Vec<IdpImpact> {
        let ids: Vec<IdpId> = plan
            .outgoing()
            .filter(|i| matches!(i.action, SyncAction::Delete | SyncAction::Disable))
            .map(|i| i.idp_id)
            .collect();
        self.impact(&ids).await
    }

    /// The usages of the IdP; none when the platform does not hold it (404: never pushed, or
    /// deleted there), as no flow there can start a sign-in with it.
    async fn usages(&mut self, id: IdpId) -> Result<Vec<IdpUsage>, SyncError> {
        let client = self.client()?;
        let answer = client.usages(id).await;
        if matches!(&answer, Ok(response) if response.meta.status == 404) {
            return Ok(Vec::new());
        }
        let response = read_ok(answer, &client_workspace(self)?)?;
        let list: UsageList = response
            .json()
            .map_err(|e| SyncError::Protocol(e.to_string()))?;
        for usage in &list.items {
            usage
                .check()
                .map_err(|e| SyncError::Protocol(e.to_string()))?;
        }
        Ok(list.items)
    }
}
