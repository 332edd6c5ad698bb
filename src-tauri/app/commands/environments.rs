//! Commands of the sync environments ("sandbox", "production") and of promotion: each takes the
//! outbox and calls one core function ([`eca_core::sync::environments`],
//! [`eca_core::sync::promote`]).

use crate::state::AppState;
use eca_core::secrets::Secret;
use eca_core::sync::environments::{Environment, EnvironmentInput};
use eca_core::sync::promote::{PromoteReport, Promotion};
use eca_core::sync::settings::SyncSettings;
use eca_model::idp::IdpId;
use eca_model::problem::Problem;
use tauri::State;

/// Every environment, in promotion order.
#[tauri::command]
#[specta::specta]
pub async fn list_environments(state: State<'_, AppState>) -> Result<Vec<Environment>, Problem> {
    Ok(state.reads().await.environments()?)
}

/// Adds an environment (the first becomes current); `api_key` is write-only.
#[tauri::command]
#[specta::specta]
pub async fn add_environment(
    state: State<'_, AppState>,
    name: String,
    settings: SyncSettings,
    api_key: Option<Secret>,
) -> Result<Environment, Problem> {
    let input = EnvironmentInput {
        name,
        settings,
        api_key: api_key.as_ref(),
        start_afresh: false,
    };
    Ok(state.outbox().await.add_environment(input)?)
}

/// Renames or moves the environment `name`; a move needs a new key and `start_afresh`.
#[tauri::command]
#[specta::specta]
pub async fn edit_environment(
    state: State<'_, AppState>,
    name: String,
    new_name: String,
    settings: SyncSettings,
    api_key: Option<Secret>,
    start_afresh: bool,
) -> Result<Environment, Problem> {
    let input = EnvironmentInput {
        name: new_name,
        settings,
        api_key: api_key.as_ref(),
        start_afresh,
    };
    Ok(state.outbox().await.edit_environment(&name, input)?)
}

#[tauri::command]
#[specta::specta]
pub async fn remove_environment(state: State<'_, AppState>, name: String) -> Result<(), Problem> {
    Ok(state.outbox().await.remove_environment(&name)?)
}

/// Makes `name` the environment sync works on.
#[tauri::command]
#[specta::specta]
pub async fn use_environment(
    state: State<'_, AppState>,
    name: String,
) -> Result<Environment, Problem> {
    Ok(state.outbox().await.use_environment(&name)?)
}

/// Each IdP's eligibility for a promotion to `to` (default: the next environment).
#[tauri::command]
#[specta::specta]
pub async fn promotion_plan(
    state: State<'_, AppState>,
    to: Option<String>,
    ids: Vec<IdpId>,
) -> Result<Promotion, Problem> {
    Ok(state.reads().await.promotion(to.as_deref(), &ids)?)
}

/// Promotes the eligible IdPs and pushes the target's outbox.
#[tauri::command]
#[specta::specta]
pub async fn promote(
    state: State<'_, AppState>,
    to: Option<String>,
    ids: Vec<IdpId>,
) -> Result<PromoteReport, Problem> {
    Ok(state.outbox().await.promote(to.as_deref(), &ids).await?)
}
