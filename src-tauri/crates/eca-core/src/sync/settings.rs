//! Where the current sync environment syncs to: the backend URL and workspace (SQLite,
//! `sync_env`) and the workspace's API key (OS keyring, one entry per [`KeyPlace`]).
//!
//! Invariants:
//! - Settings are validated before they are stored; the API key never touches SQLite, and is
//!   read only to be sent as a Bearer token, and only to the place it was entered for.
//! - Settings that move sync to another origin or workspace are stored only with a new key for
//!   that place and the admin's confirmation; the move and [`start_afresh`] (of that
//!   environment only) commit together.
//! - Starting afresh loses no local edit: every local IdP is queued as new for the next push.

use crate::secrets::{Secret, SecretStore};
use crate::store::sync_changes::ChangeKind;
use crate::store::sync_envs::{self, EnvId, EnvRow};
use crate::store::{idps, sync_base, sync_changes, StoreError};
use crate::sync::key_place::KeyPlace;
use crate::sync::SyncError;
use crate::sync::{environments, outbox};
use eca_model::idp::{Field, FieldError};
use rusqlite::{Connection, TransactionBehavior};
use serde::{Deserialize, Serialize};
use url::Url;

/// The backend and workspace to sync with (the API key is kept apart, in the keyring).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct SyncSettings {
    /// E.g. `https://messaging.example` (no path needed; `/v1/...` is appended).
    pub backend_url: String,
    /// The workspace id, e.g. `acme-prod`.
    pub workspace_id: String,
}

impl SyncSettings {
    /// The settings, checked: an http(s) URL without user info, query or fragment (plain http
    /// only to a loopback host), and a workspace id as the contract spells them. Every field's
    /// problem is reported, each naming its field.
    pub fn checked(self) -> Result<Self, SyncError> {
        let url = check_url(self.backend_url.trim());
        let ws = self.workspace_id.trim();
        let errors: Vec<FieldError> = [url.as_ref().err().cloned(), check_workspace(ws).err()]
            .into_iter()
            .flatten()
            .collect();
        match url {
            Ok(url) if errors.is_empty() => Ok(Self {
                backend_url: url.as_str().trim_end_matches('/').to_string(),
                workspace_id: ws.to_string(),
            }),
            _ => Err(SyncError::InvalidSettings(errors)),
        }
    }

    /// The base URL, parsed (the settings were checked when stored).
    pub fn url(&self) -> Result<Url, SyncError> {
        check_url(&self.backend_url).map_err(|e| SyncError::InvalidSettings(vec![e]))
    }
}

fn check_url(text: &str) -> Result<Url, FieldError> {
    let invalid = |message: String| FieldError::new(Field::BackendUrl, message);
    let url = Url::parse(text).map_err(|e| invalid(format!("is not a URL ({e})")))?;
    let loopback = eca_model::validation::is_loopback_url(&url);
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(invalid(
                "must use https (plain http is allowed only to this computer)".into(),
            ))
        }
        _ => return Err(invalid("must start with https://".into())),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must not contain a user name or password".into()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("must not have a query or fragment".into()));
    }
    Ok(url)
}

fn check_workspace(ws: &str) -> Result<(), FieldError> {
    let ok = (1..=63).contains(&ws.len())
        && ws.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && ws
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(
            Field::WorkspaceId,
            "must be 1 to 63 lowercase letters, digits or dashes, starting with a letter or digit",
        ))
    }
}

/// The current environment's settings, if sync was set up.
pub fn load(conn: &Connection) -> Result<Option<SyncSettings>, SyncError> {
    Ok(sync_envs::current(conn)?.map(|env| SyncSettings::of(&env)))
}

impl SyncSettings {
    /// An environment's settings (checked when it was stored).
    pub fn of(env: &EnvRow) -> Self {
        Self {
            backend_url: env.backend_url.clone(),
            workspace_id: env.workspace_id.clone(),
        }
    }
}

/// What the admin asks to store: the settings, a new API key if one was entered, and whether
/// they confirmed starting afresh when the settings move sync elsewhere.
pub struct SaveSettings<'a> {
    pub settings: SyncSettings,
    pub api_key: Option<&'a Secret>,
    pub start_afresh: bool,
}

/// The name of the environment made for settings stored before any environment exists.
pub const DEFAULT_ENVIRONMENT: &str = "default";

/// Stores the settings in the current environment (or in a first one, [`DEFAULT_ENVIRONMENT`],
/// when there is none) and, when given, the API key (in the keyring, for the settings' place).
/// A move to another place needs a new key and the confirmation; it starts that environment's
/// sync afresh.
pub fn save(
    conn: &mut Connection,
    secrets: &dyn SecretStore,
    request: SaveSettings<'_>,
    at: &str,
) -> Result<SyncSettings, SyncError> {
    let settings = request.settings.clone().checked()?;
    let key = request.api_key.map(checked_key).transpose()?;
    // The stored settings are read under the write lock, so no other process moves sync
    // between this check and the write.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    match sync_envs::current(&tx)? {
        Some(env) => {
            let edit = environments::EnvEdit {
                name: &env.name,
                settings: &settings,
                key,
                confirmed: request.start_afresh,
            };
            environments::rewrite(&tx, secrets, &env, edit, at)?;
        }
        None => {
            if let Some(key) = key {
                secrets.put(KeyPlace::of(&settings)?.secret_key(), key)?;
            }
            let id = sync_envs::insert(
                &tx,
                DEFAULT_ENVIRONMENT,
                &settings.backend_url,
                &settings.workspace_id,
            )?;
            sync_changes::adopt(&tx, id)?;
        }
    }
    tx.commit()?;
    Ok(settings)
}

