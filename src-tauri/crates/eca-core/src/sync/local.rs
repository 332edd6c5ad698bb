//! What can be said about sync without the backend: the settings as the UI sees them, the plan
//! against the last-synced base (as if the backend had not changed since), and each local
//! IdP's sync state for the list.
//!
//! Invariants: nothing here does network I/O, so the list and the "Pending changes" screen work
//! offline; the three-way plan with the backend's current copy stays [`Outbox::plan`].

use crate::store::sync_changes::{self, ChangeState};
use crate::store::{idps, sync_base};
use crate::sync::outbox::Outbox;
use crate::sync::plan::{self, SyncPlan};
use crate::sync::settings::{self, SaveSettings, SyncSettings};
use crate::sync::SyncError;
use eca_model::credential_expiry;
use eca_model::idp::IdpId;
use eca_model::wire::RemoteIdp;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Where one local IdP stands with the backend, as the list shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SyncBadge {
    /// Never sent, and sync is not set up yet: it exists only here.
    Draft,
    /// A change waits to be pushed.
    Pending,
    /// The backend has it as it is here (as of the last sync).
    Synced,
    /// The backend's copy changed too: keep mine or take theirs.
    Conflict,
    /// The backend refused the change.
    Failed,
}

/// One local IdP's [`SyncBadge`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct IdpSyncState {
    pub idp_id: IdpId,
    pub state: SyncBadge,
}

/// The sync settings as the UI may see them: the API key only as present or not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct SyncSetup {
    /// `None` until sync is set up.
    pub settings: Option<SyncSettings>,
    /// Whether a key entered for these settings' origin and workspace is stored.
    pub has_api_key: bool,
}

impl Outbox {
    pub fn setup(&self) -> Result<SyncSetup, SyncError> {
        let settings = self.settings()?;
        let has_api_key = match &settings {
            Some(s) => match settings::api_key(self.secrets.as_ref(), s) {
                Ok(_) => true,
                Err(SyncError::NoApiKey(_)) => false,
                Err(e) => return Err(e),
            },
            None => false,
        };
        Ok(SyncSetup {
            settings,
            has_api_key,
        })
    }

    /// Stores the settings and, when given, a new API key (see [`settings::save`]); returns
    /// what the UI may see.
    pub fn save_setup(&mut self, request: SaveSettings<'_>) -> Result<SyncSetup, SyncError> {
        self.save_settings(request)?;
        self.setup()
    }

    /// The plan against the base alone: what a push would send if the backend had not changed
    /// since the last sync (no drift, no conflicts can show here).
    pub fn local_plan(&self) -> Result<SyncPlan, SyncError> {
        let scope = self.scope()?;
        let local = idps::list_full(&self.conn)?;
        let base = sync_base::list(&self.conn, scope)?;
        let remote: Vec<RemoteIdp> = base
            .iter()
            .map(|b| RemoteIdp {
                id: b.idp_id,
                fields: b.fields.clone(),
                version: b.version.clone(),
                secret_set: b.secret_set,
                secret_fingerprint: b.secret_fingerprint.clone(),
                created_at: b.synced_at.clone(),
                updated_at: b.synced_at.clone(),
            })
            .collect();
        let edited: HashSet<IdpId> = sync_changes::list(&self.conn, scope)?
            .into_iter()
            .filter(|c| c.secret_changed)
            .map(|c| c.idp_id)
            .collect();
        Ok(plan::compute_with_secrets(&local, &base, &remote, &edited))
    }

    /// Every local IdP's sync state, from the outbox and the base (two reads, no fields parsed
    /// beyond the base's, so the list of 10,000 IdPs stays quick).
    pub fn sync_states(&self) -> Result<Vec<IdpSyncState>, SyncError> {
        let scope = self.scope()?;
        let configured = scope.is_some();
        let synced: HashSet<IdpId> = sync_base::list(&self.conn, scope)?
            .into_iter()
            .map(|b| b.idp_id)
            .collect();
        let mut changed: HashMap<IdpId, SyncBadge> = HashMap::new();
        for change in sync_changes::list(&self.conn, scope)? {
            let badge = match change.state {
                ChangeState::Conflict => SyncBadge::Conflict,
                ChangeState::Failed => SyncBadge::Failed,
                ChangeState::Pending => SyncBadge::Pending,
            };
            let entry = changed.entry(change.idp_id).or_insert(badge);
            if rank(badge) > rank(*entry) {
                *entry = badge;
            }
        }
        Ok(
            idps::list_summaries(&self.conn, credential_expiry::today(&*self.clock))?
                .into_iter()
                .map(|idp| {
                    let state = match changed.get(&idp.id) {
                        Some(SyncBadge::Pending) if !configured && !synced.contains(&idp.id) => {
                            SyncBadge::Draft
                        }
                        Some(badge) => *badge,
                        None if synced.contains(&idp.id) => SyncBadge::Synced,
                        None => SyncBadge::Draft,
                    };
                    IdpSyncState {
                        idp_id: idp.id,
                        state,
                    }
                })
                .collect(),
        )
    }
}

/// Which state wins when an IdP has several changes: what needs the admin first.
fn rank(badge: SyncBadge) -> u8 {
    match badge {
        SyncBadge::Conflict => 3,
        SyncBadge::Failed => 2,
        SyncBadge::Pending => 1,
        SyncBadge::Draft | SyncBadge::Synced => 0,
    }
}
