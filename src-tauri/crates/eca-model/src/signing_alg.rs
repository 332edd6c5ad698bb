//! The JOSE algorithms an ID token may be signed with (RFC 7518 §3.1, RFC 8037), as an IdP's
//! settings list them.
//!
//! Invariants:
//! - Only algorithms the relying-party engine can verify are variants: `none` never is, and
//!   neither is ES512 (openidconnect cannot verify P-521 signatures), so a setting that names
//!   one fails to parse instead of allowing something that can never verify.
//! - Each variant serialises to its registered JOSE name (`RS256`, `EdDSA`…), in the SQLite
//!   column, the export, the sync wire document and TypeScript alike.
//! - The HMAC algorithms (HS*) are the symmetric ones: their key is the client secret
//!   ([`SigningAlg::is_symmetric`]); every other is verified with the IdP's published keys.

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use std::str::FromStr;

/// A JWS algorithm an IdP's ID tokens may be signed with.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    specta::Type,
    strum::VariantArray,
)]
pub enum SigningAlg {
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    EdDSA,
    HS256,
    HS384,
    HS512,
}

impl SigningAlg {
    /// The registered JOSE name.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::RS256 => "RS256",
            SigningAlg::RS384 => "RS384",
            SigningAlg::RS512 => "RS512",
            SigningAlg::PS256 => "PS256",
            SigningAlg::PS384 => "PS384",
            SigningAlg::PS512 => "PS512",
            SigningAlg::ES256 => "ES256",
            SigningAlg::ES384 => "ES384",
            SigningAlg::EdDSA => "EdDSA",
            SigningAlg::HS256 => "HS256",
            SigningAlg::HS384 => "HS384",
            SigningAlg::HS512 => "HS512",
        }
    }

    /// Whether the algorithm is an HMAC keyed with the client secret (HS*), rather than a
    /// signature checked against the IdP's published keys.
    pub fn is_symmetric(self) -> bool {
        matches!(
            self,
            SigningAlg::HS256 | SigningAlg::HS384 | SigningAlg::HS512
        )
    }

    /// The names in `list`, comma-separated, for messages.
    pub fn join(list: &[SigningAlg]) -> String {
        list.iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Read through `FromStr`, so a file or a backend that names `none` hears why it is refused.
/// (By hand rather than `#[serde(try_from)]`, which the TypeScript export cannot express.)
impl<'de> Deserialize<'de> for SigningAlg {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl FromStr for SigningAlg {
    type Err = String;
    /// Exact JOSE names (they are case-sensitive, RFC 7515 §4.1.1).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        use strum::VariantArray;
        if let Some(alg) = Self::VARIANTS.iter().find(|a| a.as_str() == s) {
            return Ok(*alg);
        }
        Err(if s.eq_ignore_ascii_case("none") {
            "\"none\" is never accepted: ID tokens must be signed".to_string()
        } else {
            format!(
                "unknown or unsupported ID token signing algorithm \"{}\" (expected one of {})",
                s.escape_debug(),
                Self::join(Self::VARIANTS)
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray;

    #[test]
    fn every_alg_reads_back_from_its_name_in_text_and_json() {
        for &alg in SigningAlg::VARIANTS {
            assert_eq!(alg.as_str().parse::<SigningAlg>(), Ok(alg));
            let json = serde_json::to_value(alg).unwrap();
            assert_eq!(
                json,
                serde_json::json!(alg.as_str()),
                "serde uses the JOSE name"
            );
        }
    }

    #[test]
    fn none_and_unsupported_algs_do_not_parse() {
        let none = "none".parse::<SigningAlg>().unwrap_err();
        assert!(none.contains("never accepted"), "{none}");
        for name in ["NONE", "ES512", "rs256", "HS1", ""] {
            assert!(
                name.parse::<SigningAlg>().is_err(),
                "{name} must be refused"
            );
        }
        let json = serde_json::from_str::<SigningAlg>("\"none\"").unwrap_err();
        assert!(json.to_string().contains("never accepted"), "{json}");
    }

    #[test]
    fn only_hmac_is_symmetric() {
        let symmetric: Vec<_> = SigningAlg::VARIANTS
            .iter()
            .filter(|a| a.is_symmetric())
            .map(|a| a.as_str())
            .collect();
        assert_eq!(symmetric, ["HS256", "HS384", "HS512"]);
    }
}
