//! The platform's own signing key for each IdP that authenticates with private_key_jwt
//! (RFC 7523): the key customer sign-in signs its client assertions with, and its public keys
//! that ECA Admin shows the admin to register at the IdP
//! (`GET …/idps/{id}/platform-jwks`, docs/sync-api.yaml).
//!
//! Invariants:
//! - One key set per workspace and IdP, made by the same code as the desktop's
//!   ([`ClientKey::generate`]: an RSA 2048 and an EC P-256 key), when first needed: the first
//!   read of its public keys, or the first auth request through the IdP ([`ensure`]). Two first
//!   uses at once keep one key ([`platform_keys::insert_new`]).
//! - The private key is stored only sealed under the master key, bound to its row
//!   ([`key_binding`]), is opened only to sign, and is in no response, log or error: only
//!   [`PlatformJwks`] (public keys, certificate) leaves this module. Sync never carries it.
//! - A key is kept until its IdP is deleted: replacing it is the platform operator's decision,
//!   outside the API (docs/sync-api.yaml); an IdP deleted and pushed again gets a new key.

use crate::crypto::{key_binding, CryptoError, SecretSealer};
use crate::store::platform_keys::{self, StoredKey};
use crate::store::{idps, Database, StoreError};
use crate::workspace::WorkspaceId;
use eca_model::clock::rfc3339;
use eca_oidc::login::client_key::{ClientKey, ClientKeyError};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum PlatformKeyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "The platform's signing key for this IdP cannot be opened: the master key is not the \
         one it was sealed with, or the row was altered. {}",
        UNREADABLE_FIX
    )]
    Unreadable,
    #[error("{0}")]
    Key(#[from] ClientKeyError),
    #[error("Making the platform's signing key stopped unexpectedly. Try again.")]
    TaskFailed,
}

/// What the admin does about a platform key that cannot be opened.
pub const UNREADABLE_FIX: &str = "Delete the IdP in ECA Admin and push, add and push it again \
     (the platform then makes a new key), and register its new public keys at the IdP.";

impl From<CryptoError> for PlatformKeyError {
    fn from(_: CryptoError) -> Self {
        PlatformKeyError::Unreadable
    }
}

/// An IdP's platform key, opened, with when it was made.
pub struct PlatformKey {
    pub key: ClientKey,
    pub created_at: String,
}

/// The public half of the platform's key for one IdP, as `GET …/platform-jwks` answers it.
#[derive(Debug, Serialize)]
pub struct PlatformJwks {
    /// `{"keys": [RSA, EC]}`: what the admin registers at the IdP.
    pub jwks: Value,
    /// A self-signed certificate of the RSA key, for IdPs that register a certificate.
    pub certificate_pem: String,
    /// When this key was made (an IdP pushed again after a delete has a new one).
    pub created_at: String,
}

impl PlatformKey {
    /// Its public keys and certificate (the same certificate at every read).
    pub fn public(&self) -> PlatformJwks {
        PlatformJwks {
            jwks: self.key.public().jwks(),
            certificate_pem: self.key.certificate_pem(),
            created_at: self.created_at.clone(),
        }
    }
}

/// What the database holds for an IdP.
enum Found {
    NoIdp,
    NoKey,
    Key(StoredKey),
}

/// The IdP's platform key, made and stored now when it has none; `None`: the workspace has no
/// such IdP.
pub async fn ensure(
    db: &Database,
    sealer: &SecretSealer,
    workspace: &WorkspaceId,
    idp: Uuid,
    now: OffsetDateTime,
) -> Result<Option<PlatformKey>, PlatformKeyError> {
    let ws = workspace.clone();
    let found = db
        .run(move |conn| {
            if idps::get(conn, &ws, idp)?.is_none() {
                return Ok(Found::NoIdp);
            }
            Ok(platform_keys::get(conn, &ws, idp)?.map_or(Found::NoKey, Found::Key))
        })
        .await?;
    match found {
        Found::NoIdp => Ok(None),
        Found::Key(stored) => open(sealer, workspace, idp, stored).map(Some),
        Found::NoKey => store_new(db, sealer, workspace, idp, now).await,
    }
}

/// The IdP's key as stored, for a customer's click: a read by key
/// ([`Database::lookup`]) that never makes one. `None`: it has none.
pub fn stored(
    db: &Database,
    sealer: &SecretSealer,
    workspace: &WorkspaceId,
    idp: Uuid,
) -> Result<Option<ClientKey>, PlatformKeyError> {
    db.lookup(|conn| platform_keys::get(conn, workspace, idp))?
        .map(|stored| open(sealer, workspace, idp, stored).map(|opened| opened.key))
        .transpose()
}