/// Checks and prepares moving environment `env` to the (checked) `settings`: a move to another
/// place needs the new place's key and `confirmed`, and starts that environment afresh; the
/// key, when given, is stored for the new place. The caller writes the row and commits.
pub(crate) fn place_env(
    tx: &Connection,
    secrets: &dyn SecretStore,
    env: &EnvRow,
    settings: &SyncSettings,
    key: Option<&Secret>,
    confirmed: bool,
    at: &str,
) -> Result<(), SyncError> {
    let to = KeyPlace::of(settings)?;
    let from = KeyPlace::of(&SyncSettings::of(env))?;
    let moved = (from != to).then_some(from);
    match (moved.clone(), key) {
        (Some(from), None) => return Err(key_needed(&from, &to)),
        (Some(from), Some(_)) if !confirmed => {
            return Err(SyncError::MoveNotConfirmed { from, to })
        }
        _ => {}
    }
    if let Some(key) = key {
        secrets.put(to.secret_key(), key)?;
    }
    if moved.is_some() {
        start_afresh(tx, env.id, at)?;
    }
    Ok(())
}

/// The API key of the place `settings` point to; a key entered for any other place is never
/// returned.
pub fn api_key(secrets: &dyn SecretStore, settings: &SyncSettings) -> Result<Secret, SyncError> {
    let place = KeyPlace::of(settings)?;
    secrets
        .get(place.secret_key())?
        .ok_or(SyncError::NoApiKey(place))
}

/// The key as entered, or why it cannot be one.
pub(crate) fn checked_key(key: &Secret) -> Result<&Secret, SyncError> {
    match key.problem() {
        Some(problem) => Err(SyncError::InvalidSettings(vec![FieldError::new(
            Field::ApiKey,
            problem,
        )])),
        None => Ok(key),
    }
}

fn key_needed(from: &KeyPlace, to: &KeyPlace) -> SyncError {
    SyncError::InvalidSettings(vec![FieldError::new(
        Field::ApiKey,
        format!(
            "enter the API key of the {to}: the stored key was entered for the {from} and is \
             never sent anywhere else"
        ),
    )])
}

/// Forgets what environment `env`'s old backend holds (the base) and every change queued for
/// it, then queues every local IdP as new there, so the next push creates each one on the new
/// backend (one that is already there meets its `If-None-Match` and shows as a conflict, never
/// overwritten). Other environments keep their state.
fn start_afresh(tx: &Connection, env: EnvId, at: &str) -> Result<(), StoreError> {
    sync_base::clear(tx, env)?;
    sync_changes::clear(tx, env)?;
    for idp in idps::list_full(tx)? {
        outbox::record_in(
            tx,
            Some(env),
            idp.id,
            ChangeKind::Create,
            idp.has_secret,
            at,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(url: &str, ws: &str) -> Result<SyncSettings, SyncError> {
        SyncSettings {
            backend_url: url.into(),
            workspace_id: ws.into(),
        }
        .checked()
    }

    #[test]
    fn settings_are_checked() {
        assert_eq!(
            s("https://msg.example/", "acme").unwrap().backend_url,
            "https://msg.example"
        );
        assert!(s("http://127.0.0.1:8787", "dev").is_ok());
        let refused_field = |url: &str, ws: &str| match s(url, ws) {
            Err(SyncError::InvalidSettings(errors)) => {
                errors.iter().map(|e| e.field).collect::<Vec<_>>()
            }
            other => panic!("{url} / {ws}: {other:?}"),
        };
        for (url, why) in [
            ("http://msg.example", "plain http off-host"),
            ("https://u:p@msg.example", "user info"),
            ("ftp://msg.example", "another scheme"),
        ] {
            assert_eq!(refused_field(url, "dev"), [Field::BackendUrl], "{why}");
        }
        for ws in ["Acme", ""] {
            let fields = refused_field("https://msg.example", ws);
            assert_eq!(fields, [Field::WorkspaceId], "{ws:?}");
        }
    }

    #[test]
    fn every_bad_field_is_named() {
        let Err(SyncError::InvalidSettings(errors)) = s("http://msg.example", "Acme") else {
            panic!("both fields are wrong");
        };
        let fields: Vec<Field> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec![Field::BackendUrl, Field::WorkspaceId]);
        assert!(errors[0].message.contains("https"), "{errors:?}");
    }
}
