//! Every error a client sees: an RFC 9457 `application/problem+json` body.
//!
//! Invariants:
//! - Each [`ApiError`] variant has one status and one stable `type` URI
//!   (`urn:eca:problem:<kind>`), all listed in the contract's `Problem.type` enum; clients
//!   branch on `type`, people read `detail` (the variant's message, which says what to do).
//! - No message contains a secret or an API key.
//! - 429 and 503 always carry `Retry-After`; 401 always carries `WWW-Authenticate: Bearer`.

use crate::resource::IdpResource;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem with one field of a `PUT` body, shown next to that field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// A rule of the app's validation, named by its wire member.
impl From<eca_model::idp::FieldError> for FieldError {
    fn from(e: eca_model::idp::FieldError) -> Self {
        Self::new(e.field.as_str(), e.message)
    }
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("Send the workspace's API key as \"Authorization: Bearer <key>\".")]
    MissingCredentials,
    #[error("The API key is not known here. Check it, or start the backend with --api-key.")]
    UnknownApiKey,
    #[error("This API key belongs to another workspace than \"{0}\".")]
    WrongWorkspace(String),
    #[error(
        "Every write needs an Idempotency-Key header: one unique value (e.g. a UUID) per \
         intended change, reused only to retry that change."
    )]
    MissingIdempotencyKey,
    #[error("The Idempotency-Key must be 1 to 255 visible ASCII characters (no spaces).")]
    InvalidIdempotencyKey,
    #[error(
        "\"{0}\" is not an IdP id: ids are UUIDs, such as 6f1c2b0e-8a4d-4c1e-9b7a-2d5e3f4a1b6c."
    )]
    InvalidIdpId(String),
    #[error("{0}")]
    InvalidPrecondition(String),
    #[error("The request body is not usable: {0}")]
    MalformedBody(String),
    #[error("The request body is larger than {limit} bytes.")]
    PayloadTooLarge { limit: usize },
    #[error("There is no IdP {id} in workspace \"{workspace}\".")]
    NotFound { workspace: String, id: String },
    #[error("There is no {0} here. See docs/sync-api.yaml for the routes.")]
    RouteNotFound(String),
    #[error("{0} is not allowed on this route.")]
    MethodNotAllowed(String),
    #[error(
        "Send If-None-Match: * to create an IdP, or If-Match with the version you last saw to \
         replace or delete it."
    )]
    PreconditionRequired,
    #[error("{}", precondition_failed_detail(.current.as_deref()))]
    PreconditionFailed { current: Option<Box<IdpResource>> },
    #[error("{}", validation_detail(.0))]
    Validation(Vec<FieldError>),
    #[error(
        "This Idempotency-Key was already used for a different request. Send a new change \
         with a new key; reuse a key only to retry the very same request."
    )]
    IdempotencyKeyReused,
    #[error(
        "A request with this Idempotency-Key is still being processed. Retry a little later \
         with the same key to get its outcome."
    )]
    IdempotencyInFlight,
    #[error("Too many requests. Retry in {retry_after_secs} s.")]
    RateLimited { retry_after_secs: u32 },
    #[error("The service is temporarily unavailable. Retry in {retry_after_secs} s.")]
    Unavailable { retry_after_secs: u32 },
    /// A sign-in route's body (an auth request, a webhook) with invalid fields.
    #[error("{}", invalid_fields_detail(.0))]
    InvalidFields(Vec<FieldError>),
    #[error("\"{0}\" is not an auth request id: ids are UUIDs.")]
    InvalidAuthRequestId(String),
    #[error("There is no auth request {id} in workspace \"{workspace}\".")]
    AuthRequestNotFound { workspace: String, id: String },
    #[error("Workspace \"{0}\" has no webhook. Set one with PUT and {{\"url\": …}}.")]
    NoWebhook(String),
    #[error("There is no IdP {0} in this workspace. Push it from ECA Admin first.")]
    UnknownIdp(String),
    #[error("The IdP \"{0}\" is disabled. Enable it in ECA Admin and push, then try again.")]
    IdpDisabled(String),
    #[error("{0}")]
    ConfigIncomplete(String),
    /// The IdP's client credential is past its expiry date; the message says what to do.
    #[error("{0}")]
    CredentialExpired(String),
    #[error(
        "An internal error occurred{}. A write may or may not have been applied: retry it \
         with the same Idempotency-Key to find out.",
        if *.injected { " (injected by the fault switches)" } else { "" }
    )]
    Internal { injected: bool },
}

