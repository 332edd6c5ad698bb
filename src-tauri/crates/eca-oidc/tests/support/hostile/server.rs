//! The hostile provider's HTTP endpoints (axum): discovery, JWKS, authorize, token, userinfo.
//!
//! Done correctly unless told otherwise: authorize requires `response_type=code`, the
//! registered client, `openid` in the scope and PKCE S256, and answers at once with a 302 (no
//! login page); token requires the client's credentials (Basic, form-urlencoded inside as
//! RFC 6749 §2.3.1 says, or in the body), the same redirect URI, the PKCE verifier, and a code
//! not used before (a second use is refused and revokes the first access token).
//!
//! Where each misbehaviour acts here: discovery (`DiscoveryIssuerMismatch`), JWKS
//! (`NoKidOneKey`, `RotatedKey`), the authorization response (`WrongIssParam`,
//! `MissingIssParamWhenAdvertised`, `WrongState`, `MissingState`, `AuthorizeError`), token
//! (`TokenError`, and the ID token through tokens.rs), userinfo (`UserinfoSubMismatch`), PAR
//! (`ParWithoutRequestUri`, `ParError`, `ParOversized`).
//!
//! With PAR on, the PAR endpoint authenticates the client as token does, refuses a parameter
//! sent twice, and keeps the request for one use; authorize then takes only `client_id` and
//! that `request_uri`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use rsa::rand_core::{OsRng, RngCore as _};
use serde_json::{json, Value};

use super::keys::{jwks, KeyRing};
use super::tokens::{self, IdTokenFacts, SUBJECT};
use super::Misbehaviour;

const ACCESS_TOKEN_LIFETIME_SECS: i64 = 3600;

/// Everything the handlers and the test's [`super::HostileOp`] share.
pub struct Shared {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub public_client: bool,
    pub advertise_iss_param: bool,
    pub par: bool,
    pub par_calls: AtomicUsize,
    pub keys: KeyRing,
    pub state: Mutex<OpState>,
    pub authorize_calls: AtomicUsize,
    pub token_calls: AtomicUsize,
    pub userinfo_calls: AtomicUsize,
    pub jwks_fetches: AtomicUsize,
}

/// What changes while the provider runs.
pub struct OpState {
    pub misbehaviour: Misbehaviour,
    /// JWKS fetches still to be answered with the keys from before the `RotatedKey` switch.
    pub stale_jwks_left: u32,
    /// Unix seconds to use instead of the system clock.
    pub frozen_now: Option<i64>,
    grants: HashMap<String, Grant>,
    access_tokens: HashMap<String, String>,
    /// Pushed requests by `request_uri`, each used once.
    pushed: HashMap<String, HashMap<String, String>>,
    pub last_authorize_params: Vec<String>,
}

impl OpState {
    pub fn new(misbehaviour: Misbehaviour) -> Self {
        let mut state = Self {
            misbehaviour: Misbehaviour::None,
            stale_jwks_left: 0,
            frozen_now: None,
            grants: HashMap::new(),
            access_tokens: HashMap::new(),
            pushed: HashMap::new(),
            last_authorize_params: Vec::new(),
        };
        state.set_misbehaviour(misbehaviour);
        state
    }

    pub fn set_misbehaviour(&mut self, misbehaviour: Misbehaviour) {
        if misbehaviour == Misbehaviour::RotatedKey && self.misbehaviour != misbehaviour {
            self.stale_jwks_left = 1;
        }
        self.misbehaviour = misbehaviour;
    }

    fn now(&self) -> i64 {
        self.frozen_now.unwrap_or_else(|| {
            let since_epoch = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .expect("clock after 1970");
            since_epoch.as_secs() as i64
        })
    }
}

