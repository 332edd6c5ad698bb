//! The one user-facing error shape: what crosses to the UI over IPC and what the CLI prints
//! with `--json`.
//!
//! Invariants: a `Problem` is built from a typed error's message, which never contains a
//! secret; `code` is stable (the UI branches on it), `message` is for people.

use crate::idp::FieldError;
use serde::{Deserialize, Serialize};

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type, strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    /// One or more fields are wrong; see `fields`.
    Validation,
    NotFound,
    Storage,
    Keyring,
    Discovery,
    Internal,
    /// Sync is not set up (no backend URL/workspace, or no API key).
    SyncNotConfigured,
    /// The backend refused the API key or the workspace (HTTP 401/403).
    Unauthorized,
    /// The backend cannot be reached, or is busy (the changes are kept).
    BackendUnreachable,
    /// The IdP is not pushed, or changed since: push first (e.g. before a test on the platform).
    NotPushed,
    /// The action has consequences the admin must confirm first (the message says which);
    /// sending it again with the confirmation goes ahead.
    ConfirmationNeeded,
    /// The update manifest could not be fetched or read (the message says which).
    UpdateCheckFailed,
    /// A downloaded update failed its signature check: it is refused, never installed.
    UpdateRefused,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type, thiserror::Error)]
#[error("{message}")]
pub struct Problem {
    pub code: ProblemCode,
    pub message: String,
    /// Field-level errors, for `code == "validation"`.
    pub fields: Vec<FieldError>,
}

impl Problem {
    pub fn new(code: ProblemCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    /// A validation problem whose message lists every field error on one line.
    pub fn invalid(fields: Vec<FieldError>) -> Self {
        let list: Vec<String> = fields.iter().map(ToString::to_string).collect();
        Self {
            code: ProblemCode::Validation,
            message: list.join("; "),
            fields,
        }
    }
}
