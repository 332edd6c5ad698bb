//! The `platform_key` table: the platform's own sealed signing key per workspace and IdP
//! (private_key_jwt).
//!
//! Invariants: a row holds the key only sealed ([`crate::crypto::key_binding`] binds it to its
//! row); at most one key per IdP; a key is only ever added if none is there ([`insert_new`]) and
//! never changed; the row goes when its IdP is deleted (a foreign key).

use super::StoreError;
use crate::workspace::WorkspaceId;
use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

/// A key as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredKey {
    pub sealed: Vec<u8>,
    pub created_at: String,
}

pub fn get(
    conn: &Connection,
    workspace: &WorkspaceId,
    idp: Uuid,
) -> Result<Option<StoredKey>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT key_sealed, created_at FROM platform_key
             WHERE workspace_id = ?1 AND idp_id = ?2",
        )?
        .query_row(
            params![workspace.as_str(), idp.hyphenated().to_string()],
            |r| {
                Ok(StoredKey {
                    sealed: r.get(0)?,
                    created_at: r.get(1)?,
                })
            },
        )
        .optional()?)
}

/// Stores `key` unless the IdP has one already (two first uses racing keep the first); the
/// caller reads back which one won. Whether it was stored.
pub fn insert_new(
    conn: &Connection,
    workspace: &WorkspaceId,
    idp: Uuid,
    key: &StoredKey,
) -> Result<bool, StoreError> {
    Ok(conn.execute(
        "INSERT INTO platform_key (workspace_id, idp_id, key_sealed, created_at)
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT (workspace_id, idp_id) DO NOTHING",
        params![
            workspace.as_str(),
            idp.hyphenated().to_string(),
            key.sealed,
            key.created_at
        ],
    )? > 0)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::store::idps::{self, IdpRow};
    use crate::store::workspaces;
    use eca_model::idp::{IdpFields, Protocol};
    use eca_model::wire::WireFields;

    /// Stores a blank OpenID Connect IdP `id` in `workspace` (created if missing).
    pub(crate) fn add_idp(conn: &Connection, workspace: &WorkspaceId, id: Uuid) {
        workspaces::ensure(conn, workspace, "t").unwrap();
        let row = IdpRow {
            id,
            fields: WireFields::from(&IdpFields::blank(Protocol::Oidc)),
            revision: 1,
            secret: None,
            created_at: "c".into(),
            updated_at: "u".into(),
        };
        idps::upsert(conn, workspace, &row).unwrap();
    }

    fn stored(byte: u8) -> StoredKey {
        StoredKey {
            sealed: vec![byte; 40],
            created_at: format!("t{byte}"),
        }
    }

    #[test]
    fn the_first_key_stays_and_goes_with_its_idp() {
        let conn = crate::store::open_in_memory().unwrap();
        let ws: WorkspaceId = "a".parse().unwrap();
        workspaces::ensure(&conn, &ws, "t").unwrap();
        let id = Uuid::new_v4();
        assert!(
            insert_new(&conn, &ws, id, &stored(1)).is_err(),
            "a key for an IdP that does not exist must be refused"
        );
        add_idp(&conn, &ws, id);
        assert!(insert_new(&conn, &ws, id, &stored(1)).unwrap());
        assert!(
            !insert_new(&conn, &ws, id, &stored(2)).unwrap(),
            "a second first use keeps the first key"
        );
        assert_eq!(get(&conn, &ws, id).unwrap(), Some(stored(1)));
        let other: WorkspaceId = "b".parse().unwrap();
        assert_eq!(
            get(&conn, &other, id).unwrap(),
            None,
            "scoped to its workspace"
        );
        idps::delete(&conn, &ws, id).unwrap();
        assert_eq!(get(&conn, &ws, id).unwrap(), None, "deleted with its IdP");
    }
}
