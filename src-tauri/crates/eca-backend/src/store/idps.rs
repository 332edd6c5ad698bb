//! The `idp` table: the IdPs of each workspace, their revision and their sealed secret.
//!
//! Invariants: rows are always read and written whole; `document` holds an [`WireFields`] that
//! passed validation; a sealed secret always comes with its fingerprint (a `CHECK` says so).

use super::StoreError;
use crate::workspace::WorkspaceId;
use eca_model::wire::WireFields;
use rusqlite::{params, Connection, OptionalExtension, Row};
use uuid::Uuid;

/// A client secret as stored: sealed, with its public fingerprint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSecret {
    pub sealed: Vec<u8>,
    pub fingerprint: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdpRow {
    pub id: Uuid,
    pub fields: WireFields,
    pub revision: i64,
    pub secret: Option<StoredSecret>,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str =
    "id, document, revision, secret_sealed, secret_fingerprint, created_at, updated_at";

/// A row as SQLite holds it, before its document is decoded.
struct RawRow {
    id: String,
    document: String,
    revision: i64,
    sealed: Option<Vec<u8>>,
    fingerprint: Option<String>,
    created_at: String,
    updated_at: String,
}

fn raw(r: &Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        id: r.get(0)?,
        document: r.get(1)?,
        revision: r.get(2)?,
        sealed: r.get(3)?,
        fingerprint: r.get(4)?,
        created_at: r.get(5)?,
        updated_at: r.get(6)?,
    })
}

impl RawRow {
    fn decode(self) -> Result<IdpRow, StoreError> {
        let id = Uuid::parse_str(&self.id)
            .map_err(|_| StoreError::Corrupt(format!("idp id {:?}", self.id)))?;
        let fields = serde_json::from_str(&self.document)
            .map_err(|e| StoreError::Corrupt(format!("idp {id}: {e}")))?;
        Ok(IdpRow {
            id,
            fields,
            revision: self.revision,
            secret: match (self.sealed, self.fingerprint) {
                (Some(sealed), Some(fingerprint)) => Some(StoredSecret {
                    sealed,
                    fingerprint,
                }),
                _ => None,
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

pub fn list(conn: &Connection, workspace: &WorkspaceId) -> Result<Vec<IdpRow>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM idp WHERE workspace_id = ?1 ORDER BY id"
    ))?;
    let rows = stmt.query_map([workspace.as_str()], raw)?;
    rows.map(|row| row?.decode()).collect()
}

pub fn get(
    conn: &Connection,
    workspace: &WorkspaceId,
    id: Uuid,
) -> Result<Option<IdpRow>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM idp WHERE workspace_id = ?1 AND id = ?2"
    ))?
    .query_row(
        params![workspace.as_str(), id.hyphenated().to_string()],
        raw,
    )
    .optional()?
    .map(RawRow::decode)
    .transpose()
}

/// Inserts or replaces the whole row.
pub fn upsert(conn: &Connection, workspace: &WorkspaceId, row: &IdpRow) -> Result<(), StoreError> {
    let document =
        serde_json::to_string(&row.fields).map_err(|e| StoreError::Sqlite(e.to_string()))?;
    conn.execute(
        "INSERT INTO idp (workspace_id, id, revision, document, secret_sealed, secret_fingerprint,
                          created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (workspace_id, id) DO UPDATE SET
            revision = excluded.revision, document = excluded.document,
            secret_sealed = excluded.secret_sealed,
            secret_fingerprint = excluded.secret_fingerprint,
            created_at = excluded.created_at, updated_at = excluded.updated_at",
        params![
            workspace.as_str(),
            row.id.hyphenated().to_string(),
            row.revision,
            document,
            row.secret.as_ref().map(|s| s.sealed.clone()),
            row.secret.as_ref().map(|s| s.fingerprint.clone()),
            row.created_at,
            row.updated_at,
        ],
    )?;
    Ok(())
}