/// One authorization code and what it was issued for.
struct Grant {
    redirect_uri: String,
    scope: String,
    nonce: Option<String>,
    code_challenge: String,
    /// Set once the code is redeemed; a second redemption revokes it and forgets the code.
    access_token: Option<String>,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, OpState> {
        // A test that panicked while holding the lock leaves consistent data behind.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks_document))
        .route("/authorize", get(authorize))
        .route("/par", post(par))
        .route("/token", post(token))
        .route("/userinfo", get(userinfo))
        .with_state(shared)
}

async fn discovery(State(op): State<Arc<Shared>>) -> Json<Value> {
    let misbehaviour = op.lock().misbehaviour;
    let base = &op.issuer;
    let issuer = match misbehaviour {
        Misbehaviour::DiscoveryIssuerMismatch => tokens::impostor_issuer(base),
        _ => base.clone(),
    };
    let advertise_iss_param =
        op.advertise_iss_param || misbehaviour == Misbehaviour::MissingIssParamWhenAdvertised;
    let mut document = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "userinfo_endpoint": format!("{base}/userinfo"),
        "jwks_uri": format!("{base}/jwks"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "none"],
        "scopes_supported": ["openid", "profile", "email", "phone"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nonce", "at_hash", "name",
            "email", "phone_number"],
        "authorization_response_iss_parameter_supported": advertise_iss_param,
    });
    if op.par {
        document["pushed_authorization_request_endpoint"] = json!(format!("{base}/par"));
        document["require_pushed_authorization_requests"] = json!(true);
    }
    Json(document)
}

async fn jwks_document(State(op): State<Arc<Shared>>) -> Json<Value> {
    op.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    let keys = &op.keys;
    let mut state = op.lock();
    Json(match state.misbehaviour {
        Misbehaviour::NoKidOneKey => jwks(&[&keys.primary]),
        Misbehaviour::RotatedKey if state.stale_jwks_left > 0 => {
            state.stale_jwks_left -= 1;
            jwks(&[&keys.primary, &keys.spare])
        }
        // The old primary stays published beside its successor, as in a real rotation.
        Misbehaviour::RotatedKey => jwks(&[keys.rotated(), &keys.primary]),
        _ => jwks(&[&keys.primary, &keys.spare]),
    })
}

async fn authorize(
    State(op): State<Arc<Shared>>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    op.authorize_calls.fetch_add(1, Ordering::SeqCst);
    let params = match pushed_params(&op, query) {
        Ok(params) => params,
        Err(why) => return (StatusCode::BAD_REQUEST, why).into_response(),
    };
    let param = |name: &str| params.get(name).map(String::as_str);
    // Without a known client and a redirect URI there is nowhere safe to send an error
    // (RFC 6749 §4.1.2.1): answer the browser directly.
    if param("client_id") != Some(op.client_id.as_str()) {
        return (StatusCode::BAD_REQUEST, "hostile OP: unknown client_id").into_response();
    }
    let Some(redirect_uri) = param("redirect_uri") else {
        return (
            StatusCode::BAD_REQUEST,
            "hostile OP: redirect_uri is missing",
        )
            .into_response();
    };
    let Ok(mut target) = url::Url::parse(redirect_uri) else {
        return (
            StatusCode::BAD_REQUEST,
            "hostile OP: redirect_uri is not a URL",
        )
            .into_response();
    };

    let misbehaviour = op.lock().misbehaviour;
    let state = match misbehaviour {
        Misbehaviour::MissingState => None,
        Misbehaviour::WrongState => Some("forged-state".to_owned()),
        _ => param("state").map(str::to_owned),
    };
    let iss = match misbehaviour {
        Misbehaviour::WrongIssParam => Some(tokens::impostor_issuer(&op.issuer)),
        Misbehaviour::MissingIssParamWhenAdvertised => None,
        _ if op.advertise_iss_param => Some(op.issuer.clone()),
        _ => None,
    };
    let scope = param("scope").unwrap_or_default();
    let challenge = param("code_challenge").unwrap_or_default();

    let outcome = if let Misbehaviour::AuthorizeError(error) = misbehaviour {
        Err((error, "The hostile OP was told to refuse this request."))
    } else if param("response_type") != Some("code") {
        Err((
            "unsupported_response_type",
            "Only response_type=code is supported.",
        ))
    } else if !scope.split(' ').any(|s| s == "openid") {
        Err(("invalid_scope", "The scope must include openid."))
    } else if param("code_challenge_method") != Some("S256") || !is_pkce_value(challenge) {
        Err((
            "invalid_request",
            "PKCE is required: code_challenge with method S256.",
        ))
    } else {
        Ok(())
    };

    {
        let mut query = target.query_pairs_mut();
        match outcome {
            Ok(()) => {
                let code = random_token();
                op.lock().grants.insert(
                    code.clone(),
                    Grant {
                        redirect_uri: redirect_uri.to_owned(),
                        scope: scope.to_owned(),
                        nonce: param("nonce").map(str::to_owned),
                        code_challenge: challenge.to_owned(),
                        access_token: None,
                    },
                );
                query.append_pair("code", &code);
            }
            Err((error, description)) => {
                query.append_pair("error", error);
                query.append_pair("error_description", description);
            }
        }
        if let Some(state) = &state {
            query.append_pair("state", state);
        }
        if let Some(iss) = &iss {
            query.append_pair("iss", iss);
        }
    }
    (StatusCode::FOUND, [(header::LOCATION, target.to_string())]).into_response()
}

