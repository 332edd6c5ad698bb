//! The token request (RFC 6749 §4.1.3 with PKCE, RFC 7636) and what its errors mean.
//!
//! Invariants:
//! - The client authenticates as [`super::client_auth`] says, and nowhere else.
//! - Error messages name the IdP's error code and say what to change in this app or at the IdP.

use super::client_auth::{ClientCredentials, Form};
use super::loopback::registration_advice;
use super::report::{TestError, TestErrorCode};
use crate::http::{self, HttpError, HttpResponse};
use serde::Deserialize;

const MAX_TOKEN_RESPONSE: usize = 256 * 1024;

/// A successful token response. Tokens are credentials: this type is never serialised.
#[derive(Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: Option<u64>,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
    pub scope: Option<String>,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// An OAuth error response (RFC 6749 §5.2), as the token and PAR endpoints answer.
#[derive(Deserialize)]
pub(super) struct OAuthError {
    pub(super) error: String,
    pub(super) error_description: Option<String>,
}

pub struct TokenRequest<'a> {
    pub token_endpoint: &'a str,
    pub client: ClientCredentials<'a>,
    pub code: &'a str,
    pub redirect_uri: &'a str,
    /// The IdP's fixed loopback port, if any: what an error may advise registering.
    pub loopback_port: Option<u16>,
    pub code_verifier: &'a str,
}

/// Exchanges the authorization code for tokens.
pub async fn exchange(
    client: &http::HttpClient,
    req: TokenRequest<'_>,
) -> Result<TokenResponse, TestError> {
    let mut form: Form = vec![
        ("grant_type", "authorization_code".into()),
        ("code", req.code.into()),
        ("redirect_uri", req.redirect_uri.into()),
        ("code_verifier", req.code_verifier.into()),
    ];
    let request = client
        .post(req.token_endpoint)
        .header("Accept", "application/json");
    let request = req
        .client
        .authenticate(request, &mut form, req.token_endpoint)?;
    let response = client
        .send(request.form(&form), MAX_TOKEN_RESPONSE)
        .await
        .map_err(http_failure)?;
    read_answer(response, &req)
}

/// The token endpoint's answer, any status: the tokens, or what its error means.
fn read_answer(response: HttpResponse, req: &TokenRequest<'_>) -> Result<TokenResponse, TestError> {
    if response.is_success() {
        let tokens: TokenResponse = response.json().map_err(|e| {
            TestError::new(
                TestErrorCode::TokenResponse,
                format!("The token endpoint's answer is not a valid token response: {e}"),
                "Check that the token endpoint URL is the IdP's OAuth token endpoint.",
            )
        })?;
        if !tokens.token_type.eq_ignore_ascii_case("bearer") {
            return Err(TestError::new(
                TestErrorCode::TokenType,
                format!(
                    "The IdP issued a \"{}\" token; only Bearer tokens are supported.",
                    tokens.token_type
                ),
                "Configure the client at the IdP to issue Bearer access tokens.",
            ));
        }
        return Ok(tokens);
    }
    let status = response.meta.status;
    match response.json::<OAuthError>() {
        Ok(e) => Err(explain(
            &e.error,
            e.error_description.as_deref(),
            status,
            req,
        )),
        Err(_) => Err(http_failure(response.into_success().err().unwrap_or(
            HttpError::Transport {
                host: String::new(),
                detail: format!("HTTP {status}"),
            },
        ))),
    }
}

fn http_failure(e: HttpError) -> TestError {
    TestError::new(
        TestErrorCode::TokenEndpoint,
        format!("The token request failed: {e}"),
        "Check the token endpoint URL and that the IdP is reachable from this computer.",
    )
}

/// Turns an OAuth error response into what to do about it (RFC 6749 §5.2).
fn explain(
    error: &str,
    description: Option<&str>,
    status: u16,
    req: &TokenRequest<'_>,
) -> TestError {
    let said = idp_said(description);
    let code = TestErrorCode::from_idp(error);
    let (message, fix) = match &code {
        TestErrorCode::InvalidClient => (
            format!("The IdP rejected the client's credentials (invalid_client, HTTP {status}).{said}"),
            req.client.invalid_client_fix(),
        ),
        TestErrorCode::InvalidGrant => (
            format!("The IdP refused the authorization code (invalid_grant).{said}"),
            format!(
                "The code may have expired or been used already, or the redirect URI differs from the one the login started with. {} Then run the test again.",
                registration_advice(req.redirect_uri, req.loopback_port)
            ),
        ),
        TestErrorCode::UnauthorizedClient => (
            format!("The client may not use the authorization code grant (unauthorized_client).{said}"),
            "Enable the authorization code grant for this client at the IdP.".into(),
        ),
        TestErrorCode::InvalidScope => (
            format!("The IdP refused the requested scopes (invalid_scope).{said}"),
            "Remove the scopes the IdP does not grant to this client, or allow them at the IdP.".into(),
        ),
        TestErrorCode::UnsupportedGrantType => (
            format!("The IdP does not support the authorization code grant here (unsupported_grant_type).{said}"),
            "Check that the token endpoint is the IdP's OAuth 2.0 token endpoint.".into(),
        ),
        TestErrorCode::InvalidRequest => (
            format!("The IdP found the token request malformed (invalid_request).{said}"),
            "Check the client authentication method and that the IdP supports PKCE (S256).".into(),
        ),
        other => (
            format!("The IdP answered the token request with the error \"{other}\".{said}"),
            "Look up this error in the IdP's documentation or logs.".into(),
        ),
    };
    TestError::new(code, message, fix)
}

