//! Where this data folder syncs to: the backend URL and workspace (SQLite, `sync_settings`)
//! and the workspace's API key (OS keyring, [`SecretKey::SyncApiKey`]).
//!
//! Invariants: settings are validated before they are stored; the API key never touches
//! SQLite, and is read only to be sent as a Bearer token.

use crate::secrets::{Secret, SecretKey, SecretStore};
use crate::store::sync_settings;
use crate::sync::SyncError;
use eca_model::idp::{Field, FieldError};
use rusqlite::Connection;
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

/// The stored settings, if sync was set up.
pub fn load(conn: &Connection) -> Result<Option<SyncSettings>, SyncError> {
    Ok(
        sync_settings::get(conn)?.map(|(backend_url, workspace_id)| SyncSettings {
            backend_url,
            workspace_id,
        }),
    )
}

/// Stores the settings and, when given, the API key (in the keyring).
pub fn save(
    conn: &Connection,
    secrets: &dyn SecretStore,
    settings: SyncSettings,
    api_key: Option<&Secret>,
) -> Result<SyncSettings, SyncError> {
    let settings = settings.checked()?;
    if let Some(key) = api_key {
        if let Some(problem) = key.problem() {
            return Err(SyncError::InvalidSettings(vec![FieldError::new(
                Field::ApiKey,
                problem,
            )]));
        }
        secrets.put(SecretKey::SyncApiKey, key)?;
    }
    sync_settings::put(conn, &settings.backend_url, &settings.workspace_id)?;
    Ok(settings)
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
