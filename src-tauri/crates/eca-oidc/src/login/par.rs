//! Pushed authorization requests (RFC 9126): the authorization request's parameters are POSTed
//! to the IdP's PAR endpoint, the client authenticated as at the token endpoint, and the browser
//! is sent with only `client_id` and the `request_uri` the IdP answered with.
//!
//! Invariants:
//! - The pushed parameters are exactly the ones the authorization URL would carry, each once.
//!   The client authenticates through [`ClientCredentials::authenticate`] (the one place a
//!   credential goes on the wire); `client_id` goes where that puts it, or else in the body as
//!   the authorization parameter it is (RFC 9126 §2.1).
//! - The answer is read within [`MAX_PAR_RESPONSE`] bytes. Its `request_uri` is used only when
//!   it is an absolute URI of bounded length without control characters, and `expires_in` only
//!   when it is a positive number of seconds (§2.2); anything else is a [`TestError`] that says
//!   what to check.
//! - The browser's URL adds only `client_id` and `request_uri` to the authorization endpoint
//!   (§4): no `state`, PKCE challenge or `nonce` reaches the browser's address bar.

use super::client_auth::{ClientCredentials, Form};
use super::flow::authorization_error_fix;
use super::loopback::registration_advice;
use super::report::{TestError, TestErrorCode};
use super::token::{idp_said, OAuthError};
use crate::http::{self, HttpError, HttpResponse};
use serde_json::Value;
use url::Url;

/// A PAR answer is two short fields; this leaves room for a verbose error description.
pub const MAX_PAR_RESPONSE: usize = 64 * 1024;
/// The longest `request_uri` put in the browser's URL.
const MAX_REQUEST_URI: usize = 2048;

/// One push: where, who, and the authorization request's parameters.
pub struct ParRequest<'a> {
    pub endpoint: &'a str,
    pub client: ClientCredentials<'a>,
    /// A client assertion's `aud` at this endpoint (the issuer, RFC 9126 §2).
    pub audience: &'a str,
    /// The authorization request's parameters, as the authorization URL would carry them.
    pub params: &'a [(String, String)],
    /// The redirect URI among `params`, and the IdP's fixed loopback port: what an error may
    /// advise registering.
    pub redirect_uri: &'a str,
    pub loopback_port: Option<u16>,
}

/// What the IdP answered: the reference the browser takes, and for how long it works.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pushed {
    pub request_uri: String,
    pub expires_in: u64,
}

/// Pushes the request and reads the IdP's answer.
pub async fn push(client: &http::HttpClient, req: &ParRequest<'_>) -> Result<Pushed, TestError> {
    let mut credential = Form::new();
    let request = client
        .post(req.endpoint)
        .header("Accept", "application/json");
    let request = req
        .client
        .authenticate(request, &mut credential, req.audience)?;
    let body = body(req, credential);
    let response = client
        .send(request.form(&body), MAX_PAR_RESPONSE)
        .await
        .map_err(http_failure)?;
    read_answer(response, req)
}

/// The form: the parameters without `client_id`, then the client's credential, and
/// `client_id` in the body when the credential did not put it there.
fn body(req: &ParRequest<'_>, credential: Form) -> Vec<(String, String)> {
    let mut body: Vec<(String, String)> = req
        .params
        .iter()
        .filter(|(key, _)| key != "client_id")
        .cloned()
        .collect();
    if !credential.iter().any(|(key, _)| *key == "client_id") {
        body.push(("client_id".into(), req.client.client_id.into()));
    }
    body.extend(credential.into_iter().map(|(k, v)| (k.to_string(), v)));
    body
}

/// The URL the browser opens: the authorization endpoint with `client_id` and `request_uri`.
pub fn browser_url(mut authorization_endpoint: Url, client_id: &str, pushed: &Pushed) -> Url {
    authorization_endpoint
        .query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("request_uri", &pushed.request_uri);
    authorization_endpoint
}