/// Makes a key and stores it unless the IdP got one meanwhile (the one stored wins); the key
/// kept, or `None` when the IdP is gone.
async fn store_new(
    db: &Database,
    sealer: &SecretSealer,
    workspace: &WorkspaceId,
    idp: Uuid,
    now: OffsetDateTime,
) -> Result<Option<PlatformKey>, PlatformKeyError> {
    // RSA generation takes a moment: off the async threads, and outside the writer.
    let key = tokio::task::spawn_blocking(ClientKey::generate)
        .await
        .map_err(|_| PlatformKeyError::TaskFailed)??;
    let binding = key_binding(workspace.as_str(), &idp.hyphenated().to_string());
    let new = StoredKey {
        sealed: sealer.seal(&binding, &key.to_stored_text())?,
        created_at: rfc3339(now),
    };
    let ws = workspace.clone();
    let kept = db
        .run(move |conn| {
            let tx = conn.transaction()?;
            if idps::get(&tx, &ws, idp)?.is_none() {
                return Ok(None);
            }
            platform_keys::insert_new(&tx, &ws, idp, &new)?;
            let kept = platform_keys::get(&tx, &ws, idp)?;
            tx.commit()?;
            Ok(kept)
        })
        .await?;
    kept.map(|stored| open(sealer, workspace, idp, stored))
        .transpose()
}

fn open(
    sealer: &SecretSealer,
    workspace: &WorkspaceId,
    idp: Uuid,
    stored: StoredKey,
) -> Result<PlatformKey, PlatformKeyError> {
    let binding = key_binding(workspace.as_str(), &idp.hyphenated().to_string());
    let text = sealer.open(&binding, &stored.sealed)?;
    let key = ClientKey::from_stored_text(&text).map_err(|_| PlatformKeyError::Unreadable)?;
    Ok(PlatformKey {
        key,
        created_at: stored.created_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{row_binding, MasterKey};

    fn database_with_idp() -> (Database, WorkspaceId, Uuid) {
        let conn = crate::store::open_in_memory().unwrap();
        let (ws, id): (WorkspaceId, Uuid) = ("a".parse().unwrap(), Uuid::new_v4());
        crate::store::platform_keys::tests::add_idp(&conn, &ws, id);
        (Database::new(conn), ws, id)
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
    }

    #[tokio::test]
    async fn a_key_is_made_once_and_kept_sealed() {
        let (db, ws, id) = database_with_idp();
        let sealer = SecretSealer::new(&MasterKey::generate());
        assert!(
            ensure(&db, &sealer, &ws, Uuid::new_v4(), now())
                .await
                .unwrap()
                .is_none(),
            "no key for an IdP the workspace does not have"
        );
        let first = ensure(&db, &sealer, &ws, id, now()).await.unwrap().unwrap();
        let again = ensure(&db, &sealer, &ws, id, now()).await.unwrap().unwrap();
        assert_eq!(first.key.public(), again.key.public(), "made once");
        assert_eq!(
            stored(&db, &sealer, &ws, id).unwrap().unwrap().public(),
            first.key.public()
        );

        let ws2 = ws.clone();
        let row = db
            .run(move |conn| platform_keys::get(conn, &ws2, id))
            .await
            .unwrap()
            .unwrap();
        let text = first.key.to_stored_text();
        let private_part = text.split('.').nth(1).unwrap();
        assert!(
            !String::from_utf8_lossy(&row.sealed).contains(&private_part[..32]),
            "the stored key must be sealed"
        );
        let id_text = id.hyphenated().to_string();
        assert!(
            sealer
                .open(&row_binding(ws.as_str(), &id_text), &row.sealed)
                .is_err(),
            "a sealed key must not open as a secret of the same row"
        );

        let other = SecretSealer::new(&MasterKey::generate());
        assert!(
            matches!(
                stored(&db, &other, &ws, id),
                Err(PlatformKeyError::Unreadable)
            ),
            "another master key cannot open it"
        );
    }

    #[tokio::test]
    async fn the_public_view_holds_both_public_keys_and_no_private_one() {
        let (db, ws, id) = database_with_idp();
        let sealer = SecretSealer::new(&MasterKey::generate());
        let key = ensure(&db, &sealer, &ws, id, now()).await.unwrap().unwrap();
        let view = key.public();
        let shown = serde_json::to_string(&view).unwrap();
        assert_eq!(view.jwks, key.key.public().jwks());
        assert!(view
            .certificate_pem
            .starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(view.created_at, rfc3339(now()));
        for jwk in view.jwks["keys"].as_array().unwrap() {
            assert!(jwk.get("d").is_none(), "no private member: {jwk}");
        }
        let again = ensure(&db, &sealer, &ws, id, now()).await.unwrap().unwrap();
        assert_eq!(
            again.public().certificate_pem,
            view.certificate_pem,
            "the certificate registered at the IdP is the one every later read shows"
        );
        let text = key.key.to_stored_text();
        for part in text.split('.').skip(1) {
            assert!(!shown.contains(&part[..32]), "no private key in {shown}");
        }
    }
}
