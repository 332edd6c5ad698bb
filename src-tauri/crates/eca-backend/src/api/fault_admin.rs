//! The fault switches over HTTP: the injection layer on the workspace routes, and the
//! `GET`/`POST /_faults` endpoint (served only with `--fault-admin`).
//!
//! Invariants: injected errors are answered before authentication and before anything is
//! read or written, as the contract's order of checks says. `/_faults` needs an API key of the
//! backend, and a `POST` must be `application/json`, so a web page the tester visits cannot
//! switch faults with a plain form.

use super::auth::KeyHolder;
use super::AppState;
use crate::faults::FaultSettings;
use crate::problem::ApiError;
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

pub async fn inject_errors(State(app): State<AppState>, request: Request, next: Next) -> Response {
    match app.faults.draw_error() {
        Some(injected) => ApiError::from(injected).into_response(),
        None => next.run(request).await,
    }
}

pub async fn show(_: KeyHolder, State(app): State<AppState>) -> Json<FaultSettings> {
    Json(app.faults.settings())
}

/// Replaces every setting (missing members take their defaults) and reseeds the RNG.
pub async fn replace(
    _: KeyHolder,
    State(app): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<FaultSettings>, ApiError> {
    let json = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(ApiError::MalformedBody(
            "fault settings must be sent as application/json.".into(),
        ));
    }
    let settings: FaultSettings = serde_json::from_slice(&body)
        .map_err(|e| ApiError::MalformedBody(format!("not fault settings ({e}).")))?;
    app.faults
        .replace(settings)
        .map_err(|e| ApiError::MalformedBody(format!("{e}.")))?;
    Ok(Json(app.faults.settings()))
}
