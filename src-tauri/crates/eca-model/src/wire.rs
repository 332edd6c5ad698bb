//! The IdP as it travels to and from the backend (docs/sync-api.yaml `IdpFields`, `Idp`).
//!
//! Invariants:
//! - [`WireFields`] is exactly the contract's `IdpFields`: the local-only settings of the test
//!   login (`test_redirect`, `loopback_port`: [`crate::idp::Field::is_local_only`]) are not
//!   part of it, and it never carries a secret. The secret is added to a `PUT` body only at
//!   send time (see [`the sync push`]) and is never stored.
//! - A [`RemoteIdp`] is read leniently (unknown members are ignored) so a newer backend that
//!   adds read-only members does not break sync.

use crate::idp::{
    AuthParam, ClaimMapping, ClientAuthMethod, FieldError, IdpFields, IdpId, Protocol,
};
use crate::signing_alg::SigningAlg;
use crate::validation::validate;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// What the backend stores about an IdP, the secret and local-only settings excepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct WireFields {
    pub name: String,
    pub protocol: Protocol,
    pub issuer: Option<String>,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: Option<String>,
    pub client_id: String,
    pub client_auth_method: ClientAuthMethod,
    pub scopes: Vec<String>,
    pub extra_params: Vec<AuthParam>,
    pub redirect_uris: Vec<String>,
    pub customer_id_claim: String,
    pub enabled: bool,
    pub notes: String,
    /// Absent from versions stored before it existed (the sync base): none.
    #[serde(default)]
    pub claim_mapping: Vec<ClaimMapping>,
    /// Absent from versions stored before it existed (the sync base): off.
    #[serde(default)]
    pub channel_binding: bool,
    /// Absent from versions stored before it existed (the sync base): empty, the default set.
    #[serde(default)]
    pub id_token_signing_algs: Vec<SigningAlg>,
    /// Absent from versions stored before it existed (the sync base): none.
    #[serde(default)]
    pub credential_expires_on: Option<String>,
}

impl From<&IdpFields> for WireFields {
    fn from(f: &IdpFields) -> Self {
        Self {
            name: f.name.clone(),
            protocol: f.protocol,
            issuer: f.issuer.clone(),
            authorization_endpoint: f.authorization_endpoint.clone(),
            token_endpoint: f.token_endpoint.clone(),
            userinfo_endpoint: f.userinfo_endpoint.clone(),
            jwks_uri: f.jwks_uri.clone(),
            client_id: f.client_id.clone(),
            client_auth_method: f.client_auth_method,
            scopes: f.scopes.clone(),
            extra_params: f.extra_params.clone(),
            redirect_uris: f.redirect_uris.clone(),
            customer_id_claim: f.customer_id_claim.clone(),
            enabled: f.enabled,
            notes: f.notes.clone(),
            claim_mapping: f.claim_mapping.clone(),
            channel_binding: f.channel_binding,
            id_token_signing_algs: f.id_token_signing_algs.clone(),
            credential_expires_on: f.credential_expires_on.clone(),
        }
    }
}

impl WireFields {
    /// Whether `name` is one of the contract's members (as this type serialises them).
    pub fn is_member(name: &str) -> bool {
        static MEMBERS: LazyLock<Vec<String>> = LazyLock::new(|| {
            let blank = WireFields::from(&IdpFields::blank(Protocol::Oidc));
            match serde_json::to_value(blank) {
                Ok(serde_json::Value::Object(members)) => members.keys().cloned().collect(),
                _ => Vec::new(),
            }
        });
        MEMBERS.iter().any(|m| m == name)
    }

    /// The app's rules ([`validate`]) applied to the wire shape, so the backend refuses exactly
    /// what the desktop refuses; on success, the same normalised form the desktop stores.
    pub fn validated(self) -> Result<Self, Vec<FieldError>> {
        validate(self.into_local(None)).map(|f| Self::from(&f))
    }

