//! Client secrets (and the platform's own signing keys) at rest: AES-256-GCM under one master
//! key, and the secrets' public fingerprints.
//!
//! Invariants:
//! - A sealed secret is `nonce (12 bytes) || ciphertext+tag`, with a fresh random nonce from the
//!   OS RNG on every seal, and bound by associated data to the row it belongs to (workspace and
//!   IdP id), so a ciphertext copied to another row does not open.
//! - The master key comes from `ECA_BACKEND_SECRET_KEY` (64 hex digits) or from a key file in
//!   the data dir, created with mode 0600 and refused when others can read it. It never prints.
//! - A [`fingerprint`] is the first 16 hex digits of SHA-256(salt || secret): it tells "changed"
//!   apart from "same" and reveals nothing useful about a high-entropy secret.

use aes_gcm::aead::{rand_core::RngCore, Aead, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

const NONCE_LEN: usize = 12;
/// How many hex digits of the SHA-256 a fingerprint keeps (64 bits).
const FINGERPRINT_HEX: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("The secret key must be 64 hex digits (32 bytes); generate one with `openssl rand -hex 32`.")]
    InvalidKey,
    #[error("Cannot read the key file {path}: {detail}")]
    ReadKeyFile { path: PathBuf, detail: String },
    #[error("Cannot create the key file {path}: {detail}")]
    CreateKeyFile { path: PathBuf, detail: String },
    #[error(
        "The key file {path} can be read by other users (mode {mode:o}); run `chmod 600 {path}`."
    )]
    KeyFileTooOpen { path: PathBuf, mode: u32 },
    #[error(
        "A stored client secret cannot be decrypted: the master key is not the one it was \
         written with, or the row was altered."
    )]
    Open,
    #[error("Encryption failed.")]
    Seal,
}

/// The 256-bit key every secret is sealed under. Redacted in `Debug`, zeroed on drop.
#[derive(Clone)]
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl MasterKey {
    /// A fresh key from the OS RNG (for an in-memory backend).
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(key.as_mut());
        Self(key)
    }

    pub fn from_hex(hex_key: &str) -> Result<Self, CryptoError> {
        let bytes =
            Zeroizing::new(hex::decode(hex_key.trim()).map_err(|_| CryptoError::InvalidKey)?);
        let array: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::InvalidKey)?;
        Ok(Self(Zeroizing::new(array)))
    }

    /// Reads the key file, or creates it (mode 0600, a fresh key) when it does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self, CryptoError> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                check_private(path)?;
                Self::from_hex(&Zeroizing::new(text))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate();
                write_private(path, &key).map_err(|e| CryptoError::CreateKeyFile {
                    path: path.to_path_buf(),
                    detail: e.to_string(),
                })?;
                Ok(key)
            }
            Err(e) => Err(CryptoError::ReadKeyFile {
                path: path.to_path_buf(),
                detail: e.to_string(),
            }),
        }
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

fn write_private(path: &Path, key: &MasterKey) -> std::io::Result<()> {
    let text = Zeroizing::new(format!("{}\n", hex::encode(key.0.as_ref())));
    write_private_file(path, &text)
}

