//! What can go wrong in a command, how it is reported, and with which exit status.
//!
//! Invariants:
//! - Every error is reported on stderr as ONE line (`error: …`), or with `--json` as the core's
//!   [`Problem`] (`{code, message, fields}`), also on one line.
//! - Exit status 2 means the input was wrong (usage, validation, a file that is not an
//!   export); 1 means anything else (not found, storage, keyring, network). A push (and keep
//!   mine, which pushes) that leaves changes behind says which kind: [`EXIT_LEFT_PENDING`] for
//!   changes still waiting to go out, [`EXIT_UNSETTLED`] for changes in conflict or failed.
//! - Messages come from the core's typed errors, which never contain a secret.

use eca_core::catalog::CatalogError;
use eca_core::data_dir::DataDirError;
use eca_core::platform_test::PlatformTestError;
use eca_core::sync::SyncError;
use eca_core::transfer::ImportError;
use eca_model::preset::PresetError;
use eca_model::problem::{Problem, ProblemCode};
use eca_oidc::discovery::DiscoveryError;
use std::path::Path;
use std::process::ExitCode;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    #[error(transparent)]
    Import(#[from] ImportError),
    /// `--preset`/`--preset-param` the presets cannot fill from.
    #[error(transparent)]
    Preset(#[from] PresetError),
    /// Input the command cannot use, not tied to one field.
    #[error("{0}")]
    Usage(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    /// The IdP was saved, but the keyring refused its secret (already printed: the IdP).
    #[error("{0}")]
    SecretNotSaved(String),
    /// A test login or readiness check ran and did not pass; its report is already printed.
    #[error("the test did not pass")]
    NotPassed,
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// A test on the platform could not start (not pushed, refused, unreachable).
    #[error(transparent)]
    PlatformTest(#[from] PlatformTestError),
    /// A push ended with changes left in conflict or failed (its report is already printed).
    #[error("{0}")]
    Unsettled(String),
    /// A push ended with changes still pending (its report is already printed).
    #[error("{0}")]
    LeftPending(String),
    /// A push could not reach the backend, or the backend stayed busy: every change is kept.
    #[error(transparent)]
    PushKept(SyncError),
}

/// A push left changes pending: waiting for the backend (unreachable, busy, `Retry-After`).
pub const EXIT_LEFT_PENDING: u8 = 3;
/// A push left changes in conflict or failed, in this push or an earlier one.
pub const EXIT_UNSETTLED: u8 = 4;

impl CliError {
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        CliError::Io {
            what: what.into(),
            source,
        }
    }

    /// Names the data folder in a store fault it caused (a full disk, a read-only folder).
    pub fn in_folder(self, dir: &Path) -> Self {
        match self {
            CliError::Catalog(e) => CliError::Catalog(e.in_folder(dir)),
            CliError::Import(ImportError::Catalog(e)) => {
                CliError::Import(ImportError::Catalog(e.in_folder(dir)))
            }
            CliError::Sync(e) => CliError::Sync(e.in_folder(dir)),
            CliError::PlatformTest(PlatformTestError::Sync(e)) => {
                CliError::PlatformTest(PlatformTestError::Sync(e.in_folder(dir)))
            }
            other => other,
        }
    }

    pub fn exit_status(&self) -> u8 {
        match self {
            CliError::LeftPending(_) | CliError::PushKept(_) => return EXIT_LEFT_PENDING,
            CliError::Unsettled(_) => return EXIT_UNSETTLED,
            _ => {}
        }
        let bad_input = matches!(
            self,
            CliError::Catalog(CatalogError::Invalid(_))
                | CliError::Usage(_)
                | CliError::Preset(_)
                | CliError::Sync(
                    SyncError::InvalidSettings(_)
                        | SyncError::UnknownEnvironment(_)
                        | SyncError::RemoveCurrent(_)
                        | SyncError::NoNextEnvironment(_)
                        | SyncError::PromoteToItself(_)
                )
                | CliError::PlatformTest(PlatformTestError::BadNumber)
                | CliError::Import(
                    ImportError::NotAnExport(_)
                        | ImportError::Invalid(_)
                        | ImportError::Catalog(CatalogError::Invalid(_))
                )
        );
        if bad_input {
            2
        } else {
            1
        }
    }

    pub fn into_problem(self) -> Problem {
        let problem = match self {
            CliError::Catalog(e) | CliError::Import(ImportError::Catalog(e)) => e.into(),
            CliError::Discovery(e) => e.into(),
            CliError::Import(ImportError::Invalid(entries)) => Problem::new(
                ProblemCode::Validation,
                format!(
                    "Nothing was imported; fix these entries first: {}",
                    entries.join("; ")
                ),
            ),
            CliError::Import(e @ ImportError::NotAnExport(_)) => {
                Problem::new(ProblemCode::Validation, e.to_string())
            }
            CliError::Usage(m) => Problem::new(ProblemCode::Validation, m),
            CliError::Preset(e) => e.into(),
            CliError::DataDir(e) => Problem::new(ProblemCode::Storage, e.to_string()),
            e @ CliError::Io { .. } => Problem::new(ProblemCode::Internal, e.to_string()),
            CliError::SecretNotSaved(m) => Problem::new(ProblemCode::Keyring, m),
            e @ CliError::NotPassed => Problem::new(ProblemCode::Internal, e.to_string()),
            CliError::Sync(e) => e.into(),
            CliError::PlatformTest(e) => e.into(),
            CliError::Unsettled(m) => Problem::new(ProblemCode::Validation, m),
            CliError::LeftPending(m) => Problem::new(ProblemCode::BackendUnreachable, m),
            CliError::PushKept(e) => e.into(),
        };
        Problem {
            message: one_line(&problem.message),
            ..problem
        }
    }
}

/// Joins a message's lines, so each error is one line on stderr.
fn one_line(message: &str) -> String {
    let lines: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines.join(" ")
}

/// Writes the error to stderr in the chosen format.
pub fn report(error: CliError, json: bool) -> ExitCode {
    let code = ExitCode::from(error.exit_status());
    if matches!(error, CliError::NotPassed) {
        // The report on stdout says what failed; the status is the verdict.
        return code;
    }
    let problem = error.into_problem();
    if json {
        let text = serde_json::to_string(&problem)
            .unwrap_or_else(|_| r#"{"code":"internal","message":"error","fields":[]}"#.into());
        crate::output::eprint(&text);
    } else {
        crate::output::eprint(&format!("error: {}", problem.message));
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;
    use eca_model::idp::{Field, FieldError};

    #[test]
    fn field_errors_are_one_line_with_labels_and_exit_2() {
        let e = CliError::Catalog(CatalogError::Invalid(vec![
            FieldError::new(Field::Issuer, "must use https"),
            FieldError::new(Field::ClientId, "is required"),
        ]));
        assert_eq!(e.exit_status(), 2);
        assert_eq!(
            e.into_problem().message,
            "Issuer URL: must use https; Client ID: is required"
        );
    }

    #[test]
    fn import_problems_fold_into_one_line() {
        let e = CliError::Import(ImportError::Invalid(vec![
            "entry 1: a".into(),
            "entry 2: b".into(),
        ]));
        assert_eq!(e.exit_status(), 2);
        let m = e.into_problem().message;
        assert!(!m.contains('\n'), "{m}");
        assert!(m.ends_with("entry 1: a; entry 2: b"), "{m}");
    }

    #[test]
    fn other_failures_exit_1() {
        let e = CliError::Catalog(CatalogError::NotFound("x".into()));
        assert_eq!(e.exit_status(), 1);
        assert_eq!(e.into_problem().code, ProblemCode::NotFound);
    }
}
