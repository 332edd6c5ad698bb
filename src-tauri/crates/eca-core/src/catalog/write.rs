//! The one write path of an IdP: validate → uniqueness → upsert (or toggle, or delete) → audit →
//! outbox → secret, whatever asked for the write. Yaak's `upsert(model, &UpdateSource)` is the
//! model: where a write comes from ([`WriteOrigin`]) is a parameter, not a second code path.
//!
//! Invariants:
//! - Every rule exists here once: the catalog (edits), import, take theirs and pull all call
//!   [`write_idp`], so an IdP is never stored without passing [`validation::validate`] and
//!   [`uniqueness_errors`], and never changes without its audit row.
//! - [`write_idp`] runs in the caller's transaction (its type says so) and does not commit: a
//!   caller may write several IdPs (import) or add its own rows (the sync base) in the same
//!   transaction. Nothing is written before validation and uniqueness pass, so a refused write
//!   leaves the transaction as it was.
//! - The origin decides only what differs between origins: the audit action, whether the write
//!   records a pending change in the outbox (local edits and imports do; taking the backend's
//!   copy does not, since that copy is the backend's already), and whether a missing IdP is
//!   created (an edit of an IdP deleted meanwhile is refused instead).
//! - Secret values go only to the [`SecretStore`]. When a write's transaction does not commit,
//!   [`Written::discard`] puts the keyring back as it was: a new IdP's secret goes, a replaced
//!   or deleted one returns.

use crate::catalog::SecretChange;
use crate::secrets::{Secret, SecretError, SecretKey, SecretStore};
use crate::store::audit::{self, AuditAction};
use crate::store::sync_changes::ChangeKind;
use crate::store::{idps, platform_test_runs, test_runs, StoreError};
use crate::sync::outbox;
use eca_model::diff::{self, FieldChange};
use eca_model::idp::{Field, FieldError, IdpConfig, IdpFields, IdpId};
use eca_model::secret_binding::SecretBinding;
use eca_model::validation::{self, issuer_key, name_key};
use rusqlite::{Connection, Transaction};

/// Who asked for a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteOrigin {
    /// The admin, in the app or the CLI.
    Edit,
    /// An export document being imported.
    Import,
    /// Resolving a conflict with "take theirs": the backend's copy replaces the local one.
    TakeTheirs,
    /// A pull: the backend's copy of an IdP that changed only there.
    Pull,
}

impl WriteOrigin {
    /// Local writes are pushed later; the backend's own copy is never sent back to it.
    fn records_outbox(self) -> bool {
        matches!(self, WriteOrigin::Edit | WriteOrigin::Import)
    }

    /// An edit names an IdP the admin saw; if it is gone, that is an error. The other origins
    /// bring the IdP with its id and create it when it is missing.
    fn creates_missing(self) -> bool {
        !matches!(self, WriteOrigin::Edit)
    }

    /// The audit action of a change of this kind from this origin.
    fn audit_action(self, kind: ChangeKind) -> AuditAction {
        match (self, kind) {
            (WriteOrigin::Import, _) => AuditAction::Import,
            (_, ChangeKind::Create) => AuditAction::Create,
            (_, ChangeKind::Update) => AuditAction::Update,
            (_, ChangeKind::Enable) => AuditAction::Enable,
            (_, ChangeKind::Disable) => AuditAction::Disable,
            (_, ChangeKind::Delete) => AuditAction::Delete,
        }
    }
}

/// What to write.
#[derive(Debug)]
pub enum WriteIdp {
    /// Creates (`id: None`, or an id the store does not have) or replaces an IdP's fields, and
    /// changes its secret as `secret` says (only edits carry a secret; the others `Keep`).
    Save {
        id: Option<IdpId>,
        fields: Box<IdpFields>,
        secret: SecretChange,
    },
    /// Turns an IdP on or off; nothing is written when it already is.
    SetEnabled { id: IdpId, enabled: bool },
    /// Deletes an IdP, its test runs and its secret. When the keyring cannot delete the secret
    /// the write fails, so the caller's transaction keeps the IdP (no orphaned credential).
    Delete { id: IdpId },
}

