//! A secret value (a client secret, an API key) behind a redacting type.
//!
//! Invariants:
//! - A [`Secret`] never prints (`Debug` says `[redacted]`), never serialises, and is read only
//!   through [`Secret::expose`]. It may be deserialised: that is how it arrives from the UI.
//! - Its bytes are overwritten when it is dropped (best effort).
//! - Where it is kept (the OS keyring, the backend's encrypted column) is for the layers above.

use serde::Deserialize;
use std::fmt;
use zeroize::Zeroize;

/// The longest secret accepted, in bytes. IdP client secrets are far shorter.
pub const MAX_SECRET_BYTES: usize = 4096;

/// A secret value. Redacted in `Debug`; not `Serialize`, not `Display`.
#[derive(Clone, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The one way to read the value. Call it only where the value is sent to its destination.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// A problem with the value itself, if any (checked before it reaches the keyring).
    pub fn problem(&self) -> Option<&'static str> {
        if self.0.is_empty() {
            Some("must not be empty")
        } else if self.0.len() > MAX_SECRET_BYTES {
            Some("is too long (4096 bytes at most)")
        } else if self.0.chars().any(char::is_control) {
            Some("must not contain control characters (check for a pasted line break)")
        } else {
            None
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        // Best effort: overwrite the bytes before the allocation is released.
        self.0.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("hunter2-very-secret");
        let shown = format!("{s:?} {:?}", Some(&s));
        assert!(
            !shown.contains("hunter2"),
            "Debug leaked the secret: {shown}"
        );
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn deserialises_from_a_plain_string() {
        let s: Secret = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(s.expose(), "abc");
    }

    #[test]
    fn value_problems_are_named() {
        assert!(Secret::new("").problem().is_some());
        assert!(Secret::new("a\nb").problem().is_some());
        assert!(Secret::new("x".repeat(MAX_SECRET_BYTES + 1))
            .problem()
            .is_some());
        assert_eq!(Secret::new("fine-secret").problem(), None);
    }
}
