//! The per-workspace webhook: the finished auth request, delivered as a flow's success/failure
//! branch would consume it, signed so the receiver can trust it came from the platform.
//!
//! Invariants:
//! - The body is exactly what `GET …/auth-requests/{id}` answers; the signature header is
//!   `ECA-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, so a
//!   receiver can refuse old or altered deliveries.
//! - The signing secret is 256 bits from the OS RNG, stored sealed like client secrets, and
//!   shown once, when the webhook is set.
//! - Delivery goes through the platform's [`HttpClient`], so it reaches what sign-in reaches
//!   (public addresses only, unless the backend runs with `--allow-private-addresses`), follows
//!   no redirect and reads a bounded answer. A URL whose literal address that client would
//!   refuse is refused when the webhook is set, by the same rule ([`Reach::check_url`]).
//! - Delivery never holds up the customer's page: it runs in its own task, with a bounded
//!   number of attempts, and reports to nobody but the log (without the body).

use aes_gcm::aead::{rand_core::RngCore, OsRng};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;
use zeroize::Zeroizing;

use super::status::view;
use super::SignIn;
use crate::crypto::SecretSealer;
use crate::problem::{ApiError, FieldError};
use crate::signin::request::Outcome;
use crate::store::{auth_requests, webhooks, Database, StoreError};
use crate::workspace::WorkspaceId;
use eca_model::clock::{rfc3339, Clock};
use eca_oidc::http::HttpClient;
#[cfg(doc)]
use eca_oidc::reach::Reach;
use serde::Serialize;
use std::sync::Arc;
use url::Url;
use uuid::Uuid;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "eca-signature";
/// The most of a receiver's answer that is read (it is not used, only its status).
const MAX_ANSWER_BYTES: usize = 16 * 1024;
/// How many times a delivery is tried, and the pause before each retry.
const RETRY_PAUSES: [Duration; 2] = [Duration::from_millis(500), Duration::from_secs(3)];

/// A fresh signing secret, `whsec_` and 64 hex digits.
pub fn new_secret() -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(bytes.as_mut());
    Zeroizing::new(format!("whsec_{}", hex::encode(bytes.as_ref())))
}

/// The associated data that ties a sealed webhook secret to its workspace.
pub fn secret_binding(workspace: &str) -> Vec<u8> {
    format!("eca-backend/webhook-secret/v1/{workspace}").into_bytes()
}

