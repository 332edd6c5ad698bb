//! The HTTP client of the Sync API (docs/sync-api.yaml) and of the few auth API calls
//! (docs/auth-api.yaml) that "Test on the platform" makes, over the hardened
//! [`eca_oidc::http`] layer: no redirects, timeouts, capped bodies, errors without secrets.
//!
//! Invariants:
//! - The API key goes only into the `Authorization: Bearer` header, read through
//!   [`Secret::expose`] at the moment of sending; errors never contain it.
//! - Every write carries its idempotency key and a precondition; this module does not decide
//!   which (the plan does: [`crate::sync::plan::request`]), it only sends them.

use crate::secrets::Secret;
use crate::sync::settings::SyncSettings;
use crate::sync::SyncError;
use eca_model::idp::IdpId;
use eca_model::wire::etag;
use eca_model::wire::RemoteIdp;
use eca_oidc::http::{self, HttpError, HttpResponse};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::Method;
use serde::Deserialize;
use url::Url;

/// The largest IdP answer accepted (the contract caps a body at 256 KiB).
pub const MAX_IDP_BYTES: usize = 512 * 1024;
/// The largest list answer accepted.
pub const MAX_LIST_BYTES: usize = 32 * 1024 * 1024;
/// The largest auth API answer accepted (a request with every step of a login is a few KiB).
pub const MAX_AUTH_BYTES: usize = 256 * 1024;

/// What a write expects of the backend's copy.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(tag = "kind", content = "version", rename_all = "snake_case")]
pub enum Precondition {
    /// `If-None-Match: *`: create only.
    Absent,
    /// `If-Match: "<version>"`.
    Version(String),
}

/// An RFC 9457 problem from the backend (the members the client uses).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RemoteProblem {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub errors: Vec<RemoteFieldError>,
    /// 412 only: the IdP as stored now.
    #[serde(default)]
    pub current: Option<RemoteIdp>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct RemoteFieldError {
    pub field: String,
    pub message: String,
}

impl RemoteProblem {
    pub fn parse(response: &HttpResponse) -> Self {
        response.json().unwrap_or_default()
    }

    /// The detail and every field error, in one sentence for the admin.
    pub fn describe(&self, status: u16) -> String {
        let mut out = if self.detail.is_empty() {
            format!("The backend answered HTTP {status}.")
        } else {
            format!("The backend answered HTTP {status}: {}", self.detail)
        };
        for e in &self.errors {
            out.push_str(&format!(" {}: {}.", e.field, e.message));
        }
        out
    }
}

/// A client for one backend and workspace.
pub struct BackendClient {
    http: http::HttpClient,
    base: Url,
    workspace: String,
    api_key: Secret,
}

impl BackendClient {
    pub fn new(settings: &SyncSettings, api_key: Secret) -> Result<Self, SyncError> {
        Ok(Self {
            http: http::client(),
            base: settings.url()?,
            workspace: settings.workspace_id.clone(),
            api_key,
        })
    }

    pub fn workspace(&self) -> &str {
        &self.workspace
    }

    fn url(&self, id: Option<IdpId>) -> Url {
        match id {
            Some(id) => self.workspace_url(&format!("idps/{id}")),
            None => self.workspace_url("idps"),
        }
    }

    /// `{base}/v1/workspaces/{ws}/{path}`.
    fn workspace_url(&self, path: &str) -> Url {
        under(
            &self.base,
            &format!("v1/workspaces/{}/{path}", self.workspace),
        )
    }

    fn request(&self, method: Method, id: Option<IdpId>) -> reqwest::RequestBuilder {
        self.authorized(method, self.url(id))
    }

    fn authorized(&self, method: Method, url: Url) -> reqwest::RequestBuilder {
        self.http
            .request(method, url)
            .bearer_auth(self.api_key.expose())
            .header(ACCEPT, "application/json")
    }

