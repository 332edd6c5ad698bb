//! `GET /v1/workspaces/{workspace_id}/idps/{idp_id}/platform-jwks`: the public keys of the
//! platform's own signing key for the IdP (private_key_jwt), made on this first read if the
//! IdP has none yet. Thin over [`crate::platform_keys`].
//!
//! Invariant: answers public keys and a certificate only; the private key never leaves
//! [`crate::platform_keys`].

use super::idps::IdpTarget;
use super::{AppState, WorkspaceAccess};
use crate::platform_keys;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;

pub async fn get(
    State(app): State<AppState>,
    WorkspaceAccess(workspace): WorkspaceAccess,
    Path((_, raw_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let target = IdpTarget::read(&app, &workspace, &raw_id).await?;
    let now = app.clock.now();
    let key = platform_keys::ensure(&app.db, &app.sealer, &workspace.id, target.id, now)
        .await?
        .ok_or_else(|| target.not_found())?;
    Ok(Json(key.public()).into_response())
}
