//! Commands of the IdP screens: list, read, check, save, toggle, delete, history, discovery,
//! and "Start from" a preset; the public half of a private_key_jwt signing key (the private
//! half never crosses IPC).
//!
//! They are `async` so Tauri runs them off the main thread: the keyring and SQLite may block.

use crate::state::AppState;
use eca_core::catalog::{SaveIdpRequest, SaveOutcome};
use eca_core::client_keys::PublicKeyView;
use eca_core::store::audit::AuditEntry;
use eca_core::store::idps::IdpSummary;
use eca_model::idp::{FieldError, IdpConfig, IdpFields, IdpId};
use eca_model::preset::{self, PresetFill};
use eca_model::problem::Problem;
use eca_oidc::discovery::{self, IssuerDiscovery};
use std::collections::BTreeMap;
use tauri::State;

#[tauri::command]
#[specta::specta]
pub async fn list_idps(state: State<'_, AppState>) -> Result<Vec<IdpSummary>, Problem> {
    Ok(state.catalog()?.list()?)
}

#[tauri::command]
#[specta::specta]
pub async fn get_idp(state: State<'_, AppState>, id: IdpId) -> Result<IdpConfig, Problem> {
    Ok(state.catalog()?.get(id)?)
}

#[tauri::command]
#[specta::specta]
pub async fn check_idp(
    state: State<'_, AppState>,
    id: Option<IdpId>,
    fields: IdpFields,
) -> Result<Vec<FieldError>, Problem> {
    Ok(state.catalog()?.check(id, fields)?)
}

#[tauri::command]
#[specta::specta]
pub async fn save_idp(
    state: State<'_, AppState>,
    request: SaveIdpRequest,
) -> Result<SaveOutcome, Problem> {
    Ok(state.catalog()?.save(request)?)
}

#[tauri::command]
#[specta::specta]
pub async fn set_idp_enabled(
    state: State<'_, AppState>,
    id: IdpId,
    enabled: bool,
) -> Result<IdpSummary, Problem> {
    Ok(state.catalog()?.set_enabled(id, enabled)?)
}

#[tauri::command]
#[specta::specta]
pub async fn delete_idp(state: State<'_, AppState>, id: IdpId) -> Result<(), Problem> {
    Ok(state.catalog()?.delete(id)?)
}

/// The IdP's audit history, newest first; the client secret only ever as changed or removed.
#[tauri::command]
#[specta::specta]
pub async fn idp_history(
    state: State<'_, AppState>,
    id: IdpId,
) -> Result<Vec<AuditEntry>, Problem> {
    Ok(state.catalog()?.history(id)?)
}

#[tauri::command]
#[specta::specta]
pub async fn discover_issuer(
    state: State<'_, AppState>,
    issuer: String,
) -> Result<IssuerDiscovery, Problem> {
    Ok(discovery::discover(&state.http, &issuer).await?)
}

/// What the preset `id` fills with these parameter values (the presets are the `PRESETS`
/// constant of the bindings).
#[tauri::command]
#[specta::specta]
pub async fn fill_from_preset(
    id: String,
    params: BTreeMap<String, String>,
) -> Result<PresetFill, Problem> {
    Ok(preset::fill(&id, &params)?)
}

/// The id of the preset whose issuer template matches `issuer`, if any: the form shows its
/// hints again when a saved IdP is edited.
#[tauri::command]
#[specta::specta]
pub async fn recognise_preset(issuer: String) -> Option<String> {
    preset::recognise(&issuer).map(|r| r.preset.id.clone())
}

/// The public keys of the IdP's signing key (private_key_jwt), or `null` when it has none.
#[tauri::command]
#[specta::specta]
pub async fn idp_public_key(
    state: State<'_, AppState>,
    id: IdpId,
) -> Result<Option<PublicKeyView>, Problem> {
    Ok(state.catalog()?.public_key(id)?)
}

/// Makes the IdP's signing key (when it has none, or in place of the old one with `replace`),
/// and returns its public keys.
#[tauri::command]
#[specta::specta]
pub async fn generate_idp_key(
    state: State<'_, AppState>,
    id: IdpId,
    replace: bool,
) -> Result<PublicKeyView, Problem> {
    Ok(state.catalog()?.generate_key(id, replace)?)
}
