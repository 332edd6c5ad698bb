//! The fault switches over HTTP: the injection layer on the workspace routes, and the
//! `GET`/`POST /_faults` endpoint (served only with `--fault-admin`).
//!
//! Invariant: injected errors are answered before authentication and before anything is
//! read or written, as the contract's order of checks says.

use super::AppState;
use crate::faults::FaultSettings;
use crate::problem::ApiError;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

pub async fn inject_errors(State(app): State<AppState>, request: Request, next: Next) -> Response {
    match app.faults.draw_error() {
        Some(injected) => ApiError::from(injected).into_response(),
        None => next.run(request).await,
    }
}

pub async fn show(State(app): State<AppState>) -> Json<FaultSettings> {
    Json(app.faults.settings())
}

/// Replaces every setting (missing members take their defaults) and reseeds the RNG.
pub async fn replace(
    State(app): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Json<FaultSettings>, ApiError> {
    let settings: FaultSettings = serde_json::from_slice(&body)
        .map_err(|e| ApiError::MalformedBody(format!("not fault settings ({e}).")))?;
    app.faults
        .replace(settings)
        .map_err(|e| ApiError::MalformedBody(format!("{e}.")))?;
    Ok(Json(app.faults.settings()))
}
