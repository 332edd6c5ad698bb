//! The IdP as it travels over the wire: the response representation ([`IdpResource`]) and the
//! parsing and validation of a `PUT` body ([`parse_write`]).
//!
//! Invariants:
//! - The editable fields are the model's wire shape, [`WireFields`] (the contract's
//!   `IdpFields`, which the desktop sends), and so are the rules: [`WireFields::validated`]
//!   runs the app's validation, so the server refuses exactly what the app refuses and stores
//!   the same normalised form the app stores.
//! - `client_secret` exists only on the way in, as a redacting [`Secret`]; [`IdpResource`] has
//!   no field that could hold it.
//! - A body is checked as a whole: every problem is reported, each with the member it concerns.

use crate::problem::FieldError;
use crate::store::idps::IdpRow;
use eca_model::idp::IdpId;
use eca_model::idp::{AuthParam, ClaimMapping, ClientAuthMethod, Protocol};
use eca_model::secret::Secret;
use eca_model::signing_alg::SigningAlg;
use eca_model::wire::{RemoteIdp, WireFields};

use serde_json::{Map, Value};
use uuid::Uuid;

/// Members of a response that a client may send back unchanged; they are ignored.
const READ_ONLY: &[&str] = &[
    "version",
    "secret_set",
    "secret_fingerprint",
    "created_at",
    "updated_at",
];

/// A stored IdP as every response shows it: the model's [`RemoteIdp`], the very type the
/// desktop reads it into, so the two sides cannot disagree on the representation.
pub type IdpResource = RemoteIdp;

impl From<&IdpRow> for IdpResource {
    fn from(row: &IdpRow) -> Self {
        Self {
            id: IdpId(row.id),
            fields: row.fields.clone(),
            version: version_of(row.revision),
            secret_set: row.secret.is_some(),
            secret_fingerprint: row.secret.as_ref().map(|s| s.fingerprint.clone()),
            created_at: row.created_at.clone(),
            updated_at: row.updated_at.clone(),
        }
    }
}

/// The opaque version string of a revision number (unique within a workspace).
pub fn version_of(revision: i64) -> String {
    format!("r{revision}")
}

/// What a `PUT` does to the stored secret.
#[derive(Debug)]
pub enum SecretChange {
    /// `client_secret` omitted.
    Keep,
    /// `client_secret: null`.
    Remove,
    Set(Secret),
}

/// A checked, normalised `PUT` body.
#[derive(Debug)]
pub struct IdpWrite {
    pub fields: WireFields,
    pub secret: SecretChange,
}

/// Checks a `PUT` body for the IdP `path_id`; on failure, every field problem found.
pub fn parse_write(body: &Map<String, Value>, path_id: Uuid) -> Result<IdpWrite, Vec<FieldError>> {
    let mut r = Reader {
        body,
        errors: Vec::new(),
    };

    r.check_members(path_id);

    let name = r.string("name");
    let protocol = r.choice::<Protocol>("protocol");
    let issuer = r.nullable_string("issuer");
    let authorization_endpoint = r.string("authorization_endpoint");
    let token_endpoint = r.string("token_endpoint");
    let userinfo_endpoint = r.nullable_string("userinfo_endpoint");
    let jwks_uri = r.nullable_string("jwks_uri");
    let client_id = r.string("client_id");
    let client_auth_method = r.choice::<ClientAuthMethod>("client_auth_method");
    let scopes = r.strings("scopes");
    let extra_params = r.params("extra_params");
    let redirect_uris = r.strings("redirect_uris");
    let customer_id_claim = r.string("customer_id_claim");
    let enabled = r.boolean("enabled");
    let notes = r.string("notes");
    let claim_mapping = r.mappings("claim_mapping");
    let channel_binding = r.boolean("channel_binding");
    let id_token_signing_algs = r.choices::<SigningAlg>("id_token_signing_algs");
    let credential_expires_on = r.nullable_string("credential_expires_on");
    let secret = r.secret();

    let document = (|| {
        Some(WireFields {
            name: name?,
            protocol: protocol?,
            issuer: issuer?,
            authorization_endpoint: authorization_endpoint?,
            token_endpoint: token_endpoint?,
            userinfo_endpoint: userinfo_endpoint?,
            jwks_uri: jwks_uri?,
            client_id: client_id?,
            client_auth_method: client_auth_method?,
            scopes: scopes?,
            extra_params: extra_params?,
            redirect_uris: redirect_uris?,
            customer_id_claim: customer_id_claim?,
            enabled: enabled?,
            notes: notes?,
            claim_mapping: claim_mapping?,
            channel_binding: channel_binding?,
            id_token_signing_algs: id_token_signing_algs?,
            credential_expires_on: credential_expires_on?,
        })
    })();
    let (Some(document), Some(secret)) = (document, secret) else {
        return Err(r.errors);
    };
    if !r.errors.is_empty() {
        return Err(r.errors);
    }
    let client_auth_method = document.client_auth_method;
    let (fields, mut errors) = match document.validated() {
        Ok(fields) => (Some(fields), Vec::new()),
        Err(errors) => (None, errors.into_iter().map(FieldError::from).collect()),
    };
    if let (Some(why), SecretChange::Set(_)) = (client_auth_method.why_no_secret(), &secret) {
        errors.push(FieldError::new(
            "client_secret",
            format!(
                "{why}: send null or omit it, or choose client_secret_basic or client_secret_post"
            ),
        ));
    }
    match fields {
        Some(fields) if errors.is_empty() => Ok(IdpWrite { fields, secret }),
        _ => Err(errors),
    }
}