/// The authorization request's parameters: the query, or with PAR on, the pushed request its
/// `request_uri` names (for the same client, once). Refused: why, for the browser.
fn pushed_params(
    op: &Shared,
    query: Vec<(String, String)>,
) -> Result<HashMap<String, String>, &'static str> {
    let mut state = op.lock();
    state.last_authorize_params = query.iter().map(|(k, _)| k.clone()).collect();
    let query: HashMap<String, String> = query.into_iter().collect();
    if !op.par {
        return Ok(query);
    }
    let uri = query
        .get("request_uri")
        .ok_or("hostile OP: PAR is required")?;
    let pushed = state
        .pushed
        .remove(uri)
        .ok_or("hostile OP: unknown or used request_uri")?;
    if query.get("client_id") != pushed.get("client_id") {
        return Err("hostile OP: client_id differs from the pushed one");
    }
    Ok(pushed)
}

async fn par(
    State(op): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    op.par_calls.fetch_add(1, Ordering::SeqCst);
    let expires_in = 60;
    match op.lock().misbehaviour {
        Misbehaviour::ParError(error) => {
            let status = match error {
                "invalid_client" => StatusCode::UNAUTHORIZED,
                _ => StatusCode::BAD_REQUEST,
            };
            return oauth_error(
                status,
                error,
                "The hostile OP was told to refuse this push.",
            );
        }
        Misbehaviour::ParWithoutRequestUri => {
            return (
                StatusCode::CREATED,
                Json(json!({ "expires_in": expires_in })),
            )
                .into_response();
        }
        Misbehaviour::ParOversized => {
            let body = json!({
                "request_uri": "urn:ietf:params:oauth:request_uri:padded",
                "expires_in": expires_in,
                "padding": "x".repeat(1 << 20),
            });
            return (StatusCode::CREATED, Json(body)).into_response();
        }
        _ => {}
    }
    let mut form = HashMap::new();
    for (key, value) in fields {
        if form.insert(key, value).is_some() {
            let why = "A parameter was sent twice.";
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", why);
        }
    }
    if let Some(refused) = client_refusal(&op, &headers, &form) {
        return refused;
    }
    form.remove("client_secret");
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(basic_credentials);
    if let Some((id, _)) = basic {
        form.entry("client_id".into()).or_insert(id);
    }
    let request_uri = format!("urn:ietf:params:oauth:request_uri:{}", random_token());
    op.lock().pushed.insert(request_uri.clone(), form);
    let body = json!({ "request_uri": request_uri, "expires_in": expires_in });
    (StatusCode::CREATED, Json(body)).into_response()
}

