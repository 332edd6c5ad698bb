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
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
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
    match app.signin.peek(&app.db, &token) {
        Ok(sent_to) => pages::continue_page(&sent_to),
        Err(page) => page.render(None),
    }
}

/// The customer's click. A browser that goes away mid-way leaves the link unspent
/// ([`crate::signin::SignIn::start`] spends it after its last wait).
pub async fn start_sign_in(State(app): State<AppState>, Path(token): Path<String>) -> Response {
    match app.signin.start(&app.db, &token).await {
        Ok(started) => {
            let mut response = StatusCode::SEE_OTHER.into_response();
            let headers = response.headers_mut();
            for (name, value) in [
                (header::LOCATION, started.authorization_url.to_string()),
                (header::SET_COOKIE, started.cookie.header()),
            ] {
                if let Ok(value) = HeaderValue::from_str(&value) {
                    headers.insert(name, value);
                }
            }
            pages::no_store(headers);
            response
        }
        Err((page, return_url)) => page.render(return_url.as_deref()),
    }
}

/// The IdP's redirect. A browser that goes away mid-way fails the request as cancelled
/// ([`crate::signin::SignIn::callback`]).
pub async fn callback(State(app): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let query = uri.query().unwrap_or_default();
    let cookie = |name: &str| cookie_value(&headers, name);
    let (page, return_url) = app.signin.callback(query, cookie).await;
    page.render(return_url.as_deref())
}

/// The value of the cookie `name`, from every `Cookie` header of the request.
fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_string())
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
        Some(Value::String(url)) => check_web_url(url).map(|()| url.clone()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_is_found_by_its_exact_name() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; eca_signin_x=v1"),
        );
        headers.append(header::COOKIE, HeaderValue::from_static("eca_signin_y=v2"));
        assert_eq!(
            cookie_value(&headers, "eca_signin_y").as_deref(),
            Some("v2")
        );
        assert_eq!(
            cookie_value(&headers, "eca_signin_x").as_deref(),
            Some("v1")
        );
        assert_eq!(cookie_value(&headers, "eca_signin"), None);
    }
}
