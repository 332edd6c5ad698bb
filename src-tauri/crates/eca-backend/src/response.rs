//! What a processed write answers: a [`Decision`] rendered as the exact response that is sent
//! and recorded for replays.
//!
//! Invariant: rendering is pure, so a replay is byte-for-byte the original response (plus
//! `Idempotent-Replayed: true`, added when it is sent).

use crate::problem::{ApiError, PROBLEM_JSON};
use crate::resource::IdpResource;
use crate::store::idempotency::StoredResponse;
use crate::workspace::WorkspaceId;
use crate::writes::Decision;

pub const JSON: &str = "application/json";

pub fn render(decision: &Decision, workspace: &WorkspaceId) -> StoredResponse {
    match decision {
        Decision::Created(idp) => {
            let location = format!("/v1/workspaces/{workspace}/idps/{}", idp.id);
            resource_response(201, idp, Some(location))
        }
        Decision::Replaced(idp) | Decision::Unchanged(idp) => resource_response(200, idp, None),
        Decision::Deleted => StoredResponse {
            status: 204,
            headers: Vec::new(),
            body: Vec::new(),
        },
        Decision::NotFound(id) => problem_response(&ApiError::NotFound {
            workspace: workspace.to_string(),
            id: id.to_string(),
        }),
        Decision::PreconditionFailed(current) => problem_response(&ApiError::PreconditionFailed {
            current: current.clone().map(Box::new),
        }),
    }
}

fn resource_response(status: u16, idp: &IdpResource, location: Option<String>) -> StoredResponse {
    let mut headers = vec![
        ("content-type".to_string(), JSON.to_string()),
        ("etag".to_string(), idp.etag()),
    ];
    headers.extend(location.map(|l| ("location".to_string(), l)));
    StoredResponse {
        status,
        headers,
        body: serde_json::to_vec(idp).unwrap_or_default(),
    }
}

/// A problem as a recordable response.
pub fn problem_response(error: &ApiError) -> StoredResponse {
    let mut headers = vec![("content-type".to_string(), PROBLEM_JSON.to_string())];
    headers.extend(
        error
            .headers()
            .into_iter()
            .map(|(name, value)| (name.as_str().to_string(), value)),
    );
    StoredResponse {
        status: error.status().as_u16(),
        headers,
        body: error.problem().to_string().into_bytes(),
    }
}
