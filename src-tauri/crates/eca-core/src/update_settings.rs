//! Where this app looks for updates: the update manifest's URL (SQLite, `update_settings`).
//!
//! Invariants:
//! - None by default: until an admin sets a URL, the app checks nothing and says so.
//! - A URL is stored only if it passes [`validation::check_web_url`], the rule of every URL the
//!   app fetches (https; plain http only to this computer), and has no fragment. A blank URL
//!   clears the setting.
//! - The URL says only where to look: what an update may install is decided by the signing key
//!   built into the app, never by anything stored here.

use crate::store::{update_settings, StoreError};
use eca_model::idp::{Field, FieldError};
use eca_model::validation;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use url::Url;

/// The app's update settings, as the settings screen shows and saves them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct UpdateSettings {
    /// The update manifest (JSON, the format of Tauri's updater), e.g.
    /// `https://releases.example/eca-admin/latest.json`; `None`: updates are not configured.
    pub manifest_url: Option<String>,
}

impl UpdateSettings {
    /// The settings, checked and normalised (trimmed; blank is `None`).
    pub fn checked(self) -> Result<Self, FieldError> {
        let manifest_url = match self.manifest_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(check_manifest_url(text)?.to_string()),
        };
        Ok(Self { manifest_url })
    }

    /// The manifest URL, parsed, if updates are configured.
    pub fn manifest(&self) -> Result<Option<Url>, FieldError> {
        self.manifest_url
            .as_deref()
            .map(check_manifest_url)
            .transpose()
    }
}

fn check_manifest_url(text: &str) -> Result<Url, FieldError> {
    let invalid = |message: String| FieldError::new(Field::UpdateManifestUrl, message);
    let url = validation::check_web_url(text).map_err(invalid)?;
    if url.fragment().is_some() {
        return Err(invalid("must not contain a fragment (\"#…\")".into()));
    }
    Ok(url)
}

/// The stored settings (no row: updates are not configured).
pub fn load(conn: &Connection) -> Result<UpdateSettings, StoreError> {
    Ok(UpdateSettings {
        manifest_url: update_settings::get(conn)?,
    })
}

/// Why the update settings were not saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("{0}")]
    Invalid(FieldError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks and stores the settings; returns them as stored.
pub fn save(conn: &Connection, settings: UpdateSettings) -> Result<UpdateSettings, SaveError> {
    let settings = settings.checked().map_err(SaveError::Invalid)?;
    update_settings::put(conn, settings.manifest_url.as_deref())?;
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store;

    fn with_url(url: &str) -> UpdateSettings {
        UpdateSettings {
            manifest_url: Some(url.into()),
        }
    }

    #[test]
    fn updates_are_not_configured_until_a_url_is_saved() {
        let conn = store::open_in_memory().unwrap();
        assert_eq!(
            load(&conn).unwrap().manifest_url,
            None,
            "the default is none"
        );
        let saved = save(&conn, with_url(" https://releases.example/latest.json ")).unwrap();
        assert_eq!(
            saved.manifest_url.as_deref(),
            Some("https://releases.example/latest.json"),
            "trimmed"
        );
        assert_eq!(load(&conn).unwrap(), saved, "stored as returned");
        save(&conn, with_url("  ")).unwrap();
        assert_eq!(load(&conn).unwrap().manifest_url, None, "blank clears it");
    }

    #[test]
    fn plain_http_only_to_this_computer() {
        assert!(with_url("http://127.0.0.1:8080/latest.json")
            .checked()
            .is_ok());
        for (url, why) in [
            ("http://releases.example/latest.json", "https"),
            ("file:///tmp/latest.json", "file"),
            ("https://u:p@releases.example/latest.json", "user name"),
            ("https://releases.example/latest.json#x", "fragment"),
            ("releases.example/latest.json", "not a valid URL"),
        ] {
            let error = with_url(url).checked().expect_err(url);
            assert_eq!(error.field, Field::UpdateManifestUrl, "{url}");
            assert!(error.message.contains(why), "{url}: {}", error.message);
        }
    }

    #[test]
    fn a_refused_url_leaves_the_stored_one() {
        let conn = store::open_in_memory().unwrap();
        save(&conn, with_url("https://releases.example/latest.json")).unwrap();
        assert!(save(&conn, with_url("http://releases.example/x.json")).is_err());
        assert_eq!(
            load(&conn).unwrap().manifest_url.as_deref(),
            Some("https://releases.example/latest.json"),
            "bad input loses nothing"
        );
    }
}
