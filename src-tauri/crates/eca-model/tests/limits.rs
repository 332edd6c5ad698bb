//! Every size limit of an IdP's fields, at its edge: a value exactly at the limit is valid, one
//! past it is refused on that field (the limits are also SQLite's CHECKs, so an off-by-one here
//! would be a failed write there). Plus the normalisation and character rules whose mutants
//! survived the unit tests (`make mutants`).

use eca_model::idp::{AuthParam, Field, IdpFields, Protocol};
use eca_model::validation::{self, *};
use url::Url;

fn oidc() -> IdpFields {
    IdpFields {
        name: "Acme".into(),
        issuer: Some("https://acme.example".into()),
        authorization_endpoint: "https://acme.example/authorize".into(),
        token_endpoint: "https://acme.example/token".into(),
        jwks_uri: Some("https://acme.example/keys".into()),
        client_id: "client".into(),
        ..IdpFields::blank(Protocol::Oidc)
    }
}

/// The fields `validate` refuses in `f`.
fn refused(f: IdpFields) -> Vec<Field> {
    match validation::validate(f) {
        Ok(_) => vec![],
        Err(errors) => errors.into_iter().map(|e| e.field).collect(),
    }
}

/// `at_limit` is valid and `past_limit` is refused on `field`.
fn edge(what: &str, field: Field, at_limit: IdpFields, past_limit: IdpFields) {
    assert_eq!(
        refused(at_limit),
        vec![],
        "{what}: at the limit it is valid"
    );
    assert_eq!(
        refused(past_limit),
        vec![field],
        "{what}: one past it is refused"
    );
}

fn url_of_len(n: usize) -> String {
    let base = "https://acme.example/";
    format!("{base}{}", "a".repeat(n - base.len()))
}

fn params(n: usize) -> Vec<AuthParam> {
    (0..n)
        .map(|i| AuthParam {
            key: format!("p{i}"),
            value: "v".into(),
        })
        .collect()
}

#[test]
fn urls() {
    let with = |url: String| IdpFields {
        token_endpoint: url,
        ..oidc()
    };
    edge(
        "token endpoint",
        Field::TokenEndpoint,
        with(url_of_len(MAX_URL)),
        with(url_of_len(MAX_URL + 1)),
    );
}

#[test]
fn client_id() {
    let with = |n: usize| IdpFields {
        client_id: "c".repeat(n),
        ..oidc()
    };
    edge(
        "client id",
        Field::ClientId,
        with(MAX_CLIENT_ID),
        with(MAX_CLIENT_ID + 1),
    );
}

#[test]
fn scopes_by_count_and_by_length() {
    let many = |n: usize| IdpFields {
        scopes: std::iter::once("openid".to_string())
            .chain((1..n).map(|i| format!("s{i}")))
            .collect(),
        ..oidc()
    };
    edge(
        "scope count",
        Field::Scopes,
        many(MAX_SCOPES),
        many(MAX_SCOPES + 1),
    );
    // Sent as one space-separated string: each scope counts with its separator.
    let long = |n: usize| IdpFields {
        scopes: vec!["openid".into(), "x".repeat(n)],
        ..oidc()
    };
    let fits = MAX_SCOPES_LEN - "openid ".len() - 1;
    edge("scope length", Field::Scopes, long(fits), long(fits + 1));
}

#[test]
fn extra_parameters() {
    let count = |n: usize| IdpFields {
        extra_params: params(n),
        ..oidc()
    };
    edge(
        "parameter count",
        Field::ExtraParams,
        count(MAX_PARAMS),
        count(MAX_PARAMS + 1),
    );
    let key = |n: usize| IdpFields {
        extra_params: vec![AuthParam {
            key: "k".repeat(n),
            value: "v".into(),
        }],
        ..oidc()
    };
    edge(
        "parameter name",
        Field::ExtraParams,
        key(MAX_PARAM_KEY),
        key(MAX_PARAM_KEY + 1),
    );
    let value = |n: usize| IdpFields {
        extra_params: vec![AuthParam {
            key: "k".into(),
            value: "v".repeat(n),
        }],
        ..oidc()
    };
    edge(
        "parameter value",
        Field::ExtraParams,
        value(MAX_PARAM_VALUE),
        value(MAX_PARAM_VALUE + 1),
    );
}

#[test]
fn a_parameter_with_a_value_but_no_name_is_refused_not_dropped() {
    let f = IdpFields {
        extra_params: vec![AuthParam {
            key: " ".into(),
            value: "login".into(),
        }],
        ..oidc()
    };
    let errors = validation::validate(f).unwrap_err();
    assert_eq!(errors[0].field, Field::ExtraParams);
    assert!(
        errors[0].message.contains("has a value but no name"),
        "{errors:?}"
    );
    // An entirely empty row is only a blank line in the form: dropped.
    let blank = IdpFields {
        extra_params: vec![AuthParam {
            key: " ".into(),
            value: String::new(),
        }],
        ..oidc()
    };
    assert!(validation::validate(blank).unwrap().extra_params.is_empty());
}

#[test]
fn redirect_uris() {
    let count = |n: usize| IdpFields {
        redirect_uris: (0..n).map(|i| format!("https://p.example/cb{i}")).collect(),
        ..oidc()
    };
    edge(
        "redirect URI count",
        Field::RedirectUris,
        count(MAX_REDIRECT_URIS),
        count(MAX_REDIRECT_URIS + 1),
    );
    // A private-use scheme (RFC 8252 §7.1) has the same length limit and no spaces.
    let private = |n: usize| {
        let base = "com.example.app:/";
        IdpFields {
            redirect_uris: vec![format!("{base}{}", "a".repeat(n - base.len()))],
            ..oidc()
        }
    };
    edge(
        "private-use URI",
        Field::RedirectUris,
        private(MAX_URL),
        private(MAX_URL + 1),
    );
    let spaced = IdpFields {
        redirect_uris: vec!["com.example.app:/call back".into()],
        ..oidc()
    };
    assert_eq!(refused(spaced), vec![Field::RedirectUris]);
}

#[test]
fn notes() {
    let with = |notes: String| IdpFields { notes, ..oidc() };
    edge(
        "notes",
        Field::Notes,
        with("n".repeat(MAX_NOTES)),
        with("n".repeat(MAX_NOTES + 1)),
    );
    assert_eq!(
        refused(with("line one\nline two\r\n\tindented".into())),
        vec![]
    );
    assert_eq!(
        refused(with("a bell \u{7} rings".into())),
        vec![Field::Notes]
    );
}

#[test]
fn loopback_is_this_computer_only() {
    for url in [
        "http://localhost:8080/x",
        "http://127.0.0.2/x",
        "http://[::1]:9/x",
    ] {
        assert!(is_loopback_url(&Url::parse(url).unwrap()), "{url}");
    }
    for url in [
        "https://example.com/x",
        "http://10.0.0.1/x",
        "http://localhost.example/x",
    ] {
        assert!(!is_loopback_url(&Url::parse(url).unwrap()), "{url}");
    }
}
