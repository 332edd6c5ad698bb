//! Where a sync API key belongs: the backend's origin (scheme, host, port) and the workspace it
//! was entered for. The key's keyring entry is named after that place, so a key is found only
//! for the place it was entered for.
//!
//! Invariants:
//! - The keyring account of a key is derived from its [`KeyPlace`] alone: settings that point
//!   somewhere else (a new URL, port or workspace, or another data folder's settings) find no
//!   key, and the old key is never sent there.
//! - A path under the same origin is the same place: the key goes to the same server.

use crate::secrets::SecretKey;
use crate::sync::settings::SyncSettings;
use crate::sync::SyncError;
use sha2::{Digest, Sha256};
use std::fmt;

/// The backend origin and workspace an API key is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPlace {
    /// `scheme://host[:port]`, the port only when it is not the scheme's default.
    pub origin: String,
    pub workspace: String,
}

/// A fixed-size name of a [`KeyPlace`], for the keyring account (128 bits of SHA-256).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PlaceDigest([u8; 16]);

impl KeyPlace {
    /// The place the (checked) settings point to.
    pub fn of(settings: &SyncSettings) -> Result<Self, SyncError> {
        Ok(Self {
            origin: settings.url()?.origin().ascii_serialization(),
            workspace: settings.workspace_id.clone(),
        })
    }

    /// The keyring entry of this place's API key.
    pub fn secret_key(&self) -> SecretKey {
        let mut hasher = Sha256::new();
        // The newline cannot occur in an origin or a workspace id: no two places share input.
        hasher.update(format!("{}\n{}", self.origin, self.workspace));
        let mut digest = [0u8; 16];
        digest.copy_from_slice(&hasher.finalize()[..16]);
        SecretKey::SyncApiKey(PlaceDigest(digest))
    }
}

impl PlaceDigest {
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Display for KeyPlace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "workspace \"{}\" at {}", self.workspace, self.origin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(url: &str, ws: &str) -> KeyPlace {
        KeyPlace::of(&SyncSettings {
            backend_url: url.into(),
            workspace_id: ws.into(),
        })
        .unwrap()
    }

    #[test]
    fn the_place_is_the_origin_and_the_workspace() {
        assert_eq!(
            place("https://msg.example:443/api", "acme").origin,
            "https://msg.example"
        );
        assert_eq!(
            place("http://127.0.0.1:8787", "dev").origin,
            "http://127.0.0.1:8787"
        );
        assert_eq!(
            place("https://msg.example/a", "acme").secret_key(),
            place("https://msg.example/b", "acme").secret_key(),
            "a path on the same server is the same place"
        );
        assert_eq!(
            place("https://msg.example", "acme").to_string(),
            "workspace \"acme\" at https://msg.example"
        );
    }

    #[test]
    fn another_scheme_host_port_or_workspace_is_another_keyring_entry() {
        let home = place("https://msg.example", "acme").secret_key();
        for (url, ws) in [
            ("https://evil.example", "acme"),
            ("https://msg.example:8443", "acme"),
            ("http://127.0.0.1", "acme"),
            ("https://msg.example", "acme-2"),
        ] {
            assert_ne!(place(url, ws).secret_key(), home, "{url} {ws}");
        }
    }
}
