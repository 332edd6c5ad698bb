//! The floor of the platform benchmark (benches/platform.rs), not part of the product: a
//! minimal axum + openidconnect server doing the customer sign-in's verification and nothing
//! else. A link starts the authorization request (PKCE S256, state, nonce); the callback
//! checks `state` and the `iss` parameter, exchanges the code (client_secret_basic), verifies
//! the ID token and calls userinfo for the same subject. No database, no sealed secret, no
//! claim mapping, no request log. Discovery and the JWKS are fetched once, at start.
//!
//! Usage: `platform_floor <listen addr> <issuer> <client_id> <client_secret>`; prints
//! `READY http://<addr>` once it listens. Routes: `POST /requests` → `{"id", "link"}`,
//! `GET /l/{token}`, `GET /callback`, `GET /requests/{id}` → `{"status", "customer_id"}`.
//! `/l/{token}` and `/callback` answer `Server-Timing: app;dur=…, idp;dur=…` like the backend
//! with `--server-timing`: `idp` is the time spent in openidconnect's HTTP calls.

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AsyncHttpClient, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, HttpClientError, HttpRequest, HttpResponse, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde_json::json;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

struct Pending {
    request: u64,
    verifier: PkceCodeVerifier,
    nonce: Nonce,
}

struct Floor {
    client: Client,
    http: reqwest::Client,
    issuer: String,
    public_url: String,
    next_id: AtomicU64,
    links: Mutex<HashMap<String, u64>>,
    pending: Mutex<HashMap<String, Pending>>,
    /// `None` while pending, then the customer id or `""` when the login failed.
    results: Mutex<HashMap<u64, Option<String>>>,
}

type Shared = Arc<Floor>;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [listen, issuer, client_id, client_secret] = <[String; 4]>::try_from(args)
        .expect("usage: platform_floor <listen addr> <issuer> <client_id> <client_secret>");
    // The pool's idle timeout as the platform's (an IdP closing a pooled connection as a code
    // exchange is sent on it resets the exchange).
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(eca_oidc::http::POOL_IDLE_TIMEOUT)
        .build()
        .unwrap();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.clone()).unwrap(), &http)
            .await
            .expect("discovery");
    let listener = tokio::net::TcpListener::bind(&listen).await.unwrap();
    let public_url = format!("http://{}", listener.local_addr().unwrap());
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(client_id),
        Some(ClientSecret::new(client_secret)),
    )
    .set_redirect_uri(RedirectUrl::new(format!("{public_url}/callback")).unwrap());
    let floor = Arc::new(Floor {
        client,
        http,
        issuer,
        public_url: public_url.clone(),
        next_id: AtomicU64::new(1),
        links: Mutex::default(),
        pending: Mutex::default(),
        results: Mutex::default(),
    });
    let app = Router::new()
        .route("/requests", post(create))
        .route("/requests/{id}", get(result))
        .route("/l/{token}", get(open_link).post(open_link))
        .route("/callback", get(callback))
        .with_state(floor);
    println!("READY {public_url}");
    axum::serve(listener, app).await.unwrap();
}

async fn create(State(floor): State<Shared>) -> Response {
    let id = floor.next_id.fetch_add(1, Ordering::Relaxed);
    let token = CsrfToken::new_random().secret().clone();
    let link = format!("{}/l/{token}", floor.public_url);
    floor.links.lock().unwrap().insert(token, id);
    floor.results.lock().unwrap().insert(id, None);
    (StatusCode::CREATED, Json(json!({"id": id, "link": link}))).into_response()
}

async fn result(State(floor): State<Shared>, Path(id): Path<u64>) -> Response {
    let status = match floor.results.lock().unwrap().get(&id) {
        None => return StatusCode::NOT_FOUND.into_response(),
        Some(None) => json!({"status": "pending"}),
        Some(Some(sub)) if sub.is_empty() => json!({"status": "failed"}),
        Some(Some(sub)) => json!({"status": "authenticated", "customer_id": sub}),
    };
    Json(status).into_response()
}

