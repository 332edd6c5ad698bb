//! Where a client secret was entered: the token endpoint's origin and the client id it was
//! given for. A stored secret is bound to them, so that no edit, import, pull or "take theirs"
//! that moves the token endpoint elsewhere, or names another client, can send it there.
//!
//! Invariants:
//! - A binding is taken only when a secret is entered ([`SecretBinding::of`] the fields saved
//!   with it); later writes that keep the secret keep its binding.
//! - A secret is usable with a set of fields only when their binding is its own
//!   ([`SecretBinding::set_aside_for`]): same scheme, host and port of the token endpoint, and
//!   the same client id. Otherwise it is "set aside": never sent, never read for a login,
//!   until the admin enters it again. Moving back to where it was entered makes it usable again.
//! - The refusal is a field error on the secret naming both origins, the one message the form,
//!   Test Configuration, push and the CLI show.

use crate::idp::{ClientAuthMethod, Field, FieldError, IdpFields};
use serde::{Deserialize, Serialize};
use url::Url;

/// The token endpoint's origin and the client id a secret was entered for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct SecretBinding {
    /// `scheme://host[:port]`, the port only when it is not the scheme's default.
    pub token_origin: String,
    pub client_id: String,
}

impl SecretBinding {
    /// The binding of a secret entered with `fields`.
    pub fn of(fields: &IdpFields) -> Self {
        Self::new(&fields.token_endpoint, &fields.client_id)
    }

    /// The binding of a secret entered for this token endpoint and client id.
    pub fn new(token_endpoint: &str, client_id: &str) -> Self {
        Self {
            token_origin: origin(token_endpoint),
            client_id: client_id.trim().to_string(),
        }
    }

    /// Why this secret must not be used with `fields`; `None` when it may.
    pub fn set_aside_for(&self, fields: &IdpFields) -> Option<FieldError> {
        self.set_aside_by(&Self::of(fields))
    }

    /// Why this secret must not be used where `now` says; `None` when it may.
    pub fn set_aside_by(&self, now: &SecretBinding) -> Option<FieldError> {
        if now == self {
            return None;
        }
        let client = if now.client_id == self.client_id {
            String::new()
        } else {
            format!(
                " and client ID \"{}\" (now \"{}\")",
                self.client_id, now.client_id
            )
        };
        Some(FieldError::new(
            Field::ClientSecret,
            format!(
                "needs re-entry: the stored secret was entered for the token endpoint at {}{client}, \
                 and the token endpoint is now at {}. It is not sent anywhere else: enter the \
                 secret again for the new settings.",
                self.token_origin, now.token_origin
            ),
        ))
    }
}

/// Why a stored secret entered for `entered_for` (`None`: no secret) must not be used by a
/// client that authenticates with `auth` where `now` says; `None` when it may, or when the
/// client uses no secret.
pub fn set_aside(
    entered_for: Option<&SecretBinding>,
    auth: ClientAuthMethod,
    now: &SecretBinding,
) -> Option<FieldError> {
    if !auth.uses_secret() {
        return None;
    }
    entered_for?.set_aside_by(now)
}

/// The origin of an endpoint URL as the browser would serialise it; the text itself when it is
/// not a URL (such fields never pass validation, so this only shows up in messages).
fn origin(endpoint: &str) -> String {
    match Url::parse(endpoint.trim()) {
        Ok(url) if url.has_host() => url.origin().ascii_serialization(),
        _ => endpoint.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idp::Protocol;

    fn fields(token_endpoint: &str, client_id: &str) -> IdpFields {
        IdpFields {
            token_endpoint: token_endpoint.into(),
            client_id: client_id.into(),
            ..IdpFields::blank(Protocol::Oidc)
        }
    }

    #[test]
    fn the_origin_is_scheme_host_and_port() {
        let b = SecretBinding::of(&fields("https://IdP.example:443/oauth/token?x=1", "app"));
        assert_eq!(b.token_origin, "https://idp.example");
        assert_eq!(
            SecretBinding::of(&fields("http://127.0.0.1:8080/token", "app")).token_origin,
            "http://127.0.0.1:8080"
        );
    }

    #[test]
    fn a_secret_is_set_aside_only_for_a_client_that_sends_one() {
        let entered = SecretBinding::new("https://idp.example/token", "app");
        let moved = SecretBinding::new("https://evil.example/token", "app");
        let confidential = set_aside(Some(&entered), ClientAuthMethod::ClientSecretPost, &moved);
        assert_eq!(confidential.map(|e| e.field), Some(Field::ClientSecret));
        assert_eq!(
            set_aside(Some(&entered), ClientAuthMethod::None, &moved),
            None
        );
        assert_eq!(
            set_aside(None, ClientAuthMethod::ClientSecretBasic, &moved),
            None
        );
    }

    #[test]
    fn endpoints_without_a_host_never_share_a_binding() {
        // Their origins are all opaque ("null"): comparing those would let one stand for another.
        let a = SecretBinding::new("data:text/plain,a", "app");
        let b = SecretBinding::new("data:text/plain,b", "app");
        assert_eq!(a.token_origin, "data:text/plain,a");
        assert!(a.set_aside_by(&b).is_some());
    }

    #[test]
    fn a_new_path_on_the_same_origin_keeps_the_secret() {
        let b = SecretBinding::of(&fields("https://idp.example/token", "app"));
        assert_eq!(
            b.set_aside_for(&fields("https://idp.example/v2/token", " app ")),
            None
        );
    }

    #[test]
    fn another_host_port_scheme_or_client_sets_it_aside_naming_both_origins() {
        let b = SecretBinding::of(&fields("https://idp.example/token", "app"));
        for (endpoint, client) in [
            ("https://evil.example/token", "app"),
            ("https://idp.example:8443/token", "app"),
            ("http://idp.example/token", "app"),
            ("https://idp.example/token", "other-app"),
        ] {
            let error = b
                .set_aside_for(&fields(endpoint, client))
                .unwrap_or_else(|| panic!("{endpoint} / {client} must set the secret aside"));
            assert_eq!(error.field, Field::ClientSecret);
            assert!(
                error.message.contains("https://idp.example,")
                    || error.message.contains("https://idp.example and"),
                "{}",
                error.message
            );
            let now = SecretBinding::of(&fields(endpoint, client)).token_origin;
            assert!(
                error.message.contains(&format!("now at {now}.")),
                "{}",
                error.message
            );
        }
        let other_client = b
            .set_aside_for(&fields("https://idp.example/token", "other-app"))
            .unwrap();
        assert!(other_client
            .message
            .contains("client ID \"app\" (now \"other-app\")"));
    }
}
