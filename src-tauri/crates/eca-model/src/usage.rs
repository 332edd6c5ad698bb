//! Where an IdP is used on the platform (docs/sync-api.yaml `IdpUsage`): the Chat Flow OAuth
//! Request nodes and the Chat Desk extensions that start a customer sign-in with it. The
//! backend answers them; the app and the CLI show them before an IdP is disabled or deleted.
//!
//! Invariants:
//! - A usage names its flow or extension (and, for a flow, its OAuth Request node) within the
//!   contract's limits ([`IdpUsage::check`]): what the backend stores and serves is what the
//!   contract allows.
//! - The sentence the admin reads ([`summary`]) is built here only, for the app and the CLI.

use serde::{Deserialize, Serialize};

/// The longest usage id (`IdpUsage.id` in the contract).
pub const MAX_USAGE_ID: usize = 100;
/// The longest flow, extension or node name.
pub const MAX_USAGE_NAME: usize = 200;

/// What uses the IdP.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, specta::Type,
)]
#[serde(rename_all = "snake_case")]
pub enum UsageKind {
    /// An OAuth Request node of a chat flow.
    ChatFlowNode,
    /// A Chat Desk extension.
    ChatDeskExtension,
}

/// One flow node or extension that uses an IdP.
/// Read leniently (unknown members ignored), like [`crate::wire::RemoteIdp`], so a newer backend
/// that adds members does not break the check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct IdpUsage {
    pub kind: UsageKind,
    /// The node's or extension's id on the platform.
    pub id: String,
    /// The flow's or the extension's name.
    pub name: String,
    /// For a flow node, the node's name ("OAuth Request"); `null` for an extension.
    #[serde(default)]
    pub node: Option<String>,
}

/// `GET /idps/{id}/usages`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageList {
    pub items: Vec<IdpUsage>,
}

/// Why a usage cannot be stored or served.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    #[error("A usage's id must be 1 to {MAX_USAGE_ID} characters (got {0}).")]
    Id(usize),
    #[error("The name of usage \"{id}\" must be 1 to {MAX_USAGE_NAME} characters.")]
    Name { id: String },
    #[error("The node of usage \"{id}\" must be 1 to {MAX_USAGE_NAME} characters, or null.")]
    Node { id: String },
    #[error("Usage \"{id}\" is a Chat Desk extension: it has no node (set node to null).")]
    NodeOnExtension { id: String },
}

impl IdpUsage {
    /// The contract's limits on one usage.
    pub fn check(&self) -> Result<(), UsageError> {
        let fits = |s: &str, max: usize| (1..=max).contains(&s.chars().count());
        if !fits(&self.id, MAX_USAGE_ID) {
            return Err(UsageError::Id(self.id.chars().count()));
        }
        let id = || self.id.clone();
        if !fits(&self.name, MAX_USAGE_NAME) {
            return Err(UsageError::Name { id: id() });
        }
        match (&self.node, self.kind) {
            (Some(_), UsageKind::ChatDeskExtension) => {
                Err(UsageError::NodeOnExtension { id: id() })
            }
            (Some(node), _) if !fits(node, MAX_USAGE_NAME) => Err(UsageError::Node { id: id() }),
            _ => Ok(()),
        }
    }

    /// How the admin reads it: "Order status › OAuth Request", "Chat Desk extension CRM".
    pub fn label(&self) -> String {
        match (self.kind, &self.node) {
            (UsageKind::ChatFlowNode, Some(node)) => format!("{} › {node}", self.name),
            (UsageKind::ChatFlowNode, None) => self.name.clone(),
            (UsageKind::ChatDeskExtension, _) => format!("Chat Desk extension {}", self.name),
        }
    }
}

/// "Used by 2 flows and 1 Chat Desk extension: A › OAuth Request, …", or "Not used by any flow
/// or Chat Desk extension."
pub fn summary(usages: &[IdpUsage]) -> String {
    if usages.is_empty() {
        return "Not used by any flow or Chat Desk extension.".to_string();
    }
    let count = |kind| usages.iter().filter(|u| u.kind == kind).count();
    let (flows, extensions) = (
        count(UsageKind::ChatFlowNode),
        count(UsageKind::ChatDeskExtension),
    );
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let what = match (flows, extensions) {
        (f, 0) => plural(f, "flow", "flows"),
        (0, e) => plural(e, "Chat Desk extension", "Chat Desk extensions"),
        (f, e) => format!(
            "{} and {}",
            plural(f, "flow", "flows"),
            plural(e, "Chat Desk extension", "Chat Desk extensions")
        ),
    };
    let labels: Vec<String> = usages.iter().map(IdpUsage::label).collect();
    format!("Used by {what}: {}.", labels.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str) -> IdpUsage {
        IdpUsage {
            kind: UsageKind::ChatFlowNode,
            id: format!("node-{name}"),
            name: name.into(),
            node: Some("OAuth Request".into()),
        }
    }

    fn extension(name: &str) -> IdpUsage {
        IdpUsage {
            kind: UsageKind::ChatDeskExtension,
            id: format!("ext-{name}"),
            name: name.into(),
            node: None,
        }
    }

    #[test]
    fn the_summary_counts_each_kind_and_names_every_usage() {
        let usages = [node("Orders"), node("Returns"), extension("CRM")];
        assert_eq!(
            summary(&usages),
            "Used by 2 flows and 1 Chat Desk extension: Orders › OAuth Request, \
             Returns › OAuth Request, Chat Desk extension CRM."
        );
        assert_eq!(
            summary(&usages[..1]),
            "Used by 1 flow: Orders › OAuth Request."
        );
        assert_eq!(
            summary(&usages[2..]),
            "Used by 1 Chat Desk extension: Chat Desk extension CRM."
        );
        assert_eq!(summary(&[]), "Not used by any flow or Chat Desk extension.");
    }

    #[test]
    fn the_contract_limits_are_checked() {
        assert_eq!(node("Orders").check(), Ok(()));
        let mut long = node("Orders");
        long.name = "x".repeat(MAX_USAGE_NAME + 1);
        assert!(matches!(long.check(), Err(UsageError::Name { .. })));
        long.name = "ok".into();
        long.id = String::new();
        assert_eq!(long.check(), Err(UsageError::Id(0)));
        let mut ext = extension("CRM");
        ext.node = Some("n".into());
        assert!(matches!(
            ext.check(),
            Err(UsageError::NodeOnExtension { .. })
        ));
        let mut blank = node("Orders");
        blank.node = Some(String::new());
        assert!(matches!(blank.check(), Err(UsageError::Node { .. })));
    }
}
