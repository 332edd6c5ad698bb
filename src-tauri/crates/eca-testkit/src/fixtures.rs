//! Valid IdP configurations, the starting point of tests that then change one thing.
//!
//! Invariant: every fixture passes `eca_model::validation::validate` (tested below), so a test
//! that sees a refusal knows it comes from the one thing it changed.

use eca_model::idp::{IdpConfig, IdpFields, IdpId, Protocol};

/// A valid OpenID Connect IdP whose issuer, `https://<name as a slug>.idp.example`, is unique
/// per name.
pub fn okta(name: &str) -> IdpFields {
    okta_at(name, &format!("https://{}.idp.example", slug(name)))
}

/// [`okta`] at the given issuer; the endpoints hang below it.
pub fn okta_at(name: &str, issuer: &str) -> IdpFields {
    IdpFields {
        name: name.into(),
        issuer: Some(issuer.into()),
        authorization_endpoint: format!("{issuer}/authorize"),
        token_endpoint: format!("{issuer}/token"),
        userinfo_endpoint: Some(format!("{issuer}/userinfo")),
        jwks_uri: Some(format!("{issuer}/keys")),
        client_id: "client-0001".into(),
        redirect_uris: vec!["https://chat.example/eca/callback".into()],
        ..IdpFields::blank(Protocol::Oidc)
    }
}

/// `fields` as a saved IdP with a client secret (a new id, no timestamps), as a login takes it.
pub fn saved(fields: IdpFields) -> IdpConfig {
    IdpConfig {
        id: IdpId::new(),
        fields,
        has_secret: true,
        secret_entered_for: None,
        created_at: String::new(),
        updated_at: String::new(),
    }
}

/// `Acme Okta` → `acme-okta`.
pub fn slug(name: &str) -> String {
    name.to_lowercase().replace(' ', "-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use eca_model::validation::validate;

    #[test]
    fn fixtures_are_valid() {
        for fields in [okta("Acme Okta"), okta_at("B", "https://b.example/oauth2")] {
            let name = fields.name.clone();
            assert!(
                validate(fields).is_ok(),
                "the fixture {name} must pass validation"
            );
        }
    }

    #[test]
    fn issuers_differ_per_name() {
        assert_ne!(okta("A").issuer, okta("B").issuer);
    }
}
