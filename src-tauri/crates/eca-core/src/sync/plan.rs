//! The sync plan: a pure three-way comparison of the local IdPs, the last-synced base and the
//! backend's copy, and the exact request a push sends for each local change. Nothing here does
//! I/O, so every case is unit-tested from plain data.
//!
//! Invariants:
//! - "Changed locally" compares the local fields with the base; "changed remotely" compares
//!   the remote `version` with the base's (the backend changes it on every change).
//! - A change on one side only is an action (local) or drift (remote); on both sides, a
//!   conflict, unless both sides arrived at the same fields (then nothing is left to do).
//! - What a push sends is decided here only: [`request`] turns the local IdP and the base the
//!   request will meet into the exact [`PushRequest`] (method, precondition, body, what to do
//!   with the secret). The plan shows it (an outgoing item's `request` and `action`), and
//!   [`crate::sync::push`] freezes it as is and sends it; nothing decides twice.
//! - Secrets appear only as "changed" (from the fingerprint or the outbox), never as values.

use crate::store::sync_base::BaseEntry;
use crate::sync::client::Precondition;
use eca_model::diff::{self, FieldChange};
use eca_model::idp::{Field, IdpConfig, IdpId};
use eca_model::wire::{RemoteIdp, WireBody, WireFields};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap, HashSet};

/// What pushing would do to the backend's copy of one IdP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SyncAction {
    Create,
    Update,
    Delete,
    Enable,
    Disable,
    None,
}

/// How the three copies of one IdP relate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SyncStatus {
    /// Nothing to do.
    InSync,
    /// Changed here only: pushing applies it.
    Outgoing,
    /// Changed on the backend only (since the base), e.g. by another admin.
    Drift,
    /// Changed on both sides differently: the admin chooses (keep mine / take theirs).
    Conflict,
}

/// Why the backend's copy differs from the base, or how a conflict arose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum RemoteChange {
    None,
    Created,
    Updated,
    Deleted,
}

/// What happens to the client secret in a `PUT`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretMode {
    /// Leave the backend's secret as it is (member omitted).
    Keep,
    /// Send the keyring's value, read at send time.
    Set,
    /// Remove it (`null`).
    Clear,
}

/// The exact request that makes the backend's copy of one IdP the local one. Push stores it in
/// the change's row before sending anything under the change's idempotency key (this
/// serialised shape is what rows hold: keep it) and resends it unchanged until acknowledged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum PushRequest {
    /// `PUT /idps/{id}`.
    Put {
        precondition: Precondition,
        /// The wire fields and `id`; never the secret.
        body: Box<WireBody>,
        secret: SecretMode,
    },
    /// `DELETE /idps/{id}` with `If-Match: "<version>"`.
    Delete { version: String },
}

impl PushRequest {
    /// What the request does, in the plan's words.
    fn action(&self, local_changes: &[FieldChange], enabled: bool) -> SyncAction {
        match self {
            PushRequest::Put {
                precondition: Precondition::Absent,
                ..
            } => SyncAction::Create,
            PushRequest::Put { .. } => update_action(local_changes, enabled),
            PushRequest::Delete { .. } => SyncAction::Delete,
        }
    }
}

/// The request that makes the backend's copy of an IdP the local one (`local`; `None`: deleted
/// here), sent against `base`, the copy the backend last acknowledged (its version is the
/// precondition). `secret_changed`: the secret was edited since `base`. `None` when there is
/// nothing to tell the backend (an IdP it never had, deleted here).
pub fn request(
    local: Option<&IdpConfig>,
    base: Option<&BaseEntry>,
    secret_changed: bool,
) -> Option<PushRequest> {
    match (local, base) {
        (Some(local), base) => Some(PushRequest::Put {
            precondition: match base {
                Some(b) => Precondition::Version(b.version.clone()),
                None => Precondition::Absent,
            },
            body: Box::new(WireBody {
                id: local.id,
                fields: WireFields::from(&local.fields),
            }),
            secret: secret_mode(local, base.is_some(), secret_changed),
        }),
        (None, Some(base)) => Some(PushRequest::Delete {
            version: base.version.clone(),
        }),
        (None, None) => None,
    }
}