/// Why a write was refused.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{}", eca_model::problem::Problem::invalid(.0.clone()).message)]
    Invalid(Vec<FieldError>),
    #[error("No identity provider with id \"{0}\".")]
    NotFound(IdpId),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

impl From<rusqlite::Error> for WriteError {
    fn from(e: rusqlite::Error) -> Self {
        WriteError::Store(e.into())
    }
}

/// What a write did, for the caller to report and, if its commit fails, to undo.
#[derive(Debug)]
pub struct Written {
    /// The IdP as written; `None` after a delete.
    pub idp: Option<IdpConfig>,
    /// Set when the fields were written but the keyring refused the secret change.
    pub secret_error: Option<SecretError>,
    /// The keyring entry this write changed, with what it held before.
    undo: Option<SecretUndo>,
}

/// What a keyring entry held before a write changed it (`None`: nothing). `Secret` redacts
/// itself in `Debug`.
#[derive(Debug)]
struct SecretUndo {
    id: IdpId,
    previous: Option<Secret>,
}

impl Written {
    /// Puts back what the keyring held before a write whose transaction did not commit, so
    /// nothing of an unsaved IdP remains and a rolled-back edit or delete loses no secret.
    pub fn discard(&self, secrets: &dyn SecretStore) {
        let Some(SecretUndo { id, previous }) = &self.undo else {
            return;
        };
        let key = SecretKey::IdpClientSecret(*id);
        let undone = match previous {
            Some(secret) => secrets.put(key, secret),
            None => secrets.delete(key),
        };
        if let Err(error) = undone {
            tracing::warn!(%id, %error, "could not put the keyring back after a failed write");
        }
    }
}

/// The one way an IdP changes. Runs in `tx` and does not commit it; see the module header.
pub fn write_idp(
    tx: &Transaction<'_>,
    secrets: &dyn SecretStore,
    at: &str,
    write: WriteIdp,
    origin: WriteOrigin,
) -> Result<Written, WriteError> {
    let step = Step {
        tx,
        secrets,
        at,
        origin,
    };
    match write {
        WriteIdp::Save { id, fields, secret } => step.save(id, *fields, secret),
        WriteIdp::SetEnabled { id, enabled } => step.set_enabled(id, enabled),
        WriteIdp::Delete { id } => step.delete(id),
    }
}

/// Commits a transaction holding a write; when the commit fails, the write's secret is undone.
pub fn commit(
    tx: Transaction<'_>,
    written: &Written,
    secrets: &dyn SecretStore,
) -> Result<(), WriteError> {
    tx.commit().map_err(|e| {
        written.discard(secrets);
        WriteError::from(e)
    })
}

/// The fields as they would be stored, or every problem with them and the secret change.
pub fn validate(fields: IdpFields, secret: &SecretChange) -> Result<IdpFields, Vec<FieldError>> {
    let auth_method = fields.client_auth_method;
    let validated = validation::validate(fields);
    let mut errors = validated.as_ref().err().cloned().unwrap_or_default();
    if let SecretChange::Replace(s) = secret {
        if let Some(why) = auth_method.why_no_secret() {
            errors.push(FieldError::new(
                Field::ClientSecret,
                format!("{why}: remove it, or choose client_secret_basic or client_secret_post"),
            ));
        } else if let Some(problem) = s.problem() {
            errors.push(FieldError::new(Field::ClientSecret, problem));
        }
    }
    match validated {
        Ok(fields) if errors.is_empty() => Ok(fields),
        _ => Err(errors),
    }
}