/// The `ECA-Signature` value for `body` sent at `unix_seconds`.
pub fn signature(secret: &str, unix_seconds: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any size");
    mac.update(unix_seconds.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={unix_seconds},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// One delivery: POSTs `body` until a 2xx answer or the attempts run out. True when delivered.
pub async fn deliver(
    http: &HttpClient,
    url: &str,
    secret: &str,
    body: Vec<u8>,
    now_unix: impl Fn() -> i64,
) -> bool {
    for attempt in 0..=RETRY_PAUSES.len() {
        if let Some(pause) = attempt.checked_sub(1).map(|i| RETRY_PAUSES[i]) {
            tokio::time::sleep(pause).await;
        }
        let request = http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature(secret, now_unix(), &body))
            .body(body.clone());
        match http.send(request, MAX_ANSWER_BYTES).await {
            Ok(response) if response.is_success() => return true,
            Ok(response) => {
                tracing::warn!(status = response.meta.status, attempt, "webhook refused")
            }
            Err(e) => tracing::warn!(error = %e, attempt, "webhook unreachable"),
        }
    }
    false
}

impl SignIn {
    /// Sets the workspace's webhook, with a new signing secret, shown only here. A URL that
    /// names an address delivery may not reach is refused now, not at the first delivery
    /// (`url` is already checked as a web URL).
    pub async fn set_webhook(
        &self,
        db: &Database,
        workspace: WorkspaceId,
        url: String,
    ) -> Result<WebhookSet, ApiError> {
        let unreachable =
            |message: String| ApiError::InvalidFields(vec![FieldError::new("url", message)]);
        let parsed = Url::parse(&url).map_err(|e| unreachable(format!("is not a URL ({e})")))?;
        self.login
            .http
            .reach()
            .check_url(&parsed)
            .map_err(|refused| {
                unreachable(format!(
                    "names {refused}: this platform delivers webhooks to public addresses only"
                ))
            })?;
        let secret = new_secret();
        let sealed = self
            .sealer
            .seal(&secret_binding(workspace.as_str()), &secret)
            .map_err(StoreError::from)?;
        let now = rfc3339(self.now());
        let row = webhooks::WebhookRow {
            url: url.clone(),
            secret_sealed: sealed,
        };
        db.run(move |conn| webhooks::set(conn, &workspace, &row, &now))
            .await?;
        Ok(WebhookSet {
            url,
            secret: secret.to_string(),
        })
    }

    /// The workspace's webhook URL, if one is set.
    pub async fn webhook(
        &self,
        db: &Database,
        workspace: WorkspaceId,
    ) -> Result<Option<Webhook>, ApiError> {
        let row = db.run(move |conn| webhooks::get(conn, &workspace)).await?;
        Ok(row.map(|row| Webhook { url: row.url }))
    }

    pub async fn delete_webhook(
        &self,
        db: &Database,
        workspace: WorkspaceId,
    ) -> Result<bool, ApiError> {
        Ok(db
            .run(move |conn| webhooks::delete(conn, &workspace))
            .await?)
    }
}

/// `GET …/webhook`.
#[derive(Debug, Serialize)]
pub struct Webhook {
    pub url: String,
}

/// `PUT …/webhook`: the only time the signing secret is shown.
#[derive(Serialize)]
pub struct WebhookSet {
    pub url: String,
    pub secret: String,
}

/// What delivering a finished request to the webhook needs, detached from the request that
/// finished it.
#[derive(Clone)]
pub(super) struct Notice {
    pub db: Database,
    pub sealer: Arc<SecretSealer>,
    pub http: HttpClient,
    pub clock: Arc<dyn Clock>,
}

impl Notice {
    /// Delivers the request as `GET` would show it; a delivered result counts as read, so the
    /// customer's data is erased then.
    pub async fn send(self, workspace: WorkspaceId, id: Uuid) {
        let ws = workspace.clone();
        let found = self
            .db
            .run(move |conn| {
                let hook = webhooks::get(conn, &ws)?;
                let row = auth_requests::get(conn, &ws, id)?;
                Ok(hook.zip(row))
            })
            .await;
        let (hook, row) = match found {
            Ok(Some(found)) => found,
            Ok(None) => return,
            Err(e) => return tracing::error!(error = %e, "reading a webhook failed"),
        };
        let secret = match self
            .sealer
            .open(&secret_binding(workspace.as_str()), &hook.secret_sealed)
        {
            Ok(secret) => secret,
            Err(e) => return tracing::error!(error = %e, "a webhook secret does not open"),
        };
        let erased = row.outcome.as_ref().map(Outcome::erased);
        let body = serde_json::to_vec(&view(row, self.clock.now())).unwrap_or_default();
        let clock = Arc::clone(&self.clock);
        let now_unix = move || clock.now().unix_timestamp();
        if deliver(&self.http, &hook.url, &secret, body, now_unix).await {
            let result = self
                .db
                .run(move |conn| auth_requests::erase_claims(conn, &workspace, id, erased.as_ref()))
                .await;
            if let Err(e) = result {
                tracing::error!(error = %e, "erasing delivered claims failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_covers_the_time_and_the_body() {
        let a = signature("whsec_k", 1_700_000_000, b"{}");
        assert!(a.starts_with("t=1700000000,v1="), "{a}");
        assert_eq!(a.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(a, signature("whsec_k", 1_700_000_001, b"{}"));
        assert_ne!(a, signature("whsec_k", 1_700_000_000, b"{ }"));
        assert_ne!(a, signature("whsec_other", 1_700_000_000, b"{}"));
    }

    #[test]
    fn secrets_are_fresh() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(*a, *b);
        assert!(a.starts_with("whsec_") && a.len() == 6 + 64);
    }
}
