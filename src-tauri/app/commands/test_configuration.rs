//! Commands of "Test Configuration": start, cancel, readiness, history.
//!
//! They are `async` so Tauri runs them off the main thread.

use crate::state::AppState;
use crate::test_login;
use eca_core::catalog::StartTestRequest;
use eca_model::idp::IdpId;
use eca_model::problem::{Problem, ProblemCode};
use eca_oidc::login::readiness::{self, ReadinessReport};
use eca_oidc::login::report::TestReport;
use tauri::{AppHandle, Manager, State};

/// Starts a test login of a saved IdP or of the form's draft; returns the run id at once.
#[tauri::command]
#[specta::specta]
pub async fn start_test_login(
    app: AppHandle,
    state: State<'_, AppState>,
    request: StartTestRequest,
) -> Result<String, Problem> {
    let (idp, credential) = state.catalog()?.test_target(request)?;
    let run_id = uuid::Uuid::new_v4().to_string();
    test_login::spawn(app, run_id.clone(), idp, credential);
    Ok(run_id)
}

#[tauri::command]
#[specta::specta]
pub async fn cancel_test_login(
    state: State<'_, AppState>,
    run_id: String,
) -> Result<bool, Problem> {
    Ok(state.cancel_run(&run_id))
}

#[tauri::command]
#[specta::specta]
pub async fn check_readiness(
    state: State<'_, AppState>,
    request: StartTestRequest,
) -> Result<ReadinessReport, Problem> {
    let (idp, _credential) = state.catalog()?.test_target(request)?;
    Ok(readiness::check(&state.login_context(), &idp).await)
}

#[tauri::command]
#[specta::specta]
pub async fn test_history(
    state: State<'_, AppState>,
    id: IdpId,
) -> Result<Vec<TestReport>, Problem> {
    Ok(state.catalog()?.test_history(id)?)
}

/// Writes the IdP's redacted history as JSON into the Downloads folder; returns the path.
#[tauri::command]
#[specta::specta]
pub async fn export_test_history(
    app: AppHandle,
    state: State<'_, AppState>,
    id: IdpId,
) -> Result<String, Problem> {
    let (name, runs) = {
        let catalog = state.catalog()?;
        (catalog.get(id)?.fields.name, catalog.test_history(id)?)
    };
    let failed = |e: String| {
        Problem::new(
            ProblemCode::Storage,
            format!("Cannot write the history file: {e}"),
        )
    };
    let dir = app
        .path()
        .download_dir()
        .or_else(|_| app.path().home_dir())
        .map_err(|e| failed(e.to_string()))?;
    let path = dir.join(eca_oidc::login::report::history_file_name(&name, &runs));
    let json = serde_json::to_string_pretty(&runs).map_err(|e| failed(e.to_string()))?;
    std::fs::write(&path, json).map_err(|e| failed(e.to_string()))?;
    Ok(path.display().to_string())
}