async fn open_link(State(floor): State<Shared>, Path(token): Path<String>) -> Response {
    let started = Instant::now();
    let Some(request) = floor.links.lock().unwrap().remove(&token) else {
        return (StatusCode::GONE, "This link is not valid.").into_response();
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = floor
        .client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("phone".into()))
        .set_pkce_challenge(challenge)
        .url();
    let pending = Pending {
        request,
        verifier,
        nonce,
    };
    floor
        .pending
        .lock()
        .unwrap()
        .insert(state.secret().clone(), pending);
    let mut response = StatusCode::FOUND.into_response();
    let location = HeaderValue::from_str(url.as_str()).unwrap();
    response.headers_mut().insert(header::LOCATION, location);
    timed(response, started, Duration::ZERO)
}

async fn callback(State(floor): State<Shared>, RawQuery(query): RawQuery) -> Response {
    let started = Instant::now();
    let spent = AtomicU64::new(0);
    let params: HashMap<String, String> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let pending = params
        .get("state")
        .and_then(|state| floor.pending.lock().unwrap().remove(state));
    let verified = match pending {
        Some(pending) => {
            let request = pending.request;
            (request, verify(&floor, &params, pending, &spent).await)
        }
        None => return (StatusCode::BAD_REQUEST, "Unknown state.").into_response(),
    };
    let (request, outcome) = verified;
    let page = match &outcome {
        Ok(_) => (StatusCode::OK, "You're verified, go back to the chat."),
        Err(_) => (StatusCode::UNAUTHORIZED, "We could not verify you."),
    };
    if let Err(e) = &outcome {
        eprintln!("platform_floor: a login failed: {e}");
    }
    let sub = outcome.unwrap_or_default();
    floor.results.lock().unwrap().insert(request, Some(sub));
    let idp = Duration::from_nanos(spent.load(Ordering::Relaxed));
    timed(page.into_response(), started, idp)
}

/// `iss`, the code exchange, the ID token and userinfo; the customer id (`sub`) when verified.
async fn verify(
    floor: &Floor,
    params: &HashMap<String, String>,
    pending: Pending,
    spent: &AtomicU64,
) -> Result<String, String> {
    if params.get("iss").is_some_and(|iss| *iss != floor.issuer) {
        return Err("iss".into());
    }
    let code = params.get("code").ok_or("code")?.clone();
    let http = Timed {
        http: &floor.http,
        spent,
    };
    let token = floor
        .client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| e.to_string())?
        .set_pkce_verifier(pending.verifier)
        .request_async(&http)
        .await
        .map_err(|e| e.to_string())?;
    let claims = token
        .id_token()
        .ok_or("no ID token")?
        .claims(&floor.client.id_token_verifier(), &pending.nonce)
        .map_err(|e| e.to_string())?;
    let subject = claims.subject().clone();
    let _info: CoreUserInfoClaims = floor
        .client
        .user_info(token.access_token().clone(), Some(subject.clone()))
        .map_err(|e| e.to_string())?
        .request_async(&http)
        .await
        .map_err(|e| e.to_string())?;
    Ok(subject.as_str().to_string())
}

/// openidconnect's HTTP client, each call's time added to `spent`.
struct Timed<'a> {
    http: &'a reqwest::Client,
    spent: &'a AtomicU64,
}

impl<'c> AsyncHttpClient<'c> for Timed<'_> {
    type Error = HttpClientError<reqwest::Error>;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let started = Instant::now();
            let response = self.http.call(request).await;
            let took = started.elapsed().as_nanos() as u64;
            self.spent.fetch_add(took, Ordering::Relaxed);
            response
        })
    }
}

fn timed(mut response: Response, started: Instant, idp: Duration) -> Response {
    let own = started.elapsed().saturating_sub(idp);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let value = format!("app;dur={:.3}, idp;dur={:.3}", ms(own), ms(idp));
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().insert("server-timing", value);
    }
    response
}
