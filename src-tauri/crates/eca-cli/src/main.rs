//! `eca`: the ECA Admin command line, for admins and scripts, over the same core and SQLite
//! database as the desktop app (`--data-dir` / `ECA_DATA_DIR` pick the folder).
//!
//! Invariants:
//! - Data goes to stdout, errors to stderr (one line each); exit status 0 on success, 2 for bad
//!   input, 1 for any other failure (see [`error`]).
//! - No logging unless `RUST_LOG` asks for it; a client secret is never printed or logged.

mod cli;
mod commands;
mod env;
mod error;
mod fields;
mod idp_test;
mod impact;
mod output;
mod platform_test;
mod public_keys;
mod push_counter;
mod secret_input;
mod sync;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    init_logging();
    let cli = cli::Cli::parse();
    let json = cli.json;
    let dir = cli.data_dir.clone();
    match commands::run(cli.command, cli.data_dir, json) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => match eca_core::data_dir::resolve(dir) {
            Ok(dir) => error::report(e.in_folder(&dir), json),
            Err(_) => error::report(e, json),
        },
    }
}

/// Logs to stderr only when `RUST_LOG` is set: a command's output stays what it prints.
fn init_logging() {
    if std::env::var_os("RUST_LOG").is_none() {
        return;
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .try_init();
}
