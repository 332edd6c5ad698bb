//! The platform for sign-in tests: the backend in-process with a clock the test moves, a real
//! OpenID provider (tests/oidc/provider.mjs) whose web client is registered with the
//! platform's redirect URI (or not), and the scripted browser playing the customer.

use super::*;
use eca_model::clock::Clock;
use eca_oidc::reach::Reach;
pub use eca_testkit::clock::TestClock;
use eca_testkit::node_server::{workspace_root, NodeServer};
use reqwest::Method;
use serde_json::{json, Value};
use std::process::Command;
use std::sync::Arc;
use uuid::Uuid;

pub const CLIENT_ID: &str = "eca-platform";
pub const CLIENT_SECRET: &str = "platform-secret-123";
/// A second web client of the provider, which signs its ID tokens with HS256 (keyed with
/// its secret, which HS256 wants at least 32 bytes long).
pub const HS256_CLIENT_ID: &str = "eca-platform-hs256";
pub const HS256_CLIENT_SECRET: &str = "platform-hs256-secret-of-32-bytes-or-more";
/// alice's number at the provider (tests/oidc/provider.mjs), verified.
pub const ALICE_PHONE: &str = "+442079460000";
pub const OTHER_PHONE: &str = "+27825550100";

pub struct Platform {
    pub harness: Harness,
    pub provider: NodeServer,
    pub clock: Arc<TestClock>,
    _clients: tempfile::NamedTempFile,
}

/// The backend, then the provider with a web client whose redirect URIs are `redirects`
/// (the platform's own callback when `register_platform`).
pub async fn platform(register_platform: bool) -> Platform {
    platform_with(register_platform, &[]).await
}

/// [`platform`], the provider started with more flags (e.g. `--par-required`).
pub async fn platform_with(register_platform: bool, provider_flags: &[&str]) -> Platform {
    let flags: Vec<String> = provider_flags.iter().map(|f| f.to_string()).collect();
    platform_with_flags(register_platform, |_| flags).await
}

/// [`platform`], the provider started with the flags `flags` makes from the platform's
/// redirect URI (e.g. `--extra-redirect` for the provider's own clients).
pub async fn platform_with_flags(
    register_platform: bool,
    flags: impl FnOnce(&str) -> Vec<String>,
) -> Platform {
    platform_reaching(Reach::Anywhere, register_platform, flags).await
}

/// [`platform_with_flags`], the platform reaching only what `reach` allows (the provider is on
/// loopback: [`Reach::PublicOnly`] must refuse it).
pub async fn platform_reaching(
    reach: Reach,
    register_platform: bool,
    flags: impl FnOnce(&str) -> Vec<String>,
) -> Platform {
    platform_configured(register_platform, flags, |config| config.reach = reach).await
}

/// [`platform_with_flags`], the backend's config changed by `adjust` (after the test clock is
/// set).
pub async fn platform_configured(
    register_platform: bool,
    flags: impl FnOnce(&str) -> Vec<String>,
    adjust: impl FnOnce(&mut BackendConfig),
) -> Platform {
    let clock = Arc::new(TestClock::now_utc());
    let shared: Arc<dyn Clock> = clock.clone();
    let harness = start_with(|config| {
        config.clock = shared;
        adjust(config);
    })
    .await;
    let callback = format!("{}/v1/oauth/callback", harness.backend.url());
    let redirect = if register_platform {
        callback.clone()
    } else {
        "https://elsewhere.example/callback".to_string()
    };
    let client = |id: &str, secret: &str| {
        json!({
            "client_id": id,
            "client_secret": secret,
            "token_endpoint_auth_method": "client_secret_basic",
            "application_type": "web",
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "redirect_uris": [redirect],
        })
    };
    let mut hs256 = client(HS256_CLIENT_ID, HS256_CLIENT_SECRET);
    hs256["id_token_signed_response_alg"] = json!("HS256");
    let clients = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        clients.path(),
        json!([client(CLIENT_ID, CLIENT_SECRET), hs256]).to_string(),
    )
    .unwrap();
    let more = flags(&callback);
    let mut args = vec!["--clients", clients.path().to_str().unwrap()];
    args.extend(more.iter().map(String::as_str));
    let provider = NodeServer::start("provider.mjs", &args);
    Platform {
        harness,
        provider,
        clock,
        _clients: clients,
    }
}

impl Platform {
    pub fn url(&self, path: &str) -> String {
        self.harness.url(path)
    }

    /// Pushes an IdP for the provider, as ECA Admin's sync would.
    pub async fn push_idp(&self, secret: &str, adjust: impl FnOnce(&mut Value)) -> Uuid {
        let body = self.idp_body(secret, adjust);
        let id = Uuid::new_v4();
        let created = send(self.harness.create(id, &Uuid::new_v4().to_string(), &body)).await;
        assert_eq!(created.status, 201, "{}", created.text());
        id
    }

    /// The body [`Platform::push_idp`] sends, changed by `adjust`.
    pub fn idp_body(&self, secret: &str, adjust: impl FnOnce(&mut Value)) -> Value {
        let issuer = &self.provider.url;
        let mut body = json!({
            "name": "Local OP",
            "protocol": "oidc",
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/auth"),
            "token_endpoint": format!("{issuer}/token"),
            "userinfo_endpoint": format!("{issuer}/me"),
            "jwks_uri": format!("{issuer}/jwks"),
            "client_id": CLIENT_ID,
            "client_auth_method": "client_secret_basic",
            "client_secret": secret,
            "scopes": ["openid", "email", "phone"],
            "extra_params": [],
            "redirect_uris": [format!("{}/v1/oauth/callback", self.harness.backend.url())],
            "customer_id_claim": "sub",
            "enabled": true,
            "notes": "",
            "claim_mapping": [{"claim": "email", "variable": "customer_email"}],
            "channel_binding": false,
            "id_token_signing_algs": [],
            "credential_expires_on": null,
        });
        adjust(&mut body);
        body
    }

