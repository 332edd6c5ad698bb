//! The `idp_usage` table: which Chat Flow OAuth Request nodes and Chat Desk extensions use
//! which IdP, per workspace (docs/sync-api.yaml `IdpUsage`).
//!
//! Invariants: a usage names its IdP by id only, so its row outlives the IdP (see the
//! migration; the API answers only for an IdP it holds);
//! every row passed [`IdpUsage::check`] before it was written, and rows are read back in a
//! stable order: flow nodes, then extensions, each by name, then id.

use super::StoreError;
use crate::workspace::WorkspaceId;
use eca_model::usage::{IdpUsage, UsageKind};
use rusqlite::{params, Connection};
use uuid::Uuid;

/// A usage as seeded: which workspace and IdP it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageRow {
    pub workspace: WorkspaceId,
    pub idp_id: Uuid,
    pub usage: IdpUsage,
}

fn kind_text(kind: UsageKind) -> &'static str {
    match kind {
        UsageKind::ChatFlowNode => "chat_flow_node",
        UsageKind::ChatDeskExtension => "chat_desk_extension",
    }
}

fn kind_of(text: &str) -> Result<UsageKind, StoreError> {
    match text {
        "chat_flow_node" => Ok(UsageKind::ChatFlowNode),
        "chat_desk_extension" => Ok(UsageKind::ChatDeskExtension),
        other => Err(StoreError::Corrupt(format!("idp_usage kind {other:?}"))),
    }
}

/// Adds the usage, or replaces the one with the same kind and id (it may now point at
/// another IdP). The caller has checked it and holds the transaction.
pub fn upsert(conn: &Connection, row: &UsageRow) -> Result<(), StoreError> {
    let u = &row.usage;
    conn.execute(
        "INSERT INTO idp_usage (workspace_id, kind, usage_id, idp_id, name, node)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (workspace_id, kind, usage_id)
         DO UPDATE SET idp_id = excluded.idp_id, name = excluded.name, node = excluded.node",
        params![
            row.workspace.as_str(),
            kind_text(u.kind),
            u.id,
            row.idp_id.hyphenated().to_string(),
            u.name,
            u.node,
        ],
    )?;
    Ok(())
}

/// Every usage of IdP `idp` in `workspace` (none for an IdP nothing uses, or never heard of).
pub fn of_idp(
    conn: &Connection,
    workspace: &WorkspaceId,
    idp: Uuid,
) -> Result<Vec<IdpUsage>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT kind, usage_id, name, node FROM idp_usage
         WHERE workspace_id = ?1 AND idp_id = ?2
         ORDER BY kind = 'chat_desk_extension', name, usage_id",
    )?;
    let rows = stmt.query_map(
        params![workspace.as_str(), idp.hyphenated().to_string()],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        },
    )?;
    rows.map(|row| {
        let (kind, id, name, node) = row?;
        Ok(IdpUsage {
            kind: kind_of(&kind)?,
            id,
            name,
            node,
        })
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{open_in_memory, workspaces};

    fn usage(kind: UsageKind, id: &str, name: &str) -> IdpUsage {
        IdpUsage {
            kind,
            id: id.into(),
            name: name.into(),
            node: (kind == UsageKind::ChatFlowNode).then(|| "OAuth Request".into()),
        }
    }

    #[test]
    fn usages_are_per_workspace_and_idp_and_a_reseed_moves_one() {
        let conn = open_in_memory().unwrap();
        let (a, b): (WorkspaceId, WorkspaceId) = ("a".parse().unwrap(), "b".parse().unwrap());
        workspaces::ensure(&conn, &a, "now").unwrap();
        workspaces::ensure(&conn, &b, "now").unwrap();
        let (one, two) = (Uuid::new_v4(), Uuid::new_v4());
        let row = |ws: &WorkspaceId, idp, usage| UsageRow {
            workspace: ws.clone(),
            idp_id: idp,
            usage,
        };
        let orders = usage(UsageKind::ChatFlowNode, "n1", "Orders");
        let crm = usage(UsageKind::ChatDeskExtension, "e1", "CRM");
        upsert(&conn, &row(&a, one, orders.clone())).unwrap();
        upsert(&conn, &row(&a, one, crm.clone())).unwrap();
        upsert(&conn, &row(&b, one, orders.clone())).unwrap();
        assert_eq!(
            of_idp(&conn, &a, one).unwrap(),
            vec![orders.clone(), crm.clone()]
        );
        assert_eq!(
            of_idp(&conn, &a, two).unwrap(),
            vec![],
            "nothing uses the other IdP"
        );

        upsert(&conn, &row(&a, two, orders.clone())).unwrap();
        assert_eq!(
            of_idp(&conn, &a, one).unwrap(),
            vec![crm],
            "the node now uses IdP two"
        );
        assert_eq!(of_idp(&conn, &a, two).unwrap(), vec![orders.clone()]);
        assert_eq!(
            of_idp(&conn, &b, one).unwrap(),
            vec![orders],
            "workspace b is untouched"
        );
    }
}
