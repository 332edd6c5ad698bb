//! Seeding usages (`--seed-usages FILE`): the reference backend has no chat flows of its own,
//! so tests, and a person trying the impact warning by hand, say which flows and Chat Desk
//! extensions use which IdP in a JSON file:
//!
//! ```json
//! {"usages": [{"workspace": "dev", "idp_id": "6f1c2b0e-8a4d-4c1e-9b7a-2d5e3f4a1b6c",
//!              "kind": "chat_flow_node", "id": "node-17", "name": "Order status",
//!              "node": "OAuth Request"}]}
//! ```
//!
//! Invariants: the whole file is read and checked before anything is written, then written in
//! one transaction; a usage with the same workspace, kind and id replaces the stored one (a
//! seed can be applied again at every start); a usage of a workspace the backend does not
//! open is refused, since it could never be read.

use crate::store::usages::{self, UsageRow};
use crate::store::{Database, StoreError};
use crate::workspace::WorkspaceId;
use eca_model::usage::{IdpUsage, UsageError, UsageKind};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("Cannot read the usages file {path}: {detail}")]
    Read { path: PathBuf, detail: String },
    #[error(
        "The usages file {path} is not valid: {detail}. It holds {{\"usages\": [{{\"workspace\", \
         \"idp_id\", \"kind\": \"chat_flow_node\"|\"chat_desk_extension\", \"id\", \"name\", \
         \"node\"}}]}}."
    )]
    Parse { path: PathBuf, detail: String },
    #[error("Usage {index} of the usages file is not valid: {error}")]
    Invalid { index: usize, error: UsageError },
    #[error(
        "Usage {index} of the usages file names workspace \"{workspace}\", which this backend \
         does not open. Start it with --api-key {workspace}:KEY, or fix the file."
    )]
    UnknownWorkspace { index: usize, workspace: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One usage as the file spells it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedUsage {
    workspace: WorkspaceId,
    idp_id: Uuid,
    kind: UsageKind,
    id: String,
    name: String,
    #[serde(default)]
    node: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedFile {
    usages: Vec<SeedUsage>,
}

/// Reads and checks the usages in `path`.
pub fn read_usages(path: &Path) -> Result<Vec<UsageRow>, SeedError> {
    let text = std::fs::read_to_string(path).map_err(|e| SeedError::Read {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    parse_usages(&text).map_err(|e| match e {
        SeedError::Parse { detail, .. } => SeedError::Parse {
            path: path.to_path_buf(),
            detail,
        },
        other => other,
    })
}

/// The usages of a seed file's text, each checked against the contract's limits.
pub fn parse_usages(text: &str) -> Result<Vec<UsageRow>, SeedError> {
    let file: SeedFile = serde_json::from_str(text).map_err(|e| SeedError::Parse {
        path: PathBuf::new(),
        detail: e.to_string(),
    })?;
    file.usages
        .into_iter()
        .enumerate()
        .map(|(index, seed)| {
            let usage = IdpUsage {
                kind: seed.kind,
                id: seed.id,
                name: seed.name,
                node: seed.node,
            };
            usage.check().map_err(|error| SeedError::Invalid {
                index: index + 1,
                error,
            })?;
            Ok(UsageRow {
                workspace: seed.workspace,
                idp_id: seed.idp_id,
                usage,
            })
        })
        .collect()
}

/// Writes `rows` in one transaction, refusing all of them if one names a workspace that does
/// not exist.
pub fn apply(db: &Database, rows: &[UsageRow]) -> Result<(), SeedError> {
    db.run_now(|conn| {
        let tx = conn.transaction()?;
        for (index, row) in rows.iter().enumerate() {
            if crate::store::workspaces::get(&tx, &row.workspace)?.is_none() {
                return Ok(Err(SeedError::UnknownWorkspace {
                    index: index + 1,
                    workspace: row.workspace.to_string(),
                }));
            }
            usages::upsert(&tx, row)?;
        }
        tx.commit()?;
        Ok(Ok(()))
    })?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_file_is_read_whole_and_checked() {
        let rows = parse_usages(
            r#"{"usages": [{"workspace": "dev", "idp_id": "6f1c2b0e-8a4d-4c1e-9b7a-2d5e3f4a1b6c",
                "kind": "chat_desk_extension", "id": "e1", "name": "CRM"}]}"#,
        )
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].usage.label(), "Chat Desk extension CRM");

        let typo = r#"{"usages": [{"workspace": "dev", "idp": "x", "kind": "chat_flow_node",
                "id": "n", "name": "A"}]}"#;
        assert!(matches!(parse_usages(typo), Err(SeedError::Parse { .. })));
        let blank = r#"{"usages": [{"workspace": "dev", "kind": "chat_flow_node", "id": "n",
                "idp_id": "6f1c2b0e-8a4d-4c1e-9b7a-2d5e3f4a1b6c", "name": ""}]}"#;
        assert!(matches!(
            parse_usages(blank),
            Err(SeedError::Invalid { index: 1, .. })
        ));
    }

    #[test]
    fn a_usage_of_a_workspace_the_backend_does_not_open_writes_nothing() {
        let db = Database::new(crate::store::open_in_memory().unwrap());
        let dev: WorkspaceId = "dev".parse().unwrap();
        db.run_now(|c| crate::store::workspaces::ensure(c, &dev, "now"))
            .unwrap();
        let idp = Uuid::new_v4();
        let rows = parse_usages(&format!(
            r#"{{"usages": [
                {{"workspace": "dev", "idp_id": "{idp}", "kind": "chat_flow_node", "id": "n",
                  "name": "A", "node": "OAuth Request"}},
                {{"workspace": "typo", "idp_id": "{idp}", "kind": "chat_flow_node", "id": "m",
                  "name": "B", "node": null}}]}}"#
        ))
        .unwrap();
        let refused = apply(&db, &rows).unwrap_err();
        assert!(
            matches!(&refused, SeedError::UnknownWorkspace { index: 2, workspace } if workspace == "typo"),
            "{refused}"
        );
        let stored = db.run_now(|c| usages::of_idp(c, &dev, idp)).unwrap();
        assert!(
            stored.is_empty(),
            "the valid first usage was not written either"
        );
        apply(&db, &rows[..1]).unwrap();
        let stored = db.run_now(|c| usages::of_idp(c, &dev, idp)).unwrap();
        assert_eq!(stored.len(), 1);
    }
}
