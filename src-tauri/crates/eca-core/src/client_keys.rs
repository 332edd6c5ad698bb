//! The signing key of an IdP that authenticates with `private_key_jwt`, kept in the OS
//! keyring, and the public material an admin registers at the IdP.
//!
//! Invariants:
//! - The private key lives only in the keyring entry [`SecretKey::IdpSigningKey`] of its IdP:
//!   never in SQLite, an export, a log or IPC. What leaves this module is a [`ClientKey`] for
//!   the login engine, or a [`PublicKeyView`] (public only).
//! - A key is made only on request ([`ensure`] when there is none, [`replace`] always), so a
//!   key registered at the IdP never changes behind the admin's back.

use crate::secrets::{Secret, SecretError, SecretKey, SecretStore};
use eca_model::idp::IdpId;
use eca_oidc::login::client_key::{ClientKey, ClientKeyError};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ClientKeyStoreError {
    #[error(transparent)]
    Keyring(#[from] SecretError),
    #[error(transparent)]
    Key(#[from] ClientKeyError),
}

/// What the app and `eca idp show --public-jwk` show of an IdP's signing key: public only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct PublicKeyView {
    /// The RSA key's JWK (RS256/PS256), pretty-printed: the key to register where one is taken.
    pub jwk: String,
    /// Both keys (RSA and EC P-256), pretty-printed: covers RS256, PS256 and ES256.
    pub jwks: String,
    /// A self-signed certificate of the RSA key, for IdPs that register a certificate.
    pub certificate_pem: String,
    /// The RSA key's `kid` (its RFC 7638 thumbprint).
    pub kid: String,
}

/// The IdP's key, if it has one.
pub fn load(store: &dyn SecretStore, id: IdpId) -> Result<Option<ClientKey>, ClientKeyStoreError> {
    match store.get(SecretKey::IdpSigningKey(id))? {
        Some(text) => Ok(Some(ClientKey::from_stored_text(text.expose())?)),
        None => Ok(None),
    }
}

/// The IdP's key, made and stored first when it has none.
pub fn ensure(store: &dyn SecretStore, id: IdpId) -> Result<ClientKey, ClientKeyStoreError> {
    match load(store, id)? {
        Some(key) => Ok(key),
        None => replace(store, id),
    }
}

/// A new key for the IdP, in place of any old one (which the IdP must then forget).
pub fn replace(store: &dyn SecretStore, id: IdpId) -> Result<ClientKey, ClientKeyStoreError> {
    let key = ClientKey::generate()?;
    store.put(
        SecretKey::IdpSigningKey(id),
        &Secret::new(key.to_stored_text()),
    )?;
    Ok(key)
}

/// Forgets the IdP's key (the IdP was deleted).
pub fn delete(store: &dyn SecretStore, id: IdpId) -> Result<(), ClientKeyStoreError> {
    Ok(store.delete(SecretKey::IdpSigningKey(id))?)
}

/// The public material of `key`, with its certificate (the same at every call).
pub fn view(key: &ClientKey) -> Result<PublicKeyView, ClientKeyError> {
    PublicKeyView::of(&key.public().jwks(), key.certificate_pem()).ok_or(ClientKeyError::Unreadable)
}

/// The members a public RSA or EC JWK may have: what the admin registers at the IdP.
const PUBLIC_MEMBERS: [&str; 9] = ["kty", "kid", "use", "alg", "n", "e", "crv", "x", "y"];

impl PublicKeyView {
    /// The view of a JWK Set whose first key is the RSA key (a [`ClientKey`]'s, or the
    /// platform's as its backend shows it), with that key's certificate. `None` unless every
    /// key is an RSA or EC key of public members only, the first an RSA key with a `kid`: a set
    /// from a backend that carried private material (`d`, `p`…) is never shown to be pasted
    /// into an IdP.
    pub fn of(jwks: &serde_json::Value, certificate_pem: String) -> Option<PublicKeyView> {
        let keys = jwks["keys"].as_array()?;
        let public = keys.iter().all(|key| {
            key.as_object().is_some_and(|members| {
                matches!(key["kty"].as_str(), Some("RSA" | "EC"))
                    && members.keys().all(|m| PUBLIC_MEMBERS.contains(&m.as_str()))
            })
        });
        let rsa = keys.first().filter(|key| key["kty"] == "RSA")?;
        if !public {
            return None;
        }
        let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
        Some(PublicKeyView {
            jwk: pretty(rsa),
            jwks: pretty(&serde_json::json!({ "keys": keys })),
            certificate_pem,
            kid: rsa["kid"].as_str()?.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rsa() -> serde_json::Value {
        json!({"kty": "RSA", "kid": "r1", "use": "sig", "alg": "RS256", "n": "AQAB", "e": "AQAB"})
    }

    fn ec() -> serde_json::Value {
        json!({"kty": "EC", "kid": "e1", "use": "sig", "crv": "P-256", "x": "AA", "y": "AA"})
    }

    #[test]
    fn a_set_of_public_rsa_and_ec_keys_is_shown() {
        let view = PublicKeyView::of(&json!({"keys": [rsa(), ec()]}), "PEM".into()).unwrap();
        assert_eq!(view.kid, "r1");
        assert!(view.jwks.contains("\"e1\""), "{}", view.jwks);
    }

    #[test]
    fn a_set_carrying_private_material_is_never_shown() {
        for private in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
            let mut leaky = ec();
            leaky[private] = json!("secret");
            let jwks = json!({"keys": [rsa(), leaky]});
            assert!(
                PublicKeyView::of(&jwks, "PEM".into()).is_none(),
                "{private}"
            );
        }
    }

    #[test]
    fn the_first_key_must_be_the_rsa_key_and_every_key_rsa_or_ec() {
        let pem = || "PEM".to_string();
        assert!(PublicKeyView::of(&json!({"keys": [ec(), rsa()]}), pem()).is_none());
        let oct = json!({"kty": "oct", "kid": "s"});
        assert!(PublicKeyView::of(&json!({"keys": [rsa(), oct]}), pem()).is_none());
        assert!(PublicKeyView::of(&json!({"keys": []}), pem()).is_none());
        let mut no_kid = rsa();
        no_kid.as_object_mut().unwrap().remove("kid");
        assert!(PublicKeyView::of(&json!({"keys": [no_kid]}), pem()).is_none());
    }
}
