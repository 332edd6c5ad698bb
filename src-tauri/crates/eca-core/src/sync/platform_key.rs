//! The platform's public keys for an IdP whose client authenticates with private_key_jwt, as
//! the synced backend shows them (`GET …/idps/{id}/platform-jwks`, docs/sync-api.yaml): what
//! the admin registers at the IdP, beside this computer's key, so that customer sign-in can
//! authenticate. The app's IdP form and `eca idp show --public-jwk` show them.
//!
//! Invariants:
//! - Public material only: the platform's private key never leaves its backend, and nothing
//!   here could carry one ([`PublicKeyView`] holds the JWK Set, the RSA JWK, a certificate).
//! - Sync not set up, and an IdP the backend does not have yet, are states to show
//!   ([`PlatformKeyView`]), not errors; everything else is a [`SyncError`] like any read's.

use crate::client_keys::PublicKeyView;
use crate::sync::push::read_ok;
use crate::sync::{Outbox, SyncError};
use eca_model::idp::IdpId;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where the platform's key for an IdP stands, as the form shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PlatformKeyView {
    /// Sync is not set up: there is no platform to ask.
    SyncNotSetUp,
    /// The backend has no such IdP yet: it makes its key once the IdP is pushed.
    NotPushed,
    /// The platform's public keys, made by the platform at `created_at`.
    Shown {
        keys: PublicKeyView,
        created_at: String,
    },
}

/// `GET …/platform-jwks`'s body (the members this client reads).
#[derive(Deserialize)]
struct PlatformJwks {
    jwks: Value,
    certificate_pem: String,
    created_at: String,
}

impl Outbox {
    /// The platform's public keys for the IdP, from the configured backend.
    pub async fn platform_key(&mut self, id: IdpId) -> Result<PlatformKeyView, SyncError> {
        let client = match self.client() {
            Err(SyncError::NotConfigured) => return Ok(PlatformKeyView::SyncNotSetUp),
            client => client?,
        };
        let answer = client.platform_jwks(id).await;
        if matches!(&answer, Ok(response) if response.meta.status == 404) {
            return Ok(PlatformKeyView::NotPushed);
        }
        let response = read_ok(answer, client.workspace())?;
        let body: PlatformJwks = response
            .json()
            .map_err(|e| SyncError::Protocol(e.to_string()))?;
        let keys = PublicKeyView::of(&body.jwks, body.certificate_pem).ok_or_else(|| {
            SyncError::Protocol(
                "the platform's JWK Set is not an RSA key with a kid, then public RSA or EC \
                 keys only"
                    .into(),
            )
        })?;
        Ok(PlatformKeyView::Shown {
            keys,
            created_at: body.created_at,
        })
    }
}
