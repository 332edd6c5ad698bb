//! The token in a customer's link (`/l/{token}`).
//!
//! Invariants: a token is 128 bits from the OS RNG, written as 22 base64url characters, so a
//! link stays short and cannot be guessed; the server keeps only its SHA-256 ([`LinkToken::hash`]).
//! [`LinkToken::parse`] accepts only that exact shape, so nothing else reaches the database.

use aes_gcm::aead::{rand_core::RngCore, OsRng};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

const TOKEN_BYTES: usize = 16;
const TOKEN_CHARS: usize = 22;

/// A link token. Its `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkToken(String);

/// 128 random bits from the OS RNG as 22 base64url characters: a link token, a browser
/// binding.
pub fn random_token() -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl LinkToken {
    pub fn generate() -> Self {
        Self(random_token())
    }

    /// A token as it comes in a path, when it has the shape of one.
    pub fn parse(text: &str) -> Option<Self> {
        let shaped = text.len() == TOKEN_CHARS
            && URL_SAFE_NO_PAD
                .decode(text)
                .is_ok_and(|bytes| bytes.len() == TOKEN_BYTES);
        shaped.then(|| Self(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the database keys the link by: the SHA-256, in hex.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

impl std::fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkToken([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_short_fresh_and_parse_back() {
        let (a, b) = (LinkToken::generate(), LinkToken::generate());
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), TOKEN_CHARS);
        assert_eq!(LinkToken::parse(a.as_str()), Some(a.clone()));
        assert_eq!(a.hash().len(), 64);
        assert_ne!(a.hash(), b.hash());
        assert_eq!(format!("{a:?}"), "LinkToken([redacted])");
    }

    #[test]
    fn anything_else_is_not_a_token() {
        let good = LinkToken::generate();
        for bad in [
            "",
            "short",
            &format!("{}A", good.as_str()),
            "!!!!!!!!!!!!!!!!!!!!!!",
            // 22 characters whose last one carries bits beyond 128.
            "AAAAAAAAAAAAAAAAAAAAA_",
        ] {
            assert_eq!(LinkToken::parse(bad), None, "{bad:?}");
        }
    }
}
