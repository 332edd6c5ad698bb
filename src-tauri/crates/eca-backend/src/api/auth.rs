//! Bearer API keys: which workspace a request may touch.
//!
//! Invariants: keys are compared by their SHA-256 only; a request without a known key gets
//! 401, with a key of another workspace 403 (whether or not that workspace exists, so a key
//! cannot probe for workspace names).

use super::AppState;
use crate::problem::ApiError;
use crate::store::workspaces::Workspace;
use crate::workspace::{hash_presented_key, WorkspaceId};
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use std::collections::HashMap;

/// Which key hash opens which workspace; loaded at start (keys are provisioned only then).
pub struct AccessList {
    by_key_hash: HashMap<String, Workspace>,
}

impl AccessList {
    pub fn new(workspaces: Vec<Workspace>, keys: Vec<(String, WorkspaceId)>) -> Self {
        let by_id: HashMap<WorkspaceId, Workspace> =
            workspaces.into_iter().map(|w| (w.id.clone(), w)).collect();
        let by_key_hash = keys
            .into_iter()
            .filter_map(|(hash, id)| by_id.get(&id).map(|w| (hash, w.clone())))
            .collect();
        Self { by_key_hash }
    }

    fn workspace_for(&self, presented_key: &str) -> Option<&Workspace> {
        self.by_key_hash.get(&hash_presented_key(presented_key))
    }
}

/// The workspace of the path, when the request's API key opens it.
pub struct WorkspaceAccess(pub Workspace);

impl FromRequestParts<AppState> for WorkspaceAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let workspace = state
            .access
            .workspace_for(bearer(parts)?)
            .ok_or(ApiError::UnknownApiKey)?;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::RouteNotFound(parts.uri.path().to_string()))?;
        let requested = params
            .iter()
            .find(|(name, _)| *name == "workspace_id")
            .map(|(_, value)| value)
            .unwrap_or_default();
        if requested != workspace.id.as_str() {
            return Err(ApiError::WrongWorkspace(
                requested.chars().take(63).collect(),
            ));
        }
        Ok(WorkspaceAccess(workspace.clone()))
    }
}

/// The request's Bearer token, or why there is none.
fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|token| !token.is_empty())
        .ok_or(ApiError::MissingCredentials)
}

/// A request whose API key opens a workspace, whichever: what the fault switches ask for.
pub struct KeyHolder;

impl FromRequestParts<AppState> for KeyHolder {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let known = state.access.workspace_for(bearer(parts)?).is_some();
        known.then_some(KeyHolder).ok_or(ApiError::UnknownApiKey)
    }
}