fn secret_mode(local: &IdpConfig, synced: bool, secret_changed: bool) -> SecretMode {
    if !local.fields.client_auth_method.uses_secret() {
        // A public client has no secret; the backend removes a stored one itself.
        return SecretMode::Keep;
    }
    match (synced, local.has_secret) {
        (false, true) => SecretMode::Set,
        (false, false) => SecretMode::Keep,
        (true, true) if secret_changed => SecretMode::Set,
        (true, false) if secret_changed => SecretMode::Clear,
        (true, _) => SecretMode::Keep,
    }
}

/// One IdP's line in the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct PlanItem {
    pub idp_id: IdpId,
    /// The local name, else the remote one, else the base one.
    pub name: String,
    pub status: SyncStatus,
    /// What a push does (`none` for drift and conflicts).
    pub action: SyncAction,
    pub remote_change: RemoteChange,
    /// Base → local, field by field (`client_secret` only as "changed").
    pub local_changes: Vec<FieldChange>,
    /// Base → remote, field by field.
    pub remote_changes: Vec<FieldChange>,
    /// For an outgoing item, the request a push sends (see [`request`]). Not shown to the UI,
    /// whose `local_changes` say the same in the admin's words.
    #[serde(skip)]
    pub request: Option<PushRequest>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, specta::Type)]
pub struct SyncPlan {
    /// Every IdP known to any side, ordered by id.
    pub items: Vec<PlanItem>,
}

impl SyncPlan {
    /// The items a push would send.
    pub fn outgoing(&self) -> impl Iterator<Item = &PlanItem> {
        self.items
            .iter()
            .filter(|i| i.status == SyncStatus::Outgoing)
    }
    pub fn drift(&self) -> impl Iterator<Item = &PlanItem> {
        self.items.iter().filter(|i| i.status == SyncStatus::Drift)
    }
    pub fn conflicts(&self) -> impl Iterator<Item = &PlanItem> {
        self.items
            .iter()
            .filter(|i| i.status == SyncStatus::Conflict)
    }
    pub fn item(&self, id: IdpId) -> Option<&PlanItem> {
        self.items.iter().find(|i| i.idp_id == id)
    }
}

/// The plan from the three copies, with no knowledge of secret edits beyond `has_secret`.
pub fn compute(local: &[IdpConfig], base: &[BaseEntry], remote: &[RemoteIdp]) -> SyncPlan {
    compute_with_secrets(local, base, remote, &HashSet::new())
}

/// The plan, where `secret_edited` names the IdPs whose secret was edited locally since the
/// base (from the outbox: a replaced secret keeps `has_secret` true).
pub fn compute_with_secrets(
    local: &[IdpConfig],
    base: &[BaseEntry],
    remote: &[RemoteIdp],
    secret_edited: &HashSet<IdpId>,
) -> SyncPlan {
    let local: HashMap<IdpId, &IdpConfig> = local.iter().map(|l| (l.id, l)).collect();
    let base: HashMap<IdpId, &BaseEntry> = base.iter().map(|b| (b.idp_id, b)).collect();
    let remote: HashMap<IdpId, &RemoteIdp> = remote.iter().map(|r| (r.id, r)).collect();
    let ids: BTreeSet<IdpId> = local
        .keys()
        .chain(base.keys())
        .chain(remote.keys())
        .copied()
        .collect();
    let items = ids
        .into_iter()
        .map(|id| {
            item(
                id,
                local.get(&id).copied(),
                base.get(&id).copied(),
                remote.get(&id).copied(),
                secret_edited.contains(&id),
            )
        })
        .collect();
    SyncPlan { items }
}