/// Deletes the row; whether there was one.
pub fn delete(conn: &Connection, workspace: &WorkspaceId, id: Uuid) -> Result<bool, StoreError> {
    Ok(conn.execute(
        "DELETE FROM idp WHERE workspace_id = ?1 AND id = ?2",
        params![workspace.as_str(), id.hyphenated().to_string()],
    )? > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::workspaces;
    use eca_model::idp::{IdpFields, Protocol};

    fn row(id: Uuid, revision: i64) -> IdpRow {
        let mut fields = WireFields::from(&IdpFields::blank(Protocol::Oauth2));
        fields.name = format!("IdP {revision}");
        IdpRow {
            id,
            fields,
            revision,
            secret: Some(StoredSecret {
                sealed: vec![1, 2, 3],
                fingerprint: "0123456789abcdef".into(),
            }),
            created_at: "c".into(),
            updated_at: "u".into(),
        }
    }

    #[test]
    fn rows_round_trip_and_are_scoped_to_their_workspace() {
        let conn = crate::store::open_in_memory().unwrap();
        let (a, b): (WorkspaceId, WorkspaceId) = ("a".parse().unwrap(), "b".parse().unwrap());
        workspaces::ensure(&conn, &a, "t").unwrap();
        workspaces::ensure(&conn, &b, "t").unwrap();
        let id = Uuid::new_v4();
        upsert(&conn, &a, &row(id, 1)).unwrap();
        assert_eq!(get(&conn, &a, id).unwrap(), Some(row(id, 1)));
        assert_eq!(
            get(&conn, &b, id).unwrap(),
            None,
            "another workspace must not see it"
        );
        upsert(&conn, &a, &row(id, 2)).unwrap();
        assert_eq!(list(&conn, &a).unwrap(), vec![row(id, 2)]);
        assert!(delete(&conn, &a, id).unwrap());
        assert!(
            !delete(&conn, &a, id).unwrap(),
            "a second delete finds nothing"
        );
    }

    /// A document stored at schema `version` without the `missing` members, as the latest
    /// migrations leave it.
    fn migrated_document(version: usize, missing: &[&str]) -> (serde_json::Value, IdpRow) {
        let mut conn = Connection::open_in_memory().unwrap();
        let migrations = crate::store::migrations();
        migrations.to_version(&mut conn, version).unwrap();
        let a: WorkspaceId = "a".parse().unwrap();
        workspaces::ensure(&conn, &a, "t").unwrap();
        let mut old = serde_json::to_value(row(Uuid::new_v4(), 1).fields).unwrap();
        for member in missing {
            old.as_object_mut().unwrap().remove(*member);
        }
        let id = Uuid::new_v4();
        conn.execute(
            "INSERT INTO idp (workspace_id, id, revision, document, created_at, updated_at)
             VALUES ('a', ?1, 1, ?2, 'c', 'u')",
            params![id.to_string(), old.to_string()],
        )
        .unwrap();
        migrations.to_latest(&mut conn).unwrap();
        let document: String = conn
            .query_row("SELECT document FROM idp", [], |r| r.get(0))
            .unwrap();
        let read = get(&conn, &a, id).unwrap().expect("the row reads");
        (serde_json::from_str(&document).unwrap(), read)
    }

    #[test]
    fn a_document_stored_before_the_claim_mapping_gets_its_defaults() {
        let (document, read) = migrated_document(1, &["claim_mapping", "channel_binding"]);
        assert_eq!(document["claim_mapping"], serde_json::json!([]));
        assert_eq!(document["channel_binding"], serde_json::json!(false));
        assert_eq!(
            read.fields.name, "IdP 1",
            "the rest of the document is kept"
        );
    }

    #[test]
    fn a_document_stored_before_the_signing_algs_gets_the_default_set() {
        let (document, read) = migrated_document(3, &["id_token_signing_algs"]);
        assert_eq!(document["id_token_signing_algs"], serde_json::json!([]));
        assert_eq!(
            read.fields.name, "IdP 1",
            "the rest of the document is kept"
        );
    }

    #[test]
    fn a_document_stored_before_the_credential_expiry_gets_none() {
        let (document, read) = migrated_document(4, &["credential_expires_on"]);
        assert_eq!(
            document.get("credential_expires_on"),
            Some(&serde_json::Value::Null),
            "the member is there, null"
        );
        assert_eq!(read.fields.credential_expires_on, None);
        assert_eq!(
            read.fields.name, "IdP 1",
            "the rest of the document is kept"
        );
    }

    #[test]
    fn a_secret_without_fingerprint_is_refused_by_the_schema() {
        let conn = crate::store::open_in_memory().unwrap();
        let a: WorkspaceId = "a".parse().unwrap();
        workspaces::ensure(&conn, &a, "t").unwrap();
        let result = conn.execute(
            "INSERT INTO idp (workspace_id, id, revision, document, secret_sealed, created_at,
                              updated_at)
             VALUES ('a', ?1, 1, '{}', x'01', 'c', 'u')",
            [Uuid::new_v4().to_string()],
        );
        assert!(
            result.is_err(),
            "the CHECK must pair sealed secrets with fingerprints"
        );
    }
}