    /// `GET /v1/platform` (any status).
    pub async fn platform(&self) -> Result<HttpResponse, HttpError> {
        platform(&self.http, &self.base).await
    }

    /// `POST /auth-requests` with this body (any status).
    pub async fn create_auth_request(
        &self,
        body: &serde_json::Value,
    ) -> Result<HttpResponse, HttpError> {
        let request = self
            .authorized(Method::POST, self.workspace_url("auth-requests"))
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string());
        self.http.send(request, MAX_AUTH_BYTES).await
    }

    /// `GET /auth-requests/{id}` (any status).
    pub async fn auth_request(&self, id: uuid::Uuid) -> Result<HttpResponse, HttpError> {
        let url = self.workspace_url(&format!("auth-requests/{}", id.hyphenated()));
        self.http
            .send(self.authorized(Method::GET, url), MAX_AUTH_BYTES)
            .await
    }

    /// `GET /idps/{id}/platform-jwks`: the platform's public keys for the IdP (any status).
    pub async fn platform_jwks(&self, id: IdpId) -> Result<HttpResponse, HttpError> {
        let url = self.workspace_url(&format!("idps/{id}/platform-jwks"));
        self.http
            .send(self.authorized(Method::GET, url), MAX_AUTH_BYTES)
            .await
    }

    /// `GET /idps` (any status).
    pub async fn list(&self) -> Result<HttpResponse, HttpError> {
        self.http
            .send(self.request(Method::GET, None), MAX_LIST_BYTES)
            .await
    }

    /// `GET /idps/{id}` (any status).
    pub async fn get(&self, id: IdpId) -> Result<HttpResponse, HttpError> {
        self.http
            .send(self.request(Method::GET, Some(id)), MAX_IDP_BYTES)
            .await
    }

    /// `GET /idps/{id}/usages` (any status).
    pub async fn usages(&self, id: IdpId) -> Result<HttpResponse, HttpError> {
        let url = self.workspace_url(&format!("idps/{id}/usages"));
        self.http
            .send(self.authorized(Method::GET, url), MAX_LIST_BYTES)
            .await
    }

    /// `PUT /idps/{id}` with this precondition and idempotency key (any status).
    pub async fn put(
        &self,
        id: IdpId,
        precondition: &Precondition,
        idempotency_key: &str,
        body: &serde_json::Value,
    ) -> Result<HttpResponse, HttpError> {
        let request = with_precondition(self.request(Method::PUT, Some(id)), precondition)
            .header("Idempotency-Key", idempotency_key)
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string());
        self.http.send(request, MAX_IDP_BYTES).await
    }

    /// `DELETE /idps/{id}` with `If-Match` and this idempotency key (any status).
    pub async fn delete(
        &self,
        id: IdpId,
        version: &str,
        idempotency_key: &str,
    ) -> Result<HttpResponse, HttpError> {
        let request = self
            .request(Method::DELETE, Some(id))
            .header("If-Match", etag(version))
            .header("Idempotency-Key", idempotency_key);
        self.http.send(request, MAX_IDP_BYTES).await
    }
}

/// `GET {base}/v1/platform`, the platform's public description (no API key is sent).
pub async fn platform(client: &http::HttpClient, base: &Url) -> Result<HttpResponse, HttpError> {
    let request = client
        .get(under(base, "v1/platform"))
        .header(ACCEPT, "application/json");
    client.send(request, MAX_AUTH_BYTES).await
}

/// `path` under the base URL's own path (a backend may live under a prefix).
fn under(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let prefix = url.path().trim_end_matches('/').to_string();
    url.set_path(&format!("{prefix}/{path}"));
    url
}

fn with_precondition(
    request: reqwest::RequestBuilder,
    precondition: &Precondition,
) -> reqwest::RequestBuilder {
    match precondition {
        Precondition::Absent => request.header("If-None-Match", "*"),
        Precondition::Version(v) => request.header("If-Match", etag(v)),
    }
}
