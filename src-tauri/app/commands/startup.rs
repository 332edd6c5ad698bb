//! The start-up mark: the UI calls [`list_shown`] once per run, right after the first paint of
//! the IdP list with its rows. It logs one fixed line at info level (stderr), which `make bench`
//! (benches/startup.py) reads to time start-up from exec. It carries no data and costs one IPC
//! call per run.

/// What the start-up line says; benches/startup.py looks for these words.
pub const LIST_SHOWN: &str = "start-up: the IdP list is painted and interactive";

/// Called by the UI once per run, after the first paint of the IdP list: logs the start-up line.
#[tauri::command]
#[specta::specta]
pub fn list_shown() {
    tracing::info!("{LIST_SHOWN}");
}
