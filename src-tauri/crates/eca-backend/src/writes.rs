//! One write = one SQLite transaction: idempotency lookup, precondition, apply, record.
//!
//! Invariants:
//! - The recorded response of a write is inserted in the same transaction as the write itself
//!   (`BEGIN IMMEDIATE`), so no crash or dropped connection can leave a write applied but
//!   unrecorded, or recorded but unapplied. A retry with the same key and the same request gets
//!   the recorded response and changes nothing; the same key with another request changes
//!   nothing either ([`WriteOutcome::KeyReused`]).
//! - Every change to an IdP takes a new revision from its workspace's counter, so versions are
//!   never reused, not even after a delete and a re-create. A `PUT` that changes nothing (same
//!   fields, same secret) keeps the version.
//! - A client secret is sealed under the master key, bound to its row; only its fingerprint
//!   is ever shown. A public client (`client_auth_method: none`) keeps no secret.

use crate::crypto::{fingerprint, row_binding, SecretSealer};
use crate::idempotency::{IdempotencyKey, RequestFingerprint, RETENTION};
use crate::resource::{version_of, IdpResource, IdpWrite, SecretChange};
use crate::response;
use crate::store::idempotency::{self as records, IdempotencyRecord, StoredResponse};
use crate::store::idps::{self, IdpRow, StoredSecret};
use crate::store::workspaces::{self, Workspace};
use crate::store::StoreError;
use eca_model::clock::rfc3339;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use time::OffsetDateTime;
use uuid::Uuid;

/// What a write expects of the stored IdP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Precondition {
    /// `If-None-Match: *`: it must not exist.
    Absent,
    /// `If-Match: *`: it must exist, at any version.
    AnyVersion,
    /// `If-Match: "v1", "v2"`: it must exist at one of these versions (strong comparison).
    OneOf(Vec<String>),
    /// `If-Match` and `If-None-Match: *` together: RFC 9110 §13.2.2 evaluates both, and an IdP
    /// cannot both exist at a version and not exist, so the write always gets 412.
    Unsatisfiable,
}

impl Precondition {
    fn admits(&self, current: Option<&IdpRow>) -> bool {
        match (self, current) {
            (Precondition::Absent, current) => current.is_none(),
            (Precondition::Unsatisfiable, _) | (_, None) => false,
            (Precondition::AnyVersion, Some(_)) => true,
            (Precondition::OneOf(versions), Some(row)) => {
                let version = version_of(row.revision);
                versions.contains(&version)
            }
        }
    }
}

/// Who writes, with which key, when.
pub struct WriteRequest<'a> {
    pub workspace: &'a Workspace,
    pub key: &'a IdempotencyKey,
    pub fingerprint: &'a RequestFingerprint,
    pub now: OffsetDateTime,
}

#[derive(Debug, PartialEq, Eq)]
pub enum WriteOutcome {
    /// Processed now; this response was recorded with the write.
    Fresh(StoredResponse),
    /// The recorded response of an earlier request with the same key.
    Replayed(StoredResponse),
    /// The key was used for a different request; nothing was done.
    KeyReused,
}

/// What a processed write decided, before it is rendered as a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Created(IdpResource),
    Replaced(IdpResource),
    Unchanged(IdpResource),
    Deleted,
    NotFound(Uuid),
    /// The precondition failed; the IdP as it is now, if it exists.
    PreconditionFailed(Option<IdpResource>),
}

/// Creates or replaces one IdP.
pub fn put_idp(
    conn: &mut Connection,
    sealer: &SecretSealer,
    request: &WriteRequest<'_>,
    id: Uuid,
    precondition: &Precondition,
    write: IdpWrite,
) -> Result<WriteOutcome, StoreError> {
    in_write_transaction(conn, request, |tx| {
        let workspace = request.workspace;
        let current = idps::get(tx, &workspace.id, id)?;
        if !precondition.admits(current.as_ref()) {
            return Ok(Decision::PreconditionFailed(
                current.as_ref().map(IdpResource::from),
            ));
        }
        let stored = current.as_ref().and_then(|c| c.secret.as_ref());
        let secret = next_secret(sealer, workspace, id, &write, stored)?;
        let now = rfc3339(request.now);
        match current {
            Some(row) if row.fields == write.fields && row.secret == secret => {
                Ok(Decision::Unchanged(IdpResource::from(&row)))
            }
            Some(row) => {
                let row = IdpRow {
                    id,
                    fields: write.fields,
                    revision: workspaces::next_revision(tx, &workspace.id)?,
                    secret,
                    created_at: row.created_at,
                    updated_at: now,
                };
                idps::upsert(tx, &workspace.id, &row)?;
                Ok(Decision::Replaced(IdpResource::from(&row)))
            }
            None => {
                let row = IdpRow {
                    id,
                    fields: write.fields,
                    revision: workspaces::next_revision(tx, &workspace.id)?,
                    secret,
                    created_at: now.clone(),
                    updated_at: now,
                };
                idps::upsert(tx, &workspace.id, &row)?;
                Ok(Decision::Created(IdpResource::from(&row)))
            }
        }
    })
}

