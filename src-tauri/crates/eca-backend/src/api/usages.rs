//! `GET /idps/{id}/usages`: which flows and Chat Desk extensions use an IdP, read-only.
//!
//! Invariant: any well-formed IdP id gets the usages that name it, an empty list when none
//! do, whether or not the workspace holds that IdP (flows keep naming a deleted IdP; see
//! migration 0007).

use super::{idps::parse_id, AppState, WorkspaceAccess};
use crate::problem::ApiError;
use crate::store::usages;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use eca_model::usage::UsageList;

pub async fn list(
    State(app): State<AppState>,
    WorkspaceAccess(workspace): WorkspaceAccess,
    Path((_, raw_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = parse_id(&raw_id)?;
    app.faults.delay().await;
    let items = app
        .db
        .run(move |conn| usages::of_idp(conn, &workspace.id, id))
        .await?;
    Ok(Json(UsageList { items }).into_response())
}
