//! Sync environments: several named backends ("sandbox", "production"), each with its own URL,
//! workspace, API key and sync state (outbox, base, platform tests), in promotion order.
//!
//! Invariants:
//! - Names follow one rule ([`check_name`]) and are unique; two environments never share a
//!   place (origin and workspace), so an API key belongs to exactly one environment and is
//!   never sent to another's backend.
//! - Switching the current environment keeps every environment's state; moving one to another
//!   place follows [`settings::place_env`] (that place's key, the admin's confirmation, and a
//!   fresh start of that environment only).
//! - The first environment becomes current and takes the changes recorded before it existed.

use crate::secrets::Secret;
use crate::store::sync_envs::{self, EnvRow};
use crate::store::{sync_base, sync_changes};
use crate::sync::key_place::KeyPlace;
use crate::sync::settings::{self, SyncSettings};
use crate::sync::{Outbox, SyncError};
use eca_model::clock::rfc3339;
use eca_model::idp::{Field, FieldError};
use rusqlite::{Connection, TransactionBehavior};
use serde::Serialize;

/// An environment as the app and the CLI show it (the API key only as present or not).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct Environment {
    pub name: String,
    pub backend_url: String,
    pub workspace_id: String,
    /// Whether sync works on this one now.
    pub current: bool,
    /// Whether a key entered for this environment's place is stored.
    pub has_api_key: bool,
}

/// What the admin enters to add or edit an environment.
pub struct EnvironmentInput<'a> {
    pub name: String,
    pub settings: SyncSettings,
    /// A new API key for the environment's place, if one was entered.
    pub api_key: Option<&'a Secret>,
    /// The confirmation that moving an environment to another place starts it afresh.
    pub start_afresh: bool,
}

/// The name, checked: 1 to 32 lowercase letters, digits or dashes, starting with a letter.
pub fn check_name(name: &str) -> Result<String, FieldError> {
    let name = name.trim();
    let ok = (1..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(name.to_string())
    } else {
        Err(FieldError::new(
            Field::EnvironmentName,
            "must be 1 to 32 lowercase letters, digits or dashes, starting with a letter \
             (e.g. sandbox, production)",
        ))
    }
}

impl EnvironmentInput<'_> {
    /// The name and settings, checked; every field's problem is reported.
    fn checked(&self) -> Result<(String, SyncSettings), SyncError> {
        let name = check_name(&self.name);
        let settings = self.settings.clone().checked();
        match (name, settings) {
            (Ok(name), Ok(settings)) => Ok((name, settings)),
            (name, settings) => {
                let mut errors: Vec<FieldError> = name.err().into_iter().collect();
                if let Err(SyncError::InvalidSettings(more)) = settings {
                    errors.extend(more);
                }
                Err(SyncError::InvalidSettings(errors))
            }
        }
    }
}

/// The environment called `name`.
pub(crate) fn named(conn: &Connection, name: &str) -> Result<EnvRow, SyncError> {
    sync_envs::by_name(conn, name.trim())?
        .ok_or_else(|| SyncError::UnknownEnvironment(name.trim().to_string()))
}

/// Refuses a name or a place another environment than `except` already has.
fn check_unique(
    conn: &Connection,
    name: &str,
    settings: &SyncSettings,
    except: Option<&EnvRow>,
) -> Result<(), SyncError> {
    let place = KeyPlace::of(settings)?;
    let mut errors = Vec::new();
    for other in sync_envs::list(conn)? {
        if except.is_some_and(|e| e.id == other.id) {
            continue;
        }
        if other.name == name {
            errors.push(FieldError::new(
                Field::EnvironmentName,
                "is already the name of another environment",
            ));
        }
        if KeyPlace::of(&SyncSettings::of(&other))? == place {
            errors.push(FieldError::new(
                Field::WorkspaceId,
                format!(
                    "the environment \"{}\" already syncs to this workspace at this origin",
                    other.name
                ),
            ));
        }
    }
    match errors.is_empty() {
        true => Ok(()),
        false => Err(SyncError::InvalidSettings(errors)),
    }
}

/// A checked new name and place for an environment, with the key and confirmation a move needs.
pub(crate) struct EnvEdit<'a> {
    pub name: &'a str,
    pub settings: &'a SyncSettings,
    pub key: Option<&'a Secret>,
    pub confirmed: bool,
}