/// Creates `path` (it must not exist) readable and writable by its owner only, with `text`.
pub fn write_private_file(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), CryptoError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| CryptoError::ReadKeyFile {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(CryptoError::KeyFileTooOpen {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), CryptoError> {
    // The data dir's ACL protects the file on other systems.
    Ok(())
}

/// Seals and opens client secrets under the master key.
pub struct SecretSealer {
    cipher: Aes256Gcm,
}

impl SecretSealer {
    pub fn new(key: &MasterKey) -> Self {
        Self {
            cipher: Aes256Gcm::new_from_slice(key.0.as_ref()).expect("the key is 32 bytes"),
        }
    }

    /// Encrypts `secret` for the row named by `binding` (see [`row_binding`]).
    pub fn seal(&self, binding: &[u8], secret: &str) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret.as_bytes(),
                    aad: binding,
                },
            )
            .map_err(|_| CryptoError::Seal)?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// Decrypts a value sealed for the same `binding`.
    pub fn open(&self, binding: &[u8], sealed: &[u8]) -> Result<Zeroizing<String>, CryptoError> {
        if sealed.len() < NONCE_LEN {
            return Err(CryptoError::Open);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let plain = Zeroizing::new(
            self.cipher
                .decrypt(
                    Nonce::from_slice(nonce),
                    Payload {
                        msg: ciphertext,
                        aad: binding,
                    },
                )
                .map_err(|_| CryptoError::Open)?,
        );
        let text = std::str::from_utf8(&plain).map_err(|_| CryptoError::Open)?;
        Ok(Zeroizing::new(text.to_string()))
    }
}

/// The associated data that ties a sealed secret to its row.
pub fn row_binding(workspace: &str, idp_id: &str) -> Vec<u8> {
    format!("eca-backend/idp-secret/v1/{workspace}/{idp_id}").into_bytes()
}

/// The associated data that ties the platform's sealed signing key to its row: not the one of
/// a secret, so neither opens in the other's place.
pub fn key_binding(workspace: &str, idp_id: &str) -> Vec<u8> {
    format!("eca-backend/platform-key/v1/{workspace}/{idp_id}").into_bytes()
}

/// The public fingerprint of a secret under a workspace's salt.
pub fn fingerprint(salt: &[u8], secret: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(secret.as_bytes());
    let mut hex = hex::encode(hasher.finalize());
    hex.truncate(FINGERPRINT_HEX);
    hex
}

/// A fresh random salt for a new workspace.
pub fn new_salt() -> [u8; 16] {
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    salt
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open_round_trip_with_a_fresh_nonce_each_time() {
        let sealer = SecretSealer::new(&MasterKey::generate());
        let binding = row_binding("dev", "id-1");
        let a = sealer.seal(&binding, "s3cret").unwrap();
        let b = sealer.seal(&binding, "s3cret").unwrap();
        assert_ne!(a, b, "two seals of one secret must differ (random nonce)");
        assert!(
            !a.windows(6).any(|w| w == b"s3cret"),
            "the sealed bytes must not contain the plaintext"
        );
        assert_eq!(sealer.open(&binding, &a).unwrap().as_str(), "s3cret");
        assert_eq!(sealer.open(&binding, &b).unwrap().as_str(), "s3cret");
    }

    #[test]
    fn a_sealed_secret_does_not_open_for_another_row_or_key() {
        let sealer = SecretSealer::new(&MasterKey::generate());
        let sealed = sealer.seal(&row_binding("dev", "id-1"), "s3cret").unwrap();
        assert!(
            sealer.open(&row_binding("dev", "id-2"), &sealed).is_err(),
            "a ciphertext copied to another row must not open"
        );
        let other = SecretSealer::new(&MasterKey::generate());
        assert!(other.open(&row_binding("dev", "id-1"), &sealed).is_err());
        assert!(sealer
            .open(&row_binding("dev", "id-1"), &sealed[..5])
            .is_err());
    }

    #[test]
    fn fingerprints_depend_on_salt_and_secret() {
        let fp = fingerprint(b"salt-a", "s3cret");
        assert_eq!(fp.len(), 16);
        assert!(fp
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_eq!(fp, fingerprint(b"salt-a", "s3cret"), "must be stable");
        assert_ne!(
            fp,
            fingerprint(b"salt-b", "s3cret"),
            "must depend on the salt"
        );
        assert_ne!(
            fp,
            fingerprint(b"salt-a", "s3cret2"),
            "must depend on the secret"
        );
    }

    #[test]
    fn the_key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        let first = MasterKey::load_or_create(&path).unwrap();
        let second = MasterKey::load_or_create(&path).unwrap();
        assert_eq!(
            first.0.as_ref(),
            second.0.as_ref(),
            "the key must survive a restart"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "the key file must be private to its owner");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(
                matches!(
                    MasterKey::load_or_create(&path),
                    Err(CryptoError::KeyFileTooOpen { .. })
                ),
                "a world-readable key file must be refused"
            );
        }
    }

    #[test]
    fn hex_keys_are_checked_and_never_printed() {
        let hex_key = "ab".repeat(32);
        let key = MasterKey::from_hex(&hex_key).unwrap();
        assert!(
            !format!("{key:?}").contains("abab"),
            "Debug must not show the key"
        );
        assert!(MasterKey::from_hex("abcd").is_err());
        assert!(MasterKey::from_hex(&"zz".repeat(32)).is_err());
    }
}