/// The PAR endpoint's answer, any status: the reference, or what its error means.
fn read_answer(response: HttpResponse, req: &ParRequest<'_>) -> Result<Pushed, TestError> {
    if !response.is_success() {
        return Err(match response.json::<OAuthError>() {
            Ok(e) => explain(&e, response.meta.status, req),
            Err(_) => http_failure(
                response
                    .into_success()
                    .err()
                    .unwrap_or(HttpError::Transport {
                        host: String::new(),
                        detail: "the PAR endpoint refused the request".into(),
                    }),
            ),
        });
    }
    let answer: Value = response.json().map_err(|e| {
        bad_answer(format!(
            "The PAR endpoint accepted the request, but its answer is not JSON: {e}"
        ))
    })?;
    let request_uri = match answer.get("request_uri") {
        Some(Value::String(uri)) => check_request_uri(uri)?,
        _ => {
            return Err(bad_answer(
                "The PAR endpoint's answer has no request_uri (RFC 9126 §2.2).".into(),
            ))
        }
    };
    let expires_in = answer
        .get("expires_in")
        .and_then(Value::as_u64)
        .filter(|secs| *secs > 0)
        .ok_or_else(|| {
            bad_answer(
                "The PAR endpoint's answer has no expires_in as a positive number of seconds \
                 (RFC 9126 §2.2)."
                    .into(),
            )
        })?;
    Ok(Pushed {
        request_uri,
        expires_in,
    })
}

/// A `request_uri` the browser may carry: an absolute URI, bounded, printable.
fn check_request_uri(uri: &str) -> Result<String, TestError> {
    let printable = !uri.chars().any(|c| c.is_control() || c.is_whitespace());
    if uri.len() <= MAX_REQUEST_URI && printable && Url::parse(uri).is_ok() {
        return Ok(uri.to_string());
    }
    Err(bad_answer(format!(
        "The PAR endpoint's request_uri is not an absolute URI of at most {MAX_REQUEST_URI} \
         printable characters (RFC 9126 §2.2)."
    )))
}

fn bad_answer(message: String) -> TestError {
    TestError::new(
        TestErrorCode::ParResponse,
        message,
        "Check that the IdP's pushed_authorization_request_endpoint is its PAR endpoint; if it \
         is, the IdP answers PAR out of spec: report it to the IdP's administrators.",
    )
}

fn http_failure(e: HttpError) -> TestError {
    TestError::new(
        TestErrorCode::ParEndpoint,
        format!("The pushed authorization request failed: {e}"),
        "Check the PAR endpoint the IdP advertises (pushed_authorization_request_endpoint) and \
         that the IdP is reachable from this computer.",
    )
}

