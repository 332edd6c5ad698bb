//! A backend started in-process on an ephemeral loopback port over a temporary data folder,
//! with two workspaces (`alpha`, `beta`), and a plain HTTP client to talk to it.
//!
//! Every test starts its own backend, so tests run in parallel without sharing anything.

#![allow(dead_code)] // Each test binary uses a different part of this module.

pub mod contract;
pub mod platform;

use eca_backend::faults::FaultSettings;
use eca_backend::{BackendConfig, RunningBackend, Storage};
use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};
use std::path::Path;
use tempfile::TempDir;
use uuid::Uuid;

pub const ALPHA: &str = "alpha";
pub const BETA: &str = "beta";
pub const ALPHA_KEY: &str = "alpha-key-0123456789abcdef";
pub const BETA_KEY: &str = "beta-key-0123456789abcdef";

pub struct Harness {
    pub backend: RunningBackend,
    pub dir: TempDir,
    pub http: reqwest::Client,
}

/// A backend with these faults and `alpha`/`beta` provisioned.
pub async fn start(faults: FaultSettings) -> Harness {
    start_with(|config| config.faults = faults).await
}

/// A backend over a fresh temporary folder; `adjust` may change anything in the config.
pub async fn start_with(adjust: impl FnOnce(&mut BackendConfig)) -> Harness {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let backend = start_in(dir.path(), adjust).await;
    Harness {
        backend,
        dir,
        http: client(),
    }
}

/// A backend over `dir` (which may hold an earlier backend's data).
pub async fn start_in(dir: &Path, adjust: impl FnOnce(&mut BackendConfig)) -> RunningBackend {
    let mut config = BackendConfig::new(Storage::Dir(dir.to_path_buf()));
    config.api_keys = vec![
        format!("{ALPHA}:{ALPHA_KEY}").parse().unwrap(),
        format!("{BETA}:{BETA_KEY}").parse().unwrap(),
    ];
    // The tests' IdPs and webhook receivers are on this machine.
    config.reach = eca_oidc::reach::Reach::Anywhere;
    adjust(&mut config);
    eca_backend::start(config)
        .await
        .expect("the backend starts on loopback")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap()
}

/// A response, read whole.
#[derive(Debug, Clone)]
pub struct Captured {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Captured {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "expected a JSON body ({e}), got status {} and {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The problem `type`, for error responses.
    pub fn problem_type(&self) -> String {
        self.json()["type"].as_str().unwrap_or_default().to_string()
    }
}

pub async fn send(request: RequestBuilder) -> Captured {
    let response = request.send().await.expect("the backend answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await.expect("the body arrives").to_vec();
    Captured {
        status,
        headers,
        body,
    }
}

impl Harness {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.backend.url())
    }

    pub fn idps_path(workspace: &str) -> String {
        format!("/v1/workspaces/{workspace}/idps")
    }

    pub fn idp_path(workspace: &str, id: impl std::fmt::Display) -> String {
        format!("/v1/workspaces/{workspace}/idps/{id}")
    }

    /// `…/idps/{id}/platform-jwks`: the platform's public keys for the IdP.
    pub fn platform_jwks_path(workspace: &str, id: impl std::fmt::Display) -> String {
        format!("/v1/workspaces/{workspace}/idps/{id}/platform-jwks")
    }

    /// A request to `path` with `alpha`'s key.
    pub fn call(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(ALPHA_KEY)
    }

    pub fn list(&self) -> RequestBuilder {
        self.call(Method::GET, &Self::idps_path(ALPHA))
    }

    pub fn get(&self, id: Uuid) -> RequestBuilder {
        self.call(Method::GET, &Self::idp_path(ALPHA, id))
    }

    /// `PUT` with `If-None-Match: *` and this idempotency key.
    pub fn create(&self, id: Uuid, key: &str, body: &Value) -> RequestBuilder {
        self.call(Method::PUT, &Self::idp_path(ALPHA, id))
            .header("If-None-Match", "*")
            .header("Idempotency-Key", key)
            .json(body)
    }

    /// `PUT` with `If-Match: "<version>"` and this idempotency key.
    pub fn replace(&self, id: Uuid, version: &str, key: &str, body: &Value) -> RequestBuilder {
        self.call(Method::PUT, &Self::idp_path(ALPHA, id))
            .header("If-Match", format!("\"{version}\""))
            .header("Idempotency-Key", key)
            .json(body)
    }

    /// `DELETE` with `If-Match: "<version>"` and this idempotency key.
    pub fn delete(&self, id: Uuid, version: &str, key: &str) -> RequestBuilder {
        self.call(Method::DELETE, &Self::idp_path(ALPHA, id))
            .header("If-Match", format!("\"{version}\""))
            .header("Idempotency-Key", key)
    }

    /// Sets the faults of the running backend (in-process switch).
    pub fn set_faults(&self, faults: FaultSettings) {
        self.backend
            .faults()
            .replace(faults)
            .expect("valid fault settings");
    }
}

/// A valid OpenID Connect IdP body.
pub fn sample_idp(name: &str) -> Value {
    json!({
        "name": name,
        "protocol": "oidc",
        "issuer": format!("https://{}.idp.example", name.to_lowercase().replace(' ', "-")),
        "authorization_endpoint": "https://idp.example/authorize",
        "token_endpoint": "https://idp.example/token",
        "userinfo_endpoint": "https://idp.example/userinfo",
        "jwks_uri": "https://idp.example/jwks",
        "client_id": "client-0001",
        "client_auth_method": "client_secret_basic",
        "scopes": ["openid", "profile", "email"],
        "extra_params": [{"key": "prompt", "value": "login"}],
        "redirect_uris": ["https://chat.example/eca/callback"],
        "customer_id_claim": "email",
        "enabled": true,
        "notes": "synced by a test",
        "claim_mapping": [{"claim": "email", "variable": "customer_email"}],
        "channel_binding": false,
        "id_token_signing_algs": [],
        "credential_expires_on": null
    })
}

/// The same body with a client secret.
pub fn with_secret(mut body: Value, secret: &str) -> Value {
    body["client_secret"] = json!(secret);
    body
}

/// Injects every request with 500, 503 or 429.
pub fn always(status: u16) -> FaultSettings {
    let mut faults = FaultSettings {
        retry_after_secs: 3,
        ..FaultSettings::default()
    };
    match status {
        500 => faults.error_500_rate = 1.0,
        503 => faults.error_503_rate = 1.0,
        429 => faults.error_429_rate = 1.0,
        other => panic!("no fault answers {other}"),
    }
    faults
}
