//! Reading the verified identity: one claim by name, the claims a flow asked for under its
//! variable names, and the channel binding (the IdP's verified phone number is the one the
//! link was sent to).
//!
//! Invariants:
//! - A claim is looked up in the verified ID token first, then in userinfo: the same order
//!   everywhere (the customer id, the mapped claims, the phone number).
//! - Only claims of a verified login are read; nothing here fetches or trusts anything else.

use super::report::{TestError, TestErrorCode as Code, VerifiedIdentity};
use eca_model::phone::e164;
use serde_json::{Map, Value};

/// The claim `name`, from the ID token first, then userinfo.
pub fn claim<'a>(identity: &'a VerifiedIdentity, name: &str) -> Option<&'a Value> {
    [
        identity.id_token_claims.as_ref(),
        identity.userinfo_claims.as_ref(),
    ]
    .into_iter()
    .flatten()
    .find_map(|claims| claims.get(name))
}

/// A claim as text: strings as they are, numbers written out; anything else (booleans,
/// objects, arrays, null) is not a usable identifier.
pub fn claim_text(identity: &VerifiedIdentity, name: &str) -> Option<String> {
    match claim(identity, name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The names of every claim the login returned, sorted, for messages that say what is there.
pub fn available(identity: &VerifiedIdentity) -> Vec<String> {
    let mut names: Vec<String> = [
        identity.id_token_claims.as_ref(),
        identity.userinfo_claims.as_ref(),
    ]
    .into_iter()
    .flatten()
    .filter_map(Value::as_object)
    .flat_map(|o| o.keys().cloned())
    .collect();
    names.sort();
    names.dedup();
    names
}

/// The claims a flow receives: `(claim, variable)` pairs, each claim the login returned under
/// its variable name. A claim the IdP did not return is left out.
pub fn mapped<'m>(
    identity: &VerifiedIdentity,
    mapping: impl IntoIterator<Item = (&'m str, &'m str)>,
) -> Map<String, Value> {
    mapping
        .into_iter()
        .filter_map(|(claim_name, variable)| {
            claim(identity, claim_name).map(|v| (variable.to_string(), v.clone()))
        })
        .collect()
}

/// The channel binding: the IdP vouches for `phone_number` (`phone_number_verified: true`)
/// and it is, in E.164, the number the link was sent to. Both claims are read from the same
/// set (the ID token's, else userinfo's), so a number from one cannot borrow the other's
/// verification.
pub fn check_channel_binding(identity: &VerifiedIdentity, sent_to: &str) -> Result<(), TestError> {
    let fail =
        |message: &str, fix: &str| Err(TestError::new(Code::ChannelBindingMismatch, message, fix));
    let set = [
        identity.id_token_claims.as_ref(),
        identity.userinfo_claims.as_ref(),
    ]
    .into_iter()
    .flatten()
    .find(|claims| claims.get("phone_number").is_some());
    let Some(number) = set
        .and_then(|c| c.get("phone_number"))
        .and_then(Value::as_str)
    else {
        return fail(
            "The IdP returned no phone_number, so the login cannot be bound to the number the \
             link was sent to.",
            "Request the phone scope, and have the IdP release phone_number; or turn channel \
             binding off for this IdP.",
        );
    };
    // Some IdPs (Cognito) send the boolean as a string.
    let verified = matches!(
        set.and_then(|c| c.get("phone_number_verified")),
        Some(Value::Bool(true))
    ) || matches!(set.and_then(|c| c.get("phone_number_verified")), Some(Value::String(s)) if s == "true");
    if !verified {
        return fail(
            "The IdP does not say the customer's phone number is verified \
             (phone_number_verified is not true).",
            "Have the IdP verify phone numbers, or turn channel binding off for this IdP.",
        );
    }
    if e164(number).as_deref() != Some(sent_to) {
        return fail(
            "The phone number the IdP verified is not the number the link was sent to: someone \
             else may have opened the link.",
            "Send a new link to the customer's own number.",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn identity(id_token: Value, userinfo: Value) -> VerifiedIdentity {
        VerifiedIdentity {
            id_token_claims: Some(id_token),
            userinfo_claims: Some(userinfo),
            ..VerifiedIdentity::default()
        }
    }

    #[test]
    fn the_id_token_wins_over_userinfo() {
        let who = identity(json!({"email": "a@id"}), json!({"email": "b@ui", "n": 7}));
        assert_eq!(claim_text(&who, "email").as_deref(), Some("a@id"));
        assert_eq!(claim_text(&who, "n").as_deref(), Some("7"), "from userinfo");
        assert_eq!(claim_text(&who, "missing"), None);
        assert_eq!(available(&who), ["email", "n"]);
    }

    #[test]
    fn mapped_claims_use_the_variable_names_and_skip_what_is_missing() {
        let who = identity(json!({"email": "a@id"}), json!({"name": "Ann"}));
        let got = mapped(
            &who,
            [
                ("email", "customer_email"),
                ("name", "customer_name"),
                ("zip", "zip"),
            ],
        );
        assert_eq!(
            Value::Object(got),
            json!({"customer_email": "a@id", "customer_name": "Ann"})
        );
    }

    #[test]
    fn a_number_cannot_borrow_the_verification_of_another_claim_set() {
        let who = identity(
            json!({"phone_number": "+27825550100"}),
            json!({"phone_number": "+27825550100", "phone_number_verified": true}),
        );
        let e = check_channel_binding(&who, "+27825550100").unwrap_err();
        assert!(e.message.contains("verified"), "{}", e.message);
    }

    #[test]
    fn the_channel_binding_needs_the_same_verified_number() {
        let bound =
            |claims: Value| check_channel_binding(&identity(claims, json!({})), "+27825550100");
        assert!(
            bound(json!({"phone_number": "+27 82 555 0100", "phone_number_verified": true}))
                .is_ok()
        );
        assert!(
            bound(json!({"phone_number": "+27825550100", "phone_number_verified": "true"})).is_ok()
        );
        for (claims, says) in [
            (
                json!({"phone_number": "+27825550199", "phone_number_verified": true}),
                "not the number",
            ),
            (
                json!({"phone_number": "+27825550100", "phone_number_verified": false}),
                "verified",
            ),
            (json!({"phone_number": "+27825550100"}), "verified"),
            (json!({"email": "a@b"}), "no phone_number"),
        ] {
            let e = bound(claims.clone()).unwrap_err();
            assert_eq!(e.code, Code::ChannelBindingMismatch, "{claims}");
            assert!(e.message.contains(says), "{claims}: {}", e.message);
        }
    }
}
