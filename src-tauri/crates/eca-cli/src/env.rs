//! The `eca env` commands: the named sync environments ("sandbox", "production"), each a thin
//! call into the core's [`Outbox`] ([`eca_core::sync::environments`]).
//!
//! Invariants: an API key enters only from stdin and goes straight into the keyring for that
//! environment's place; nothing here prints it (`list` says only whether one is stored).

use crate::cli::EnvCommand;
use crate::error::CliError;
use crate::output::{self, print};
use crate::sync::{open, read_api_key};
use eca_core::sync::environments::{Environment, EnvironmentInput};
use eca_core::sync::settings::SyncSettings;
use eca_core::sync::SyncError;
use std::path::PathBuf;

pub fn env(command: EnvCommand, dir: Option<PathBuf>, json: bool) -> Result<(), CliError> {
    let mut outbox = open(dir)?;
    match command {
        EnvCommand::List => print_list(&outbox.environments()?, json),
        EnvCommand::Add {
            name,
            url,
            workspace,
            api_key,
        } => {
            let key = read_api_key(api_key)?;
            let input = EnvironmentInput {
                name,
                settings: SyncSettings {
                    backend_url: url,
                    workspace_id: workspace,
                },
                api_key: key.as_ref(),
                start_afresh: false,
            };
            print_one(&outbox.add_environment(input)?, json)
        }
        EnvCommand::Edit {
            name,
            rename,
            url,
            workspace,
            api_key,
            start_afresh,
        } => {
            let key = read_api_key(api_key)?;
            let stored = outbox
                .environments()?
                .into_iter()
                .find(|e| e.name == name.trim())
                .ok_or_else(|| SyncError::UnknownEnvironment(name.trim().to_string()))?;
            let input = EnvironmentInput {
                name: rename.unwrap_or_else(|| stored.name.clone()),
                settings: SyncSettings {
                    backend_url: url.unwrap_or(stored.backend_url),
                    workspace_id: workspace.unwrap_or(stored.workspace_id),
                },
                api_key: key.as_ref(),
                start_afresh,
            };
            let edited = outbox.edit_environment(&name, input).map_err(|e| match e {
                SyncError::MoveNotConfirmed { .. } => CliError::Usage(format!(
                    "{e} Run it again with --start-afresh (and the new key on stdin) to confirm."
                )),
                e => e.into(),
            })?;
            print_one(&edited, json)
        }
        EnvCommand::Remove { name } => {
            outbox.remove_environment(&name)?;
            print(&match json {
                true => output::json(&serde_json::json!({ "removed": name.trim() })),
                false => format!("Removed the environment \"{}\".", name.trim()),
            })
        }
        EnvCommand::Use { name } => print_one(&outbox.use_environment(&name)?, json),
    }
}

fn line(env: &Environment) -> String {
    let key = match env.has_api_key {
        true => "key stored",
        false => "no key stored",
    };
    let mark = if env.current { "*" } else { " " };
    format!(
        "{mark} {:<16} {:<40} {:<24} {key}",
        env.name, env.backend_url, env.workspace_id
    )
}

fn print_list(envs: &[Environment], json: bool) -> Result<(), CliError> {
    if json {
        return print(&output::json(&envs));
    }
    if envs.is_empty() {
        return print(
            "No sync environment yet (`eca env add NAME --url URL --workspace ID --api-key-stdin`).",
        );
    }
    let lines: Vec<String> = envs.iter().map(line).collect();
    print(&format!(
        "{}\n(* current; IdPs are promoted from top to bottom)",
        lines.join("\n")
    ))
}

fn print_one(env: &Environment, json: bool) -> Result<(), CliError> {
    match json {
        true => print(&output::json(env)),
        false => print(&line(env)),
    }
}