/// Deletes one IdP.
pub fn delete_idp(
    conn: &mut Connection,
    request: &WriteRequest<'_>,
    id: Uuid,
    precondition: &Precondition,
) -> Result<WriteOutcome, StoreError> {
    in_write_transaction(conn, request, |tx| {
        let workspace = &request.workspace.id;
        match idps::get(tx, workspace, id)? {
            None => Ok(Decision::NotFound(id)),
            Some(row) if !precondition.admits(Some(&row)) => {
                Ok(Decision::PreconditionFailed(Some(IdpResource::from(&row))))
            }
            Some(_) => {
                idps::delete(tx, workspace, id)?;
                Ok(Decision::Deleted)
            }
        }
    })
}

/// The secret the IdP keeps after this write. An unchanged secret keeps its sealed bytes, so
/// an identical `PUT` is recognised as a no-op.
fn next_secret(
    sealer: &SecretSealer,
    workspace: &Workspace,
    id: Uuid,
    write: &IdpWrite,
    stored: Option<&StoredSecret>,
) -> Result<Option<StoredSecret>, StoreError> {
    if !write.fields.client_auth_method.uses_secret() {
        return Ok(None);
    }
    let binding = row_binding(workspace.id.as_str(), &id.hyphenated().to_string());
    Ok(match (&write.secret, stored) {
        (SecretChange::Remove, _) => None,
        (SecretChange::Keep, stored) => stored.cloned(),
        (SecretChange::Set(new), Some(stored))
            // A secret that no longer opens (another master key) is simply replaced.
            if sealer
                .open(&binding, &stored.sealed)
                .is_ok_and(|old| old.as_str() == new.expose()) =>
        {
            Some(stored.clone())
        }
        (SecretChange::Set(new), _) => Some(StoredSecret {
            sealed: sealer.seal(&binding, new.expose())?,
            fingerprint: fingerprint(&workspace.fingerprint_salt, new.expose()),
        }),
    })
}