    pub fn call(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.harness.call(method, path)
    }

    pub async fn create_request(&self, body: Value) -> Captured {
        send(
            self.call(
                Method::POST,
                &format!("/v1/workspaces/{ALPHA}/auth-requests"),
            )
            .json(&body),
        )
        .await
    }

    /// Creates a request for `customer` and returns its id and the link from the gateway.
    pub async fn request_link(&self, idp: Uuid, customer: &str) -> (String, String) {
        let created = self
            .create_request(json!({
                "idp_id": idp,
                "channel": "whatsapp",
                "customer": customer,
                "conversation_id": "conv-42",
                "return_url": "https://chat.example/conversations/42",
            }))
            .await;
        assert_eq!(created.status, 201, "{}", created.text());
        let created = created.json();
        assert_eq!(created["status"], "pending");
        let id = created["id"].as_str().unwrap().to_string();
        let messages =
            send(self.call(Method::GET, &format!("/v1/workspaces/{ALPHA}/messages"))).await;
        let message = messages.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["auth_request_id"] == id.as_str())
            .cloned()
            .expect("the gateway sent a message for the request");
        assert_eq!(message["to"], customer);
        assert_eq!(message["channel"], "whatsapp");
        let link = message["link"].as_str().unwrap().to_string();
        assert_eq!(created["link"], link.as_str());
        assert!(message["body"].as_str().unwrap().contains(&link));
        (id, link)
    }

    /// The platform's private key for `idp`, opened from its data folder with its master key:
    /// what no response may ever contain. Its text is `eca-client-key-v1.<rsa>.<ec>`.
    pub fn platform_private_key(&self, idp: Uuid) -> String {
        use eca_backend::config::{DATABASE_FILE, KEY_FILE};
        use eca_backend::crypto::{key_binding, MasterKey, SecretSealer};
        let dir = self.harness.dir.path();
        let master = MasterKey::load_or_create(&dir.join(KEY_FILE)).unwrap();
        let conn = eca_backend::store::open(&dir.join(DATABASE_FILE)).unwrap();
        let stored = eca_backend::store::platform_keys::get(&conn, &ALPHA.parse().unwrap(), idp)
            .unwrap()
            .expect("the platform has a key for the IdP");
        let binding = key_binding(ALPHA, &idp.hyphenated().to_string());
        let text = SecretSealer::new(&master)
            .open(&binding, &stored.sealed)
            .expect("the key opens with the data folder's master key");
        text.to_string()
    }

    /// `GET …/platform-jwks` of `idp`, as ECA Admin reads it.
    pub async fn platform_jwks(&self, idp: Uuid) -> Captured {
        send(self.call(Method::GET, &Harness::platform_jwks_path(ALPHA, idp))).await
    }

    pub async fn status(&self, id: &str) -> Value {
        let got = send(self.call(
            Method::GET,
            &format!("/v1/workspaces/{ALPHA}/auth-requests/{id}"),
        ))
        .await;
        assert_eq!(got.status, 200, "{}", got.text());
        got.json()
    }
}

/// What the customer's browser ends on: `(status, page)`.
pub fn open_as_customer(link: &str) -> (u16, String) {
    open_as_customer_with(link, &[])
}

/// [`open_as_customer`] off the async runtime, as a test on it waits for it.
pub async fn customer_opens(link: String) -> (u16, String) {
    tokio::task::spawn_blocking(move || open_as_customer(&link))
        .await
        .expect("the scripted browser ran")
}

/// The same, with more environment for the scripted browser (e.g. another provider's user).
pub fn open_as_customer_with(link: &str, envs: &[(&str, String)]) -> (u16, String) {
    let out = Command::new("node")
        .arg(workspace_root().join("tests/oidc/browser.mjs"))
        .arg(link)
        .env("ECA_BROWSER_CUSTOMER", "1")
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("node runs the scripted browser");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "the browser failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (first, page) = stdout.split_once('\n').unwrap_or((&stdout, ""));
    let status = first
        .strip_prefix("PAGE ")
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| panic!("no PAGE line in {stdout:?}"));
    (status, page.to_string())
}

/// A pass-through in front of the provider that counts the requests it forwards: what the
/// provider sees, without replacing it.
pub struct CountingProxy {
    pub url: String,
    requests: Arc<std::sync::atomic::AtomicUsize>,
}

impl CountingProxy {
    pub async fn start(upstream: &str) -> Self {
        use axum::extract::State;
        use axum::http::{header, StatusCode, Uri};
        use axum::response::IntoResponse;
        use std::sync::atomic::{AtomicUsize, Ordering};

        type Shared = (String, Arc<AtomicUsize>, reqwest::Client);
        async fn forward(
            State((upstream, count, http)): State<Shared>,
            uri: Uri,
        ) -> impl IntoResponse {
            count.fetch_add(1, Ordering::SeqCst);
            let answer = http.get(format!("{upstream}{uri}")).send().await.unwrap();
            let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
            let content_type = answer
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/octet-stream")
                .to_string();
            let body = answer.bytes().await.unwrap();
            (status, [(header::CONTENT_TYPE, content_type)], body)
        }

        let requests = Arc::new(AtomicUsize::new(0));
        let shared: Shared = (
            upstream.to_string(),
            requests.clone(),
            reqwest::Client::new(),
        );
        let app = axum::Router::new().fallback(forward).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, requests }
    }

    pub fn requests(&self) -> usize {
        self.requests.load(std::sync::atomic::Ordering::SeqCst)
    }
}
