//! Commands of "Test on the platform", and the platform's redirect URI and public keys
//! (private_key_jwt) in the IdP form.

use crate::platform_test;
use crate::state::AppState;
use eca_core::platform_test::wire::PlatformInfo;
use eca_core::platform_test::PlatformTestReport;
use eca_core::sync::platform_key::PlatformKeyView;
use eca_model::idp::IdpId;
use eca_model::problem::Problem;
use tauri::State;

/// The configured backend's `GET /v1/platform`: the redirect URI to register at the IdP.
/// `sync_not_configured` until sync is set up.
#[tauri::command]
#[specta::specta]
pub async fn platform_info(state: State<'_, AppState>) -> Result<PlatformInfo, Problem> {
    Ok(state.reads().await.platform().await?)
}

/// The platform's public keys for the IdP (private_key_jwt), from the synced backend, or why
/// there are none to show yet (sync not set up, the IdP not pushed).
#[tauri::command]
#[specta::specta]
pub async fn platform_public_key(
    state: State<'_, AppState>,
    id: IdpId,
) -> Result<PlatformKeyView, Problem> {
    Ok(state.reads().await.platform_key(id).await?)
}

/// Tests the saved IdP on the platform and answers when the test has ended (the browser came
/// back, the timeout, or `cancel_platform_test`). `not_pushed` when it must be pushed first.
#[tauri::command]
#[specta::specta]
pub async fn test_on_platform(
    state: State<'_, AppState>,
    id: IdpId,
) -> Result<PlatformTestReport, Problem> {
    platform_test::run(&state, id).await
}

#[tauri::command]
#[specta::specta]
pub async fn cancel_platform_test(state: State<'_, AppState>, id: IdpId) -> Result<bool, Problem> {
    Ok(state.cancel_run(&platform_test::run_key(id)))
}
