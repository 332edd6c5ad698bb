//! Commands of "Updates" in Settings: the manifest URL, "Check for updates", and "Download and
//! verify". The work is [`crate::updates`]'s; these read the setting and the build's key.

use crate::state::AppState;
use crate::updates::{self, SavedUpdate, UpdateCheck, UpdateSetup, UpdateSource};
use eca_core::update_settings::UpdateSettings;
use eca_model::problem::{Problem, ProblemCode};
use tauri::{AppHandle, Manager, State};

#[tauri::command]
#[specta::specta]
pub async fn get_update_settings(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<UpdateSetup, Problem> {
    let settings = state.catalog()?.update_settings()?;
    Ok(UpdateSetup::new(&app, settings))
}

/// Stores the manifest URL (blank: updates not configured).
#[tauri::command]
#[specta::specta]
pub async fn save_update_settings(
    app: AppHandle,
    state: State<'_, AppState>,
    settings: UpdateSettings,
) -> Result<UpdateSetup, Problem> {
    let settings = state.catalog()?.save_update_settings(settings)?;
    Ok(UpdateSetup::new(&app, settings))
}

/// Asks the stored manifest URL for a newer release signed for this build.
#[tauri::command]
#[specta::specta]
pub async fn check_for_updates(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<UpdateCheck, Problem> {
    let settings = state.catalog()?.update_settings()?;
    let manifest = settings.manifest().map_err(|e| Problem::invalid(vec![e]))?;
    let source = UpdateSource {
        manifest,
        public_key: updates::build_public_key(app.config()),
    };
    Ok(updates::check(&app, source).await?)
}

/// Downloads the offered release, verifies its signature, and keeps it in the Downloads folder
/// (the home folder without one) for the admin to install; nothing is installed.
#[tauri::command]
#[specta::specta]
pub async fn download_update(app: AppHandle) -> Result<SavedUpdate, Problem> {
    let (verified, bytes) = updates::download_offered(&app, updates::MAX_ARTIFACT_BYTES).await?;
    let folder = app
        .path()
        .download_dir()
        .or_else(|_| app.path().home_dir())
        .map_err(|e| {
            Problem::new(
                ProblemCode::Internal,
                format!("Cannot find the Downloads folder or the home folder to save the update in ({e})."),
            )
        })?;
    Ok(updates::keep(&folder, verified, &bytes)?)
}