fn item(
    id: IdpId,
    local: Option<&IdpConfig>,
    base: Option<&BaseEntry>,
    remote: Option<&RemoteIdp>,
    secret_edited: bool,
) -> PlanItem {
    let local_wire = local.map(|l| WireFields::from(&l.fields));
    let (local_changes, local_secret_changed) =
        local_side(local, base, local_wire.as_ref(), secret_edited);
    let (remote_changes, remote_secret_changed) = remote_side(base, remote);
    let facts = Facts {
        local: local.is_some(),
        base: base.is_some(),
        remote: remote.is_some(),
        local_changed: !local_changes.is_empty(),
        remote_change: remote_change(base, remote),
        // Both sides arrived at the same fields (e.g. the same edit made twice): nothing to
        // do, unless a secret changed on either side (its values cannot be compared here).
        converged: local_wire.as_ref() == remote.map(|r| &r.fields)
            && !local_secret_changed
            && !remote_secret_changed,
    };
    let status = facts.status();
    let request = match status {
        SyncStatus::Outgoing => request(local, base, secret_edited),
        _ => None,
    };
    let enabled = local.is_some_and(|l| l.fields.enabled);
    let name = local
        .map(|l| l.fields.name.clone())
        .or_else(|| remote.map(|r| r.fields.name.clone()))
        .or_else(|| base.map(|b| b.fields.name.clone()))
        .unwrap_or_default();
    PlanItem {
        idp_id: id,
        name,
        status,
        action: request
            .as_ref()
            .map_or(SyncAction::None, |r| r.action(&local_changes, enabled)),
        remote_change: facts.remote_change,
        local_changes,
        remote_changes,
        request,
    }
}

/// Base → local, and whether the local secret changed since the base.
fn local_side(
    local: Option<&IdpConfig>,
    base: Option<&BaseEntry>,
    local_wire: Option<&WireFields>,
    secret_edited: bool,
) -> (Vec<FieldChange>, bool) {
    let mut changes = diff::diff(base.map(|b| &b.fields), local_wire);
    let secret_changed = match (local, base) {
        // Only an edit counts: a secret missing here but set on the backend (e.g. after taking
        // theirs, since secrets are never pulled) is not a change to push.
        (Some(_), Some(_)) => secret_edited,
        (Some(l), None) => l.has_secret,
        _ => false,
    };
    if secret_changed {
        changes.push(diff::secret_change(!local.is_some_and(|l| l.has_secret)));
    }
    (changes, secret_changed)
}

/// Base → remote, and whether the backend's secret changed since the base (by fingerprint).
fn remote_side(base: Option<&BaseEntry>, remote: Option<&RemoteIdp>) -> (Vec<FieldChange>, bool) {
    let mut changes = diff::diff(base.map(|b| &b.fields), remote.map(|r| &r.fields));
    let secret_changed = remote.is_some_and(|r| {
        r.secret_fingerprint.as_deref() != base.and_then(|b| b.secret_fingerprint.as_deref())
    });
    if let Some(r) = remote.filter(|_| secret_changed) {
        changes.push(diff::secret_change(!r.secret_set));
    }
    (changes, secret_changed)
}

fn remote_change(base: Option<&BaseEntry>, remote: Option<&RemoteIdp>) -> RemoteChange {
    match (base, remote) {
        (None, None) => RemoteChange::None,
        (None, Some(_)) => RemoteChange::Created,
        (Some(_), None) => RemoteChange::Deleted,
        (Some(b), Some(r)) if b.version != r.version => RemoteChange::Updated,
        (Some(_), Some(_)) => RemoteChange::None,
    }
}

/// What the three copies of one IdP say, as far as its status needs.
struct Facts {
    local: bool,
    base: bool,
    remote: bool,
    local_changed: bool,
    remote_change: RemoteChange,
    converged: bool,
}

impl Facts {
    fn status(&self) -> SyncStatus {
        match (self.local, self.remote_change) {
            (true, RemoteChange::None) if !self.base => SyncStatus::Outgoing,
            (true, RemoteChange::None) if self.local_changed => SyncStatus::Outgoing,
            (false, RemoteChange::None) if self.base && self.remote => SyncStatus::Outgoing,
            (_, RemoteChange::None) => SyncStatus::InSync,
            // Deleted on both sides, or the same content on both sides.
            (false, RemoteChange::Deleted) => SyncStatus::InSync,
            (true, RemoteChange::Created | RemoteChange::Updated) if self.converged => {
                SyncStatus::InSync
            }
            (false, RemoteChange::Created) => SyncStatus::Drift,
            (true, _) if !self.local_changed => SyncStatus::Drift,
            (false, RemoteChange::Updated) => SyncStatus::Conflict,
            (true, _) => SyncStatus::Conflict,
        }
    }
}

