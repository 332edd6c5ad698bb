//! What `eca idp show --public-jwk` prints: one JWK Set holding every public key the IdP must
//! know for a private_key_jwt client, this computer's (Test Configuration signs with it) and
//! the platform's (customer sign-in signs with it), so that registering the printed set once
//! serves both; and the note (stderr) saying which keys it holds, or why the platform's are
//! missing and what to do.
//!
//! Invariant: public keys only; both inputs are public views ([`PublicKeyView`]).

use crate::error::CliError;
use eca_core::client_keys::PublicKeyView;
use eca_core::sync::platform_key::PlatformKeyView;
use serde_json::{json, Value};

/// The JWK Set to print (pretty JSON) and the note for stderr. `platform`: the platform's keys
/// as the synced backend answered, or why it could not be asked.
pub fn both(
    computer: &PublicKeyView,
    platform: &Result<PlatformKeyView, String>,
) -> Result<(String, String), CliError> {
    let mut keys = keys_of(&computer.jwks)?;
    let note = match platform {
        Ok(PlatformKeyView::Shown {
            keys: shown,
            created_at,
        }) => {
            keys.extend(keys_of(&shown.jwks)?);
            format!(
                "This JWK Set holds this computer's keys (Test Configuration) and the platform's \
                 (customer sign-in, made {created_at}). Register it whole at the IdP for this \
                 client."
            )
        }
        Ok(PlatformKeyView::SyncNotSetUp) => "This JWK Set holds this computer's keys only \
             (Test Configuration): sync is not set up, so the platform's keys (customer \
             sign-in) are not included. Set the backend (eca backend set), push the IdP (eca \
             sync push), then run this again and register the whole set at the IdP."
            .to_string(),
        Ok(PlatformKeyView::NotPushed) => "This JWK Set holds this computer's keys only (Test \
             Configuration): the backend does not have this IdP yet, so the platform's keys \
             (customer sign-in) are not included. Push it (eca sync push), then run this again \
             and register the whole set at the IdP."
            .to_string(),
        Err(why) => format!(
            "This JWK Set holds this computer's keys only (Test Configuration): the platform's \
             keys (customer sign-in) could not be read. {why} Run this again once the backend \
             answers, and register the whole set at the IdP."
        ),
    };
    let jwks = serde_json::to_string_pretty(&json!({ "keys": keys }))
        .map_err(|e| CliError::Usage(e.to_string()))?;
    Ok((jwks, note))
}

fn keys_of(jwks: &str) -> Result<Vec<Value>, CliError> {
    let set: Value = serde_json::from_str(jwks)
        .map_err(|e| CliError::Usage(format!("a JWK Set that does not read back: {e}")))?;
    match set.get("keys") {
        Some(Value::Array(keys)) => Ok(keys.clone()),
        _ => Err(CliError::Usage("a JWK Set without keys".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(kid: &str) -> PublicKeyView {
        PublicKeyView {
            jwk: json!({"kty": "RSA", "kid": kid}).to_string(),
            jwks: json!({"keys": [{"kty": "RSA", "kid": kid}, {"kty": "EC", "kid": format!("{kid}-ec")}]})
                .to_string(),
            certificate_pem: String::new(),
            kid: kid.into(),
        }
    }

    fn kids(jwks: &str) -> Vec<String> {
        let set: Value = serde_json::from_str(jwks).unwrap();
        set["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn the_set_holds_the_platform_keys_after_this_computers_when_the_platform_has_them() {
        let shown = Ok(PlatformKeyView::Shown {
            keys: view("platform"),
            created_at: "2026-11-30T12:00:00Z".into(),
        });
        let (jwks, note) = both(&view("desktop"), &shown).unwrap();
        assert_eq!(
            kids(&jwks),
            ["desktop", "desktop-ec", "platform", "platform-ec"]
        );
        assert!(note.contains("and the platform's"), "{note}");
    }

    #[test]
    fn without_the_platform_keys_the_note_says_why_and_what_to_do() {
        for (platform, says) in [
            (Ok(PlatformKeyView::SyncNotSetUp), "eca backend set"),
            (Ok(PlatformKeyView::NotPushed), "eca sync push"),
            (
                Err("The backend cannot be reached.".to_string()),
                "cannot be reached",
            ),
        ] {
            let (jwks, note) = both(&view("desktop"), &platform).unwrap();
            assert_eq!(kids(&jwks), ["desktop", "desktop-ec"]);
            assert!(
                note.contains("computer's keys only") && note.contains(says),
                "{note}"
            );
        }
    }
}
