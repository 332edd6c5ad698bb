//! The Tauri shell of ECA Admin: it wires plugins, state and commands around `eca_core`, and holds
//! no logic of its own (the CLI and the tests call the same core functions).
//!
//! Invariants:
//! - `tauri-plugin-single-instance` is the first plugin: a second process (how Linux and Windows
//!   deliver a deep link) hands its arguments to the running one before anything else starts.
//! - Logs go to stderr, filtered by `RUST_LOG`, and never contain a secret or a callback's query.
//! - Adding a module, a piece of state or a command is one line each (see the marked places).

mod commands;
mod deep_link;
mod platform_test;
mod state;
mod test_login;
mod update_file;
pub mod updates;

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use tauri::Manager;

/// Builds and runs the app; returns when the last window has closed.
pub fn run() -> ExitCode {
    init_logging();
    let data_dir_arg = match data_dir_arg(std::env::args_os().skip(1)) {
        Ok(arg) => arg,
        Err(message) => {
            tracing::error!("{message}");
            return ExitCode::from(2);
        }
    };

    let builder = tauri::Builder::default()
        // First, so a second instance forwards its arguments (deep links) and exits early.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            // The `deep-link` feature has already passed the arguments to the deep-link plugin.
            focus_main_window(app);
        }))
        .plugin(tauri_plugin_deep_link::init());
    let app = updates::register(builder)
        .setup(move |app| {
            // `--data-dir`, then ECA_DATA_DIR, then the OS app-data folder: as the CLI does.
            let opened = eca_core::data_dir::resolve(data_dir_arg.clone())
                .map_err(|e| e.to_string())
                .and_then(|dir| {
                    tracing::info!(data_dir = %dir.display(), "data folder");
                    state::AppState::open(&dir).map_err(|e| e.to_string())
                });
            match opened {
                Ok(state) => {
                    app.manage(state);
                    // After the state: a cold-start link is matched against it.
                    deep_link::setup(app)?;
                }
                Err(error) => {
                    // A setup error would panic inside tauri; say what to do and exit instead.
                    tracing::error!("{error}");
                    app.handle().exit(2);
                }
            }
            Ok(())
        })
        .invoke_handler(commands::bindings().invoke_handler())
        .build(tauri::generate_context!());

    match app {
        // `run_return` gives back the code of `AppHandle::exit` (0 when the last window closes).
        Ok(app) => ExitCode::from(u8::try_from(app.run_return(|_, _| {})).unwrap_or(1)),
        Err(error) => {
            tracing::error!("cannot start ECA Admin: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr (colours only on a terminal): `RUST_LOG` if set, else info for our crates and
/// warnings for the rest.
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("warn,eca_admin_lib=info,eca_core=info"));
    // `try_init` fails only if a subscriber is already set (tests); keeping that one is right.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// Reads `--data-dir DIR` or `--data-dir=DIR` from the arguments; other arguments are left to the
/// plugins (a single URL argument is a deep link).
fn data_dir_arg(args: impl Iterator<Item = OsString>) -> Result<Option<PathBuf>, String> {
    let mut args = args;
    let mut found = None;
    while let Some(arg) = args.next() {
        if arg == "--data-dir" {
            let dir = args
                .next()
                .ok_or("--data-dir needs a folder: --data-dir DIR")?;
            found = Some(PathBuf::from(dir));
        } else if let Some(dir) = arg.to_str().and_then(|a| a.strip_prefix("--data-dir=")) {
            found = Some(PathBuf::from(dir));
        }
    }
    Ok(found)
}

/// Brings the main window to the front, e.g. when the user starts the app a second time.
fn focus_main_window<R: tauri::Runtime>(app: &tauri::AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

#[cfg(test)]
mod tests {
    use super::data_dir_arg;
    use std::ffi::OsString;
    use std::path::PathBuf;

    fn args(list: &[&str]) -> impl Iterator<Item = OsString> {
        list.iter()
            .map(OsString::from)
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn data_dir_arg_accepts_both_spellings() {
        assert_eq!(
            data_dir_arg(args(&["--data-dir", "/a"])),
            Ok(Some(PathBuf::from("/a")))
        );
        assert_eq!(
            data_dir_arg(args(&["--data-dir=/b"])),
            Ok(Some(PathBuf::from("/b")))
        );
    }

    #[test]
    fn data_dir_arg_ignores_a_deep_link() {
        let link = "com.ecaadmin.desktop:/oauth/callback?code=x";
        assert_eq!(
            data_dir_arg(args(&[link])),
            Ok(None),
            "a lone URL is the deep-link plugin's"
        );
    }

    /// The webview may do exactly what the UI does through Tauri's own API (ui/src: `listen`
    /// in lib/ipc/events.ts, `onCloseRequested` and `destroy` in lib/nav/window-close.ts); no
    /// default set that grants more.
    #[test]
    fn the_window_gets_only_the_permissions_the_ui_uses() {
        let capability: serde_json::Value =
            serde_json::from_str(include_str!("../capabilities/main.json")).unwrap();
        assert_eq!(
            capability["permissions"],
            serde_json::json!([
                "core:event:allow-listen",
                "core:event:allow-unlisten",
                "core:window:allow-destroy"
            ])
        );
    }

    #[test]
    fn data_dir_arg_without_value_is_an_error() {
        assert!(
            data_dir_arg(args(&["--data-dir"])).is_err(),
            "a missing folder must not be ignored"
        );
    }
}