/// Renames or moves `env` inside the caller's transaction: the one path of `eca env edit`, the
/// environments screen and the sync settings form, so the name and place stay unique (see
/// [`check_unique`]) and a move follows [`settings::place_env`]. The caller commits.
pub(crate) fn rewrite(
    tx: &Connection,
    secrets: &dyn crate::secrets::SecretStore,
    env: &EnvRow,
    edit: EnvEdit<'_>,
    at: &str,
) -> Result<(), SyncError> {
    check_unique(tx, edit.name, edit.settings, Some(env))?;
    settings::place_env(
        tx,
        secrets,
        env,
        edit.settings,
        edit.key,
        edit.confirmed,
        at,
    )?;
    sync_envs::update(
        tx,
        env.id,
        edit.name,
        &edit.settings.backend_url,
        &edit.settings.workspace_id,
    )?;
    Ok(())
}

impl Outbox {
    /// Every environment, in promotion order.
    pub fn environments(&self) -> Result<Vec<Environment>, SyncError> {
        sync_envs::list(&self.conn)?
            .iter()
            .map(|env| self.shown(env))
            .collect()
    }

    fn shown(&self, env: &EnvRow) -> Result<Environment, SyncError> {
        let has_api_key = match settings::api_key(self.secrets.as_ref(), &SyncSettings::of(env)) {
            Ok(_) => true,
            Err(SyncError::NoApiKey(_)) => false,
            Err(e) => return Err(e),
        };
        Ok(Environment {
            name: env.name.clone(),
            backend_url: env.backend_url.clone(),
            workspace_id: env.workspace_id.clone(),
            current: env.current,
            has_api_key,
        })
    }

    /// Adds an environment at the end of the promotion path (the first one becomes current).
    pub fn add_environment(
        &mut self,
        input: EnvironmentInput<'_>,
    ) -> Result<Environment, SyncError> {
        let (name, settings) = input.checked()?;
        let key = input.api_key.map(settings::checked_key).transpose()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        check_unique(&tx, &name, &settings, None)?;
        if let Some(key) = key {
            self.secrets
                .put(KeyPlace::of(&settings)?.secret_key(), key)?;
        }
        let id = sync_envs::insert(&tx, &name, &settings.backend_url, &settings.workspace_id)?;
        sync_changes::adopt(&tx, id)?;
        tx.commit()?;
        let env = sync_envs::get(&self.conn, id)?.ok_or(SyncError::NotConfigured)?;
        self.shown(&env)
    }

    /// Renames or moves the environment `name` (a move: see [`settings::place_env`]).
    pub fn edit_environment(
        &mut self,
        name: &str,
        input: EnvironmentInput<'_>,
    ) -> Result<Environment, SyncError> {
        let (new_name, settings) = input.checked()?;
        let key = input.api_key.map(settings::checked_key).transpose()?;
        let at = rfc3339(self.clock.now());
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let env = named(&tx, name)?;
        let secrets = self.secrets.as_ref();
        let edit = EnvEdit {
            name: &new_name,
            settings: &settings,
            key,
            confirmed: input.start_afresh,
        };
        rewrite(&tx, secrets, &env, edit, &at)?;
        tx.commit()?;
        let env = sync_envs::get(&self.conn, env.id)?.ok_or(SyncError::NotConfigured)?;
        self.shown(&env)
    }

    /// Makes `name` the environment sync works on; every environment keeps its state.
    pub fn use_environment(&mut self, name: &str) -> Result<Environment, SyncError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let env = named(&tx, name)?;
        sync_envs::set_current(&tx, env.id)?;
        tx.commit()?;
        let env = named(&self.conn, name)?;
        self.shown(&env)
    }

    /// Removes the environment `name` with its sync state (queued changes, base, platform
    /// tests) and its API key. The current environment cannot be removed while others exist.
    pub fn remove_environment(&mut self, name: &str) -> Result<(), SyncError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let env = named(&tx, name)?;
        if env.current && sync_envs::list(&tx)?.len() > 1 {
            return Err(SyncError::RemoveCurrent(env.name));
        }
        // Explicitly, so 0008's triggers queue the secret copies of its changes for deletion.
        sync_changes::clear(&tx, env.id)?;
        sync_base::clear(&tx, env.id)?;
        sync_envs::delete(&tx, env.id)?;
        tx.commit()?;
        let place = KeyPlace::of(&SyncSettings::of(&env))?;
        self.secrets.delete(place.secret_key())?;
        crate::sync::secret_copy::discard_settled(&self.conn, self.secrets.as_ref());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_slugs() {
        for good in ["sandbox", "production", "eu-2", "a"] {
            assert_eq!(check_name(good).unwrap(), good);
        }
        assert_eq!(check_name(" sandbox ").unwrap(), "sandbox", "trimmed");
        for bad in [
            "",
            "Sandbox",
            "2nd",
            "-x",
            "prod env",
            "a_b",
            &"x".repeat(33),
        ] {
            let e = check_name(bad).unwrap_err();
            assert_eq!(e.field, Field::EnvironmentName, "{bad:?}");
            assert!(e.message.contains("lowercase"), "{bad:?}: {}", e.message);
        }
    }
}
