//! Pull: the backend's copy replaces the local one for every IdP that changed only on the
//! backend ("drift": another admin's edit, create or delete).
//!
//! Invariants:
//! - A local change is never overwritten: only IdPs the plan shows as drift are taken, and each
//!   is taken in one transaction that first re-checks that the IdP has no change in the outbox
//!   (an edit saved since the plan was made wins; the IdP is reported as kept). The copy is
//!   written through the one write path ([`crate::catalog::write`], origin pull).
//! - Conflicts are left for the admin (keep mine / take theirs); a backend copy that cannot be
//!   taken here (invalid, or clashing with another local IdP's name or issuer) is reported and
//!   the rest of the pull goes on.

use crate::sync::outbox::Outbox;
use crate::sync::plan::SyncStatus;
use crate::sync::SyncError;
use eca_model::idp::IdpId;
use eca_model::wire::RemoteIdp;
use serde::Serialize;
use std::collections::HashMap;

/// What one pull did.
// No TS binding yet: only the CLI pulls (an export would add a file to the UI's bindings).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PullReport {
    /// IdPs whose backend copy is now the local one (created, updated or deleted here).
    pub pulled: Vec<IdpId>,
    /// IdPs that drifted but were edited here meanwhile: left as they are, for the next push.
    pub kept: Vec<IdpId>,
    /// IdPs changed on both sides: resolve them with keep mine / take theirs.
    pub conflicts: Vec<IdpId>,
    /// IdPs whose backend copy cannot be taken, with why.
    pub refused: Vec<PullRefusal>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PullRefusal {
    pub idp_id: IdpId,
    pub message: String,
}

impl Outbox {
    /// Takes the backend's copy of every IdP that drifted and has no local change.
    pub async fn pull(&mut self) -> Result<PullReport, SyncError> {
        let remote = self.remote().await?;
        let plan = self.plan_against(&remote)?;
        let by_id: HashMap<IdpId, &RemoteIdp> = remote.iter().map(|r| (r.id, r)).collect();
        let mut report = PullReport::default();
        for item in &plan.items {
            let id = item.idp_id;
            match item.status {
                SyncStatus::Conflict => report.conflicts.push(id),
                SyncStatus::Drift => match self.apply_theirs(id, by_id.get(&id).copied(), true) {
                    Ok(true) => report.pulled.push(id),
                    Ok(false) => report.kept.push(id),
                    Err(e @ SyncError::TheirsInvalid { .. }) => report.refused.push(PullRefusal {
                        idp_id: id,
                        message: e.to_string(),
                    }),
                    Err(e) => return Err(e),
                },
                SyncStatus::InSync | SyncStatus::Outgoing => {}
            }
        }
        Ok(report)
    }
}