async fn token(
    State(op): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    op.token_calls.fetch_add(1, Ordering::SeqCst);
    let field = |name: &str| form.get(name).map(String::as_str);
    if let Misbehaviour::TokenError(error) = op.lock().misbehaviour {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            error,
            "The hostile OP was told to fail.",
        );
    }

    if let Some(refused) = client_refusal(&op, &headers, &form) {
        return refused;
    }

    if field("grant_type") != Some("authorization_code") {
        let why = "Only grant_type=authorization_code is supported.";
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", why);
    }
    let invalid_grant = |why: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", why);

    let mut guard = op.lock();
    // Reborrowed so that the grant and the access tokens can be borrowed apart.
    let state = &mut *guard;
    let misbehaviour = state.misbehaviour;
    let now = state.now();
    let code = field("code").unwrap_or_default();
    let Some(grant) = state.grants.get_mut(code) else {
        return invalid_grant("Unknown authorization code.");
    };
    if let Some(first_token) = grant.access_token.clone() {
        // RFC 6749 §4.1.2: a code used twice is refused, and what it gave is revoked.
        state.access_tokens.remove(&first_token);
        state.grants.remove(code);
        return invalid_grant("The authorization code was already used.");
    }
    if field("redirect_uri") != Some(grant.redirect_uri.as_str()) {
        return invalid_grant("redirect_uri differs from the authorization request's.");
    }
    let verifier = field("code_verifier").unwrap_or_default();
    if !is_pkce_value(verifier) || tokens::s256_challenge(verifier) != grant.code_challenge {
        return invalid_grant("PKCE verification failed (code_verifier).");
    }

    let access_token = random_token();
    grant.access_token = Some(access_token.clone());
    let scope = grant.scope.clone();
    let nonce = grant.nonce.clone();
    state
        .access_tokens
        .insert(access_token.clone(), scope.clone());
    drop(guard);

    let facts = IdTokenFacts {
        issuer: &op.issuer,
        client_id: &op.client_id,
        nonce: nonce.as_deref(),
        access_token: &access_token,
        now,
    };
    let id_token = tokens::id_token(&facts, misbehaviour, &op.keys);
    let body = Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_LIFETIME_SECS,
        "id_token": id_token,
        "scope": scope,
    }));
    ([(header::CACHE_CONTROL, "no-store")], body).into_response()
}

/// Client authentication (RFC 6749 §2.3.1), as token and PAR require it: exactly one method,
/// this client, its secret (or none for a public client). The refusal, if any.
fn client_refusal(
    op: &Shared,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Option<Response> {
    let field = |name: &str| form.get(name).map(String::as_str);
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(basic_credentials);
    let in_body = field("client_secret").is_some();
    let (client_id, secret) = match basic {
        Some(_) if in_body => {
            let why = "Use one client authentication method, not Basic and the body both.";
            return Some(oauth_error(StatusCode::BAD_REQUEST, "invalid_request", why));
        }
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (
            field("client_id").map(str::to_owned),
            field("client_secret").map(str::to_owned),
        ),
    };
    let secret_ok = match &secret {
        Some(secret) => *secret == op.client_secret,
        None => op.public_client,
    };
    if client_id.as_deref() != Some(op.client_id.as_str()) || !secret_ok {
        let mut response = oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Unknown client, or wrong or missing client secret.",
        );
        if headers.contains_key(header::AUTHORIZATION) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"hostile-op\""),
            );
        }
        return Some(response);
    }
    None
}

async fn userinfo(State(op): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    op.userinfo_calls.fetch_add(1, Ordering::SeqCst);
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let state = op.lock();
    if !bearer.is_some_and(|token| state.access_tokens.contains_key(token)) {
        let challenge = HeaderValue::from_static("Bearer error=\"invalid_token\"");
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, challenge)],
        )
            .into_response();
    }
    let sub = match state.misbehaviour {
        Misbehaviour::UserinfoSubMismatch => "hostile-user-2",
        _ => SUBJECT,
    };
    Json(json!({
        "sub": sub,
        "name": "Hostile User",
        "email": "hostile.user@example.test",
        "phone_number": "+1 555 0100",
    }))
    .into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = Json(json!({ "error": error, "error_description": description }));
    (status, [(header::CACHE_CONTROL, "no-store")], body).into_response()
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))` → (id, secret).
fn basic_credentials(value: &HeaderValue) -> Option<(String, String)> {
    let (scheme, encoded) = value.to_str().ok()?.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form_decode(id)?, form_decode(secret)?))
}

/// application/x-www-form-urlencoded decoding of one component ('+' is a space).
fn form_decode(component: &str) -> Option<String> {
    let bytes = component.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = component.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// RFC 7636 §4.1: 43 to 128 characters of `[A-Za-z0-9-._~]` (verifiers and S256 challenges).
fn is_pkce_value(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// 256 bits from the OS RNG, base64url: codes and access tokens.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}