/// Name and issuer must each belong to one IdP only (the issuer: RFC 9207 §4 mix-up defence, so
/// responses from one IdP can never be taken for another's). `id` is the IdP being written.
pub fn uniqueness_errors(
    conn: &Connection,
    id: Option<IdpId>,
    f: &IdpFields,
) -> Result<Vec<FieldError>, StoreError> {
    let mut errors = Vec::new();
    let other = |found: Option<IdpId>| found.filter(|found| Some(*found) != id);
    let mut clash = |field: Field, found: Option<IdpId>| -> Result<(), StoreError> {
        if let Some(other_id) = other(found) {
            let name = idps::get(conn, other_id)?
                .map(|o| o.fields.name)
                .unwrap_or_default();
            errors.push(FieldError::new(
                field,
                format!("is already used by \"{name}\""),
            ));
        }
        Ok(())
    };
    clash(Field::Name, idps::id_by_name_key(conn, &name_key(&f.name))?)?;
    if let Some(issuer) = &f.issuer {
        clash(
            Field::Issuer,
            idps::id_by_issuer_key(conn, &issuer_key(issuer))?,
        )?;
    }
    Ok(errors)
}

/// One write's context: its transaction, the keyring, its time and its origin.
struct Step<'a> {
    tx: &'a Connection,
    secrets: &'a dyn SecretStore,
    at: &'a str,
    origin: WriteOrigin,
}

/// The secret change a save made: its audit entry, and the keyring's refusal if any.
struct SecretOutcome {
    has_secret: bool,
    audit: Option<FieldChange>,
    error: Option<SecretError>,
}

impl SecretOutcome {
    /// The secret as it was (`had_secret`), with the keyring's refusal if any.
    fn kept(had_secret: bool, error: Option<SecretError>) -> Self {
        Self {
            has_secret: had_secret,
            audit: None,
            error,
        }
    }
}