fn in_write_transaction(
    conn: &mut Connection,
    request: &WriteRequest<'_>,
    decide: impl FnOnce(&Transaction<'_>) -> Result<Decision, StoreError>,
) -> Result<WriteOutcome, StoreError> {
    let workspace = &request.workspace.id;
    let now_unix = request.now.unix_timestamp();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    records::purge_before(&tx, now_unix - RETENTION.as_secs() as i64)?;
    if let Some(record) = records::find(&tx, workspace, request.key.as_str())? {
        tx.commit()?;
        return Ok(if record.request_hash == request.fingerprint.as_str() {
            WriteOutcome::Replayed(record.response)
        } else {
            WriteOutcome::KeyReused
        });
    }
    let decision = decide(&tx)?;
    let response = response::render(&decision, workspace);
    let record = IdempotencyRecord {
        request_hash: request.fingerprint.as_str().to_string(),
        response,
    };
    records::insert(&tx, workspace, request.key.as_str(), &record, now_unix)?;
    tx.commit()?;
    Ok(WriteOutcome::Fresh(record.response))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::MasterKey;
    use crate::idempotency::RequestParts;
    use eca_model::idp::{ClientAuthMethod, IdpFields, Protocol};
    use eca_model::secret::Secret;
    use eca_model::wire::WireFields;
    use time::macros::datetime;

    struct Fixture {
        conn: Connection,
        sealer: SecretSealer,
        workspace: Workspace,
    }

    fn fixture() -> Fixture {
        let conn = crate::store::open_in_memory().unwrap();
        let workspace = workspaces::ensure(&conn, &"dev".parse().unwrap(), "t").unwrap();
        Fixture {
            conn,
            sealer: SecretSealer::new(&MasterKey::generate()),
            workspace,
        }
    }

    fn fields(name: &str) -> WireFields {
        let mut f = WireFields::from(&IdpFields::blank(Protocol::Oauth2));
        f.name = name.into();
        f.authorization_endpoint = "https://idp.example/authorize".into();
        f.token_endpoint = "https://idp.example/token".into();
        f.userinfo_endpoint = Some("https://idp.example/userinfo".into());
        f.client_id = "c".into();
        f
    }

    fn write(name: &str, secret: SecretChange) -> IdpWrite {
        IdpWrite {
            fields: fields(name),
            secret,
        }
    }

    fn key(k: &str) -> IdempotencyKey {
        IdempotencyKey::parse(k).unwrap()
    }

    /// A request fingerprint standing for "the body named `body`".
    fn print(body: &str) -> RequestFingerprint {
        RequestFingerprint::new(
            b"s",
            &RequestParts {
                method: "PUT",
                path: body,
                if_match: None,
                if_none_match: None,
                body: None,
            },
        )
    }

    fn put(
        fx: &mut Fixture,
        k: &str,
        at: OffsetDateTime,
        id: Uuid,
        pre: Precondition,
        w: IdpWrite,
    ) -> WriteOutcome {
        let (k, p) = (key(k), print(&format!("{k}{}", w.fields.name)));
        let request = WriteRequest {
            workspace: &fx.workspace,
            key: &k,
            fingerprint: &p,
            now: at,
        };
        put_idp(&mut fx.conn, &fx.sealer, &request, id, &pre, w).unwrap()
    }

    fn body(outcome: &WriteOutcome) -> serde_json::Value {
        match outcome {
            WriteOutcome::Fresh(r) | WriteOutcome::Replayed(r) => {
                serde_json::from_slice(&r.body).unwrap()
            }
            WriteOutcome::KeyReused => panic!("expected a response, got KeyReused"),
        }
    }

    const T0: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);

    #[test]
    fn create_replace_and_versions() {
        let mut fx = fixture();
        let id = Uuid::new_v4();
        let created = put(
            &mut fx,
            "k1",
            T0,
            id,
            Precondition::Absent,
            write("A", SecretChange::Keep),
        );
        assert!(
            matches!(&created, WriteOutcome::Fresh(r) if r.status == 201),
            "{created:?}"
        );
        assert_eq!(body(&created)["version"], "r1");

        let again = put(
            &mut fx,
            "k2",
            T0,
            id,
            Precondition::Absent,
            write("A", SecretChange::Keep),
        );
        assert!(matches!(&again, WriteOutcome::Fresh(r) if r.status == 412));
        assert_eq!(
            body(&again)["current"]["version"],
            "r1",
            "412 must carry the current IdP"
        );

        let pre = Precondition::OneOf(vec!["r1".into()]);
        let replaced = put(
            &mut fx,
            "k3",
            T0,
            id,
            pre.clone(),
            write("B", SecretChange::Keep),
        );
        assert_eq!(body(&replaced)["version"], "r2");
        let stale = put(&mut fx, "k4", T0, id, pre, write("C", SecretChange::Keep));
        assert!(matches!(&stale, WriteOutcome::Fresh(r) if r.status == 412));
        assert_eq!(body(&stale)["current"]["name"], "B");
    }

    #[test]
    fn the_same_key_replays_and_a_different_request_is_refused() {
        let mut fx = fixture();
        let id = Uuid::new_v4();
        let first = put(
            &mut fx,
            "k",
            T0,
            id,
            Precondition::Absent,
            write("A", SecretChange::Keep),
        );
        let replay = put(
            &mut fx,
            "k",
            T0,
            id,
            Precondition::Absent,
            write("A", SecretChange::Keep),
        );
        match (&first, &replay) {
            (WriteOutcome::Fresh(a), WriteOutcome::Replayed(b)) => assert_eq!(a, b),
            other => panic!("expected Fresh then Replayed, got {other:?}"),
        }
        let other = put(
            &mut fx,
            "k",
            T0,
            id,
            Precondition::Absent,
            write("Z", SecretChange::Keep),
        );
        assert_eq!(other, WriteOutcome::KeyReused);
        let revision: i64 = fx
            .conn
            .query_row("SELECT last_revision FROM workspace", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            revision, 1,
            "a replay or a refused reuse must not write again"
        );
    }

    #[test]
    fn keys_are_forgotten_after_the_retention_period() {
        let mut fx = fixture();
        let id = Uuid::new_v4();
        put(
            &mut fx,
            "k",
            T0,
            id,
            Precondition::Absent,
            write("A", SecretChange::Keep),
        );
        let within = T0 + time::Duration::hours(23);
        let replay = put(
            &mut fx,
            "k",
            within,
            id,
            Precondition::Absent,
            write("A", SecretChange::Keep),
        );
        assert!(
            matches!(replay, WriteOutcome::Replayed(_)),
            "kept for 24 h: {replay:?}"
        );
        let after = T0 + time::Duration::hours(25);
        let fresh = put(
            &mut fx,
            "k",
            after,
            id,
            Precondition::Absent,
            write("A", SecretChange::Keep),
        );
        assert!(
            matches!(&fresh, WriteOutcome::Fresh(r) if r.status == 412),
            "after 24 h the key is new again, so the create meets the existing IdP: {fresh:?}"
        );
    }

    #[test]
    fn secrets_keep_remove_set_and_identical_puts_keep_the_version() {
        let mut fx = fixture();
        let id = Uuid::new_v4();
        let set = |s: &str| SecretChange::Set(Secret::new(s));
        let created = put(
            &mut fx,
            "k1",
            T0,
            id,
            Precondition::Absent,
            write("A", set("one")),
        );
        let fp1 = body(&created)["secret_fingerprint"].clone();
        assert!(fp1.is_string() && body(&created)["secret_set"] == true);

        let same = put(
            &mut fx,
            "k2",
            T0,
            id,
            Precondition::AnyVersion,
            write("A", set("one")),
        );
        assert_eq!(
            body(&same)["version"],
            "r1",
            "the same fields and secret are a no-op"
        );
        let kept = put(
            &mut fx,
            "k3",
            T0,
            id,
            Precondition::AnyVersion,
            write("A", SecretChange::Keep),
        );
        assert_eq!(body(&kept)["version"], "r1", "omitting the secret keeps it");
        assert_eq!(body(&kept)["secret_fingerprint"], fp1);

        let changed = put(
            &mut fx,
            "k4",
            T0,
            id,
            Precondition::AnyVersion,
            write("A", set("two")),
        );
        assert_eq!(body(&changed)["version"], "r2");
        assert_ne!(
            body(&changed)["secret_fingerprint"],
            fp1,
            "a new secret, a new fingerprint"
        );

        let removed = put(
            &mut fx,
            "k5",
            T0,
            id,
            Precondition::AnyVersion,
            write("A", SecretChange::Remove),
        );
        assert_eq!(body(&removed)["secret_set"], false);
        assert!(body(&removed)["secret_fingerprint"].is_null());

        put(
            &mut fx,
            "k6",
            T0,
            id,
            Precondition::AnyVersion,
            write("A", set("three")),
        );
        let mut public = write("A", SecretChange::Keep);
        public.fields.client_auth_method = ClientAuthMethod::None;
        let public = put(&mut fx, "k7", T0, id, Precondition::AnyVersion, public);
        assert_eq!(
            body(&public)["secret_set"],
            false,
            "a public client keeps no secret"
        );
    }

    #[test]
    fn delete_needs_the_current_version_and_versions_are_never_reused() {
        let mut fx = fixture();
        let id = Uuid::new_v4();
        put(
            &mut fx,
            "k1",
            T0,
            id,
            Precondition::Absent,
            write("A", SecretChange::Keep),
        );
        let (k, p) = (key("d1"), print("d1"));
        let request = WriteRequest {
            workspace: &fx.workspace,
            key: &k,
            fingerprint: &p,
            now: T0,
        };
        let stale = delete_idp(
            &mut fx.conn,
            &request,
            id,
            &Precondition::OneOf(vec!["r9".into()]),
        );
        assert!(matches!(stale.unwrap(), WriteOutcome::Fresh(r) if r.status == 412));
        let (k, p) = (key("d2"), print("d2"));
        let request = WriteRequest {
            key: &k,
            fingerprint: &p,
            ..request
        };
        let deleted = delete_idp(
            &mut fx.conn,
            &request,
            id,
            &Precondition::OneOf(vec!["r1".into()]),
        );
        assert!(matches!(deleted.unwrap(), WriteOutcome::Fresh(r) if r.status == 204));
        let (k, p) = (key("d3"), print("d3"));
        let request = WriteRequest {
            key: &k,
            fingerprint: &p,
            ..request
        };
        let gone = delete_idp(&mut fx.conn, &request, id, &Precondition::AnyVersion);
        assert!(matches!(gone.unwrap(), WriteOutcome::Fresh(r) if r.status == 404));

        let recreated = put(
            &mut fx,
            "k2",
            T0,
            id,
            Precondition::Absent,
            write("A", SecretChange::Keep),
        );
        assert_eq!(
            body(&recreated)["version"],
            "r2",
            "a re-created IdP gets a new version"
        );
    }
}
