//! The `idp_audit` table: an append-only history of what changed, and when.
//!
//! Invariants:
//! - A row is appended in the same transaction as the change it describes.
//! - A secret appears only as "changed" or "removed", never with its value.
//! - Rows outlive the IdP they describe (no foreign key).

use super::StoreError;
use eca_model::idp::IdpId;
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
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

/// One field's change. `before`/`after` are display strings; for the secret they are absent
/// and `after` says "changed" or "removed".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AuditEntry {
    pub at: String,
    #[ts(type = "string")]
    pub idp_id: IdpId,
    pub action: AuditAction,
    pub changes: Vec<FieldChange>,
}

/// What differs between two versions of a record (an IdP's fields, their wire copy), field by
/// field, as the record serialises to a JSON object.
pub fn diff<T: Serialize>(before: Option<&T>, after: Option<&T>) -> Vec<FieldChange> {
    let as_map = |f: Option<&T>| match f.map(serde_json::to_value) {
        Some(Ok(serde_json::Value::Object(m))) => m,
        _ => serde_json::Map::new(),
    };
    let (b, a) = (as_map(before), as_map(after));
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| b.get(*k) != a.get(*k))
        .map(|k| FieldChange {
            field: k.clone(),
            before: b.get(k).map(display),
            after: a.get(k).map(display),
        })
        .collect()
}

fn display(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The change entry for the secret: never the value.
pub fn secret_change(removed: bool) -> FieldChange {
    FieldChange {
        field: "client_secret".into(),
        before: None,
        after: Some(if removed { "removed" } else { "changed" }.into()),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use eca_model::idp::{IdpFields, Protocol};

    #[test]
    fn diff_names_only_changed_fields() {
        let a = IdpFields {
            name: "A".into(),
            ..IdpFields::blank(Protocol::Oidc)
        };
        let b = IdpFields {
            name: "B".into(),
            enabled: false,
            ..a.clone()
        };
        let changes = diff(Some(&a), Some(&b));
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, vec!["enabled", "name"]);
        assert_eq!(changes[1].before.as_deref(), Some("A"));
        assert_eq!(changes[1].after.as_deref(), Some("B"));
        assert!(diff(Some(&a), Some(&a)).is_empty());
        assert!(
            diff(None, Some(&a)).len() > 5,
            "a creation lists every field"
        );
    }
}
