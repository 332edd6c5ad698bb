//! Client secrets and the sync API key in the OS keyring. The value type, [`Secret`], is the
//! model's redacting type.
//!
//! Invariants:
//! - Values live only in the OS keyring (Secret Service / Keychain / Credential Manager),
//!   keyed by a [`SecretKey`] built from stable ids. There is no plaintext fallback: when no
//!   keyring is reachable, operations fail with a [`SecretError`] that says what to do.
//! - Error messages never contain a secret value.

use crate::data_dir::APP_IDENTIFIER;
use crate::sync::key_place::PlaceDigest;
use eca_model::idp::IdpId;
pub use eca_model::secret::Secret;
use std::collections::HashMap;
use std::sync::Mutex;

/// What a keyring entry belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SecretKey {
    IdpClientSecret(IdpId),
    /// The private key an IdP that authenticates with private_key_jwt signs with
    /// ([`crate::client_keys`]).
    IdpSigningKey(IdpId),
    /// The API key of the messaging backend that [`crate::sync`] pushes to, one per backend
    /// origin and workspace ([`crate::sync::key_place`]): a key is found only where it was
    /// entered for.
    SyncApiKey(PlaceDigest),
    /// The client secret a frozen sync change sends, kept under the change's idempotency key
    /// until the change settles (see [`crate::sync::secret_copy`]).
    FrozenClientSecret(uuid::Uuid),
}

impl SecretKey {
    /// The keyring "account"/"user" under the service [`APP_IDENTIFIER`].
    pub fn account(&self) -> String {
        match self {
            SecretKey::IdpClientSecret(id) => format!("idp:{id}:client_secret"),
            SecretKey::IdpSigningKey(id) => format!("idp:{id}:signing_key"),
            SecretKey::SyncApiKey(place) => format!("sync:api_key:{}", place.hex()),
            SecretKey::FrozenClientSecret(key) => {
                format!("sync:change:{}:client_secret", key.hyphenated())
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "No OS keyring is reachable ({detail}). Start your desktop's keyring (GNOME Keyring, \
         KWallet, macOS Keychain or Windows Credential Manager) and try again; secrets are never \
         stored anywhere else."
    )]
    Unavailable { detail: String },
    #[error("The OS keyring is locked. Unlock it (log in to your desktop keyring) and try again.")]
    Locked,
    #[error("The OS keyring refused the operation: {detail}")]
    Refused { detail: String },
}

/// A place secrets are kept.
pub trait SecretStore: Send + Sync {
    fn put(&self, key: SecretKey, secret: &Secret) -> Result<(), SecretError>;
    fn get(&self, key: SecretKey) -> Result<Option<Secret>, SecretError>;
    /// Removes the entry; an absent entry is not an error.
    fn delete(&self, key: SecretKey) -> Result<(), SecretError>;
}

/// The OS keyring through the `keyring` crate (its platform features are on per target OS).
#[derive(Clone, Debug)]
pub struct OsKeyring {
    service: String,
}

impl OsKeyring {
    pub fn new() -> Self {
        Self {
            service: APP_IDENTIFIER.to_string(),
        }
    }

    fn entry(&self, key: SecretKey) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(&self.service, &key.account()).map_err(map_keyring_error)
    }
}

impl Default for OsKeyring {
    fn default() -> Self {
        Self::new()
    }
}

impl SecretStore for OsKeyring {
    fn put(&self, key: SecretKey, secret: &Secret) -> Result<(), SecretError> {
        self.entry(key)?
            .set_password(secret.expose())
            .map_err(map_keyring_error)
    }

    fn get(&self, key: SecretKey) -> Result<Option<Secret>, SecretError> {
        match self.entry(key)?.get_password() {
            Ok(v) => Ok(Some(Secret::new(v))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_keyring_error(e)),
        }
    }

    fn delete(&self, key: SecretKey) -> Result<(), SecretError> {
        match self.entry(key)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring_error(e)),
        }
    }
}

/// Turns the keyring crate's errors into ones an admin can act on. The crate's errors carry
/// platform messages, never the secret value.
fn map_keyring_error(e: keyring::Error) -> SecretError {
    match e {
        keyring::Error::NoStorageAccess(inner) => {
            let detail = inner.to_string();
            if detail.contains("Prompt") || detail.to_lowercase().contains("lock") {
                SecretError::Locked
            } else {
                SecretError::Unavailable { detail }
            }
        }
        keyring::Error::PlatformFailure(inner) => SecretError::Unavailable {
            detail: first_line(&inner.to_string()),
        },
        other => SecretError::Refused {
            detail: first_line(&other.to_string()),
        },
    }
}

fn first_line(s: &str) -> String {
    s.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect()
}

/// An in-process store for unit tests of code that needs a [`SecretStore`]. It can be told to
/// fail, to exercise the "keyring unavailable" paths. Real-keyring tests use [`OsKeyring`].
#[derive(Debug, Default)]
pub struct MemorySecrets {
    values: Mutex<HashMap<SecretKey, String>>,
    failing: std::sync::atomic::AtomicBool,
}

impl MemorySecrets {
    pub fn new() -> Self {
        Self::default()
    }
    /// From now on every operation fails as if no keyring were reachable.
    pub fn fail_from_now(&self) {
        self.failing
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }
    fn check(&self) -> Result<(), SecretError> {
        if self.failing.load(std::sync::atomic::Ordering::SeqCst) {
            Err(SecretError::Unavailable {
                detail: "test keyring switched off".into(),
            })
        } else {
            Ok(())
        }
    }
    pub fn len(&self) -> usize {
        self.values.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl SecretStore for MemorySecrets {
    fn put(&self, key: SecretKey, secret: &Secret) -> Result<(), SecretError> {
        self.check()?;
        self.values
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, secret.expose().to_string());
        Ok(())
    }
    fn get(&self, key: SecretKey) -> Result<Option<Secret>, SecretError> {
        self.check()?;
        Ok(self
            .values
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned()
            .map(Secret::new))
    }
    fn delete(&self, key: SecretKey) -> Result<(), SecretError> {
        self.check()?;
        self.values
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_keyed_by_stable_id() {
        let id: IdpId = "6f1c2f8e-2d5b-4c1e-9a57-0f6a3b2c1d00".parse().unwrap();
        assert_eq!(
            SecretKey::IdpClientSecret(id).account(),
            "idp:6f1c2f8e-2d5b-4c1e-9a57-0f6a3b2c1d00:client_secret"
        );
        let key: uuid::Uuid = "0b5e4c1a-9d2f-4e7b-8a6c-3f1d2e4a5b6c".parse().unwrap();
        assert_eq!(
            SecretKey::FrozenClientSecret(key).account(),
            "sync:change:0b5e4c1a-9d2f-4e7b-8a6c-3f1d2e4a5b6c:client_secret"
        );
    }
}
