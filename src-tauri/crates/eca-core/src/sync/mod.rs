//! Sync: pushing the admin's local IdP edits to the messaging backend (docs/sync-api.yaml).
//!
//! - [`outbox`]: the pending changes and [`Outbox`], one data folder's sync side; every
//!   catalog edit records a change in its own transaction.
//! - [`plan`]: the pure three-way comparison (local, last-synced base, backend) → [`SyncPlan`].
//! - [`client`], [`settings`], [`key_place`]: the HTTP client, where to sync, and the place
//!   (origin and workspace) an API key belongs to (the wire types are [`eca_model::wire`]'s).
//! - [`environments`]: the named backends ("sandbox", "production"), each with its own key and
//!   sync state; sync works on the current one. [`promote`]: an IdP tested on one goes to the
//!   next.
//! - [`impact`]: which flows and Chat Desk extensions use the IdPs about to be disabled or
//!   deleted, asked of the backend, for the app's dialogs, the CLI and the plan.
//! - [`push`]: sends the outbox in order with preconditions and idempotency keys; [`resolve`]:
//!   keep mine / take theirs after a conflict; [`pull`]: take the backend's copy of what
//!   changed only there; [`retry`]: backoff with jitter.
//! - [`platform_key`]: the platform's public keys for a private_key_jwt IdP, as its backend
//!   shows them (read only).
//!
//! Invariants:
//! - Nothing is ever overwritten blindly: every write states the version it expects, and a
//!   412 becomes a conflict for the admin to resolve.
//! - A change is sent under one idempotency key, with one frozen body, until the backend
//!   acknowledges it; a crash anywhere resends the same request, which the backend applies
//!   once. The acknowledgement updates the base and removes the change in one transaction.
//! - No private key travels in either direction: the desktop's stays in the keyring, the
//!   platform's on the backend.
//! - Secret values never enter the sync tables; they are read from the keyring to be sent, from
//!   a copy frozen with the change ([`secret_copy`]), so a retry sends exactly the same bytes.

pub mod client;
pub mod environments;
pub mod impact;
pub mod key_place;
pub mod local;
pub mod outbox;
pub mod plan;
pub mod platform_key;
pub mod promote;
pub mod pull;
pub mod push;
pub mod resolve;
pub mod retry;
pub mod secret_copy;
pub mod settings;

pub use outbox::Outbox;
pub use plan::SyncPlan;
pub use push::PushReport;

use crate::secrets::SecretError;
use crate::store::StoreError;
use eca_model::idp::{Field, FieldError, IdpId};
use eca_model::problem::{Problem, ProblemCode};
use eca_oidc::http::HttpError;
use key_place::KeyPlace;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("Sync is not set up. Enter the backend URL and workspace in the sync settings.")]
    NotConfigured,
    #[error(
        "No API key for the {0} is stored. Enter that workspace's API key in the sync settings."
    )]
    NoApiKey(KeyPlace),
    #[error(
        "Moving sync from the {from} to the {to} starts sync afresh: what the old backend was \
         sent is forgotten, and every local IdP is pushed to the new one as new (one it already \
         has shows as a conflict to resolve). Nothing is deleted, here or on either backend. \
         Confirm to go ahead."
    )]
    MoveNotConfirmed { from: KeyPlace, to: KeyPlace },
    #[error("No sync environment is named \"{0}\".")]
    UnknownEnvironment(String),
    #[error(
        "\"{0}\" is the current sync environment: make another environment current before \
         removing it."
    )]
    RemoveCurrent(String),
    #[error(
        "\"{0}\" is the last sync environment on the promotion path: name the environment to \
         promote to, or add one after it."
    )]
    NoNextEnvironment(String),
    #[error("\"{0}\" is the current sync environment: promote to another one.")]
    PromoteToItself(String),
    #[error("The sync settings are not usable: {}.", list(.0))]
    InvalidSettings(Vec<FieldError>),
    #[error(
        "The backend refused the API key (HTTP 401). Enter a new API key in the sync settings, \
         then sync again; your changes are kept."
    )]
    Unauthorized,
    #[error(
        "The API key does not open the workspace \"{0}\" (HTTP 403). Check the workspace id, or \
         enter that workspace's API key; your changes are kept."
    )]
    Forbidden(String),
    #[error("The backend cannot be reached. {0} Your changes are kept and will be sent on the next sync.")]
    Unreachable(HttpError),
    #[error(
        "The backend is busy or failing ({detail}). Your changes are kept; sync again after \
         {retry_at}."
    )]
    Busy { detail: String, retry_at: String },
    #[error("The backend answered in a way this version of ECA Admin does not understand: {0}")]
    Protocol(String),
    #[error("No identity provider with id \"{0}\" exists here or on the backend.")]
    NotFound(IdpId),
    #[error("The backend's copy of \"{name}\" cannot be taken: {}", list(.errors))]
    TheirsInvalid {
        name: String,
        errors: Vec<FieldError>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

fn list(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl SyncError {
    /// Names the data folder in a store fault it caused ([`StoreError::in_folder`]).
    pub fn in_folder(self, dir: &std::path::Path) -> Self {
        match self {
            SyncError::Store(e) => SyncError::Store(e.in_folder(dir)),
            other => other,
        }
    }
}

impl From<rusqlite::Error> for SyncError {
    fn from(e: rusqlite::Error) -> Self {
        SyncError::Store(e.into())
    }
}

impl From<SyncError> for Problem {
    fn from(e: SyncError) -> Self {
        let code = match &e {
            SyncError::NotConfigured | SyncError::NoApiKey(_) => ProblemCode::SyncNotConfigured,
            SyncError::MoveNotConfirmed { .. } => ProblemCode::ConfirmationNeeded,
            SyncError::InvalidSettings(_) | SyncError::TheirsInvalid { .. } => {
                ProblemCode::Validation
            }
            SyncError::Unauthorized | SyncError::Forbidden(_) => ProblemCode::Unauthorized,
            SyncError::Unreachable(_) | SyncError::Busy { .. } => ProblemCode::BackendUnreachable,
            SyncError::NotFound(_) | SyncError::UnknownEnvironment(_) => ProblemCode::NotFound,
            SyncError::RemoveCurrent(_)
            | SyncError::NoNextEnvironment(_)
            | SyncError::PromoteToItself(_) => ProblemCode::Validation,
            SyncError::Store(_) => ProblemCode::Storage,
            SyncError::Secret(_) => ProblemCode::Keyring,
            SyncError::Protocol(_) => ProblemCode::Internal,
        };
        let message = e.to_string();
        // The settings field each refusal is about, so the form shows it there.
        let fields = match e {
            SyncError::InvalidSettings(errors) => errors,
            SyncError::NotConfigured | SyncError::Unreachable(_) => {
                vec![FieldError::new(Field::BackendUrl, message.clone())]
            }
            SyncError::NoApiKey(_) | SyncError::Unauthorized | SyncError::Forbidden(_) => {
                vec![FieldError::new(Field::ApiKey, message.clone())]
            }
            _ => Vec::new(),
        };
        Problem {
            code,
            message,
            fields,
        }
    }
}
