//! Discovery against a real OpenID provider (npm `oidc-provider`) and hostile servers, all on
//! loopback ephemeral ports (tests/oidc/), so these tests run in parallel with any others.
//!
//! Needs Node and `npm ci --prefix tests/oidc`; without them the tests fail, never skip.

use eca_testkit::node_server::NodeServer;

use eca_oidc::discovery::{self, DiscoveryError};
use eca_oidc::http::{self, HttpError};

#[tokio::test]
async fn discovers_the_real_provider() {
    let provider = NodeServer::start("provider.mjs", &[]);
    let issuer = &provider.url;
    assert!(
        !issuer.ends_with('/'),
        "READY prints the issuer without a trailing slash"
    );

    let info = discovery::fetch(&http::client(), issuer)
        .await
        .expect("discovery of oidc-provider");

    assert_eq!(&info.issuer, issuer);
    assert_eq!(info.authorization_endpoint, format!("{issuer}/auth"));
    assert_eq!(info.token_endpoint, format!("{issuer}/token"));
    assert_eq!(info.userinfo_endpoint, Some(format!("{issuer}/me")));
    assert_eq!(info.jwks_uri, format!("{issuer}/jwks"));
    assert_eq!(
        info.code_challenge_methods_supported,
        ["S256"],
        "the provider requires PKCE S256"
    );
    for method in ["client_secret_basic", "none"] {
        assert!(
            info.token_endpoint_auth_methods_supported
                .iter()
                .any(|m| m == method),
            "{method} is offered: {:?}",
            info.token_endpoint_auth_methods_supported
        );
    }
    for scope in ["openid", "profile", "email", "phone"] {
        assert!(
            info.scopes_supported.iter().any(|s| s == scope),
            "scope {scope}: {info:?}"
        );
    }
    assert!(
        info.id_token_signing_alg_values_supported
            .iter()
            .any(|a| a == "RS256"),
        "{info:?}"
    );
    assert!(
        info.authorization_response_iss_parameter_supported,
        "RFC 9207 is on in oidc-provider 9"
    );
}

#[tokio::test]
async fn an_issuer_with_a_trailing_slash_is_not_the_same_issuer() {
    let provider = NodeServer::start("provider.mjs", &[]);
    let entered = format!("{}/", provider.url);

    // One trailing slash is stripped to build the URL, so the document is found…
    let err = discovery::fetch(&http::client(), &entered)
        .await
        .unwrap_err();

    // …but its issuer is compared exactly with what was entered.
    match &err {
        DiscoveryError::IssuerMismatch { expected, found } => {
            assert_eq!(expected, &entered);
            assert_eq!(found, &provider.url);
        }
        other => panic!("expected IssuerMismatch, got {other:?}"),
    }
    assert!(err.to_string().contains("trailing slash"), "{err}");
}

#[tokio::test]
async fn a_document_naming_another_issuer_is_refused() {
    let server = NodeServer::start("hostile.mjs", &["--mode", "issuer-mismatch"]);
    let claimed = format!("{}/other", server.url);

    let err = discovery::fetch(&http::client(), &server.url)
        .await
        .unwrap_err();

    match &err {
        DiscoveryError::IssuerMismatch { expected, found } => {
            assert_eq!(expected, &server.url);
            assert_eq!(found, &claimed);
        }
        other => panic!("expected IssuerMismatch, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains(&format!("\"{}\"", server.url))
            && message.contains(&format!("\"{claimed}\"")),
        "the message shows both exact strings: {message}"
    );
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    // The target of the redirect serves a valid document: following it would succeed.
    let server = NodeServer::start("hostile.mjs", &["--mode", "redirect"]);

    let err = discovery::fetch(&http::client(), &server.url)
        .await
        .unwrap_err();

    match &err {
        DiscoveryError::Http(HttpError::Redirect {
            status, location, ..
        }) => {
            assert_eq!(*status, 302);
            let expected = format!("{}/elsewhere/.well-known/openid-configuration", server.url);
            assert_eq!(
                location.as_deref(),
                Some(expected.as_str()),
                "the message says where it pointed"
            );
        }
        other => panic!("expected a refused redirect, got {other:?}"),
    }
}

#[tokio::test]
async fn an_oversized_document_is_cut_off() {
    // 2 MiB, chunked, no Content-Length: only counting the bytes read can stop it.
    let server = NodeServer::start("hostile.mjs", &["--mode", "huge"]);

    let err = discovery::fetch(&http::client(), &server.url)
        .await
        .unwrap_err();

    match &err {
        DiscoveryError::Http(HttpError::TooLarge { limit, .. }) => {
            assert_eq!(*limit, discovery::MAX_DOCUMENT_BYTES);
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    assert!(err.to_string().contains("256 KiB"), "{err}");
}

#[tokio::test]
async fn a_server_without_discovery_is_not_an_oidc_provider() {
    // The hostile server answers 404 to every path its mode does not serve.
    let server = NodeServer::start("hostile.mjs", &["--mode", "redirect"]);
    let issuer = format!("{}/nothing-here", server.url);

    let err = discovery::fetch(&http::client(), &issuer)
        .await
        .unwrap_err();

    assert!(
        matches!(err, DiscoveryError::NotAnOidcProvider { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("HTTP 404"), "{err}");
}
