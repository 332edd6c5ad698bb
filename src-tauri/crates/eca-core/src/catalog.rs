//! The operations on IdPs that the app's commands and the CLI call: one function each.
//!
//! Invariants:
//! - Every write goes through [`write::write_idp`] (the one write path, shared with import and
//!   sync): nothing is written unless [`validation::validate`] and the uniqueness rules pass.
//! - Every change is one `IMMEDIATE` transaction that also appends its audit row, so a failure
//!   half-way leaves nothing behind, and the app and the CLI can write the same file.
//! - Secret values go only to the [`SecretStore`]; SQLite records `has_secret`. When the keyring
//!   refuses a secret, the rest of the edit is still saved and the refusal is reported in
//!   [`SaveOutcome::secret_error`]: the admin loses nothing they typed but the secret.
//! - Every edit also records its pending sync change ([`crate::sync::outbox`]) in the same
//!   transaction, so the outbox never misses nor invents an edit.

use crate::client_keys::{self, ClientKeyStoreError, PublicKeyView};
use crate::secrets::{Secret, SecretError, SecretKey, SecretStore};
use crate::store::audit::{self, AuditEntry};
use crate::store::idps::IdpSummary;
use crate::store::{self, idps, test_runs, StoreError};
use crate::update_settings::{self, UpdateSettings};
use eca_model::clock::{rfc3339, Clock};
use eca_model::credential_expiry;
use eca_model::idp::{FieldError, IdpConfig, IdpFields, IdpId};
use eca_model::problem::{Problem, ProblemCode};
use eca_model::secret_binding::SecretBinding;
use eca_model::validation::{self, name_key};
use eca_oidc::login::client_auth::ClientCredential;
use eca_oidc::login::client_key::ClientKey;
use eca_oidc::login::report::TestReport;
use rusqlite::{Connection, TransactionBehavior};
use serde::Deserialize;
use std::path::Path;
use std::sync::Arc;
use write::{WriteError, WriteIdp, WriteOrigin, Written};

pub mod write;

/// Entries of a batch that the write path refused: their index in the batch, and why.
pub(crate) type Refused = Vec<(usize, Vec<FieldError>)>;

/// What to do with the client secret on save. The value arrives from the UI or the CLI's
/// stdin and is never sent back.
#[derive(Debug, Deserialize, specta::Type)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum SecretChange {
    Keep,
    Replace(#[specta(type = String)] Secret),
    Clear,
}

#[derive(Debug, Deserialize, specta::Type)]
pub struct SaveIdpRequest {
    /// `None` creates a new IdP.
    pub id: Option<IdpId>,
    pub fields: IdpFields,
    pub secret: SecretChange,
}

/// What "Test Configuration" tests: a saved IdP or the form's unsaved draft, with the secret
/// the draft would save (`keep` uses the stored one).
#[derive(Debug, Deserialize, specta::Type)]
pub struct StartTestRequest {
    pub id: Option<IdpId>,
    pub fields: IdpFields,
    pub secret: SecretChange,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct SaveOutcome {
    pub idp: IdpConfig,
    /// Set when the fields were saved but the keyring refused the secret change, or the stored
    /// secret is set aside by them (it needs re-entry).
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
    #[error(transparent)]
    ClientKey(#[from] ClientKeyStoreError),
}

impl CatalogError {
    /// Names the data folder in a store fault it caused ([`StoreError::in_folder`]).
    pub fn in_folder(self, dir: &Path) -> Self {
        match self {
            CatalogError::Store(e) => CatalogError::Store(e.in_folder(dir)),
            other => other,
        }
    }
}

impl From<rusqlite::Error> for CatalogError {
    fn from(e: rusqlite::Error) -> Self {
        CatalogError::Store(e.into())
    }
}

impl From<WriteError> for CatalogError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Invalid(errors) => CatalogError::Invalid(errors),
            WriteError::NotFound(id) => CatalogError::NotFound(id.to_string()),
            WriteError::Store(e) => CatalogError::Store(e),
            WriteError::Secret(e) => CatalogError::Secret(e),
        }
    }
}

impl From<CatalogError> for Problem {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Invalid(fields) => Problem::invalid(fields),
            CatalogError::NotFound(_) => Problem::new(ProblemCode::NotFound, e.to_string()),
            CatalogError::Store(_) => Problem::new(ProblemCode::Storage, e.to_string()),
            CatalogError::Secret(_) | CatalogError::ClientKey(_) => {
                Problem::new(ProblemCode::Keyring, e.to_string())
            }
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

