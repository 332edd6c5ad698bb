//! The HTTP routes of the contract (`docs/sync-api.yaml`), thin over [`crate::writes`] and the
//! store.
//!
//! Invariants:
//! - Checks run in the contract's order: injected faults (a route layer), then the API key
//!   (an extractor), then headers, path, body, validation, then the transaction.
//! - Every answer that is not a success is an [`ApiError`] problem, unknown routes included.

mod auth;
mod fault_admin;
mod health;
mod idps;
mod platform_jwks;
mod preconditions;
mod server_timing;
mod signin;
mod usages;

pub use auth::{AccessList, WorkspaceAccess};

use crate::crypto::SecretSealer;
use crate::faults::Faults;
use crate::idempotency::InFlight;
use crate::problem::ApiError;
use crate::signin::SignIn;
use crate::store::idempotency::StoredResponse;
use crate::store::Database;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use eca_model::clock::Clock;
use std::sync::Arc;

/// Everything a request handler may use.
#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub sealer: Arc<SecretSealer>,
    pub faults: Arc<Faults>,
    pub in_flight: Arc<InFlight>,
    pub access: Arc<AccessList>,
    pub clock: Arc<dyn Clock>,
    pub signin: Arc<SignIn>,
}

/// The header that marks a replayed response.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// What a router serves besides the contract.
#[derive(Clone, Copy, Debug, Default)]
pub struct Extras {
    /// `GET`/`POST /_faults`.
    pub fault_admin: bool,
    /// `Server-Timing` on the customer's routes ([`server_timing`]).
    pub server_timing: bool,
}

pub fn router(state: AppState, extras: Extras) -> Router {
    let workspace_api = Router::new()
        .route("/v1/workspaces/{workspace_id}/idps", get(idps::list))
        .route(
            "/v1/workspaces/{workspace_id}/idps/{idp_id}",
            get(idps::get_one).put(idps::put).delete(idps::delete),
        )
        .route(
            "/v1/workspaces/{workspace_id}/idps/{idp_id}/platform-jwks",
            get(platform_jwks::get),
        )
        .route(
            "/v1/workspaces/{workspace_id}/idps/{idp_id}/usages",
            get(usages::list),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            fault_admin::inject_errors,
        ));
    let auth_api = Router::new()
        .route("/v1/platform", get(signin::platform))
        .route(
            "/v1/workspaces/{workspace_id}/auth-requests",
            post(signin::create),
        )
        .route(
            "/v1/workspaces/{workspace_id}/auth-requests/{auth_request_id}",
            get(signin::get_one),
        )
        .route(
            "/v1/workspaces/{workspace_id}/messages",
            get(signin::messages),
        )
        .route(
            "/v1/workspaces/{workspace_id}/webhook",
            get(signin::get_webhook)
                .put(signin::put_webhook)
                .delete(signin::delete_webhook),
        );
    let mut customer = Router::new()
        .route(
            "/l/{token}",
            get(signin::open_link).post(signin::start_sign_in),
        )
        .route(crate::signin::CALLBACK_PATH, get(signin::callback));
    if extras.server_timing {
        customer = customer.route_layer(middleware::from_fn(server_timing::add));
    }
    let mut app = Router::new()
        .route("/v1/health", get(health::get))
        .merge(workspace_api)
        .merge(auth_api)
        .merge(customer);
    if extras.fault_admin {
        app = app.route(
            "/_faults",
            get(fault_admin::show).post(fault_admin::replace),
        );
    }
    app.fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// A recorded (or just rendered) response as sent, marked when it is a replay.
pub fn send(stored: StoredResponse, replayed: bool) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    // Built by hand so a 204 gets no Content-Type: only the recorded headers are sent.
    let mut response = Response::new(Body::from(stored.body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    for (name, value) in stored.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.insert(name, value);
        }
    }
    if replayed {
        headers.insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    }
    response
}

async fn route_not_found(uri: Uri) -> ApiError {
    ApiError::RouteNotFound(uri.path().chars().take(200).collect())
}

async fn method_not_allowed(method: Method) -> ApiError {
    ApiError::MethodNotAllowed(method.to_string())
}

/// One line per request: method, path, status, time. Never headers, queries or bodies, and
/// never a link's token.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = loggable_path(request.uri().path());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

/// The path as it may be logged: a link's token is a credential, so `/l/…` is logged bare.
fn loggable_path(path: &str) -> String {
    if path.starts_with("/l/") {
        "/l/…".to_string()
    } else {
        path.chars().take(200).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_links_token_never_reaches_the_log() {
        assert_eq!(loggable_path("/l/AAAAAAAAAAAAAAAAAAAAAA"), "/l/…");
        assert_eq!(loggable_path("/v1/health"), "/v1/health");
    }
}
