//! Where the SQLite file lives: `--data-dir`, else `ECA_DATA_DIR`, else the OS app-data folder.
//!
//! Invariant: the app and the CLI resolve the same folder for the same inputs, so they share one
//! database. The default matches Tauri's `app_data_dir()` for the bundle identifier.

use std::path::PathBuf;

/// The bundle identifier; also the keyring service name and the deep-link scheme.
pub const APP_IDENTIFIER: &str = "com.ecaadmin.desktop";
/// The environment variable that overrides the data folder.
pub const ENV_VAR: &str = "ECA_DATA_DIR";
/// The database file's name inside the data folder.
pub const DB_FILE: &str = "eca-admin.sqlite3";

#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error(
        "cannot find the user data folder of this OS; pass --data-dir DIR or set ECA_DATA_DIR"
    )]
    NoDefault,
    #[error("cannot create the data folder {path}: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Resolves and creates the data folder.
pub fn resolve(cli_arg: Option<PathBuf>) -> Result<PathBuf, DataDirError> {
    let env = std::env::var_os(ENV_VAR)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let dir = match cli_arg.or(env) {
        Some(dir) => dir,
        None => os_data_dir()
            .ok_or(DataDirError::NoDefault)?
            .join(APP_IDENTIFIER),
    };
    std::fs::create_dir_all(&dir).map_err(|source| DataDirError::Create {
        path: dir.clone(),
        source,
    })?;
    Ok(dir)
}

/// The per-user data folder: XDG on Linux, Application Support on macOS, %APPDATA% on Windows.
fn os_data_dir() -> Option<PathBuf> {
    #[cfg(target_os = "windows")]
    {
        std::env::var_os("APPDATA").map(PathBuf::from)
    }
    #[cfg(target_os = "macos")]
    {
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join("Library/Application Support"))
    }
    #[cfg(not(any(target_os = "windows", target_os = "macos")))]
    {
        std::env::var_os("XDG_DATA_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
    }
}
