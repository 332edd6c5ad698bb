//! The `idp_audit` table: an append-only history of what changed, and when.
//!
//! Invariants:
//! - A row is appended in the same transaction as the change it describes.
//! - A secret appears only as "changed" or "removed", never with its value.
//! - Rows outlive the IdP they describe (no foreign key).
//! - A change is the model's [`FieldChange`] ([`eca_model::diff`], shared with the sync plan).

use super::StoreError;
use eca_model::diff::FieldChange;
use eca_model::idp::IdpId;
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Create,
    Update,
    Enable,
    Disable,
    Delete,
    Import,
}

impl AuditAction {
    fn as_str(self) -> &'static str {
        match self {
            AuditAction::Create => "create",
            AuditAction::Update => "update",
            AuditAction::Enable => "enable",
            AuditAction::Disable => "disable",
            AuditAction::Delete => "delete",
            AuditAction::Import => "import",
        }
    }
    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "create" => Self::Create,
            "update" => Self::Update,
            "enable" => Self::Enable,
            "disable" => Self::Disable,
            "delete" => Self::Delete,
            "import" => Self::Import,
            other => return Err(StoreError::Corrupt(format!("audit action {other:?}"))),
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct AuditEntry {
    pub at: String,
    #[specta(type = String)]
    pub idp_id: IdpId,
    pub action: AuditAction,
    pub changes: Vec<FieldChange>,
}

pub fn append(
    conn: &Connection,
    id: IdpId,
    at: &str,
    action: AuditAction,
    changes: &[FieldChange],
) -> Result<(), StoreError> {
    let changes = serde_json::to_string(changes).map_err(|e| StoreError::Sqlite(e.to_string()))?;
    conn.prepare_cached(
        "INSERT INTO idp_audit (idp_id, at, action, changes) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![id.to_string(), at, action.as_str(), changes])?;
    Ok(())
}

/// The history of one IdP, newest first.
pub fn for_idp(conn: &Connection, id: IdpId) -> Result<Vec<AuditEntry>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, action, changes FROM idp_audit WHERE idp_id = ?1 ORDER BY seq DESC",
    )?;
    let rows = stmt.query_map([id.to_string()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    rows.map(|row| {
        let (at, action, changes) = row?;
        Ok(AuditEntry {
            at,
            idp_id: id,
            action: AuditAction::parse(&action)?,
            changes: serde_json::from_str(&changes)
                .map_err(|e| StoreError::Corrupt(format!("audit changes: {e}")))?,
        })
    })
    .collect()
}