    /// The local fields these become, keeping the local-only settings of `local` (if any).
    pub fn into_local(self, local: Option<&IdpFields>) -> IdpFields {
        IdpFields {
            name: self.name,
            protocol: self.protocol,
            issuer: self.issuer,
            authorization_endpoint: self.authorization_endpoint,
            token_endpoint: self.token_endpoint,
            userinfo_endpoint: self.userinfo_endpoint,
            jwks_uri: self.jwks_uri,
            client_id: self.client_id,
            client_auth_method: self.client_auth_method,
            scopes: self.scopes,
            extra_params: self.extra_params,
            redirect_uris: self.redirect_uris,
            customer_id_claim: self.customer_id_claim,
            enabled: self.enabled,
            notes: self.notes,
            test_redirect: local.map(|l| l.test_redirect).unwrap_or_default(),
            claim_mapping: self.claim_mapping,
            channel_binding: self.channel_binding,
            loopback_port: local.and_then(|l| l.loopback_port),
            id_token_signing_algs: self.id_token_signing_algs,
            credential_expires_on: self.credential_expires_on,
        }
    }
}

/// The body of a `PUT /idps/{id}` as planned and frozen: the wire fields and the id, never the
/// secret (added to the JSON at send time only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireBody {
    pub id: IdpId,
    #[serde(flatten)]
    pub fields: WireFields,
}

/// The strong entity tag of a version (RFC 9110 §8.8.3), as `ETag` and `If-Match` carry it.
pub fn etag(version: &str) -> String {
    format!("\"{version}\"")
}

/// An IdP as the backend returns it (the contract's `Idp`): what the backend serialises and
/// the desktop reads are this one type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct RemoteIdp {
    pub id: IdpId,
    #[serde(flatten)]
    pub fields: WireFields,
    /// Opaque; changes on every change (also the `ETag`).
    pub version: String,
    pub secret_set: bool,
    /// 16 hex digits, present when `secret_set`: equal fingerprints mean equal secrets.
    pub secret_fingerprint: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// The longest version a backend may answer with.
pub const MAX_VERSION: usize = 256;

impl RemoteIdp {
    /// What the contract says of an answer beyond its JSON shape, checked before anything of
    /// it is recorded: a version usable as an entity tag (1 to [`MAX_VERSION`] visible ASCII
    /// characters, no `"`), and a fingerprint of 16 hex digits exactly when a secret is set.
    pub fn check(&self) -> Result<(), String> {
        let version_ok = (1..=MAX_VERSION).contains(&self.version.len())
            && self
                .version
                .chars()
                .all(|c| c.is_ascii_graphic() && c != '"');
        if !version_ok {
            return Err(format!(
                "its version {:?} is not an entity tag",
                self.version.chars().take(40).collect::<String>()
            ));
        }
        let fingerprint_ok = match (&self.secret_fingerprint, self.secret_set) {
            (Some(f), true) => f.len() == 16 && f.chars().all(|c| c.is_ascii_hexdigit()),
            (None, false) => true,
            _ => false,
        };
        if !fingerprint_ok {
            return Err("its secret fingerprint does not match secret_set (16 hex digits exactly when a secret is set)".into());
        }
        Ok(())
    }

    /// The version as a strong entity tag.
    pub fn etag(&self) -> String {
        etag(&self.version)
    }
}

/// `GET /idps`.
#[derive(Debug, Deserialize)]
pub struct RemoteList {
    pub items: Vec<RemoteIdp>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_the_contracts_fields() {
        for name in [
            "name",
            "issuer",
            "client_auth_method",
            "enabled",
            "notes",
            "claim_mapping",
            "channel_binding",
            "id_token_signing_algs",
            "credential_expires_on",
        ] {
            assert!(WireFields::is_member(name), "{name} is a member");
        }
        for name in [
            "test_redirect",
            "loopback_port",
            "client_secret",
            "id",
            "version",
            "",
        ] {
            assert!(!WireFields::is_member(name), "{name} is not a member");
        }
    }

    #[test]
    fn a_version_stored_before_the_claim_mapping_reads_with_none() {
        let mut old = serde_json::to_value(WireFields::from(&IdpFields::blank(Protocol::Oidc)))
            .expect("serialises");
        let members = old.as_object_mut().expect("an object");
        members.remove("claim_mapping");
        members.remove("channel_binding");
        members.remove("id_token_signing_algs");
        members.remove("credential_expires_on");
        let read: WireFields = serde_json::from_value(old).expect("an older version still reads");
        assert!(read.claim_mapping.is_empty());
        assert!(!read.channel_binding);
        assert!(read.id_token_signing_algs.is_empty(), "the default set");
        assert_eq!(read.credential_expires_on, None);
    }
}