/// The IdP's `error_description`, cleaned, as a sentence to append to a message ("" if none).
pub(super) fn idp_said(description: Option<&str>) -> String {
    description
        .map(|d| format!(" The IdP said: \"{}\".", clean(d)))
        .unwrap_or_default()
}

/// IdP-supplied text, made safe to show: printable, bounded.
pub fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use eca_model::idp::ClientAuthMethod;
    use eca_model::secret::Secret;

    #[test]
    fn invalid_client_says_to_check_secret_and_method() {
        let secret = Secret::new("x");
        let req = TokenRequest {
            token_endpoint: "https://idp/t",
            client: ClientCredentials {
                client_id: "c",
                method: ClientAuthMethod::ClientSecretBasic,
                credential: Some(crate::login::client_auth::Credential::Secret(&secret)),
            },
            code: "c",
            redirect_uri: "com.ecaadmin.desktop:/oauth/callback",
            loopback_port: None,
            code_verifier: "v",
        };
        let e = explain("invalid_client", Some("bad secret"), 401, &req);
        assert_eq!(e.code, TestErrorCode::InvalidClient);
        assert!(e.fix.contains("client_secret_post"), "{}", e.fix);
        let e = explain("invalid_grant", None, 400, &req);
        assert!(
            e.fix.contains("com.ecaadmin.desktop:/oauth/callback"),
            "{}",
            e.fix
        );
    }

    #[test]
    fn debug_hides_tokens() {
        let t = TokenResponse {
            access_token: "AT-SECRET".into(),
            token_type: "Bearer".into(),
            expires_in: None,
            refresh_token: Some("RT-SECRET".into()),
            id_token: None,
            scope: None,
        };
        let shown = format!("{t:?}");
        assert!(
            !shown.contains("AT-SECRET") && !shown.contains("RT-SECRET"),
            "{shown}"
        );
    }

    mod props {
        //! Any answer of a token endpoint, whatever its status: tokens or a refusal, never a
        //! panic, and a message of bounded length. (`make fuzz` runs many more cases.)
        use super::super::*;
        use crate::http::HttpMeta;
        use eca_model::idp::ClientAuthMethod;
        use eca_model::secret::Secret;
        use eca_testkit::arbitrary;
        use proptest::prelude::*;

        const FIELDS: &[&str] = &[
            "access_token",
            "token_type",
            "expires_in",
            "refresh_token",
            "id_token",
            "scope",
            "error",
            "error_description",
        ];

        proptest! {
            #[test]
            fn any_token_answer_is_read_or_refused(
                status in prop_oneof![Just(200u16), Just(400), Just(401), 100u16..600],
                html in any::<bool>(),
                body in prop_oneof![arbitrary::body(FIELDS), arbitrary::object(FIELDS).prop_map(|v| v.to_string().into_bytes())],
            ) {
                let response = HttpResponse {
                    meta: HttpMeta {
                        url: "https://idp.example/token".into(),
                        status,
                        content_type: html.then(|| "text/html".to_string()),
                        headers: Default::default(),
                    },
                    body: body.clone(),
                };
                let secret = Secret::new("s3cret-value");
                let req = TokenRequest {
                    token_endpoint: "https://idp.example/token",
                    client: ClientCredentials {
                        client_id: "client",
                        method: ClientAuthMethod::ClientSecretBasic,
                        credential: Some(crate::login::client_auth::Credential::Secret(&secret)),
                    },
                    code: "c",
                    redirect_uri: "http://127.0.0.1:4000/oauth/callback",
                    loopback_port: None,
                    code_verifier: "v",
                };
                if let Err(error) = read_answer(response, &req) {
                    let said = error.message.len() + error.fix.len();
                    prop_assert!(said <= 2 * body.len() + 2048, "{said} bytes: {error:?}");
                    prop_assert!(!error.message.contains("s3cret-value"));
                }
            }
        }
    }
}
