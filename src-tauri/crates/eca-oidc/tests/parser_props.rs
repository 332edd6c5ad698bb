//! Property tests of the engine's parsers of untrusted input (an IdP's answers, a deep link):
//! whatever comes in, they answer or refuse, never panic, and what they say stays bounded by
//! what they were given. `cargo test` runs a short smoke; `make fuzz` runs many more cases
//! (`PROPTEST_CASES`). The callback URL parser has its own file, callback_props.rs.

use eca_oidc::discovery::parse_document;
use eca_oidc::http::{HttpMeta, HttpResponse, ERROR_FIELDS};
use eca_oidc::login::jwks;
use eca_oidc::login::pending::PendingCallbacks;
use eca_oidc::login::run::DEEP_LINK_REDIRECT;
use eca_oidc::login::verifying_key::KeySet;
use eca_testkit::arbitrary;
use proptest::prelude::*;
use serde_json::Value;

const DISCOVERY_FIELDS: &[&str] = &[
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "response_types_supported",
    "code_challenge_methods_supported",
    "token_endpoint_auth_methods_supported",
    "scopes_supported",
    "id_token_signing_alg_values_supported",
    "authorization_response_iss_parameter_supported",
];
const JWK_FIELDS: &[&str] = &[
    "kty", "kid", "use", "alg", "n", "e", "crv", "x", "y", "k", "key_ops",
];

fn response(status: u16, content_type: Option<String>, body: Vec<u8>) -> HttpResponse {
    HttpResponse {
        meta: HttpMeta {
            url: "https://idp.example/token".into(),
            status,
            content_type,
            headers: Default::default(),
        },
        body,
    }
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("text/html; charset=utf-8".to_string())),
        Just(Some("application/json".to_string())),
        Just(Some("text/plain".to_string())),
        arbitrary::text().prop_map(Some),
    ]
}

/// An HTML page with arbitrary text around and inside its title.
fn html() -> impl Strategy<Value = Vec<u8>> {
    (arbitrary::text(), arbitrary::text(), arbitrary::text()).prop_map(|(before, title, after)| {
        format!("<!doctype html>{before}<TITLE>{title}</title>{after}").into_bytes()
    })
}

proptest! {
    /// Any error body becomes a message of a few hundred characters at most: the snippet is
    /// cut, an HTML page shows only its title, a JSON object only its error fields.
    #[test]
    fn an_error_body_becomes_a_short_message(
        status in 400u16..600,
        content_type in content_type(),
        body in prop_oneof![arbitrary::body(&ERROR_FIELDS), html()],
    ) {
        let error = response(status, content_type, body).into_success().unwrap_err();
        let message = error.to_string();
        prop_assert!(message.chars().count() <= 600, "{} characters: {message}", message.len());
    }

    /// Reading any body as JSON answers or refuses, with a message of bounded length.
    #[test]
    fn any_body_reads_as_json_or_is_refused(
        content_type in content_type(),
        body in prop_oneof![arbitrary::body(&ERROR_FIELDS), html()],
    ) {
        if let Err(error) = response(200, content_type, body).json::<Value>() {
            prop_assert!(error.to_string().chars().count() <= 600, "{error}");
        }
    }

    /// Any discovery document is accepted or refused with a message no longer than what it
    /// quotes from the document.
    #[test]
    fn any_discovery_document_is_checked_without_panicking(
        document in prop_oneof![
            arbitrary::object(DISCOVERY_FIELDS),
            arbitrary::json(DISCOVERY_FIELDS),
        ],
    ) {
        let size = document.to_string().len();
        if let Err(error) = parse_document("https://idp.example", &document) {
            let message = error.to_string();
            prop_assert!(message.len() <= 2 * size + 1024, "{message}");
        }
    }

    /// Any key set reads as a JWKS or is refused, and its description stays within its size.
    #[test]
    fn any_key_set_reads_or_is_refused(
        keys in proptest::collection::vec(arbitrary::object(JWK_FIELDS), 0..6),
        other in arbitrary::body(JWK_FIELDS),
    ) {
        let set = serde_json::json!({ "keys": keys }).to_string().into_bytes();
        for body in [set, other] {
            if let Ok(jwks) = serde_json::from_slice::<KeySet>(&body) {
                prop_assert!(jwks::describe(&jwks).len() <= 2 * body.len() + 64);
            }
        }
    }

    /// Any URL handed over as a deep link is delivered or refused; a guess never reaches the
    /// waiting login, which still gets its real callback afterwards.
    #[test]
    fn any_deep_link_is_refused_unless_it_carries_the_state(
        url in prop_oneof![
            arbitrary::text().prop_map(|q| format!("{DEEP_LINK_REDIRECT}?{q}")),
            arbitrary::text(),
            ".{0,300}",
        ],
    ) {
        let pending = PendingCallbacks::new();
        let later = time::OffsetDateTime::now_utc() + time::Duration::minutes(5);
        let _waiting = pending.register("run", "the-state-0123456789", later);
        let now = time::OffsetDateTime::now_utc();
        prop_assert!(pending.deliver(&url, DEEP_LINK_REDIRECT, now).is_err(), "{url}");
        let real = format!("{DEEP_LINK_REDIRECT}?code=c&state=the-state-0123456789");
        prop_assert_eq!(pending.deliver(&real, DEEP_LINK_REDIRECT, now), Ok("run".to_string()));
    }
}