impl Step<'_> {
    fn save(
        &self,
        id: Option<IdpId>,
        fields: IdpFields,
        secret: SecretChange,
    ) -> Result<Written, WriteError> {
        let fields = validate(fields, &secret).map_err(WriteError::Invalid)?;
        let unique = uniqueness_errors(self.tx, id, &fields)?;
        if !unique.is_empty() {
            return Err(WriteError::Invalid(unique));
        }
        let before = match id {
            Some(id) => idps::get(self.tx, id)?,
            None => None,
        };
        if let (Some(id), None, false) = (id, &before, self.origin.creates_missing()) {
            return Err(WriteError::NotFound(id));
        }
        let id = id.unwrap_or_default();
        let had_secret = before.as_ref().is_some_and(|b| b.has_secret);
        // The keyring is written before the rows, so a refusal keeps the rest of the edit (the
        // admin loses nothing they typed but the secret); a failed write puts it back.
        let (previous, secret) = match self.previous_secret(id, had_secret, &secret) {
            Ok(previous) => (previous, self.change_secret(id, had_secret, &secret)),
            // A keyring that cannot read what it holds (locked, gone) refuses the change too.
            Err(e) => (None, SecretOutcome::kept(had_secret, Some(e))),
        };
        let undo = secret
            .audit
            .is_some()
            .then_some(SecretUndo { id, previous });
        let written = Written {
            idp: None,
            secret_error: secret.error,
            undo,
        };
        // A secret entered now is bound to where it is entered; one kept keeps its binding.
        let secret_entered_for = match (secret.has_secret, secret.audit.is_some()) {
            (false, _) => None,
            (true, true) => Some(SecretBinding::of(&fields)),
            (true, false) => before.as_ref().and_then(|b| b.secret_entered_for.clone()),
        };
        let idp = IdpConfig {
            id,
            fields,
            has_secret: secret.has_secret,
            secret_entered_for,
            created_at: before
                .as_ref()
                .map_or_else(|| self.at.to_string(), |b| b.created_at.clone()),
            updated_at: self.at.to_string(),
        };
        let mut changes = diff::diff(before.as_ref().map(|b| &b.fields), Some(&idp.fields));
        let secret_changed = secret.audit.is_some();
        changes.extend(secret.audit);
        let kind = match before {
            Some(_) => ChangeKind::Update,
            None => ChangeKind::Create,
        };
        let stored = self.store_save(&idp, kind, &changes, secret_changed);
        if let Err(e) = stored {
            written.discard(self.secrets);
            return Err(e);
        }
        Ok(Written {
            idp: Some(idp),
            ..written
        })
    }

    /// Upsert, audit and outbox of a save whose secret is already handled.
    fn store_save(
        &self,
        idp: &IdpConfig,
        kind: ChangeKind,
        changes: &[FieldChange],
        secret_changed: bool,
    ) -> Result<(), WriteError> {
        match kind {
            ChangeKind::Create => idps::insert(self.tx, idp)?,
            _ => {
                idps::update(self.tx, idp)?;
            }
        }
        self.audit(idp.id, kind, changes)?;
        // A save that changed nothing sends nothing; a new IdP is always sent.
        if kind == ChangeKind::Create || !changes.is_empty() {
            self.record(idp.id, kind, secret_changed)?;
        }
        Ok(())
    }

    /// What the keyring holds for `id` before `change` replaces or clears it.
    fn previous_secret(
        &self,
        id: IdpId,
        had_secret: bool,
        change: &SecretChange,
    ) -> Result<Option<Secret>, SecretError> {
        let touches = match change {
            SecretChange::Keep => false,
            SecretChange::Replace(_) | SecretChange::Clear => had_secret,
        };
        if !touches {
            return Ok(None);
        }
        self.secrets.get(SecretKey::IdpClientSecret(id))
    }

    fn change_secret(&self, id: IdpId, had_secret: bool, change: &SecretChange) -> SecretOutcome {
        let key = SecretKey::IdpClientSecret(id);
        let kept = |error| SecretOutcome::kept(had_secret, error);
        let done = |has_secret: bool| SecretOutcome {
            has_secret,
            audit: Some(diff::secret_change(!has_secret)),
            error: None,
        };
        match change {
            SecretChange::Keep => kept(None),
            SecretChange::Replace(s) => match self.secrets.put(key, s) {
                Ok(()) => done(true),
                Err(e) => kept(Some(e)),
            },
            SecretChange::Clear if !had_secret => SecretOutcome {
                has_secret: false,
                audit: None,
                error: None,
            },
            SecretChange::Clear => match self.secrets.delete(key) {
                Ok(()) => done(false),
                Err(e) => kept(Some(e)),
            },
        }
    }

    fn set_enabled(&self, id: IdpId, enabled: bool) -> Result<Written, WriteError> {
        let before = idps::get(self.tx, id)?.ok_or(WriteError::NotFound(id))?;
        if before.fields.enabled == enabled {
            return Ok(Written {
                idp: Some(before),
                secret_error: None,
                undo: None,
            });
        }
        let after = IdpConfig {
            fields: IdpFields {
                enabled,
                ..before.fields.clone()
            },
            updated_at: self.at.to_string(),
            ..before.clone()
        };
        idps::set_enabled(self.tx, id, enabled, self.at)?;
        let kind = if enabled {
            ChangeKind::Enable
        } else {
            ChangeKind::Disable
        };
        self.audit(
            id,
            kind,
            &diff::diff(Some(&before.fields), Some(&after.fields)),
        )?;
        self.record(id, kind, false)?;
        Ok(Written {
            idp: Some(after),
            secret_error: None,
            undo: None,
        })
    }

    fn delete(&self, id: IdpId) -> Result<Written, WriteError> {
        let before = idps::get(self.tx, id)?.ok_or(WriteError::NotFound(id))?;
        idps::delete(self.tx, id)?;
        test_runs::delete_for_idp(self.tx, id)?;
        platform_test_runs::delete_for_idp(self.tx, id)?;
        let mut changes = diff::diff(Some(&before.fields), None);
        if before.has_secret {
            changes.push(diff::secret_change(true));
        }
        self.audit(id, ChangeKind::Delete, &changes)?;
        self.record(id, ChangeKind::Delete, false)?;
        let mut undo = None;
        if before.has_secret {
            let key = SecretKey::IdpClientSecret(id);
            let previous = self.secrets.get(key)?;
            self.secrets.delete(key)?;
            undo = Some(SecretUndo { id, previous });
        }
        Ok(Written {
            idp: None,
            secret_error: None,
            undo,
        })
    }

    fn audit(
        &self,
        id: IdpId,
        kind: ChangeKind,
        changes: &[FieldChange],
    ) -> Result<(), StoreError> {
        audit::append(
            self.tx,
            id,
            self.at,
            self.origin.audit_action(kind),
            changes,
        )
    }

    fn record(&self, id: IdpId, kind: ChangeKind, secret_changed: bool) -> Result<(), StoreError> {
        if self.origin.records_outbox() {
            outbox::record(self.tx, id, kind, secret_changed, self.at)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::{MemorySecrets, Secret};
    use crate::store::{self, sync_changes};
    use eca_model::idp::Protocol;
    use rusqlite::TransactionBehavior;

    const AT: &str = "2026-01-01T00:00:00Z";
    const ORIGINS: [WriteOrigin; 4] = [
        WriteOrigin::Edit,
        WriteOrigin::Import,
        WriteOrigin::TakeTheirs,
        WriteOrigin::Pull,
    ];

    fn fields(name: &str) -> IdpFields {
        let issuer = format!("https://{}.example", name.to_lowercase());
        IdpFields {
            name: name.into(),
            issuer: Some(issuer.clone()),
            authorization_endpoint: format!("{issuer}/authorize"),
            token_endpoint: format!("{issuer}/token"),
            jwks_uri: Some(format!("{issuer}/keys")),
            client_id: "client".into(),
            ..IdpFields::blank(Protocol::Oidc)
        }
    }

    fn save(id: Option<IdpId>, fields: IdpFields) -> WriteIdp {
        WriteIdp::Save {
            id,
            fields: Box::new(fields),
            secret: SecretChange::Keep,
        }
    }

    struct Db {
        conn: Connection,
        secrets: MemorySecrets,
    }

    impl Db {
        fn new() -> Self {
            Self {
                conn: store::open_in_memory().unwrap(),
                secrets: MemorySecrets::new(),
            }
        }
        /// One write in its own transaction, committed when it succeeds.
        fn write(&self, write: WriteIdp, origin: WriteOrigin) -> Result<Written, WriteError> {
            let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
                .expect("a transaction");
            let written = write_idp(&tx, &self.secrets, AT, write, origin)?;
            tx.commit().expect("the write commits");
            Ok(written)
        }
        /// A new IdP with fields [`fields`]`(name)` and a secret entered with them.
        fn with_secret(&self, name: &str) -> IdpConfig {
            let entered = WriteIdp::Save {
                id: None,
                fields: Box::new(fields(name)),
                secret: SecretChange::Replace(Secret::new("s3cr3t-value-1234")),
            };
            self.write(entered, WriteOrigin::Edit).unwrap().idp.unwrap()
        }
        fn actions(&self, id: IdpId) -> Vec<AuditAction> {
            audit::for_idp(&self.conn, id)
                .unwrap()
                .into_iter()
                .map(|e| e.action)
                .collect()
        }
        fn outbox(&self, id: IdpId) -> Vec<(ChangeKind, bool)> {
            sync_changes::list(&self.conn, None)
                .unwrap()
                .into_iter()
                .filter(|c| c.idp_id == id)
                .map(|c| (c.kind, c.secret_changed))
                .collect()
        }
    }

    #[test]
    fn each_origin_creates_with_its_audit_action_and_outbox_rule() {
        let expected = [
            (WriteOrigin::Edit, AuditAction::Create, true),
            (WriteOrigin::Import, AuditAction::Import, true),
            (WriteOrigin::TakeTheirs, AuditAction::Create, false),
            (WriteOrigin::Pull, AuditAction::Create, false),
        ];
        for (origin, action, queued) in expected {
            let db = Db::new();
            let id = IdpId::new();
            let written = db.write(save(Some(id), fields("A")), origin);
            match origin {
                // An edit names an IdP the admin saw: a missing one is not silently created.
                WriteOrigin::Edit => {
                    assert!(
                        matches!(written, Err(WriteError::NotFound(_))),
                        "{written:?}"
                    );
                    assert!(idps::get(&db.conn, id).unwrap().is_none());
                    let created = db.write(save(None, fields("A")), origin).unwrap();
                    let id = created.idp.unwrap().id;
                    assert_eq!(db.actions(id), vec![action]);
                    assert_eq!(db.outbox(id), vec![(ChangeKind::Create, false)]);
                }
                _ => {
                    let idp = written.unwrap().idp.unwrap();
                    assert_eq!(idp.id, id, "{origin:?} keeps the id it brings");
                    assert_eq!(db.actions(id), vec![action], "{origin:?}");
                    let outbox = if queued {
                        vec![(ChangeKind::Create, false)]
                    } else {
                        vec![]
                    };
                    assert_eq!(
                        db.outbox(id),
                        outbox,
                        "{origin:?}: the backend's copy is not sent back"
                    );
                }
            }
        }
    }

    #[test]
    fn each_origin_updates_with_its_audit_action_and_outbox_rule() {
        let expected = [
            (WriteOrigin::Edit, AuditAction::Update, true),
            (WriteOrigin::Import, AuditAction::Import, true),
            (WriteOrigin::TakeTheirs, AuditAction::Update, false),
            (WriteOrigin::Pull, AuditAction::Update, false),
        ];
        for (origin, action, queued) in expected {
            let db = Db::new();
            let id = IdpId::new();
            db.write(save(Some(id), fields("A")), WriteOrigin::Pull)
                .unwrap();
            let edited = IdpFields {
                notes: "edited".into(),
                ..fields("A")
            };
            let idp = db
                .write(save(Some(id), edited), origin)
                .unwrap()
                .idp
                .unwrap();
            assert_eq!(idp.fields.notes, "edited");
            assert_eq!(idp.created_at, AT);
            let history = audit::for_idp(&db.conn, id).unwrap();
            assert_eq!(history[0].action, action, "{origin:?}");
            assert_eq!(history[0].changes.len(), 1, "{origin:?}: {history:?}");
            let outbox = if queued {
                vec![(ChangeKind::Update, false)]
            } else {
                vec![]
            };
            assert_eq!(db.outbox(id), outbox, "{origin:?}");

            // The same fields again: audited, but nothing to send.
            let same = IdpFields {
                notes: "edited".into(),
                ..fields("A")
            };
            db.write(save(Some(id), same), origin).unwrap();
            assert_eq!(
                db.outbox(id),
                outbox,
                "{origin:?}: an unchanged save sends nothing"
            );
        }
    }

    #[test]
    fn every_origin_meets_the_same_validation_and_uniqueness_rules() {
        for origin in ORIGINS {
            let db = Db::new();
            let a = db
                .write(save(None, fields("Alpha")), WriteOrigin::Edit)
                .unwrap()
                .idp
                .unwrap();
            let clash = IdpFields {
                name: "ALPHA".into(),
                ..fields("Beta")
            };
            let target = match origin {
                WriteOrigin::Edit => None,
                _ => Some(IdpId::new()),
            };
            let Err(WriteError::Invalid(errors)) = db.write(save(target, clash), origin) else {
                panic!("{origin:?}: a duplicate name must be refused");
            };
            assert_eq!(
                errors,
                vec![FieldError::new(Field::Name, "is already used by \"Alpha\"")],
                "{origin:?}: one rule, one message"
            );
            let same_issuer = IdpFields {
                issuer: a.fields.issuer.clone(),
                ..fields("Gamma")
            };
            let Err(WriteError::Invalid(errors)) = db.write(save(target, same_issuer), origin)
            else {
                panic!("{origin:?}: a duplicate issuer must be refused");
            };
            assert_eq!(
                errors,
                vec![FieldError::new(
                    Field::Issuer,
                    "is already used by \"Alpha\""
                )]
            );
            let invalid = IdpFields {
                token_endpoint: "http://delta.example/token".into(),
                ..fields("Delta")
            };
            let Err(WriteError::Invalid(errors)) = db.write(save(target, invalid), origin) else {
                panic!("{origin:?}: invalid fields must be refused");
            };
            assert_eq!(errors[0].field, Field::TokenEndpoint);
            assert_eq!(
                idps::list_full(&db.conn).unwrap().len(),
                1,
                "{origin:?}: a refused write writes nothing"
            );
            // Renaming an IdP to its own name in another case is not a clash with itself.
            let own = IdpFields {
                name: "ALPHA".into(),
                ..a.fields.clone()
            };
            db.write(save(Some(a.id), own), origin).unwrap();
        }
    }

    #[test]
    fn an_edit_stores_its_secret_and_the_others_keep_the_local_one() {
        let db = Db::new();
        let idp = db.with_secret("A");
        assert!(idp.has_secret);
        assert_eq!(db.outbox(idp.id), vec![(ChangeKind::Create, true)]);
        for origin in [
            WriteOrigin::Import,
            WriteOrigin::TakeTheirs,
            WriteOrigin::Pull,
        ] {
            let theirs = IdpFields {
                notes: format!("{origin:?}"),
                ..fields("A")
            };
            let kept = db.write(save(Some(idp.id), theirs), origin).unwrap();
            assert!(
                kept.idp.unwrap().has_secret,
                "{origin:?} keeps the local secret"
            );
            assert_eq!(db.secrets.len(), 1);
        }
    }

    #[test]
    fn every_origin_that_moves_the_token_endpoint_or_client_sets_the_secret_aside() {
        for origin in ORIGINS {
            let db = Db::new();
            let idp = db.with_secret("A");
            assert_eq!(
                idp.secret_entered_for,
                Some(SecretBinding::new("https://a.example/token", "client"))
            );
            let moved = IdpFields {
                token_endpoint: "https://evil.example/token".into(),
                ..fields("A")
            };
            let stored = db.write(save(Some(idp.id), moved), origin).unwrap();
            let why = stored.idp.unwrap().secret_set_aside();
            let why = why.unwrap_or_else(|| panic!("{origin:?} must set the secret aside"));
            assert_eq!(why.field, Field::ClientSecret);
            assert!(
                why.message.contains("https://a.example")
                    && why.message.contains("https://evil.example"),
                "{origin:?}: {}",
                why.message
            );
            let reread = idps::get(&db.conn, idp.id).unwrap().unwrap();
            assert!(
                reread.secret_set_aside().is_some(),
                "{origin:?}: it is stored so"
            );
            let other_client = IdpFields {
                client_id: "someone-else".into(),
                ..fields("A")
            };
            let stored = db.write(save(Some(idp.id), other_client), origin).unwrap();
            assert!(
                stored.idp.unwrap().secret_set_aside().is_some(),
                "{origin:?}"
            );
            // Back where it was entered, the secret is usable again.
            let back = db.write(save(Some(idp.id), fields("A")), origin).unwrap();
            assert_eq!(back.idp.unwrap().secret_set_aside(), None, "{origin:?}");
        }
    }

    #[test]
    fn a_secret_entered_again_is_bound_to_the_new_place() {
        let db = Db::new();
        let idp = db.with_secret("A");
        let moved = IdpFields {
            token_endpoint: "https://new.example/token".into(),
            ..fields("A")
        };
        db.write(save(Some(idp.id), moved.clone()), WriteOrigin::Import)
            .unwrap();
        let again = WriteIdp::Save {
            id: Some(idp.id),
            fields: Box::new(moved),
            secret: SecretChange::Replace(Secret::new("n3w-s3cr3t-value-5678")),
        };
        let idp = db.write(again, WriteOrigin::Edit).unwrap().idp.unwrap();
        assert_eq!(idp.secret_set_aside(), None);
        assert_eq!(
            idp.secret_entered_for.unwrap().token_origin,
            "https://new.example"
        );
        let cleared = WriteIdp::Save {
            id: Some(idp.id),
            fields: Box::new(fields("A")),
            secret: SecretChange::Clear,
        };
        let idp = db.write(cleared, WriteOrigin::Edit).unwrap().idp.unwrap();
        assert_eq!((idp.has_secret, idp.secret_entered_for), (false, None));
    }

    #[test]
    fn a_new_idp_whose_write_fails_leaves_no_secret_behind() {
        let db = Db::new();
        // The audit row cannot be written: the write fails after the keyring stored the secret.
        db.conn.execute_batch("DROP TABLE idp_audit").unwrap();
        let replace = WriteIdp::Save {
            id: None,
            fields: Box::new(fields("A")),
            secret: SecretChange::Replace(Secret::new("s3cr3t-value-1234")),
        };
        let err = db.write(replace, WriteOrigin::Edit).unwrap_err();
        assert!(matches!(err, WriteError::Store(_)), "{err:?}");
        assert!(
            db.secrets.is_empty(),
            "the new IdP's secret was removed again"
        );
    }

    #[test]
    fn toggling_and_deleting_follow_the_origin() {
        let db = Db::new();
        let idp = db
            .write(save(None, fields("A")), WriteOrigin::Edit)
            .unwrap()
            .idp
            .unwrap();
        let off = WriteIdp::SetEnabled {
            id: idp.id,
            enabled: false,
        };
        db.write(off, WriteOrigin::Edit).unwrap();
        assert_eq!(db.actions(idp.id)[0], AuditAction::Disable);
        let again = WriteIdp::SetEnabled {
            id: idp.id,
            enabled: false,
        };
        db.write(again, WriteOrigin::Edit).unwrap();
        assert_eq!(
            db.actions(idp.id).len(),
            2,
            "an unchanged toggle writes nothing"
        );

        let b = db
            .write(save(None, fields("B")), WriteOrigin::Edit)
            .unwrap()
            .idp
            .unwrap();
        db.write(WriteIdp::Delete { id: idp.id }, WriteOrigin::Edit)
            .unwrap();
        assert_eq!(db.actions(idp.id)[0], AuditAction::Delete);
        assert_eq!(
            db.outbox(idp.id),
            vec![],
            "created and deleted before a push: nothing left to send"
        );
        let outbox_before = db.outbox(b.id);
        db.write(WriteIdp::Delete { id: b.id }, WriteOrigin::TakeTheirs)
            .unwrap();
        assert_eq!(db.actions(b.id)[0], AuditAction::Delete);
        assert_eq!(
            db.outbox(b.id),
            outbox_before,
            "taking theirs records no change"
        );
        assert!(matches!(
            db.write(WriteIdp::Delete { id: b.id }, WriteOrigin::Edit),
            Err(WriteError::NotFound(_))
        ));
    }

    #[test]
    fn a_write_that_does_not_commit_puts_the_keyring_back() {
        let db = Db::new();
        let id = IdpId::new();
        let key = SecretKey::IdpClientSecret(id);
        let with_secret = |secret: SecretChange| WriteIdp::Save {
            id: Some(id),
            fields: Box::new(fields("A")),
            secret,
        };
        let value = |db: &Db| db.secrets.get(key).unwrap().map(|s| s.expose().to_string());
        db.write(
            with_secret(SecretChange::Replace(Secret::new("first"))),
            WriteOrigin::Import,
        )
        .unwrap();

        // Replaced, then rolled back: the first secret returns.
        let replaced = db
            .write(
                with_secret(SecretChange::Replace(Secret::new("second"))),
                WriteOrigin::Edit,
            )
            .unwrap();
        assert_eq!(value(&db).as_deref(), Some("second"));
        replaced.discard(&db.secrets);
        assert_eq!(
            value(&db).as_deref(),
            Some("first"),
            "a replaced secret returns"
        );

        // Deleted (as take theirs or pull may), then rolled back: it returns too.
        let deleted = db
            .write(WriteIdp::Delete { id }, WriteOrigin::TakeTheirs)
            .unwrap();
        assert_eq!(value(&db), None);
        deleted.discard(&db.secrets);
        assert_eq!(
            value(&db).as_deref(),
            Some("first"),
            "a deleted secret returns"
        );

        // A new IdP's secret goes.
        let other = IdpId::new();
        let created = db
            .write(
                WriteIdp::Save {
                    id: Some(other),
                    fields: Box::new(fields("B")),
                    secret: SecretChange::Replace(Secret::new("new")),
                },
                WriteOrigin::Import,
            )
            .unwrap();
        created.discard(&db.secrets);
        assert_eq!(
            db.secrets.get(SecretKey::IdpClientSecret(other)).unwrap(),
            None
        );
    }
}