    /// Today by the catalog's clock: the day credential expiry is judged against.
    pub fn today(&self) -> time::Date {
        credential_expiry::today(&*self.clock)
    }

    pub fn list(&self) -> Result<Vec<IdpSummary>, CatalogError> {
        Ok(idps::list_summaries(&self.conn, self.today())?)
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

    /// Every problem saving `fields` would meet, without writing anything; with a stored secret
    /// that they would set aside, that too (a new secret entered with them clears it).
    pub fn check(
        &self,
        id: Option<IdpId>,
        fields: IdpFields,
    ) -> Result<Vec<FieldError>, CatalogError> {
        let valid = match validation::validate(fields) {
            Ok(valid) => valid,
            Err(errors) => return Ok(errors),
        };
        let mut errors = write::uniqueness_errors(&self.conn, id, &valid)?;
        let stored = match id {
            Some(id) => idps::get(&self.conn, id)?,
            None => None,
        };
        errors.extend(stored.and_then(|s| s.secret_set_aside_for(&valid)));
        Ok(errors)
    }

    /// Creates or updates one IdP, its secret and its audit row (see [`write`]).
    pub fn save(&mut self, request: SaveIdpRequest) -> Result<SaveOutcome, CatalogError> {
        let SaveIdpRequest { id, fields, secret } = request;
        let save = WriteIdp::Save {
            id,
            fields: Box::new(fields),
            secret,
        };
        let written = self.write(save)?;
        let idp = written
            .idp
            .ok_or_else(|| CatalogError::NotFound(id.map(|i| i.to_string()).unwrap_or_default()))?;
        let secret_error = match (written.secret_error, idp.secret_set_aside()) {
            (Some(e), _) => Some(format!(
                "The other fields were saved, but the client secret was not. {e}"
            )),
            (None, Some(set_aside)) => Some(format!(
                "The other fields were saved. The client secret {}",
                set_aside.message
            )),
            (None, None) => None,
        };
        Ok(SaveOutcome { idp, secret_error })
    }

    /// Turns an IdP on or off; takes effect immediately.
    pub fn set_enabled(&mut self, id: IdpId, enabled: bool) -> Result<IdpSummary, CatalogError> {
        self.write(WriteIdp::SetEnabled { id, enabled })?;
        let summary = idps::list_summaries(&self.conn, self.today())?
            .into_iter()
            .find(|s| s.id == id);
        summary.ok_or_else(|| CatalogError::NotFound(id.to_string()))
    }

    /// Where the app looks for updates (none until an admin sets it).
    pub fn update_settings(&self) -> Result<UpdateSettings, CatalogError> {
        Ok(update_settings::load(&self.conn)?)
    }

    /// Checks and stores where the app looks for updates; returns the settings as stored.
    pub fn save_update_settings(
        &mut self,
        settings: UpdateSettings,
    ) -> Result<UpdateSettings, CatalogError> {
        update_settings::save(&self.conn, settings).map_err(|e| match e {
            update_settings::SaveError::Invalid(error) => CatalogError::Invalid(vec![error]),
            update_settings::SaveError::Store(e) => CatalogError::Store(e),
        })
    }

    /// Deletes an IdP and its secret. When the keyring cannot delete the secret, the IdP is kept
    /// (so no orphaned credential is left behind) and the error says why.
    pub fn delete(&mut self, id: IdpId) -> Result<(), CatalogError> {
        self.write(WriteIdp::Delete { id })?;
        client_keys::delete(self.secrets.as_ref(), id)?;
        Ok(())
    }

    /// One edit, in its own `IMMEDIATE` transaction.
    fn write(&mut self, write: WriteIdp) -> Result<Written, CatalogError> {
        let now = rfc3339(self.clock.now());
        let secrets = self.secrets.as_ref();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let written = write::write_idp(&tx, secrets, &now, write, WriteOrigin::Edit)?;
        write::commit(tx, &written, secrets)?;
        Ok(written)
    }

    /// Records a finished test run (redacted) in the IdP's history, when what was `tested` is
    /// the IdP as saved. The run of a draft is not recorded: of a new IdP there is nothing to
    /// attach it to, and of an edited one it would vouch for settings that are not stored.
    pub fn record_test_run(
        &mut self,
        report: &TestReport,
        tested: &IdpFields,
    ) -> Result<bool, CatalogError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let saved = idps::get(&tx, report.idp_id)?;
        let as_saved = validation::validate(tested.clone()).ok();
        if saved.is_none_or(|saved| Some(saved.fields) != as_saved) {
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
    ) -> Result<(IdpConfig, Option<ClientCredential>), CatalogError> {
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
                Some(stored) => self.stored_secret_for(stored, &fields)?,
                None => None,
            },
        };
        let now = rfc3339(self.clock.now());
        let idp = IdpConfig {
            id: id.unwrap_or_default(),
            secret_entered_for: secret.as_ref().map(|_| SecretBinding::of(&fields)),
            fields,
            has_secret: secret.is_some(),
            created_at: stored
                .as_ref()
                .map_or_else(|| now.clone(), |s| s.created_at.clone()),
            updated_at: now,
        };
        let credential = match (idp.fields.client_auth_method.uses_key(), id) {
            (true, Some(id)) => {
                client_keys::load(self.secrets.as_ref(), id)?.map(ClientCredential::Key)
            }
            (true, None) => None,
            (false, _) => secret.map(ClientCredential::Secret),
        };
        Ok((idp, credential))
    }

    /// The public material of the IdP's signing key (private_key_jwt); `None` when it has none.
    pub fn public_key(&self, id: IdpId) -> Result<Option<PublicKeyView>, CatalogError> {
        self.get(id)?;
        match client_keys::load(self.secrets.as_ref(), id)? {
            Some(key) => Ok(Some(view(&key)?)),
            None => Ok(None),
        }
    }

    /// Makes the IdP's signing key: when it has none, or always with `replace` (the IdP must
    /// then be given the new public key). Returns its public material.
    pub fn generate_key(&self, id: IdpId, replace: bool) -> Result<PublicKeyView, CatalogError> {
        self.get(id)?;
        let store = self.secrets.as_ref();
        let key = if replace {
            client_keys::replace(store, id)?
        } else {
            client_keys::ensure(store, id)?
        };
        view(&key)
    }

    /// The stored secret of `stored`, for a login with `fields` (the stored ones, or a draft's).
    /// Refused, with the field error that names both origins, when the secret was entered for
    /// another token endpoint origin or client id: it is never sent there.
    fn stored_secret_for(
        &self,
        stored: &IdpConfig,
        fields: &IdpFields,
    ) -> Result<Option<Secret>, CatalogError> {
        if !stored.has_secret {
            return Ok(None);
        }
        if let Some(set_aside) = stored.secret_set_aside_for(fields) {
            return Err(CatalogError::Invalid(vec![set_aside]));
        }
        self.client_secret(stored.id)
    }

    /// Reads a stored client secret (for the test login; never for display).
    pub fn client_secret(&self, id: IdpId) -> Result<Option<Secret>, CatalogError> {
        Ok(self.secrets.get(SecretKey::IdpClientSecret(id))?)
    }

    /// Writes many IdPs in one transaction, all or nothing: each through [`write::write_idp`]
    /// as an import. Every entry is tried, so all refusals are reported at once, by index in
    /// `incoming`; nothing is committed when any entry (or, with `refused_already`, an entry
    /// the caller refused before) was refused.
    pub(crate) fn write_all(
        &mut self,
        incoming: Vec<(IdpId, IdpFields)>,
        refused_already: bool,
    ) -> Result<Result<Vec<IdpConfig>, Refused>, CatalogError> {
        let now = rfc3339(self.clock.now());
        let secrets = self.secrets.as_ref();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut written = Vec::with_capacity(incoming.len());
        let mut refused = Vec::new();
        for (i, (id, fields)) in incoming.into_iter().enumerate() {
            let save = WriteIdp::Save {
                id: Some(id),
                fields: Box::new(fields),
                secret: SecretChange::Keep,
            };
            match write::write_idp(&tx, secrets, &now, save, WriteOrigin::Import) {
                Ok(w) => written.extend(w.idp),
                Err(WriteError::Invalid(errors)) => refused.push((i, errors)),
                Err(e) => return Err(e.into()),
            }
        }
        if !refused.is_empty() || refused_already {
            return Ok(Err(refused));
        }
        tx.commit()?;
        Ok(Ok(written))
    }
}

/// The public material of `key`, as the form and `eca idp show --public-jwk` show it.
fn view(key: &ClientKey) -> Result<PublicKeyView, CatalogError> {
    Ok(client_keys::view(key).map_err(ClientKeyStoreError::from)?)
}