/// Reads members of a body, collecting a [`FieldError`] for each one missing or mistyped.
struct Reader<'a> {
    body: &'a Map<String, Value>,
    errors: Vec<FieldError>,
}

impl Reader<'_> {
    /// Every member is one of an IdP's, and `id`, if sent, is the one in the path.
    fn check_members(&mut self, path_id: Uuid) {
        for name in self.body.keys() {
            let known = WireFields::is_member(name)
                || READ_ONLY.contains(&name.as_str())
                || name == "id"
                || name == "client_secret";
            if !known {
                self.error(name, "is not a member of an IdP (check its spelling)");
            }
        }
        match self.body.get("id") {
            None => {}
            Some(Value::String(s)) if Uuid::parse_str(s).is_ok_and(|id| id == path_id) => {}
            Some(_) => self.error(
                "id",
                format!("must be the id in the path ({path_id}) or omitted"),
            ),
        }
    }

    fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    fn required(&mut self, field: &str) -> Option<&Value> {
        let value = self.body.get(field);
        if value.is_none() {
            self.error(field, "is required");
        }
        value
    }

    fn string(&mut self, field: &str) -> Option<String> {
        match self.required(field)? {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.error(field, "must be a string");
                None
            }
        }
    }

    fn nullable_string(&mut self, field: &str) -> Option<Option<String>> {
        match self.body.get(field) {
            None => {
                self.error(field, "is required (send null for none)");
                None
            }
            Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s.clone())),
            Some(_) => {
                self.error(field, "must be a string or null");
                None
            }
        }
    }

    fn boolean(&mut self, field: &str) -> Option<bool> {
        match self.required(field)? {
            Value::Bool(b) => Some(*b),
            _ => {
                self.error(field, "must be true or false");
                None
            }
        }
    }

    fn choice<T: std::str::FromStr<Err = String>>(&mut self, field: &str) -> Option<T> {
        let parsed = match self.required(field)? {
            Value::String(s) => s.parse::<T>(),
            _ => Err("must be a string".to_string()),
        };
        parsed.map_err(|message| self.error(field, message)).ok()
    }

    /// A list of names, each read by `T`'s `FromStr`; the first refused one is reported.
    fn choices<T: std::str::FromStr<Err = String>>(&mut self, field: &str) -> Option<Vec<T>> {
        let items = self.strings(field)?;
        items
            .iter()
            .map(|item| item.parse::<T>())
            .collect::<Result<Vec<T>, String>>()
            .map_err(|message| self.error(field, message))
            .ok()
    }

    fn strings(&mut self, field: &str) -> Option<Vec<String>> {
        let items = match self.required(field)? {
            Value::Array(items) => items
                .iter()
                .map(|item| item.as_str().map(str::to_string))
                .collect::<Option<Vec<String>>>(),
            _ => None,
        };
        if items.is_none() {
            self.error(field, "must be a list of strings");
        }
        items
    }

    fn params(&mut self, field: &str) -> Option<Vec<AuthParam>> {
        let params = match self.required(field)? {
            Value::Array(items) => items.iter().map(param).collect::<Option<Vec<AuthParam>>>(),
            _ => None,
        };
        if params.is_none() {
            self.error(
                field,
                "must be a list of {\"key\": string, \"value\": string} objects",
            );
        }
        params
    }

    fn mappings(&mut self, field: &str) -> Option<Vec<ClaimMapping>> {
        let mappings = match self.required(field)? {
            Value::Array(items) => items.iter().map(mapping).collect::<Option<Vec<_>>>(),
            _ => None,
        };
        if mappings.is_none() {
            self.error(
                field,
                "must be a list of {\"claim\": string, \"variable\": string} objects",
            );
        }
        mappings
    }

    fn secret(&mut self) -> Option<SecretChange> {
        match self.body.get("client_secret") {
            None => Some(SecretChange::Keep),
            Some(Value::Null) => Some(SecretChange::Remove),
            Some(Value::String(s)) => {
                let secret = Secret::new(s.as_str());
                match secret.problem() {
                    None => Some(SecretChange::Set(secret)),
                    Some(problem) => {
                        self.error("client_secret", problem);
                        None
                    }
                }
            }
            Some(_) => {
                self.error(
                    "client_secret",
                    "must be a string, or null to remove the secret",
                );
                None
            }
        }
    }
}

