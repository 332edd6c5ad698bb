//! Entry point of the desktop binary: everything happens in the library's [`eca_admin_lib::run`],
//! so that tests can build the same app.
//!
//! Release builds on Windows use the GUI subsystem (no console window); keep it that way.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() -> std::process::ExitCode {
    eca_admin_lib::run()
}
