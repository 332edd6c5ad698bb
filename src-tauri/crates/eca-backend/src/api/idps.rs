//! The IdP routes: list, get, put, delete. Writes share one pipeline ([`run_write`]): claim
//! the idempotency key, wait for injected latency, run the transaction, answer.
//!
//! Invariant: the in-flight claim is released only after the write's transaction has ended
//! (it moves into the database closure), so a retry can never overtake its original.

use super::{preconditions, send, AppState, WorkspaceAccess};
use crate::idempotency::{IdempotencyKey, RequestFingerprint, RequestParts};
use crate::problem::ApiError;
use crate::resource::{self, IdpResource};
use crate::server::ConnectionKill;
use crate::store::workspaces::Workspace;
use crate::store::{idps, StoreError};
use crate::writes::{self, WriteOutcome, WriteRequest};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::{ETAG, IF_MATCH, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use rusqlite::Connection;
use serde_json::{json, Value};
use uuid::Uuid;

/// The largest `PUT` body accepted. A maximal valid IdP is under 70 KB.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
const IDEMPOTENCY_KEY: &str = "idempotency-key";

pub async fn list(
    State(app): State<AppState>,
    WorkspaceAccess(workspace): WorkspaceAccess,
) -> Result<Response, ApiError> {
    app.faults.delay().await;
    let rows = app
        .db
        .run(move |conn| idps::list(conn, &workspace.id))
        .await?;
    let items: Vec<IdpResource> = rows.iter().map(IdpResource::from).collect();
    Ok(Json(json!({ "items": items })).into_response())
}

/// The IdP a read's path names: its id, parsed (a bad one is a 400), once the configured delay
/// has passed, as every read of one IdP starts; [`IdpTarget::not_found`] is its 404.
pub(super) struct IdpTarget {
    pub id: Uuid,
    workspace: String,
}

impl IdpTarget {
    pub(super) async fn read(
        app: &AppState,
        workspace: &Workspace,
        raw_id: &str,
    ) -> Result<Self, ApiError> {
        let id = parse_id(raw_id)?;
        app.faults.delay().await;
        Ok(Self {
            id,
            workspace: workspace.id.to_string(),
        })
    }

    pub(super) fn not_found(&self) -> ApiError {
        ApiError::NotFound {
            workspace: self.workspace.clone(),
            id: self.id.to_string(),
        }
    }
}

pub async fn get_one(
    State(app): State<AppState>,
    WorkspaceAccess(workspace): WorkspaceAccess,
    Path((_, raw_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let target = IdpTarget::read(&app, &workspace, &raw_id).await?;
    let (ws, id) = (workspace.id.clone(), target.id);
    let row = app.db.run(move |conn| idps::get(conn, &ws, id)).await?;
    let idp = IdpResource::from(&row.ok_or_else(|| target.not_found())?);
    let mut response = Json(&idp).into_response();
    insert_header(&mut response, ETAG, &idp.etag());
    Ok(response)
}

pub async fn put(
    State(app): State<AppState>,
    WorkspaceAccess(workspace): WorkspaceAccess,
    Path((_, raw_id)): Path<(String, String)>,
    kill: Option<Extension<ConnectionKill>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let id = parse_id(&raw_id)?;
    let if_match = header_text(&headers, IF_MATCH)?;
    let if_none_match = header_text(&headers, IF_NONE_MATCH)?;
    let precondition = preconditions::for_put(if_match, if_none_match)?;
    let value = read_json(body, MAX_BODY_BYTES).await?;
    let Value::Object(members) = &value else {
        return Err(ApiError::MalformedBody(
            "it must be a JSON object (an IdP).".into(),
        ));
    };
    let write = resource::parse_write(members, id).map_err(ApiError::Validation)?;
    let fingerprint = fingerprint(&workspace, "PUT", id, if_match, if_none_match, Some(&value));
    let sealer = app.sealer.clone();
    run_write(
        &app,
        workspace,
        key,
        fingerprint,
        kill,
        move |conn, request| writes::put_idp(conn, &sealer, request, id, &precondition, write),
    )
    .await
}

pub async fn delete(
    State(app): State<AppState>,
    WorkspaceAccess(workspace): WorkspaceAccess,
    Path((_, raw_id)): Path<(String, String)>,
    kill: Option<Extension<ConnectionKill>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let id = parse_id(&raw_id)?;
    let if_match = header_text(&headers, IF_MATCH)?;
    let precondition = preconditions::for_delete(if_match)?;
    let fingerprint = fingerprint(&workspace, "DELETE", id, if_match, None, None);
    run_write(
        &app,
        workspace,
        key,
        fingerprint,
        kill,
        move |conn, request| writes::delete_idp(conn, request, id, &precondition),
    )
    .await
}

async fn run_write<F>(
    app: &AppState,
    workspace: Workspace,
    key: IdempotencyKey,
    fingerprint: RequestFingerprint,
    kill: Option<Extension<ConnectionKill>>,
    work: F,
) -> Result<Response, ApiError>
where
    F: FnOnce(&mut Connection, &WriteRequest<'_>) -> Result<WriteOutcome, StoreError>
        + Send
        + 'static,
{
    let claim = app
        .in_flight
        .claim(&workspace.id, &key)
        .ok_or(ApiError::IdempotencyInFlight)?;
    app.faults.delay().await;
    let now = app.clock.now();
    let outcome = app
        .db
        .run(move |conn| {
            let _claim = claim;
            let request = WriteRequest {
                workspace: &workspace,
                key: &key,
                fingerprint: &fingerprint,
                now,
            };
            work(conn, &request)
        })
        .await?;
    match outcome {
        WriteOutcome::Replayed(stored) => Ok(send(stored, true)),
        WriteOutcome::KeyReused => Err(ApiError::IdempotencyKeyReused),
        WriteOutcome::Fresh(stored) => {
            if app.faults.draw_drop_after_commit() {
                match kill {
                    Some(Extension(kill)) => kill.drop_connection().await,
                    None => tracing::warn!("cannot drop this connection: not served by start()"),
                }
            }
            Ok(send(stored, false))
        }
    }
}

fn fingerprint(
    workspace: &Workspace,
    method: &str,
    id: Uuid,
    if_match: Option<&str>,
    if_none_match: Option<&str>,
    body: Option<&Value>,
) -> RequestFingerprint {
    let path = format!("/v1/workspaces/{}/idps/{}", workspace.id, id.hyphenated());
    RequestFingerprint::new(
        &workspace.fingerprint_salt,
        &RequestParts {
            method,
            path: &path,
            if_match: if_match.map(str::trim),
            if_none_match: if_none_match.map(str::trim),
            body,
        },
    )
}

fn idempotency_key(headers: &HeaderMap) -> Result<IdempotencyKey, ApiError> {
    let raw = headers
        .get(IDEMPOTENCY_KEY)
        .ok_or(ApiError::MissingIdempotencyKey)?;
    raw.to_str()
        .ok()
        .and_then(IdempotencyKey::parse)
        .ok_or(ApiError::InvalidIdempotencyKey)
}

fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::InvalidIdpId(raw.chars().take(80).collect()))
}

fn header_text(headers: &HeaderMap, name: HeaderName) -> Result<Option<&str>, ApiError> {
    headers
        .get(&name)
        .map(|v| {
            v.to_str().map_err(|_| {
                ApiError::InvalidPrecondition(format!("{name} must be visible ASCII."))
            })
        })
        .transpose()
}

/// A JSON body of at most `limit` bytes (413 beyond), for every route that takes one.
pub(super) async fn read_json(body: Body, limit: usize) -> Result<Value, ApiError> {
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|e| {
        let too_large = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
        if too_large {
            ApiError::PayloadTooLarge { limit }
        } else {
            ApiError::MalformedBody("it could not be read completely.".into())
        }
    })?;
    // serde_json's syntax errors name a position, never the content (which may hold a secret).
    serde_json::from_slice(&bytes).map_err(|e| ApiError::MalformedBody(format!("not JSON ({e}).")))
}

fn insert_header(response: &mut Response, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}
