//! The routes of customer sign-in (`docs/auth-api.yaml`), thin over [`crate::signin`].
//!
//! Invariants: the public routes (`/l/{token}`, the callback, `/v1/platform`) answer only with
//! fixed pages or a redirect, never a problem body that could echo their input; the
//! API-key routes answer problems like the sync API.

use super::idps::read_json;
use super::{AppState, WorkspaceAccess};
use crate::problem::ApiError;
use crate::problem::FieldError;
use crate::signin::pages;
use crate::signin::request::{check_web_url, parse_create};
use crate::store::auth_requests;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use uuid::Uuid;

/// The largest auth request body accepted; a real one is a few hundred bytes.
const MAX_BODY_BYTES: usize = 16 * 1024;

pub async fn platform(State(app): State<AppState>) -> Response {
    Json(app.signin.platform()).into_response()
}

pub async fn create(
    State(app): State<AppState>,
    WorkspaceAccess(workspace): WorkspaceAccess,
    body: Body,
) -> Result<Response, ApiError> {
    let value = read_json(body, MAX_BODY_BYTES).await?;
    let Value::Object(members) = &value else {
        return Err(ApiError::MalformedBody(
            "it must be a JSON object (an auth request).".into(),
        ));
    };
    let create = parse_create(members).map_err(ApiError::InvalidFields)?;
    app.signin.erase_due(&app.db).await?;
    let (created, location) = app.signin.create(&app.db, workspace.id, create).await?;
    let mut response = (StatusCode::CREATED, Json(created)).into_response();
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

pub async fn get_one(
    State(app): State<AppState>,
    WorkspaceAccess(workspace): WorkspaceAccess,
    Path((_, raw_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = Uuid::parse_str(&raw_id)
        .map_err(|_| ApiError::InvalidAuthRequestId(raw_id.chars().take(80).collect()))?;
    app.signin.erase_due(&app.db).await?;
    let view = app.signin.read(&app.db, workspace.id, id).await?;
    let mut response = Json(view).into_response();
    pages::no_store(response.headers_mut());
    Ok(response)
}

pub async fn messages(
    State(app): State<AppState>,
    WorkspaceAccess(workspace): WorkspaceAccess,
) -> Result<Response, ApiError> {
    let items = app
        .db
        .run(move |conn| auth_requests::messages(conn, &workspace.id))
        .await?;
    let mut response = Json(json!({ "items": items })).into_response();
    pages::no_store(response.headers_mut());
    Ok(response)
}

pub async fn open_link(State(app): State<AppState>, Path(token): Path<String>) -> Response {
    match app.signin.open(&app.db, &token).await {
        Ok(authorization_url) => {
            let mut response = StatusCode::FOUND.into_response();
            let headers = response.headers_mut();
            if let Ok(location) = HeaderValue::from_str(authorization_url.as_str()) {
                headers.insert(header::LOCATION, location);
            }
            pages::no_store(headers);
            response
        }
        Err((page, return_url)) => page.render(return_url.as_deref()),
    }
}

pub async fn callback(State(app): State<AppState>, uri: Uri) -> Response {
    let query = uri.query().unwrap_or_default();
    let (page, return_url) = app.signin.callback(&app.db, query).await;
    page.render(return_url.as_deref())
}

pub async fn put_webhook(
    State(app): State<AppState>,
    WorkspaceAccess(workspace): WorkspaceAccess,
    body: Body,
) -> Result<Response, ApiError> {
    let value = read_json(body, MAX_BODY_BYTES).await?;
    let url = match &value {
        Value::Object(members) if members.len() == 1 => members.get("url"),
        _ => None,
    };
    let url = match url {
        Some(Value::String(url)) => check_web_url(url).map(|_| url.clone()),
        _ => Err("is required, and is the only member"),
    }
    .map_err(|message| ApiError::InvalidFields(vec![FieldError::new("url", message)]))?;
    let set = app.signin.set_webhook(&app.db, workspace.id, url).await?;
    let mut response = Json(set).into_response();
    pages::no_store(response.headers_mut());
    Ok(response)
}

pub async fn get_webhook(
    State(app): State<AppState>,
    WorkspaceAccess(workspace): WorkspaceAccess,
) -> Result<Response, ApiError> {
    let ws = workspace.id.to_string();
    match app.signin.webhook(&app.db, workspace.id).await? {
        Some(hook) => Ok(Json(hook).into_response()),
        None => Err(ApiError::NoWebhook(ws)),
    }
}

pub async fn delete_webhook(
    State(app): State<AppState>,
    WorkspaceAccess(workspace): WorkspaceAccess,
) -> Result<Response, ApiError> {
    let ws = workspace.id.to_string();
    if app.signin.delete_webhook(&app.db, workspace.id).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::NoWebhook(ws))
    }
}
