//! What differs between two versions of an IdP, field by field: the one comparison behind the
//! audit history and the sync plan.
//!
//! Invariants:
//! - A change names its field as a [`Field`], serialised as the field's own name, so stored
//!   audit rows and the CLI's JSON read the same.
//! - A secret appears only as "changed" or "removed" ([`secret_change`]), never with a value.
//! - Every field of a record is compared: `IdpFields` is destructured without `..`, so a new
//!   field does not compile until it is listed here; the wire copy goes through it.

use crate::idp::{Field, IdpFields};
use crate::wire::WireFields;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One field's change. `before`/`after` are display strings; for the secret they are absent
/// and `after` says "changed" or "removed".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct FieldChange {
    pub field: Field,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A record whose fields [`diff`] compares: an IdP's fields, or their wire copy.
pub trait FieldValues {
    /// Every field with its value as JSON (the value's display is derived from it).
    fn field_values(&self) -> Vec<(Field, serde_json::Value)>;
}

fn json<T: Serialize>(value: &T) -> serde_json::Value {
    // Strings, numbers, booleans, unit enums and lists of them: serialising cannot fail.
    serde_json::to_value(value).unwrap_or_default()
}

impl FieldValues for IdpFields {
    fn field_values(&self) -> Vec<(Field, serde_json::Value)> {
        // Destructured without `..`: a new field does not compile until it is compared too.
        let IdpFields {
            name,
            protocol,
            issuer,
            authorization_endpoint,
            token_endpoint,
            userinfo_endpoint,
            jwks_uri,
            client_id,
            client_auth_method,
            scopes,
            extra_params,
            redirect_uris,
            customer_id_claim,
            enabled,
            notes,
            test_redirect,
            claim_mapping,
            channel_binding,
            loopback_port,
            id_token_signing_algs,
            credential_expires_on,
        } = self;
        vec![
            (Field::Name, json(name)),
            (Field::Protocol, json(protocol)),
            (Field::Issuer, json(issuer)),
            (Field::AuthorizationEndpoint, json(authorization_endpoint)),
            (Field::TokenEndpoint, json(token_endpoint)),
            (Field::UserinfoEndpoint, json(userinfo_endpoint)),
            (Field::JwksUri, json(jwks_uri)),
            (Field::ClientId, json(client_id)),
            (Field::ClientAuthMethod, json(client_auth_method)),
            (Field::Scopes, json(scopes)),
            (Field::ExtraParams, json(extra_params)),
            (Field::RedirectUris, json(redirect_uris)),
            (Field::CustomerIdClaim, json(customer_id_claim)),
            (Field::Enabled, json(enabled)),
            (Field::Notes, json(notes)),
            (Field::TestRedirect, json(test_redirect)),
            (Field::ClaimMapping, json(claim_mapping)),
            (Field::ChannelBinding, json(channel_binding)),
            (Field::LoopbackPort, json(loopback_port)),
            (Field::IdTokenSigningAlgs, json(id_token_signing_algs)),
            (Field::CredentialExpiresOn, json(credential_expires_on)),
        ]
    }
}

impl FieldValues for WireFields {
    fn field_values(&self) -> Vec<(Field, serde_json::Value)> {
        // The wire copy is the IdP's fields less the local-only ones; `into_local` names every
        // field, so this stays complete as fields are added.
        self.clone()
            .into_local(None)
            .field_values()
            .into_iter()
            .filter(|(field, _)| !field.is_local_only())
            .collect()
    }
}

/// What differs between two versions of a record (an IdP's fields, their wire copy), field by
/// field, ordered by the fields' serialised names. An absent version has no field at all.
pub fn diff<T: FieldValues>(before: Option<&T>, after: Option<&T>) -> Vec<FieldChange> {
    let values = |r: Option<&T>| -> HashMap<Field, serde_json::Value> {
        r.map(|r| r.field_values().into_iter().collect())
            .unwrap_or_default()
    };
    let (b, a) = (values(before), values(after));
    let mut fields: Vec<Field> = b.keys().chain(a.keys()).copied().collect();
    fields.sort_by_key(|f| f.as_str());
    fields.dedup();
    fields
        .into_iter()
        .filter(|f| b.get(f) != a.get(f))
        .map(|f| FieldChange {
            field: f,
            before: b.get(&f).map(display),
            after: a.get(&f).map(display),
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
        field: Field::ClientSecret,
        before: None,
        after: Some(if removed { "removed" } else { "changed" }.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idp::{ClaimMapping, Protocol};

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
        let fields: Vec<Field> = changes.iter().map(|c| c.field).collect();
        assert_eq!(fields, vec![Field::Enabled, Field::Name]);
        assert_eq!(changes[1].before.as_deref(), Some("A"));
        assert_eq!(changes[1].after.as_deref(), Some("B"));
        assert!(diff(Some(&a), Some(&a)).is_empty());

        let mapped = IdpFields {
            claim_mapping: vec![ClaimMapping {
                claim: "email".into(),
                variable: "customer_email".into(),
            }],
            channel_binding: true,
            ..a.clone()
        };
        let changes = diff(
            Some(&WireFields::from(&a)),
            Some(&WireFields::from(&mapped)),
        );
        let fields: Vec<Field> = changes.iter().map(|c| c.field).collect();
        assert_eq!(
            fields,
            vec![Field::ChannelBinding, Field::ClaimMapping],
            "the wire copy compares the new fields too"
        );
        assert_eq!(changes[0].after.as_deref(), Some("true"));
        assert_eq!(
            changes[1].after.as_deref(),
            Some(r#"[{"claim":"email","variable":"customer_email"}]"#)
        );
        assert!(
            diff(None, Some(&a)).len() > 5,
            "a creation lists every field"
        );
    }

    #[test]
    fn the_fields_compared_are_named_as_the_records_serialise() {
        // Stored audit rows and the CLI's JSON name fields by their serialised names: the typed
        // field must keep exactly those names.
        let f = IdpFields::blank(Protocol::Oidc);
        let keys = |v: serde_json::Value| -> Vec<String> {
            let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        let names = |values: Vec<(Field, serde_json::Value)>| -> Vec<String> {
            let mut n: Vec<String> = values
                .iter()
                .map(|(f, _)| {
                    serde_json::to_value(f)
                        .unwrap()
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect();
            n.sort();
            n
        };
        assert_eq!(
            names(f.field_values()),
            keys(serde_json::to_value(&f).unwrap())
        );
        let wire = WireFields::from(&f);
        assert_eq!(
            names(wire.field_values()),
            keys(serde_json::to_value(&wire).unwrap())
        );
        for (field, _) in f.field_values() {
            assert_eq!(serde_json::to_value(field).unwrap(), field.as_str());
        }
        let stored = r#"[{"field":"client_secret","before":null,"after":"changed"}]"#;
        let read: Vec<FieldChange> = serde_json::from_str(stored).unwrap();
        assert_eq!(read, vec![secret_change(false)]);
    }
}
