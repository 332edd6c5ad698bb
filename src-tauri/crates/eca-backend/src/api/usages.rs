//! `GET /idps/{id}/usages`: which flows and Chat Desk extensions use an IdP, read-only.
//!
//! Invariant: an IdP the workspace holds gets the usages that name it, an empty list when none
//! do; any other id is 404, like the IdP itself (a flow may still name a deleted IdP, but what
//! the app asks about before a disable or delete is an IdP the platform holds).

use super::{idps::IdpTarget, AppState, WorkspaceAccess};
use crate::problem::ApiError;
use crate::store::{idps, usages};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use eca_model::usage::UsageList;

pub async fn list(
    State(app): State<AppState>,
    WorkspaceAccess(workspace): WorkspaceAccess,
    Path((_, raw_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let target = IdpTarget::read(&app, &workspace, &raw_id).await?;
    let (ws, id) = (workspace.id.clone(), target.id);
    let items = app
        .db
        .run(move |conn| match idps::get(conn, &ws, id)? {
            Some(_) => usages::of_idp(conn, &ws, id).map(Some),
            None => Ok(None),
        })
        .await?;
    let items = items.ok_or_else(|| target.not_found())?;
    Ok(Json(UsageList { items }).into_response())
}
