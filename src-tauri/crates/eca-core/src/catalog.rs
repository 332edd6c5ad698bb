//! The operations on IdPs that the app's commands and the CLI call: one function each.
//!
//! Invariants:
//! - Nothing is written unless [`validation::validate`] and the uniqueness rules pass.
//! - Every change is one `IMMEDIATE` transaction that also appends its audit row, so a failure
//!   half-way leaves nothing behind, and the app and the CLI can write the same file.
//! - Secret values go only to the [`SecretStore`]; SQLite records `has_secret`. When the keyring
//!   refuses a secret, the rest of the edit is still saved and the refusal is reported in
//!   [`SaveOutcome::secret_error`]: the admin loses nothing they typed but the secret.
//! - Every edit also records its pending sync change ([`crate::sync::outbox`]) in the same
//!   transaction, so the outbox never misses nor invents an edit.

use crate::secrets::{Secret, SecretError, SecretKey, SecretStore};
use crate::store::audit::{self, AuditAction, AuditEntry};
use crate::store::idps::IdpSummary;
use crate::store::sync_changes::ChangeKind;
use crate::store::{self, idps, test_runs, StoreError};
use crate::sync::outbox;
use eca_model::clock::{rfc3339, Clock};
use eca_model::idp::{ClientAuthMethod, Field, FieldError, IdpConfig, IdpFields, IdpId};
use eca_model::problem::{Problem, ProblemCode};
use eca_model::validation::{self, issuer_key, name_key};
use eca_oidc::login::report::TestReport;
use rusqlite::{Connection, TransactionBehavior};
use serde::Deserialize;
use std::path::Path;
use std::sync::Arc;
use ts_rs::TS;

/// What to do with the client secret on save. The value arrives from the UI or the CLI's
/// stdin and is never sent back.
#[derive(Debug, Deserialize, TS)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
#[ts(export)]
pub enum SecretChange {
    Keep,
    Replace(#[ts(type = "string")] Secret),
    Clear,
}

#[derive(Debug, Deserialize, TS)]
#[ts(export)]
pub struct SaveIdpRequest {
    /// `None` creates a new IdP.
    pub id: Option<IdpId>,
    pub fields: IdpFields,
    pub secret: SecretChange,
}

/// What "Test Configuration" tests: a saved IdP or the form's unsaved draft, with the secret
/// the draft would save (`keep` uses the stored one).
#[derive(Debug, Deserialize, TS)]
#[ts(export)]
pub struct StartTestRequest {
    pub id: Option<IdpId>,
    pub fields: IdpFields,
    pub secret: SecretChange,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, TS)]
#[ts(export)]
pub struct SaveOutcome {
    pub idp: IdpConfig,
    /// Set when the fields were saved but the keyring refused the secret change.
    pub secret_error: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{}", Problem::invalid(.0.clone()).message)]
    Invalid(Vec<FieldError>),
    #[error("No identity provider named or with id \"{0}\".")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

impl From<rusqlite::Error> for CatalogError {
    fn from(e: rusqlite::Error) -> Self {
        CatalogError::Store(e.into())
    }
}

impl From<CatalogError> for Problem {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Invalid(fields) => Problem::invalid(fields),
            CatalogError::NotFound(_) => Problem::new(ProblemCode::NotFound, e.to_string()),
            CatalogError::Store(_) => Problem::new(ProblemCode::Storage, e.to_string()),
            CatalogError::Secret(_) => Problem::new(ProblemCode::Keyring, e.to_string()),
        }
    }
}

/// The IdPs of one data folder: the SQLite connection, the keyring and the clock.
pub struct Catalog {
    conn: Connection,
    secrets: Arc<dyn SecretStore>,
    clock: Arc<dyn Clock>,
}

impl Catalog {
    /// Opens the database in `data_dir` (see [`crate::data_dir`]).
    pub fn open(
        data_dir: &Path,
        secrets: Arc<dyn SecretStore>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, CatalogError> {
        let conn = store::open(&data_dir.join(crate::data_dir::DB_FILE))?;
        Ok(Self {
            conn,
            secrets,
            clock,
        })
    }

    /// Wraps an already opened and migrated connection (tests, benchmarks).
    pub fn with_connection(
        conn: Connection,
        secrets: Arc<dyn SecretStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            conn,
            secrets,
            clock,
        }
    }