/// `enable`/`disable` when that is the only change, else `update`.
fn update_action(changes: &[FieldChange], enabled: bool) -> SyncAction {
    match changes {
        [only] if only.field == Field::Enabled => {
            if enabled {
                SyncAction::Enable
            } else {
                SyncAction::Disable
            }
        }
        _ => SyncAction::Update,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eca_model::idp::{IdpFields, Protocol};

    fn fields(name: &str) -> IdpFields {
        IdpFields {
            name: name.into(),
            issuer: Some(format!("https://{}.example", name.to_lowercase())),
            authorization_endpoint: "https://idp.example/authorize".into(),
            token_endpoint: "https://idp.example/token".into(),
            jwks_uri: Some("https://idp.example/jwks".into()),
            client_id: "client".into(),
            ..IdpFields::blank(Protocol::Oidc)
        }
    }

    fn local(id: IdpId, f: IdpFields) -> IdpConfig {
        IdpConfig {
            id,
            fields: f,
            has_secret: false,
            secret_entered_for: None,
            created_at: "t".into(),
            updated_at: "t".into(),
        }
    }

    fn base(id: IdpId, f: &IdpFields, version: &str) -> BaseEntry {
        BaseEntry {
            idp_id: id,
            fields: WireFields::from(f),
            version: version.into(),
            secret_set: false,
            secret_fingerprint: None,
            synced_at: "t".into(),
        }
    }

    fn remote(id: IdpId, f: &IdpFields, version: &str) -> RemoteIdp {
        RemoteIdp {
            id,
            fields: WireFields::from(f),
            version: version.into(),
            secret_set: false,
            secret_fingerprint: None,
            created_at: "t".into(),
            updated_at: "t".into(),
        }
    }

    fn only(plan: &SyncPlan) -> &PlanItem {
        assert_eq!(plan.items.len(), 1, "{plan:#?}");
        &plan.items[0]
    }

    #[test]
    fn a_local_only_idp_is_created() {
        let id = IdpId::new();
        let plan = compute(&[local(id, fields("A"))], &[], &[]);
        let item = only(&plan);
        assert_eq!(
            (item.status, item.action),
            (SyncStatus::Outgoing, SyncAction::Create)
        );
        assert!(item.local_changes.iter().any(|c| c.field == Field::Name));
        assert_eq!(plan.outgoing().count(), 1);
    }

    #[test]
    fn unchanged_everywhere_is_in_sync() {
        let id = IdpId::new();
        let f = fields("A");
        let plan = compute(
            &[local(id, f.clone())],
            &[base(id, &f, "r1")],
            &[remote(id, &f, "r1")],
        );
        let item = only(&plan);
        assert_eq!(
            (item.status, item.action),
            (SyncStatus::InSync, SyncAction::None)
        );
        assert!(item.local_changes.is_empty() && item.remote_changes.is_empty());
    }

    #[test]
    fn a_local_edit_is_an_update_with_its_fields() {
        let id = IdpId::new();
        let f = fields("A");
        let edited = IdpFields {
            notes: "new".into(),
            ..f.clone()
        };
        let plan = compute(
            &[local(id, edited)],
            &[base(id, &f, "r1")],
            &[remote(id, &f, "r1")],
        );
        let item = only(&plan);
        assert_eq!(
            (item.status, item.action),
            (SyncStatus::Outgoing, SyncAction::Update)
        );
        assert_eq!(item.local_changes.len(), 1);
        assert_eq!(item.local_changes[0].field, Field::Notes);
        assert_eq!(item.local_changes[0].after.as_deref(), Some("new"));
    }

    #[test]
    fn toggling_alone_is_enable_or_disable() {
        let id = IdpId::new();
        let f = fields("A");
        let off = IdpFields {
            enabled: false,
            ..f.clone()
        };
        let plan = compute(
            &[local(id, off.clone())],
            &[base(id, &f, "r1")],
            &[remote(id, &f, "r1")],
        );
        assert_eq!(only(&plan).action, SyncAction::Disable);
        let plan = compute(
            &[local(id, f.clone())],
            &[base(id, &off, "r1")],
            &[remote(id, &off, "r1")],
        );
        assert_eq!(only(&plan).action, SyncAction::Enable);
    }

    #[test]
    fn the_test_redirect_is_local_only() {
        let id = IdpId::new();
        let f = fields("A");
        let loopback = IdpFields {
            test_redirect: eca_model::idp::TestRedirect::Loopback,
            ..f.clone()
        };
        let plan = compute(
            &[local(id, loopback)],
            &[base(id, &f, "r1")],
            &[remote(id, &f, "r1")],
        );
        assert_eq!(
            only(&plan).status,
            SyncStatus::InSync,
            "test_redirect is not synced"
        );
    }

    #[test]
    fn a_local_delete_deletes_remotely() {
        let id = IdpId::new();
        let f = fields("A");
        let plan = compute(&[], &[base(id, &f, "r1")], &[remote(id, &f, "r1")]);
        let item = only(&plan);
        assert_eq!(
            (item.status, item.action),
            (SyncStatus::Outgoing, SyncAction::Delete)
        );
        assert_eq!(item.name, "A");
    }

    #[test]
    fn a_remote_edit_without_a_local_one_is_drift() {
        let id = IdpId::new();
        let f = fields("A");
        let theirs = IdpFields {
            client_id: "other".into(),
            ..f.clone()
        };
        let plan = compute(
            &[local(id, f.clone())],
            &[base(id, &f, "r1")],
            &[remote(id, &theirs, "r2")],
        );
        let item = only(&plan);
        assert_eq!(
            (item.status, item.action),
            (SyncStatus::Drift, SyncAction::None)
        );
        assert_eq!(item.remote_change, RemoteChange::Updated);
        assert_eq!(item.remote_changes[0].field, Field::ClientId);
        assert_eq!(plan.drift().count(), 1);
    }

    #[test]
    fn an_idp_created_or_deleted_remotely_is_drift() {
        let id = IdpId::new();
        let f = fields("A");
        let plan = compute(&[], &[], &[remote(id, &f, "r1")]);
        assert_eq!(only(&plan).status, SyncStatus::Drift);
        assert_eq!(only(&plan).remote_change, RemoteChange::Created);

        let plan = compute(&[local(id, f.clone())], &[base(id, &f, "r1")], &[]);
        assert_eq!(only(&plan).status, SyncStatus::Drift);
        assert_eq!(only(&plan).remote_change, RemoteChange::Deleted);
    }

    #[test]
    fn both_sides_edited_differently_is_a_conflict() {
        let id = IdpId::new();
        let f = fields("A");
        let mine = IdpFields {
            notes: "mine".into(),
            ..f.clone()
        };
        let theirs = IdpFields {
            notes: "theirs".into(),
            ..f.clone()
        };
        let plan = compute(
            &[local(id, mine)],
            &[base(id, &f, "r1")],
            &[remote(id, &theirs, "r2")],
        );
        let item = only(&plan);
        assert_eq!(
            (item.status, item.action),
            (SyncStatus::Conflict, SyncAction::None)
        );
        assert_eq!(item.local_changes[0].after.as_deref(), Some("mine"));
        assert_eq!(item.remote_changes[0].after.as_deref(), Some("theirs"));
        assert_eq!(plan.conflicts().count(), 1);
    }

    #[test]
    fn the_same_edit_on_both_sides_is_not_a_conflict() {
        let id = IdpId::new();
        let f = fields("A");
        let same = IdpFields {
            notes: "same".into(),
            ..f.clone()
        };
        let plan = compute(
            &[local(id, same.clone())],
            &[base(id, &f, "r1")],
            &[remote(id, &same, "r2")],
        );
        assert_eq!(only(&plan).status, SyncStatus::InSync);
    }

    #[test]
    fn deleted_remotely_while_edited_locally_is_a_conflict() {
        let id = IdpId::new();
        let f = fields("A");
        let mine = IdpFields {
            notes: "mine".into(),
            ..f.clone()
        };
        let plan = compute(&[local(id, mine)], &[base(id, &f, "r1")], &[]);
        let item = only(&plan);
        assert_eq!(item.status, SyncStatus::Conflict);
        assert_eq!(item.remote_change, RemoteChange::Deleted);
    }

    #[test]
    fn deleted_locally_while_edited_remotely_is_a_conflict() {
        let id = IdpId::new();
        let f = fields("A");
        let theirs = IdpFields {
            notes: "theirs".into(),
            ..f.clone()
        };
        let plan = compute(&[], &[base(id, &f, "r1")], &[remote(id, &theirs, "r2")]);
        assert_eq!(only(&plan).status, SyncStatus::Conflict);
    }

    #[test]
    fn deleted_on_both_sides_is_in_sync() {
        let id = IdpId::new();
        let f = fields("A");
        let plan = compute(&[], &[base(id, &f, "r1")], &[]);
        assert_eq!(only(&plan).status, SyncStatus::InSync);
    }

    #[test]
    fn created_on_both_sides_differently_is_a_conflict() {
        let id = IdpId::new();
        let plan = compute(
            &[local(id, fields("A"))],
            &[],
            &[remote(id, &fields("B"), "r1")],
        );
        assert_eq!(only(&plan).status, SyncStatus::Conflict);
        let plan = compute(
            &[local(id, fields("A"))],
            &[],
            &[remote(id, &fields("A"), "r1")],
        );
        assert_eq!(
            only(&plan).status,
            SyncStatus::InSync,
            "the same content is converged"
        );
    }

    #[test]
    fn secrets_show_only_as_changed() {
        let id = IdpId::new();
        let f = fields("A");
        let mut mine = local(id, f.clone());
        mine.has_secret = true;
        let mut b = base(id, &f, "r1");
        b.secret_set = true;
        b.secret_fingerprint = Some("0123456789abcdef".into());
        let r = RemoteIdp {
            secret_set: true,
            secret_fingerprint: Some("0123456789abcdef".into()),
            ..remote(id, &f, "r1")
        };
        let edited: HashSet<IdpId> = [id].into();
        let plan = compute_with_secrets(
            std::slice::from_ref(&mine),
            std::slice::from_ref(&b),
            std::slice::from_ref(&r),
            &edited,
        );
        let item = only(&plan);
        assert_eq!(
            (item.status, item.action),
            (SyncStatus::Outgoing, SyncAction::Update)
        );
        assert_eq!(item.local_changes.len(), 1);
        assert_eq!(item.local_changes[0].field, Field::ClientSecret);
        assert_eq!(item.local_changes[0].after.as_deref(), Some("changed"));
        assert_eq!(item.local_changes[0].before, None, "never a value");

        // Another admin replaced the secret: drift, shown by the fingerprint only.
        let theirs = RemoteIdp {
            version: "r2".into(),
            secret_fingerprint: Some("fedcba9876543210".into()),
            ..r
        };
        let plan = compute(&[mine], &[b], &[theirs]);
        let item = only(&plan);
        assert_eq!(item.status, SyncStatus::Drift);
        assert_eq!(item.remote_changes[0].field, Field::ClientSecret);
        let json = serde_json::to_string(&plan).unwrap();
        assert!(
            !json.contains("fedcba9876543210"),
            "fingerprints stay out of the plan"
        );
    }

    #[test]
    fn many_idps_are_planned_independently_and_in_id_order() {
        let (a, b, c) = (IdpId::new(), IdpId::new(), IdpId::new());
        let f = fields("A");
        let plan = compute(
            &[local(a, fields("A")), local(b, fields("B"))],
            &[base(b, &fields("B"), "r1"), base(c, &f, "r1")],
            &[remote(b, &fields("B"), "r1"), remote(c, &f, "r1")],
        );
        assert_eq!(plan.items.len(), 3);
        let mut ids: Vec<IdpId> = plan.items.iter().map(|i| i.idp_id).collect();
        let sorted = {
            let mut s = ids.clone();
            s.sort();
            s
        };
        assert_eq!(ids, sorted);
        ids.dedup();
        assert_eq!(plan.item(a).unwrap().action, SyncAction::Create);
        assert_eq!(plan.item(b).unwrap().status, SyncStatus::InSync);
        assert_eq!(plan.item(c).unwrap().action, SyncAction::Delete);
    }
}
