//! Workspaces and the API keys that open them.
//!
//! Invariants:
//! - A [`WorkspaceId`] is 1 to 63 characters of `[a-z0-9-]`, starting with a letter or digit,
//!   so it can sit in a URL path and a log line as is.
//! - An [`ApiKey`] never prints (`Debug` says `[redacted]`) and is stored only as its SHA-256
//!   ([`ApiKey::hash`]); the value is shown once, when it is generated.

use aes_gcm::aead::{rand_core::RngCore, OsRng};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WorkspaceError {
    #[error(
        "\"{0}\" is not a workspace id: use 1 to 63 lower-case letters, digits and dashes, \
         starting with a letter or digit"
    )]
    InvalidId(String),
    #[error("An API key must be 16 to 256 visible ASCII characters (no spaces).")]
    InvalidKey,
    // The input is not echoed: it may be a bare key.
    #[error("An API key grant is WORKSPACE:KEY, for example dev:eca_0123456789abcdef.")]
    InvalidGrant,
}

/// The id of a workspace, as in `/v1/workspaces/{workspace_id}/…`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkspaceId(String);

impl WorkspaceId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for WorkspaceId {
    type Err = WorkspaceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = (1..=63).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(WorkspaceError::InvalidId(s.chars().take(80).collect()))
        }
    }
}

/// Read from a seed file ([`crate::seed`]) with the same rule as a path's.
impl<'de> serde::Deserialize<'de> for WorkspaceId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for WorkspaceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A bearer API key. Redacted in `Debug`; read through [`ApiKey::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// A fresh key from the OS RNG: `eca_` and 64 hex digits (256 bits).
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        Self(format!("eca_{}", hex::encode(bytes)))
    }

    /// The one way to read the value: to print it once, or to send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the store keeps and looks keys up by: hex SHA-256 of the key.
    pub fn hash(&self) -> String {
        hash_presented_key(&self.0)
    }
}

/// The hash of a key as presented in an `Authorization` header (which may be any string).
pub fn hash_presented_key(presented: &str) -> String {
    hex::encode(Sha256::digest(presented.as_bytes()))
}

impl FromStr for ApiKey {
    type Err = WorkspaceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if (16..=256).contains(&s.len()) && s.chars().all(|c| c.is_ascii_graphic()) {
            Ok(Self(s.to_string()))
        } else {
            Err(WorkspaceError::InvalidKey)
        }
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

/// A key and the workspace it opens (created if missing), e.g. from `--api-key dev:KEY`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyGrant {
    pub workspace: WorkspaceId,
    pub key: ApiKey,
}

impl FromStr for ApiKeyGrant {
    type Err = WorkspaceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (workspace, key) = s.split_once(':').ok_or(WorkspaceError::InvalidGrant)?;
        Ok(Self {
            workspace: workspace.parse()?,
            key: key.parse()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_ids_are_url_safe() {
        for good in ["dev", "acme-prod", "a", "0abc"] {
            assert!(
                good.parse::<WorkspaceId>().is_ok(),
                "{good} should be accepted"
            );
        }
        for bad in ["", "-dev", "Dev", "a/b", "a b", &"a".repeat(64)] {
            assert!(
                bad.parse::<WorkspaceId>().is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn generated_keys_are_distinct_and_redacted() {
        let (a, b) = (ApiKey::generate(), ApiKey::generate());
        assert_ne!(a, b, "two generated keys must differ");
        assert!(a.expose().starts_with("eca_") && a.expose().len() == 68);
        assert_eq!(
            format!("{a:?}"),
            "ApiKey([redacted])",
            "Debug must not show the key"
        );
        assert_eq!(a.hash(), hash_presented_key(a.expose()));
    }

    #[test]
    fn grants_parse_and_never_echo_the_key() {
        let grant: ApiKeyGrant = "dev:0123456789abcdef".parse().unwrap();
        assert_eq!(grant.workspace.as_str(), "dev");
        assert_eq!(grant.key.expose(), "0123456789abcdef");
        let err = "no-colon-here-secret".parse::<ApiKeyGrant>().unwrap_err();
        assert_eq!(err, WorkspaceError::InvalidGrant);
        assert!(
            !err.to_string().contains("secret"),
            "the error must not echo the input"
        );
        assert_eq!(
            "dev:short".parse::<ApiKeyGrant>().unwrap_err(),
            WorkspaceError::InvalidKey
        );
    }
}