/// An OAuth error from the PAR endpoint (RFC 9126 §2.3): the authorization request's errors,
/// plus the client authentication's.
fn explain(e: &OAuthError, status: u16, req: &ParRequest<'_>) -> TestError {
    let said = idp_said(e.error_description.as_deref());
    let code = TestErrorCode::from_idp(&e.error);
    let (message, fix) = match &code {
        TestErrorCode::InvalidClient => (
            format!(
                "The IdP refused the client at its PAR endpoint (invalid_client, HTTP {status}).{said}"
            ),
            req.client.invalid_client_fix(),
        ),
        TestErrorCode::InvalidRequest => (
            format!("The IdP refused the pushed authorization request (invalid_request).{said}"),
            format!(
                "Check the extra parameters and the scopes. {}",
                registration_advice(req.redirect_uri, req.loopback_port)
            ),
        ),
        TestErrorCode::UnauthorizedClient => (
            format!("The client may not push authorization requests (unauthorized_client).{said}"),
            "Allow pushed authorization requests and the authorization code grant for this \
             client at the IdP."
                .into(),
        ),
        other => (
            format!("The IdP answered the pushed authorization request with the error \"{other}\".{said}"),
            authorization_error_fix(other).into(),
        ),
    };
    TestError::new(code, message, fix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::HttpMeta;
    use crate::login::client_auth::Credential;
    use eca_model::idp::ClientAuthMethod;
    use eca_model::secret::Secret;

    const PARAMS: &[(&str, &str)] = &[
        ("response_type", "code"),
        ("client_id", "c"),
        ("redirect_uri", "http://127.0.0.1:4000/oauth/callback"),
        ("state", "s"),
    ];

    fn params() -> Vec<(String, String)> {
        PARAMS
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn request<'a>(
        params: &'a [(String, String)],
        method: ClientAuthMethod,
        secret: Option<&'a Secret>,
    ) -> ParRequest<'a> {
        ParRequest {
            endpoint: "https://idp.example/par",
            client: ClientCredentials {
                client_id: "c",
                method,
                credential: secret.map(Credential::Secret),
            },
            audience: "https://idp.example",
            params,
            redirect_uri: "http://127.0.0.1:4000/oauth/callback",
            loopback_port: None,
        }
    }

    /// The form as sent, and the `Authorization` header.
    fn sent(req: &ParRequest<'_>) -> (Vec<(String, String)>, Option<String>) {
        let mut credential = Form::new();
        let builder = req
            .client
            .authenticate(
                reqwest::Client::new().post(req.endpoint),
                &mut credential,
                req.audience,
            )
            .unwrap();
        let header = builder
            .build()
            .unwrap()
            .headers()
            .get("Authorization")
            .map(|v| v.to_str().unwrap().to_string());
        (body(req, credential), header)
    }

    fn count(form: &[(String, String)], key: &str) -> usize {
        form.iter().filter(|(k, _)| k == key).count()
    }

    #[test]
    fn every_parameter_is_pushed_once_with_the_client_authenticated_in_its_one_place() {
        let (secret, params) = (Secret::new("s3cret"), params());
        for method in [
            ClientAuthMethod::ClientSecretBasic,
            ClientAuthMethod::ClientSecretPost,
            ClientAuthMethod::None,
        ] {
            let (form, header) = sent(&request(&params, method, Some(&secret)));
            for (key, value) in PARAMS {
                assert_eq!(count(&form, key), 1, "{method:?}: {key} once in {form:?}");
                assert!(form.contains(&(key.to_string(), value.to_string())));
            }
            let in_body = count(&form, "client_secret") == 1;
            assert_eq!(
                (header.is_some(), in_body),
                match method {
                    ClientAuthMethod::ClientSecretBasic => (true, false),
                    ClientAuthMethod::ClientSecretPost => (false, true),
                    ClientAuthMethod::None => (false, false),
                    ClientAuthMethod::PrivateKeyJwt => unreachable!("not among the methods tried"),
                },
                "{method:?}"
            );
        }
    }

    fn answer(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            meta: HttpMeta {
                url: "https://idp.example/par".into(),
                status,
                content_type: Some("application/json".into()),
                headers: Default::default(),
            },
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn a_good_answer_gives_the_browser_only_client_id_and_request_uri() {
        let (secret, params) = (Secret::new("s3cret"), params());
        let req = request(&params, ClientAuthMethod::ClientSecretBasic, Some(&secret));
        let body = r#"{"request_uri":"urn:ietf:params:oauth:request_uri:abc","expires_in":60}"#;
        let pushed = read_answer(answer(201, body), &req).unwrap();
        assert_eq!(pushed.expires_in, 60);
        let endpoint = Url::parse("https://idp.example/auth?p=b2c_1_signin").unwrap();
        let url = browser_url(endpoint, "c", &pushed);
        let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(
            query,
            [
                ("p".to_string(), "b2c_1_signin".to_string()),
                ("client_id".into(), "c".into()),
                (
                    "request_uri".into(),
                    "urn:ietf:params:oauth:request_uri:abc".into()
                ),
            ],
            "the endpoint's own query stays; nothing else is added"
        );
    }

    #[test]
    fn a_bad_answer_is_refused_with_what_to_check() {
        let (secret, params) = (Secret::new("s3cret"), params());
        let req = request(&params, ClientAuthMethod::ClientSecretBasic, Some(&secret));
        let long = format!(
            r#"{{"request_uri":"urn:x:{}","expires_in":60}}"#,
            "a".repeat(MAX_REQUEST_URI)
        );
        for (status, body, code) in [
            (201, r#"{"expires_in":60}"#, TestErrorCode::ParResponse),
            (
                201,
                r#"{"request_uri":7,"expires_in":60}"#,
                TestErrorCode::ParResponse,
            ),
            (
                201,
                r#"{"request_uri":"not a uri","expires_in":60}"#,
                TestErrorCode::ParResponse,
            ),
            (
                201,
                r#"{"request_uri":"urn:x:\u0007","expires_in":60}"#,
                TestErrorCode::ParResponse,
            ),
            (201, long.as_str(), TestErrorCode::ParResponse),
            (
                201,
                r#"{"request_uri":"urn:x:y"}"#,
                TestErrorCode::ParResponse,
            ),
            (
                201,
                r#"{"request_uri":"urn:x:y","expires_in":0}"#,
                TestErrorCode::ParResponse,
            ),
            (201, "<html>ok</html>", TestErrorCode::ParResponse),
            (
                401,
                r#"{"error":"invalid_client"}"#,
                TestErrorCode::InvalidClient,
            ),
            (
                400,
                r#"{"error":"invalid_request","error_description":"redirect_uri"}"#,
                TestErrorCode::InvalidRequest,
            ),
            (
                400,
                r#"{"error":"invalid_scope"}"#,
                TestErrorCode::InvalidScope,
            ),
            (500, "<html>down</html>", TestErrorCode::ParEndpoint),
        ] {
            let error = read_answer(answer(status, body), &req).unwrap_err();
            assert_eq!(error.code, code, "{status} {body}: {error:?}");
            assert!(!error.fix.is_empty(), "{status} {body}: says what to do");
            assert!(!error.message.contains("s3cret"));
        }
        let error = read_answer(answer(401, r#"{"error":"invalid_client"}"#), &req).unwrap_err();
        assert!(error.message.contains("PAR endpoint"), "{}", error.message);
        assert!(error.fix.contains("client_secret_post"), "{}", error.fix);
        let error = read_answer(answer(400, r#"{"error":"invalid_request"}"#), &req).unwrap_err();
        assert!(
            error.fix.contains("http://127.0.0.1"),
            "names the redirect URI to register: {}",
            error.fix
        );
    }

    mod props {
        //! Any answer of a PAR endpoint, whatever its status: a usable reference or a refusal,
        //! never a panic, a bounded message, and a `request_uri` only when it may go in a URL.
        //! (`make fuzz` runs many more cases.)
        use super::*;
        use eca_testkit::arbitrary;
        use proptest::prelude::*;

        const FIELDS: &[&str] = &["request_uri", "expires_in", "error", "error_description"];

        proptest! {
            #[test]
            fn any_par_answer_is_read_or_refused(
                status in prop_oneof![Just(201u16), Just(200), Just(400), Just(401), 100u16..600],
                body in prop_oneof![
                    arbitrary::body(FIELDS),
                    arbitrary::object(FIELDS).prop_map(|v| v.to_string().into_bytes()),
                ],
            ) {
                let (secret, params) = (Secret::new("s3cret-value"), params());
                let req = request(&params, ClientAuthMethod::ClientSecretBasic, Some(&secret));
                let mut response = answer(status, "");
                response.body = body.clone();
                match read_answer(response, &req) {
                    Ok(pushed) => {
                        prop_assert!((200..300).contains(&status));
                        prop_assert!(pushed.expires_in > 0);
                        prop_assert!(pushed.request_uri.len() <= MAX_REQUEST_URI);
                        prop_assert!(!pushed.request_uri.chars().any(char::is_control));
                    }
                    Err(error) => {
                        let said = error.message.len() + error.fix.len();
                        prop_assert!(said <= 2 * body.len() + 2048, "{said} bytes: {error:?}");
                        prop_assert!(!error.message.contains("s3cret-value"));
                    }
                }
            }
        }
    }
}