fn precondition_failed_detail(current: Option<&IdpResource>) -> String {
    match current {
        Some(idp) => format!(
            "The IdP changed since you read it, or already exists: it is now at version {}. \
             Compare with `current`, then retry with If-Match: \"{}\" and a new \
             Idempotency-Key.",
            idp.version, idp.version
        ),
        None => "The IdP no longer exists (someone deleted it). Create it again with \
                 If-None-Match: * and a new Idempotency-Key, or drop your change."
            .to_string(),
    }
}

fn invalid_fields_detail(errors: &[FieldError]) -> String {
    format!("The request is not valid. {}", field_list(errors))
}

fn validation_detail(errors: &[FieldError]) -> String {
    format!("The IdP is not valid. {}", field_list(errors))
}

fn field_list(errors: &[FieldError]) -> String {
    let list: Vec<String> = errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect();
    list.join("; ")
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::MissingCredentials | ApiError::UnknownApiKey => StatusCode::UNAUTHORIZED,
            ApiError::WrongWorkspace(_) => StatusCode::FORBIDDEN,
            ApiError::MissingIdempotencyKey
            | ApiError::InvalidIdempotencyKey
            | ApiError::InvalidIdpId(_)
            | ApiError::InvalidAuthRequestId(_)
            | ApiError::InvalidPrecondition(_)
            | ApiError::MalformedBody(_) => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotFound { .. }
            | ApiError::AuthRequestNotFound { .. }
            | ApiError::NoWebhook(_)
            | ApiError::RouteNotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            ApiError::Validation(_)
            | ApiError::InvalidFields(_)
            | ApiError::UnknownIdp(_)
            | ApiError::IdpDisabled(_)
            | ApiError::ConfigIncomplete(_)
            | ApiError::CredentialExpired(_)
            | ApiError::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::IdempotencyInFlight => StatusCode::CONFLICT,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The last part of the `type` URI.
    pub fn kind(&self) -> &'static str {
        match self {
            ApiError::MissingCredentials | ApiError::UnknownApiKey => "unauthorized",
            ApiError::WrongWorkspace(_) => "forbidden",
            ApiError::MissingIdempotencyKey => "missing-idempotency-key",
            ApiError::InvalidIdempotencyKey => "invalid-idempotency-key",
            ApiError::InvalidIdpId(_) => "invalid-idp-id",
            ApiError::InvalidPrecondition(_) => "invalid-precondition",
            ApiError::MalformedBody(_) => "malformed-body",
            ApiError::PayloadTooLarge { .. } => "payload-too-large",
            ApiError::NotFound { .. }
            | ApiError::AuthRequestNotFound { .. }
            | ApiError::NoWebhook(_)
            | ApiError::RouteNotFound(_) => "not-found",
            ApiError::MethodNotAllowed(_) => "method-not-allowed",
            ApiError::PreconditionRequired => "precondition-required",
            ApiError::PreconditionFailed { .. } => "precondition-failed",
            ApiError::Validation(_) | ApiError::InvalidFields(_) => "validation",
            ApiError::InvalidAuthRequestId(_) => "invalid-auth-request-id",
            ApiError::UnknownIdp(_) => "unknown-idp",
            ApiError::IdpDisabled(_) => "idp-disabled",
            ApiError::ConfigIncomplete(_) => "config-incomplete",
            ApiError::CredentialExpired(_) => "credential-expired",
            ApiError::IdempotencyKeyReused => "idempotency-key-reused",
            ApiError::IdempotencyInFlight => "idempotency-in-flight",
            ApiError::RateLimited { .. } => "rate-limited",
            ApiError::Unavailable { .. } => "unavailable",
            ApiError::Internal { .. } => "internal",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::MissingCredentials | ApiError::UnknownApiKey => "Missing or unknown API key",
            ApiError::WrongWorkspace(_) => "API key of another workspace",
            ApiError::MissingIdempotencyKey => "Idempotency-Key required",
            ApiError::InvalidIdempotencyKey => "Invalid Idempotency-Key",
            ApiError::InvalidIdpId(_) => "Invalid IdP id",
            ApiError::InvalidPrecondition(_) => "Invalid precondition header",
            ApiError::MalformedBody(_) => "Malformed request body",
            ApiError::PayloadTooLarge { .. } => "Request body too large",
            ApiError::NotFound { .. }
            | ApiError::AuthRequestNotFound { .. }
            | ApiError::NoWebhook(_)
            | ApiError::RouteNotFound(_) => "Not found",
            ApiError::MethodNotAllowed(_) => "Method not allowed",
            ApiError::PreconditionRequired => "Precondition required",
            ApiError::PreconditionFailed { .. } => "Precondition failed",
            ApiError::Validation(_) => "Invalid IdP",
            ApiError::InvalidFields(_) => "Invalid request",
            ApiError::InvalidAuthRequestId(_) => "Invalid auth request id",
            ApiError::UnknownIdp(_) => "Unknown IdP",
            ApiError::IdpDisabled(_) => "IdP disabled",
            ApiError::ConfigIncomplete(_) => "IdP configuration incomplete",
            ApiError::CredentialExpired(_) => "IdP credential expired",
            ApiError::IdempotencyKeyReused => "Idempotency-Key reused",
            ApiError::IdempotencyInFlight => "Request in flight",
            ApiError::RateLimited { .. } => "Too many requests",
            ApiError::Unavailable { .. } => "Service unavailable",
            ApiError::Internal { .. } => "Internal error",
        }
    }

    /// The RFC 9457 body.
    pub fn problem(&self) -> Value {
        let mut body = Map::new();
        body.insert(
            "type".into(),
            format!("urn:eca:problem:{}", self.kind()).into(),
        );
        body.insert("title".into(), self.title().into());
        body.insert("status".into(), self.status().as_u16().into());
        body.insert("detail".into(), self.to_string().into());
        match self {
            ApiError::Validation(errors) | ApiError::InvalidFields(errors) => {
                body.insert(
                    "errors".into(),
                    serde_json::to_value(errors).unwrap_or_default(),
                );
            }
            ApiError::PreconditionFailed { current } => {
                body.insert(
                    "current".into(),
                    serde_json::to_value(current).unwrap_or_default(),
                );
            }
            _ => {}
        }
        Value::Object(body)
    }

    /// Headers that go with the status (`Retry-After`, `WWW-Authenticate`, the current `ETag`).
    pub fn headers(&self) -> Vec<(header::HeaderName, String)> {
        match self {
            ApiError::MissingCredentials | ApiError::UnknownApiKey => {
                vec![(header::WWW_AUTHENTICATE, "Bearer".into())]
            }
            ApiError::RateLimited { retry_after_secs }
            | ApiError::Unavailable { retry_after_secs } => {
                vec![(header::RETRY_AFTER, retry_after_secs.to_string())]
            }
            ApiError::PreconditionFailed { current: Some(idp) } => {
                vec![(header::ETAG, idp.etag())]
            }
            _ => Vec::new(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.problem().to_string();
        let mut response = (self.status(), body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        for (name, value) in self.headers() {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        response
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            crate::store::StoreError::Busy => ApiError::Unavailable {
                retry_after_secs: 1,
            },
            other => {
                tracing::error!(error = %other, "store error");
                ApiError::Internal { injected: false }
            }
        }
    }
}

impl From<crate::platform_keys::PlatformKeyError> for ApiError {
    fn from(e: crate::platform_keys::PlatformKeyError) -> Self {
        match e {
            crate::platform_keys::PlatformKeyError::Store(e) => e.into(),
            other => {
                tracing::error!(error = %other, "the platform's signing key");
                ApiError::Internal { injected: false }
            }
        }
    }
}

impl From<crate::faults::InjectedError> for ApiError {
    fn from(e: crate::faults::InjectedError) -> Self {
        use crate::faults::InjectedError;
        match e {
            InjectedError::Internal => ApiError::Internal { injected: true },
            InjectedError::Unavailable { retry_after_secs } => {
                ApiError::Unavailable { retry_after_secs }
            }
            InjectedError::RateLimited { retry_after_secs } => {
                ApiError::RateLimited { retry_after_secs }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_have_the_rfc_9457_members() {
        let body = ApiError::PreconditionRequired.problem();
        assert_eq!(body["type"], "urn:eca:problem:precondition-required");
        assert_eq!(body["status"], 428);
        assert!(body["title"].is_string() && body["detail"].is_string());
    }

    #[test]
    fn validation_lists_every_field_and_retry_statuses_say_when() {
        let e = ApiError::Validation(vec![
            FieldError::new("name", "is required"),
            FieldError::new("issuer", "must use https"),
        ]);
        let body = e.problem();
        assert_eq!(body["errors"].as_array().map(Vec::len), Some(2));
        assert!(body["detail"]
            .as_str()
            .unwrap()
            .contains("issuer: must use https"));

        let limited = ApiError::RateLimited {
            retry_after_secs: 3,
        };
        assert_eq!(
            limited.headers(),
            vec![(header::RETRY_AFTER, "3".to_string())]
        );
        let down = ApiError::Unavailable {
            retry_after_secs: 2,
        };
        assert_eq!(down.headers(), vec![(header::RETRY_AFTER, "2".to_string())]);
    }

    #[test]
    fn a_412_without_a_current_idp_says_it_is_gone() {
        let body = ApiError::PreconditionFailed { current: None }.problem();
        assert!(
            body["current"].is_null(),
            "current must be present and null"
        );
        assert!(body["detail"]
            .as_str()
            .unwrap()
            .contains("no longer exists"));
    }
}