    /// The underlying connection, for tests that inspect or sabotage the file.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    pub fn list(&self) -> Result<Vec<IdpSummary>, CatalogError> {
        Ok(idps::list_summaries(&self.conn)?)
    }

    pub fn list_full(&self) -> Result<Vec<IdpConfig>, CatalogError> {
        Ok(idps::list_full(&self.conn)?)
    }

    pub fn get(&self, id: IdpId) -> Result<IdpConfig, CatalogError> {
        idps::get(&self.conn, id)?.ok_or_else(|| CatalogError::NotFound(id.to_string()))
    }

    /// An IdP by id, or else by name (compared as names are for uniqueness).
    pub fn find(&self, name_or_id: &str) -> Result<IdpConfig, CatalogError> {
        let not_found = || CatalogError::NotFound(name_or_id.to_string());
        let id = match name_or_id.trim().parse::<IdpId>() {
            Ok(id) if idps::get(&self.conn, id)?.is_some() => Some(id),
            _ => idps::id_by_name_key(&self.conn, &name_key(name_or_id))?,
        };
        self.get(id.ok_or_else(not_found)?)
    }

    pub fn history(&self, id: IdpId) -> Result<Vec<AuditEntry>, CatalogError> {
        Ok(audit::for_idp(&self.conn, id)?)
    }

    /// Every problem saving `fields` would meet, without writing anything.
    pub fn check(
        &self,
        id: Option<IdpId>,
        fields: IdpFields,
    ) -> Result<Vec<FieldError>, CatalogError> {
        match validation::validate(fields) {
            Ok(valid) => Self::uniqueness_errors(&self.conn, id, &valid),
            Err(errors) => Ok(errors),
        }
    }

    /// Creates or updates one IdP, its secret and its audit row.
    pub fn save(&mut self, request: SaveIdpRequest) -> Result<SaveOutcome, CatalogError> {
        let SaveIdpRequest { id, fields, secret } = request;
        let auth_method = fields.client_auth_method;
        let validated = validation::validate(fields);
        let mut errors = validated.as_ref().err().cloned().unwrap_or_default();
        if let SecretChange::Replace(s) = &secret {
            if auth_method == ClientAuthMethod::None {
                errors.push(FieldError::new(
                    Field::ClientSecret,
                    "a public client (authentication \"none\") has no secret: remove it, or \
                     choose client_secret_basic or client_secret_post",
                ));
            } else if let Some(problem) = s.problem() {
                errors.push(FieldError::new(Field::ClientSecret, problem));
            }
        }
        let fields = match validated {
            Ok(fields) if errors.is_empty() => fields,
            _ => return Err(CatalogError::Invalid(errors)),
        };
        let now = rfc3339(self.clock.now());

        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let unique = Self::uniqueness_errors(&tx, id, &fields)?;
        if !unique.is_empty() {
            return Err(CatalogError::Invalid(unique));
        }
        let before = match id {
            Some(id) => {
                Some(idps::get(&tx, id)?.ok_or_else(|| CatalogError::NotFound(id.to_string()))?)
            }
            None => None,
        };
        let id = id.unwrap_or_default();
        let had_secret = before.as_ref().is_some_and(|b| b.has_secret);

        // The keyring is written inside the transaction's lifetime so that a failed commit can
        // be undone for a new IdP; its failure does not abort the rest of the edit.
        let key = SecretKey::IdpClientSecret(id);
        let (has_secret, secret_audit, secret_error) = match &secret {
            SecretChange::Keep => (had_secret, None, None),
            SecretChange::Replace(s) => match self.secrets.put(key, s) {
                Ok(()) => (true, Some(audit::secret_change(false)), None),
                Err(e) => (had_secret, None, Some(e)),
            },
            SecretChange::Clear if !had_secret => (false, None, None),
            SecretChange::Clear => match self.secrets.delete(key) {
                Ok(()) => (false, Some(audit::secret_change(true)), None),
                Err(e) => (had_secret, None, Some(e)),
            },
        };

        let idp = IdpConfig {
            id,
            fields,
            has_secret,
            created_at: before
                .as_ref()
                .map_or_else(|| now.clone(), |b| b.created_at.clone()),
            updated_at: now.clone(),
        };
        let mut changes = audit::diff(before.as_ref().map(|b| &b.fields), Some(&idp.fields));
        let secret_changed = secret_audit.is_some();
        changes.extend(secret_audit);
        let written = (|| -> Result<(), CatalogError> {
            match &before {
                Some(_) => {
                    idps::update(&tx, &idp)?;
                }
                None => idps::insert(&tx, &idp)?,
            }
            let action = if before.is_some() {
                AuditAction::Update
            } else {
                AuditAction::Create
            };
            audit::append(&tx, id, &now, action, &changes)?;
            if before.is_none() || !changes.is_empty() {
                let kind = if before.is_some() {
                    ChangeKind::Update
                } else {
                    ChangeKind::Create
                };
                outbox::record(&tx, id, kind, secret_changed, &now)?;
            }
            Ok(())
        })()
        .and_then(|()| tx.commit().map_err(CatalogError::from));

        if let Err(e) = written {
            if before.is_none()
                && matches!(secret, SecretChange::Replace(_))
                && secret_error.is_none()
            {
                // Nothing of a new IdP may outlive a failed save, its secret included.
                if let Err(cleanup) = self.secrets.delete(key) {
                    tracing::warn!(%id, error = %cleanup, "could not remove the secret of an unsaved IdP");
                }
            }
            return Err(e);
        }
        Ok(SaveOutcome {
            idp,
            secret_error: secret_error.map(|e| {
                format!("The other fields were saved, but the client secret was not. {e}")
            }),
        })
    }

    /// Turns an IdP on or off; takes effect immediately.
    pub fn set_enabled(&mut self, id: IdpId, enabled: bool) -> Result<IdpSummary, CatalogError> {
        let now = rfc3339(self.clock.now());
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let before = idps::get(&tx, id)?.ok_or_else(|| CatalogError::NotFound(id.to_string()))?;
        if before.fields.enabled != enabled {
            idps::set_enabled(&tx, id, enabled, &now)?;
            let action = if enabled {
                AuditAction::Enable
            } else {
                AuditAction::Disable
            };
            let after = IdpFields {
                enabled,
                ..before.fields.clone()
            };
            audit::append(
                &tx,
                id,
                &now,
                action,
                &audit::diff(Some(&before.fields), Some(&after)),
            )?;
            let kind = if enabled {
                ChangeKind::Enable
            } else {
                ChangeKind::Disable
            };
            outbox::record(&tx, id, kind, false, &now)?;
        }
        tx.commit()?;
        let summary = idps::list_summaries(&self.conn)?
            .into_iter()
            .find(|s| s.id == id);
        summary.ok_or_else(|| CatalogError::NotFound(id.to_string()))
    }

    /// Deletes an IdP and its secret. When the keyring cannot delete the secret, the IdP is kept
    /// (so no orphaned credential is left behind) and the error says why.
    pub fn delete(&mut self, id: IdpId) -> Result<(), CatalogError> {
        let now = rfc3339(self.clock.now());
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let before = idps::get(&tx, id)?.ok_or_else(|| CatalogError::NotFound(id.to_string()))?;
        idps::delete(&tx, id)?;
        test_runs::delete_for_idp(&tx, id)?;
        let mut changes = audit::diff(Some(&before.fields), None);
        if before.has_secret {
            changes.push(audit::secret_change(true));
        }
        audit::append(&tx, id, &now, AuditAction::Delete, &changes)?;
        outbox::record(&tx, id, ChangeKind::Delete, false, &now)?;
        if before.has_secret {
            self.secrets.delete(SecretKey::IdpClientSecret(id))?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Records a finished test run (redacted) in the IdP's history. Runs of drafts that were
    /// never saved are not recorded: there is no IdP to attach them to.
    pub fn record_test_run(&mut self, report: &TestReport) -> Result<bool, CatalogError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        if idps::get(&tx, report.idp_id)?.is_none() {
            return Ok(false);
        }
        test_runs::insert(&tx, report)?;
        tx.commit()?;
        Ok(true)
    }

    /// The IdP's test runs, newest first (redacted).
    pub fn test_history(&self, id: IdpId) -> Result<Vec<TestReport>, CatalogError> {
        Ok(test_runs::for_idp(&self.conn, id)?)
    }

    /// The config and secret a test login runs with: the draft validated (nothing is saved),
    /// the secret as the draft would leave it.
    pub fn test_target(
        &self,
        request: StartTestRequest,
    ) -> Result<(IdpConfig, Option<Secret>), CatalogError> {
        let StartTestRequest { id, fields, secret } = request;
        let fields = validation::validate(fields).map_err(CatalogError::Invalid)?;
        let stored = match id {
            Some(id) => idps::get(&self.conn, id)?,
            None => None,
        };
        let secret = match secret {
            SecretChange::Replace(s) => Some(s),
            SecretChange::Clear => None,
            SecretChange::Keep => match &stored {
                Some(s) if s.has_secret => self.client_secret(s.id)?,
                _ => None,
            },
        };
        let now = rfc3339(self.clock.now());
        let idp = IdpConfig {
            id: id.unwrap_or_default(),
            fields,
            has_secret: secret.is_some(),
            created_at: stored
                .as_ref()
                .map_or_else(|| now.clone(), |s| s.created_at.clone()),
            updated_at: now,
        };
        Ok((idp, secret))
    }

    /// Reads a stored client secret (for the test login; never for display).
    pub fn client_secret(&self, id: IdpId) -> Result<Option<Secret>, CatalogError> {
        Ok(self.secrets.get(SecretKey::IdpClientSecret(id))?)
    }

    /// Writes many validated IdPs in one transaction: all or nothing. Used by import.
    pub(crate) fn write_all(
        &mut self,
        incoming: Vec<(IdpId, IdpFields)>,
    ) -> Result<Vec<IdpConfig>, CatalogError> {
        let now = rfc3339(self.clock.now());
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut written = Vec::with_capacity(incoming.len());
        for (id, fields) in incoming {
            let before = idps::get(&tx, id)?;
            let idp = IdpConfig {
                id,
                fields,
                has_secret: before.as_ref().is_some_and(|b| b.has_secret),
                created_at: before
                    .as_ref()
                    .map_or_else(|| now.clone(), |b| b.created_at.clone()),
                updated_at: now.clone(),
            };
            if before.is_some() {
                idps::update(&tx, &idp)?;
            } else {
                idps::insert(&tx, &idp)?;
            }
            let changes = audit::diff(before.as_ref().map(|b| &b.fields), Some(&idp.fields));
            audit::append(&tx, id, &now, AuditAction::Import, &changes)?;
            if before.is_none() || !changes.is_empty() {
                let kind = if before.is_some() {
                    ChangeKind::Update
                } else {
                    ChangeKind::Create
                };
                outbox::record(&tx, id, kind, false, &now)?;
            }
            written.push(idp);
        }
        tx.commit()?;
        Ok(written)
    }

    /// Name and issuer must each belong to one IdP only (the issuer: RFC 9207 §4 mix-up defence).
    fn uniqueness_errors(
        conn: &Connection,
        id: Option<IdpId>,
        f: &IdpFields,
    ) -> Result<Vec<FieldError>, CatalogError> {
        let mut errors = Vec::new();
        let other = |found: Option<IdpId>| found.filter(|found| Some(*found) != id);
        if let Some(other_id) = other(idps::id_by_name_key(conn, &name_key(&f.name))?) {
            let name = idps::get(conn, other_id)?
                .map(|o| o.fields.name)
                .unwrap_or_default();
            errors.push(FieldError::new(
                Field::Name,
                format!("is already used by \"{name}\""),
            ));
        }
        if let Some(issuer) = &f.issuer {
            if let Some(other_id) = other(idps::id_by_issuer_key(conn, &issuer_key(issuer))?) {
                let name = idps::get(conn, other_id)?
                    .map(|o| o.fields.name)
                    .unwrap_or_default();
                errors.push(FieldError::new(
                    Field::Issuer,
                    format!(
                        "is already used by \"{name}\": each issuer may be configured once, so \
                         responses from one IdP can never be taken for another's"
                    ),
                ));
            }
        }
        Ok(errors)
    }
}