fn param(item: &Value) -> Option<AuthParam> {
    let (key, value) = string_pair(item, "key", "value")?;
    Some(AuthParam { key, value })
}

fn mapping(item: &Value) -> Option<ClaimMapping> {
    let (claim, variable) = string_pair(item, "claim", "variable")?;
    Some(ClaimMapping { claim, variable })
}

/// An object of exactly two string members, `first` and `second`.
fn string_pair(item: &Value, first: &str, second: &str) -> Option<(String, String)> {
    let object = item.as_object()?;
    if object.len() != 2 {
        return None;
    }
    let member = |name: &str| object.get(name)?.as_str().map(str::to_string);
    Some((member(first)?, member(second)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn id() -> Uuid {
        Uuid::parse_str("6f1c2b0e-8a4d-4c1e-9b7a-2d5e3f4a1b6c").unwrap()
    }

    fn valid() -> Value {
        json!({
            "name": "Acme",
            "protocol": "oidc",
            "issuer": "https://idp.example",
            "authorization_endpoint": "https://idp.example/authorize",
            "token_endpoint": "https://idp.example/token",
            "userinfo_endpoint": null,
            "jwks_uri": "https://idp.example/jwks",
            "client_id": "client-1",
            "client_auth_method": "client_secret_basic",
            "scopes": ["openid", "email"],
            "extra_params": [{"key": "prompt", "value": "login"}],
            "redirect_uris": ["https://chat.example/cb"],
            "customer_id_claim": "email",
            "enabled": true,
            "notes": "",
            "claim_mapping": [{"claim": "email", "variable": "customer_email"}],
            "channel_binding": false,
            "id_token_signing_algs": ["ES256"],
            "credential_expires_on": null
        })
    }

    fn parse(body: Value) -> Result<IdpWrite, Vec<FieldError>> {
        parse_write(body.as_object().unwrap(), id())
    }

    fn fields_of(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_valid_body_parses_and_the_secret_is_tri_state() {
        let write = parse(valid()).expect("the sample is valid");
        assert_eq!(write.fields.name, "Acme");
        assert!(matches!(write.secret, SecretChange::Keep));
        let mut with_null = valid();
        with_null["client_secret"] = Value::Null;
        assert!(matches!(
            parse(with_null).unwrap().secret,
            SecretChange::Remove
        ));
        let mut with_value = valid();
        with_value["client_secret"] = json!("s3cret");
        match parse(with_value).unwrap().secret {
            SecretChange::Set(s) => assert_eq!(s.expose(), "s3cret"),
            other => panic!("expected Set, got {other:?}"),
        }
    }

    #[test]
    fn every_missing_or_mistyped_member_is_reported() {
        let mut body = valid();
        let obj = body.as_object_mut().unwrap();
        obj.remove("name");
        obj.remove("issuer");
        obj.insert("enabled".into(), json!("yes"));
        obj.insert("scopes".into(), json!("openid email"));
        obj.insert("scope".into(), json!(["openid"]));
        let errors = parse(body).unwrap_err();
        let mut fields = fields_of(&errors);
        fields.sort();
        assert_eq!(
            fields,
            ["enabled", "issuer", "name", "scope", "scopes"],
            "{errors:?}"
        );
    }

    #[test]
    fn the_apps_rules_apply_with_field_names() {
        let mut body = valid();
        body["issuer"] = json!("http://idp.example");
        body["client_id"] = json!("");
        let errors = parse(body).unwrap_err();
        assert_eq!(fields_of(&errors), ["issuer", "client_id"], "{errors:?}");
        assert!(errors[0].message.contains("https"), "{}", errors[0].message);

        let mut loopback = valid();
        loopback["issuer"] = json!("http://127.0.0.1:9000");
        assert!(
            parse(loopback).is_ok(),
            "http to loopback is allowed for development"
        );
    }

    #[test]
    fn the_claim_mapping_is_read_checked_and_named_in_errors() {
        let write = parse(valid()).expect("the sample is valid");
        assert_eq!(
            write.fields.claim_mapping,
            [ClaimMapping {
                claim: "email".into(),
                variable: "customer_email".into()
            }]
        );
        let mut mistyped = valid();
        mistyped["claim_mapping"] = json!([{"claim": "email", "var": "e"}]);
        mistyped["channel_binding"] = json!("on");
        let errors = parse(mistyped).unwrap_err();
        assert_eq!(
            fields_of(&errors),
            ["claim_mapping", "channel_binding"],
            "{errors:?}"
        );
        let mut refused = valid();
        refused["claim_mapping"] = json!([{"claim": "email", "variable": "customer-email"}]);
        let errors = parse(refused).unwrap_err();
        assert_eq!(fields_of(&errors), ["claim_mapping"], "{errors:?}");
        assert!(
            errors[0].message.contains("not a valid variable name"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn the_signing_algs_are_read_checked_and_named_in_errors() {
        let write = parse(valid()).expect("the sample is valid");
        assert_eq!(write.fields.id_token_signing_algs, [SigningAlg::ES256]);
        let mut none = valid();
        none["id_token_signing_algs"] = json!(["RS256", "none"]);
        let errors = parse(none).unwrap_err();
        assert_eq!(fields_of(&errors), ["id_token_signing_algs"], "{errors:?}");
        assert!(
            errors[0].message.contains("never accepted"),
            "{}",
            errors[0].message
        );
        let mut public_hs = valid();
        public_hs["client_auth_method"] = json!("none");
        public_hs["id_token_signing_algs"] = json!(["HS256"]);
        let errors = parse(public_hs).unwrap_err();
        assert_eq!(fields_of(&errors), ["id_token_signing_algs"], "{errors:?}");
        let mut missing = valid();
        missing
            .as_object_mut()
            .unwrap()
            .remove("id_token_signing_algs");
        assert_eq!(
            fields_of(&parse(missing).unwrap_err()),
            ["id_token_signing_algs"],
            "a PUT replaces the whole IdP: the list is required, like every member"
        );
    }

    #[test]
    fn the_credential_expiry_is_read_checked_and_named_in_errors() {
        let mut dated = valid();
        dated["credential_expires_on"] = json!("2027-03-31");
        let write = parse(dated).expect("a date is valid");
        assert_eq!(
            write.fields.credential_expires_on.as_deref(),
            Some("2027-03-31")
        );
        let mut garbled = valid();
        garbled["credential_expires_on"] = json!("March 31");
        let errors = parse(garbled).unwrap_err();
        assert_eq!(fields_of(&errors), ["credential_expires_on"], "{errors:?}");
        assert!(
            errors[0].message.contains("YYYY-MM-DD"),
            "{}",
            errors[0].message
        );
        let mut missing = valid();
        missing
            .as_object_mut()
            .unwrap()
            .remove("credential_expires_on");
        assert_eq!(
            fields_of(&parse(missing).unwrap_err()),
            ["credential_expires_on"],
            "a PUT replaces the whole IdP: the member is required (null for none)"
        );
    }

    #[test]
    fn read_only_members_are_ignored_and_the_id_must_match() {
        let mut body = valid();
        body["version"] = json!("r3");
        body["secret_set"] = json!(true);
        body["id"] = json!(id().to_string());
        assert!(
            parse(body.clone()).is_ok(),
            "a GET body sent back must be accepted"
        );
        body["id"] = json!(Uuid::nil().to_string());
        assert_eq!(fields_of(&parse(body).unwrap_err()), ["id"]);
    }

    #[test]
    fn a_public_client_cannot_be_given_a_secret() {
        let mut body = valid();
        body["client_auth_method"] = json!("none");
        body["client_secret"] = json!("s3cret");
        assert_eq!(
            fields_of(&parse(body.clone()).unwrap_err()),
            ["client_secret"]
        );
        body["client_secret"] = Value::Null;
        assert!(
            parse(body).is_ok(),
            "null (remove) is fine for a public client"
        );
    }

    #[test]
    fn a_bad_secret_is_reported_without_its_value() {
        let mut body = valid();
        body["client_secret"] = json!("line\nbreak-s3cret");
        let errors = parse(body).unwrap_err();
        assert_eq!(fields_of(&errors), ["client_secret"]);
        assert!(
            !errors[0].message.contains("s3cret"),
            "the message must not echo the secret"
        );
    }
}
