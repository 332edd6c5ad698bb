//! Commands of the sync screens: settings, connection test, plans, outbox, push, retry,
//! conflicts, and the impact of a disable or delete.
//!
//! Each takes the outbox (an async mutex: a push holds it while it waits on the network) and
//! calls one core function; `SyncError` becomes a `Problem` whose code the UI branches on
//! (`unauthorized`, `backend_unreachable`, `sync_not_configured`).

use crate::state::AppState;
use eca_core::secrets::Secret;
use eca_core::store::sync_changes::SyncChange;
use eca_core::sync::impact::IdpImpact;
use eca_core::sync::local::{IdpSyncState, SyncSetup};
use eca_core::sync::push::PushProgress;
use eca_core::sync::settings::{SaveSettings, SyncSettings};
use eca_core::sync::{PushReport, SyncPlan};
use eca_model::idp::IdpId;
use eca_model::problem::Problem;
use tauri::{AppHandle, Emitter, State};

#[tauri::command]
#[specta::specta]
pub async fn get_sync_settings(state: State<'_, AppState>) -> Result<SyncSetup, Problem> {
    Ok(state.reads().await.setup()?)
}

/// Stores the backend and workspace; `api_key` replaces the stored key when given (it is
/// write-only: no command returns it). Moving to another origin or workspace needs a new key
/// and `start_afresh` (else `confirmation_needed`, whose message says what it does).
#[tauri::command]
#[specta::specta]
pub async fn save_sync_settings(
    state: State<'_, AppState>,
    settings: SyncSettings,
    api_key: Option<Secret>,
    start_afresh: bool,
) -> Result<SyncSetup, Problem> {
    Ok(state.outbox().await.save_setup(SaveSettings {
        settings,
        api_key: api_key.as_ref(),
        start_afresh,
    })?)
}

/// Lists the workspace's IdPs with the stored settings; returns how many the backend has.
#[tauri::command]
#[specta::specta]
pub async fn test_backend_connection(state: State<'_, AppState>) -> Result<u32, Problem> {
    let count = state.outbox().await.remote().await?.len();
    // A JavaScript number; no workspace has four billion IdPs.
    Ok(u32::try_from(count).unwrap_or(u32::MAX))
}

/// The three-way plan with the backend's copy as it is now.
#[tauri::command]
#[specta::specta]
pub async fn sync_plan(state: State<'_, AppState>) -> Result<SyncPlan, Problem> {
    Ok(state.outbox().await.plan().await?)
}

/// The plan against the last-synced base only, without the backend (works offline).
#[tauri::command]
#[specta::specta]
pub async fn local_sync_plan(state: State<'_, AppState>) -> Result<SyncPlan, Problem> {
    Ok(state.reads().await.local_plan()?)
}

/// Which flows and Chat Desk extensions use these IdPs, asked of the backend before a disable
/// or delete; never fails (an unchecked IdP says why).
#[tauri::command]
#[specta::specta]
pub async fn idp_impact(
    state: State<'_, AppState>,
    ids: Vec<IdpId>,
) -> Result<Vec<IdpImpact>, Problem> {
    Ok(state.reads().await.impact(&ids).await)
}

#[tauri::command]
#[specta::specta]
pub async fn sync_changes(state: State<'_, AppState>) -> Result<Vec<SyncChange>, Problem> {
    Ok(state.reads().await.changes()?)
}

/// Every local IdP's state for the list's badge.
#[tauri::command]
#[specta::specta]
pub async fn sync_states(state: State<'_, AppState>) -> Result<Vec<IdpSyncState>, Problem> {
    Ok(state.reads().await.sync_states()?)
}

/// Rust → UI: a [`PushProgress`] after each change a push deals with.
pub const PUSH_PROGRESS_EVENT: &str = "sync://push-progress";

/// Sends the outbox, telling the window how far it has got ([`PUSH_PROGRESS_EVENT`]).
#[tauri::command]
#[specta::specta]
pub async fn sync_push(app: AppHandle, state: State<'_, AppState>) -> Result<PushReport, Problem> {
    let mut tell = |progress: PushProgress| {
        if let Err(error) = app.emit(PUSH_PROGRESS_EVENT, progress) {
            tracing::warn!("cannot send the push's progress to the window: {error}");
        }
    };
    Ok(state.outbox().await.push_observed(&mut tell).await?)
}

/// Makes the IdP's failed changes sendable again (under new keys); the next push sends them.
#[tauri::command]
#[specta::specta]
pub async fn retry_failed_changes(state: State<'_, AppState>, id: IdpId) -> Result<(), Problem> {
    state.outbox().await.retry_failed(id)?;
    Ok(())
}

/// Keep mine (then push; returns that push's report) or take theirs (returns `None`).
#[tauri::command]
#[specta::specta]
pub async fn resolve_conflict(
    state: State<'_, AppState>,
    id: IdpId,
    keep_mine: bool,
) -> Result<Option<PushReport>, Problem> {
    let mut outbox = state.outbox().await;
    if keep_mine {
        Ok(Some(outbox.keep_mine(id).await?))
    } else {
        outbox.take_theirs(id).await?;
        Ok(None)
    }
}
