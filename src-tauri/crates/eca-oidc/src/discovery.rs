//! OpenID Connect Discovery: fetch an issuer's `/.well-known/openid-configuration` and keep
//! what the app needs to fill in and check an IdP's settings.
//!
//! Invariants:
//! - The document's `issuer` equals the issuer the admin entered, as an exact string
//!   (Discovery §4.3; no normalisation, so `https://idp` and `https://idp/` differ). Anything
//!   else is refused: a document may only speak for itself.
//! - A [`DiscoveryInfo`] always has the endpoints the code flow needs and supports `code`;
//!   optional metadata absent from the document holds the spec's default (Discovery §3,
//!   RFC 8414 §2, RFC 9207 §3), never a guess.
//! - Parsing ([`parse_document`]) is pure; [`fetch_dated`] only adds the HTTP exchange, through
//!   [`crate::http`] (no redirects, body capped at [`MAX_DOCUMENT_BYTES`]). It is the one
//!   discovery fetch: the settings form, readiness and the test login all use it.
//! - "Does the IdP advertise it" is answered once, by [`DiscoveryInfo`]'s methods.

use crate::issuer::IssuerRule;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

use crate::http::{self, HttpError};
use eca_model::idp::ClientAuthMethod;
use eca_model::validation::{is_loopback_url, reserved_in_query};
use strum::VariantArray;

/// Real documents are a few KiB; this leaves room for long lists of algorithms and claims.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

const WELL_KNOWN: &str = "/.well-known/openid-configuration";

/// What discovery tells about an IdP, shown in the UI and used to fill its settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct DiscoveryInfo {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: String,
    /// Empty when the IdP does not announce PKCE support (RFC 8414 §2: omitted = none).
    pub code_challenge_methods_supported: Vec<String>,
    /// `["client_secret_basic"]` when omitted (Discovery §3).
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// Empty when omitted: the field is only recommended.
    pub scopes_supported: Vec<String>,
    /// Required by Discovery §3, but some IdPs omit it: empty then.
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// The algorithms the token endpoint takes client assertions in (private_key_jwt); empty
    /// when omitted.
    pub token_endpoint_auth_signing_alg_values_supported: Vec<String>,
    /// Whether the authorization response carries `iss` (RFC 9207); `false` when omitted.
    pub authorization_response_iss_parameter_supported: bool,
    /// Where authorization requests are pushed (RFC 9126 §5); `None` when not advertised.
    pub pushed_authorization_request_endpoint: Option<String>,
    /// Whether the IdP accepts only pushed authorization requests; `false` when omitted.
    pub require_pushed_authorization_requests: bool,
}

impl DiscoveryInfo {
    /// Whether the IdP advertises PKCE with S256, the only method this app sends.
    pub fn advertises_pkce_s256(&self) -> bool {
        self.code_challenge_methods_supported
            .iter()
            .any(|m| m == "S256")
    }

    /// Where to push the authorization request (RFC 9126), when the IdP advertises it: a login
    /// pushes whenever this is `Some`, whether or not the IdP requires it.
    pub fn par_endpoint(&self) -> Option<&str> {
        self.pushed_authorization_request_endpoint.as_deref()
    }

    /// Whether the IdP advertises the client authentication `method` (e.g. `client_secret_basic`)
    /// at its token endpoint.
    pub fn advertises_auth_method(&self, method: &str) -> bool {
        self.token_endpoint_auth_methods_supported
            .iter()
            .any(|m| m == method)
    }
}

/// What an admin should hear before saving a configuration, from the IdP's discovery document.
/// Every client authentication method the IdP does not advertise gets its warning here, so
/// the form shows the one for the method chosen as it changes, without asking again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct DiscoveryAdvice {
    /// Set when the IdP does not advertise PKCE with S256.
    pub pkce: Option<String>,
    /// A warning for each method the IdP does not advertise at its token endpoint.
    pub unadvertised_methods: Vec<MethodWarning>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct MethodWarning {
    pub method: ClientAuthMethod,
    pub warning: String,
}

/// An issuer's discovery document and what it means for the form: what "Fetch from issuer"
/// returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct IssuerDiscovery {
    pub info: DiscoveryInfo,
    pub advice: DiscoveryAdvice,
}

impl DiscoveryInfo {
    /// The warnings of [`DiscoveryAdvice`], from the same `advertises_*` checks the readiness
    /// checks and the test login use.
    pub fn advice(&self) -> DiscoveryAdvice {
        let pkce = (!self.advertises_pkce_s256()).then(|| {
            if self.code_challenge_methods_supported.is_empty() {
                "The IdP does not advertise PKCE support (code_challenge_methods_supported is \
                 missing). Embedded Client Authentication sends PKCE with S256; confirm the IdP \
                 accepts it."
                    .to_string()
            } else {
                format!(
                    "The IdP does not advertise PKCE with S256 (it lists {}). Embedded Client \
                     Authentication requires S256.",
                    self.code_challenge_methods_supported.join(", ")
                )
            }
        });
        let unadvertised_methods = ClientAuthMethod::VARIANTS
            .iter()
            .copied()
            .filter(|m| !self.advertises_auth_method(m.as_str()))
            .map(|method| MethodWarning {
                method,
                warning: format!(
                    "The IdP does not advertise {} for its token endpoint (it lists {}). Choose \
                     one of those under Client authentication.",
                    method.as_str(),
                    self.token_endpoint_auth_methods_supported.join(", ")
                ),
            })
            .collect();
        DiscoveryAdvice {
            pkce,
            unadvertised_methods,
        }
    }
}

/// Fetches `issuer`'s discovery document with the advice the form shows.
pub async fn discover(
    client: &http::HttpClient,
    issuer: &str,
) -> Result<IssuerDiscovery, DiscoveryError> {
    let info = fetch(client, issuer).await?;
    let advice = info.advice();
    Ok(IssuerDiscovery { info, advice })
}

/// A discovery document as fetched, with the IdP's clock at that moment.
#[derive(Clone, Debug)]
pub struct Discovered {
    pub info: DiscoveryInfo,
    /// The response's `Date` header, when it has a valid one.
    pub date: Option<time::OffsetDateTime>,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error(
        "The issuer \"{issuer}\" is not a valid issuer URL: {reason}. Enter it exactly as the \
         IdP documents it, e.g. https://login.example.com/realms/main."
    )]
    InvalidIssuer { issuer: String, reason: String },

    #[error(transparent)]
    Http(#[from] HttpError),

    #[error(
        "No OpenID Connect discovery document at {url} ({reason}). Check the issuer URL (some \
         IdPs need a path, e.g. /realms/<name>). If this IdP only speaks OAuth 2.0, choose \
         OAuth 2.0 and enter its endpoints by hand."
    )]
    NotAnOidcProvider { url: String, reason: String },

    #[error(
        "The IdP's discovery document names its issuer \"{found}\", but the issuer entered is \
         \"{expected}\". They must match exactly (OpenID Connect Discovery §4.3){}. If you trust \
         this IdP, enter \"{found}\" as the issuer.",
        slash_hint(.expected, .found)
    )]
    IssuerMismatch { expected: String, found: String },

    #[error(
        "The IdP's discovery document has no \"{0}\", which the authorization code flow needs. \
         Check the IdP's OpenID Connect configuration, or choose OAuth 2.0 and enter the \
         endpoints by hand."
    )]
    MissingField(&'static str),

    #[error(
        "The IdP's discovery document has an invalid \"{field}\": {reason}. Check the IdP's \
         OpenID Connect configuration."
    )]
    InvalidField { field: &'static str, reason: String },

    #[error(
        "The IdP does not offer the authorization code flow (response_types_supported: {}). \
         ECA Admin needs \"code\": enable it for this IdP.",
        .supported.join(", ")
    )]
    CodeFlowUnsupported { supported: Vec<String> },
}

impl From<DiscoveryError> for eca_model::problem::Problem {
    fn from(e: DiscoveryError) -> Self {
        use eca_model::problem::{Problem, ProblemCode};
        Problem::new(ProblemCode::Discovery, e.to_string())
    }
}

/// The one mismatch admins make most: a trailing slash the IdP does not use (or does).
fn slash_hint(expected: &str, found: &str) -> &'static str {
    if expected != found && expected.trim_end_matches('/') == found.trim_end_matches('/') {
        "; here they differ by a trailing slash"
    } else {
        ""
    }
}

/// The discovery URL for `issuer`: one trailing slash removed, then the well-known path
/// appended (Discovery §4.1). Refuses issuers that cannot be one (§2: https URL with no query
/// or fragment; plain http is left to the caller's policy, since loopback tests need it).
pub fn discovery_url(issuer: &str) -> Result<Url, DiscoveryError> {
    let invalid = |reason: &str| DiscoveryError::InvalidIssuer {
        issuer: issuer.to_string(),
        reason: reason.to_string(),
    };
    if issuer.is_empty() {
        return Err(invalid("it is empty"));
    }
    if issuer.chars().any(char::is_whitespace) {
        return Err(invalid("it contains spaces or line breaks"));
    }
    let parsed = Url::parse(issuer).map_err(|err| invalid(&err.to_string()))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(invalid("it must start with https://"));
    }
    if parsed.host_str().is_none() {
        return Err(invalid("it has no host"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid("an issuer has no query (?…) or fragment (#…)"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid("an issuer has no user name or password in it"));
    }
    let base = issuer.strip_suffix('/').unwrap_or(issuer);
    Url::parse(&format!("{base}{WELL_KNOWN}")).map_err(|err| invalid(&err.to_string()))
}

/// Fetches and checks the discovery document of `issuer` (as entered, compared exactly).
pub async fn fetch(
    client: &http::HttpClient,
    issuer: &str,
) -> Result<DiscoveryInfo, DiscoveryError> {
    fetch_dated(client, issuer).await.map(|d| d.info)
}

/// [`fetch`], with the IdP's `Date` header (readiness compares clocks with it).
pub async fn fetch_dated(
    client: &http::HttpClient,
    issuer: &str,
) -> Result<Discovered, DiscoveryError> {
    let url = discovery_url(issuer)?;
    let (document, meta): (Value, _) = match client.get_json(&url, MAX_DOCUMENT_BYTES).await {
        Ok(fetched) => fetched,
        // A 404/410 or a web page instead of JSON: most likely not the issuer of an OIDC IdP.
        Err(HttpError::Status {
            url,
            status: status @ (404 | 410),
            reason,
            ..
        }) => {
            let reason = format!("HTTP {status} {reason}").trim_end().to_string();
            return Err(DiscoveryError::NotAnOidcProvider { url, reason });
        }
        Err(HttpError::InvalidJson {
            url,
            looks_like_html: true,
            ..
        }) => {
            let reason = "the server sent a web page, not JSON".to_string();
            return Err(DiscoveryError::NotAnOidcProvider { url, reason });
        }
        Err(err) => return Err(err.into()),
    };
    let date = meta
        .headers
        .get("date")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc2822).ok()
        });
    Ok(Discovered {
        info: parse_document(issuer, &document)?,
        date,
    })
}

/// Checks a discovery document against the issuer entered and extracts [`DiscoveryInfo`].
pub fn parse_document(
    expected_issuer: &str,
    document: &Value,
) -> Result<DiscoveryInfo, DiscoveryError> {
    let Value::Object(doc) = document else {
        return Err(DiscoveryError::InvalidField {
            field: "(document)",
            reason: format!("expected a JSON object, found {}", kind(document)),
        });
    };

    // The issuer first: nothing else in a document that speaks for another issuer matters.
    let issuer = string(doc, "issuer")?.ok_or(DiscoveryError::MissingField("issuer"))?;
    if issuer != IssuerRule::of(expected_issuer).discovery_issuer() {
        return Err(DiscoveryError::IssuerMismatch {
            expected: expected_issuer.to_string(),
            found: issuer,
        });
    }

    let endpoints = Endpoints::read(doc)?;

    let response_types = strings(doc, "response_types_supported")?
        .ok_or(DiscoveryError::MissingField("response_types_supported"))?;
    // Each entry is a space-separated set: only exactly "code" is the code flow.
    if !response_types.iter().any(|t| t == "code") {
        return Err(DiscoveryError::CodeFlowUnsupported {
            supported: response_types,
        });
    }

    Ok(DiscoveryInfo {
        issuer,
        authorization_endpoint: endpoints.authorization,
        token_endpoint: endpoints.token,
        userinfo_endpoint: endpoints.userinfo,
        jwks_uri: endpoints.jwks,
        code_challenge_methods_supported: strings(doc, "code_challenge_methods_supported")?
            .unwrap_or_default(),
        token_endpoint_auth_methods_supported: strings(
            doc,
            "token_endpoint_auth_methods_supported",
        )?
        .unwrap_or_else(|| vec!["client_secret_basic".to_string()]),
        scopes_supported: strings(doc, "scopes_supported")?.unwrap_or_default(),
        id_token_signing_alg_values_supported: strings(
            doc,
            "id_token_signing_alg_values_supported",
        )?
        .unwrap_or_default(),
        token_endpoint_auth_signing_alg_values_supported: strings(
            doc,
            "token_endpoint_auth_signing_alg_values_supported",
        )?
        .unwrap_or_default(),
        authorization_response_iss_parameter_supported: boolean(
            doc,
            "authorization_response_iss_parameter_supported",
        )?
        .unwrap_or(false),
        pushed_authorization_request_endpoint: endpoints.par,
        require_pushed_authorization_requests: boolean(
            doc,
            "require_pushed_authorization_requests",
        )?
        .unwrap_or(false),
    })
}

/// The endpoints a discovery document names, each checked for what it receives.
struct Endpoints {
    authorization: String,
    par: Option<String>,
    token: String,
    jwks: String,
    userinfo: Option<String>,
}

impl Endpoints {
    fn read(doc: &Map<String, Value>) -> Result<Self, DiscoveryError> {
        let required = |field: &'static str| -> Result<String, DiscoveryError> {
            string(doc, field)?.ok_or(DiscoveryError::MissingField(field))
        };
        let authorization = required("authorization_endpoint")?;
        check_request_endpoint("authorization_endpoint", &authorization)?;
        let par = string(doc, "pushed_authorization_request_endpoint")?;
        if let Some(endpoint) = &par {
            check_request_endpoint("pushed_authorization_request_endpoint", endpoint)?;
        }
        let token = required("token_endpoint")?;
        check_endpoint("token_endpoint", &token)?;
        let jwks = required("jwks_uri")?;
        check_endpoint("jwks_uri", &jwks)?;
        let userinfo = string(doc, "userinfo_endpoint")?;
        if let Some(endpoint) = &userinfo {
            check_endpoint("userinfo_endpoint", endpoint)?;
        }
        Ok(Endpoints {
            authorization,
            par,
            token,
            jwks,
            userinfo,
        })
    }
}

/// An endpoint that receives the authorization request's parameters (the authorization
/// endpoint, and the PAR endpoint that takes the same ones): plain http only to this computer
/// (the browser is sent to one, and a pushed request carries the same parameters), and no
/// parameter in its own query that the app sets itself.
fn check_request_endpoint(field: &'static str, value: &str) -> Result<(), DiscoveryError> {
    let url = check_endpoint(field, value)?;
    let invalid = |reason: String| DiscoveryError::InvalidField { field, reason };
    if url.scheme() == "http" && !is_loopback_url(&url) {
        return Err(invalid(format!(
            "\"{value}\" uses plain http, which is allowed only to this computer; use https"
        )));
    }
    reserved_in_query(&url).map_or(Ok(()), |reason| Err(invalid(reason)))
}

/// An endpoint must be an absolute http(s) URL without a fragment (Discovery §3, RFC 6749 §3.1).
fn check_endpoint(field: &'static str, value: &str) -> Result<Url, DiscoveryError> {
    let invalid = |reason: String| DiscoveryError::InvalidField { field, reason };
    let url =
        Url::parse(value).map_err(|err| invalid(format!("\"{value}\" is not a URL ({err})")))?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(invalid(format!("\"{value}\" is not an http(s) URL")));
    }
    if url.fragment().is_some() {
        return Err(invalid(format!("\"{value}\" has a fragment (#…)")));
    }
    Ok(url)
}

/// `null` counts as absent, as many IdPs write it for metadata they do not support.
fn string(doc: &Map<String, Value>, field: &'static str) -> Result<Option<String>, DiscoveryError> {
    match doc.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(wrong_type(field, "a string", other)),
    }
}

fn strings(
    doc: &Map<String, Value>,
    field: &'static str,
) -> Result<Option<Vec<String>>, DiscoveryError> {
    match doc.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(wrong_type(field, "a list of strings", other)),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(other) => Err(wrong_type(field, "a list of strings", other)),
    }
}

fn boolean(doc: &Map<String, Value>, field: &'static str) -> Result<Option<bool>, DiscoveryError> {
    match doc.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(wrong_type(field, "true or false", other)),
    }
}

fn wrong_type(field: &'static str, expected: &str, found: &Value) -> DiscoveryError {
    DiscoveryError::InvalidField {
        field,
        reason: format!("expected {expected}, found {}", kind(found)),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ISSUER: &str = "https://idp.example/realms/main";

    fn minimal() -> Value {
        json!({
            "issuer": ISSUER,
            "authorization_endpoint": "https://idp.example/realms/main/auth",
            "token_endpoint": "https://idp.example/realms/main/token",
            "jwks_uri": "https://idp.example/realms/main/certs",
            "response_types_supported": ["code", "code id_token"],
            "subject_types_supported": ["public"],
        })
    }

    fn with(mut doc: Value, field: &str, value: Value) -> Value {
        doc[field] = value;
        doc
    }

    fn without(mut doc: Value, field: &str) -> Value {
        doc.as_object_mut().unwrap().remove(field);
        doc
    }

    #[test]
    fn discovery_url_strips_one_trailing_slash() {
        let url = |issuer| discovery_url(issuer).unwrap().to_string();
        assert_eq!(
            url("https://idp.example"),
            "https://idp.example/.well-known/openid-configuration"
        );
        assert_eq!(
            url("https://idp.example/"),
            "https://idp.example/.well-known/openid-configuration"
        );
        assert_eq!(
            url("https://idp.example/realms/main/"),
            "https://idp.example/realms/main/.well-known/openid-configuration"
        );
    }

    #[test]
    fn discovery_url_refuses_what_cannot_be_an_issuer() {
        for issuer in [
            "",
            "idp.example",
            "ftp://idp.example",
            "https://idp.example?x=1",
            "https://idp.example#x",
            " https://idp.example",
            "https://user:pw@idp.example",
            "https://user@idp.example",
            "https://:pw@idp.example",
        ] {
            assert!(
                matches!(
                    discovery_url(issuer),
                    Err(DiscoveryError::InvalidIssuer { .. })
                ),
                "{issuer:?} must be refused"
            );
        }
    }

    #[test]
    fn a_minimal_document_gets_the_spec_defaults() {
        let info = parse_document(ISSUER, &minimal()).unwrap();
        assert_eq!(info.issuer, ISSUER);
        assert_eq!(info.token_endpoint, "https://idp.example/realms/main/token");
        assert_eq!(info.userinfo_endpoint, None);
        assert_eq!(
            info.token_endpoint_auth_methods_supported,
            ["client_secret_basic"]
        );
        assert!(
            info.code_challenge_methods_supported.is_empty(),
            "omitted = no PKCE announced"
        );
        assert!(info.scopes_supported.is_empty());
        assert!(info
            .token_endpoint_auth_signing_alg_values_supported
            .is_empty());
        assert!(!info.authorization_response_iss_parameter_supported);
    }

    #[test]
    fn an_empty_string_counts_as_absent_like_null() {
        for value in [json!(""), json!(null)] {
            let doc = with(minimal(), "userinfo_endpoint", value.clone());
            let info = parse_document(ISSUER, &doc).unwrap();
            assert_eq!(info.userinfo_endpoint, None, "userinfo_endpoint = {value}");
        }
    }

    #[test]
    fn a_full_document_is_read_as_is() {
        let doc = json!({
            "issuer": ISSUER,
            "authorization_endpoint": "https://idp.example/auth",
            "token_endpoint": "https://idp.example/token",
            "userinfo_endpoint": "https://idp.example/me",
            "jwks_uri": "https://idp.example/jwks",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "none"],
            "scopes_supported": ["openid", "email"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "token_endpoint_auth_signing_alg_values_supported": ["PS256", "ES256"],
            "authorization_response_iss_parameter_supported": true,
            "unknown_extension": {"ignored": true},
        });
        let info = parse_document(ISSUER, &doc).unwrap();
        assert_eq!(
            info.userinfo_endpoint.as_deref(),
            Some("https://idp.example/me")
        );
        assert_eq!(info.code_challenge_methods_supported, ["S256"]);
        assert_eq!(
            info.token_endpoint_auth_methods_supported,
            ["client_secret_post", "none"]
        );
        assert_eq!(info.scopes_supported, ["openid", "email"]);
        assert_eq!(
            info.id_token_signing_alg_values_supported,
            ["RS256", "ES256"]
        );
        assert_eq!(
            info.token_endpoint_auth_signing_alg_values_supported,
            ["PS256", "ES256"]
        );
        assert!(info.authorization_response_iss_parameter_supported);
    }

    #[test]
    fn the_issuer_must_match_exactly() {
        let err = parse_document(&format!("{ISSUER}/"), &minimal()).unwrap_err();
        let DiscoveryError::IssuerMismatch { expected, found } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(expected, &format!("{ISSUER}/"));
        assert_eq!(found, ISSUER);
        let message = err.to_string();
        assert!(
            message.contains(&format!("\"{ISSUER}/\"")) && message.contains("trailing slash"),
            "{message}"
        );

        let other = with(minimal(), "issuer", json!("https://evil.example"));
        let err = parse_document(ISSUER, &other).unwrap_err();
        assert!(
            matches!(err, DiscoveryError::IssuerMismatch { .. }),
            "{err:?}"
        );
        assert!(!err.to_string().contains("trailing slash"));

        // Case and default ports are not normalised either.
        let upper = with(
            minimal(),
            "issuer",
            json!("https://IDP.example/realms/main"),
        );
        assert!(matches!(
            parse_document(ISSUER, &upper),
            Err(DiscoveryError::IssuerMismatch { .. })
        ));
    }

    #[test]
    fn a_multi_tenant_issuer_accepts_its_preset_template_and_nothing_else() {
        let common = "https://login.microsoftonline.com/common/v2.0";
        let template = "https://login.microsoftonline.com/{tenantid}/v2.0";
        let info = parse_document(common, &with(minimal(), "issuer", json!(template))).unwrap();
        assert_eq!(info.issuer, template);
        for found in [
            "https://login.microsoftonline.com/organizations/v2.0",
            "https://login.microsoftonline.com/{tenantid}/v2.0/",
            "https://evil.example/{tenantid}/v2.0",
        ] {
            let doc = with(minimal(), "issuer", json!(found));
            assert!(
                matches!(
                    parse_document(common, &doc),
                    Err(DiscoveryError::IssuerMismatch { .. })
                ),
                "{found} is not Entra's multi-tenant issuer"
            );
        }
        // A single tenant's issuer is exact: the template is not its issuer.
        let single = "https://login.microsoftonline.com/contoso.com/v2.0";
        let doc = with(minimal(), "issuer", json!(template));
        assert!(parse_document(single, &doc).is_err());
    }

    #[test]
    fn required_fields_are_required() {
        for field in [
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "jwks_uri",
            "response_types_supported",
        ] {
            let err = parse_document(ISSUER, &without(minimal(), field)).unwrap_err();
            assert!(
                matches!(err, DiscoveryError::MissingField(f) if f == field),
                "missing {field} gives {err:?}"
            );
            let err = parse_document(ISSUER, &with(minimal(), field, Value::Null)).unwrap_err();
            assert!(
                matches!(err, DiscoveryError::MissingField(f) if f == field),
                "null {field}: {err:?}"
            );
        }
    }

    #[test]
    fn the_code_flow_is_required() {
        let doc = with(
            minimal(),
            "response_types_supported",
            json!(["id_token", "code id_token"]),
        );
        let err = parse_document(ISSUER, &doc).unwrap_err();
        assert!(
            matches!(err, DiscoveryError::CodeFlowUnsupported { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("id_token, code id_token"), "{err}");
    }

    #[test]
    fn wrong_types_and_bad_urls_name_the_field() {
        let cases = [
            ("token_endpoint", json!(42)),
            ("token_endpoint", json!("/token")),
            ("jwks_uri", json!("javascript:alert(1)")),
            ("jwks_uri", json!("ftp://idp.example/certs")),
            ("userinfo_endpoint", json!("https://idp.example/me#x")),
            (
                "authorization_endpoint",
                json!("https://idp.example/auth?redirect_uri=https://evil.example/cb"),
            ),
            ("scopes_supported", json!("openid email")),
            ("code_challenge_methods_supported", json!(["S256", 1])),
            (
                "authorization_response_iss_parameter_supported",
                json!("true"),
            ),
        ];
        for (field, value) in cases {
            let err = parse_document(ISSUER, &with(minimal(), field, value.clone())).unwrap_err();
            assert!(
                matches!(&err, DiscoveryError::InvalidField { field: f, .. } if *f == field),
                "{field} = {value} gives {err:?}"
            );
        }
        for (field, value, found) in [
            ("token_endpoint", json!(42), "found a number"),
            ("scopes_supported", json!("openid email"), "found a string"),
            (
                "code_challenge_methods_supported",
                json!([{}]),
                "found an object",
            ),
        ] {
            let err = parse_document(ISSUER, &with(minimal(), field, value)).unwrap_err();
            assert!(err.to_string().contains(found), "{field}: {err}");
        }
        let err = parse_document(ISSUER, &json!(["not", "an", "object"])).unwrap_err();
        assert!(
            matches!(err, DiscoveryError::InvalidField { .. }),
            "{err:?}"
        );
    }

    #[test]
    fn par_is_read_and_checked_like_the_authorization_endpoint() {
        let info = parse_document(ISSUER, &minimal()).unwrap();
        assert_eq!(info.par_endpoint(), None, "omitted = not advertised");
        assert!(!info.require_pushed_authorization_requests);

        let doc = with(
            minimal(),
            "pushed_authorization_request_endpoint",
            json!("https://idp.example/par"),
        );
        let info = parse_document(
            ISSUER,
            &with(doc, "require_pushed_authorization_requests", json!(true)),
        )
        .unwrap();
        assert_eq!(info.par_endpoint(), Some("https://idp.example/par"));
        assert!(info.require_pushed_authorization_requests);

        let loopback = json!({
            "issuer": "http://127.0.0.1:4000",
            "authorization_endpoint": "http://127.0.0.1:4000/auth",
            "token_endpoint": "http://127.0.0.1:4000/token",
            "jwks_uri": "http://127.0.0.1:4000/jwks",
            "response_types_supported": ["code"],
            "pushed_authorization_request_endpoint": "http://127.0.0.1:4000/par",
        });
        let info = parse_document("http://127.0.0.1:4000", &loopback).unwrap();
        assert_eq!(
            info.par_endpoint(),
            Some("http://127.0.0.1:4000/par"),
            "loopback may be http"
        );

        for (field, bad) in [
            (
                "pushed_authorization_request_endpoint",
                "http://idp.example/par",
            ),
            (
                "pushed_authorization_request_endpoint",
                "https://idp.example/par?state=x",
            ),
            (
                "pushed_authorization_request_endpoint",
                "https://idp.example/par#x",
            ),
            ("pushed_authorization_request_endpoint", "par"),
            ("authorization_endpoint", "http://idp.example/auth"),
        ] {
            let err = parse_document(ISSUER, &with(minimal(), field, json!(bad))).unwrap_err();
            assert!(
                matches!(&err, DiscoveryError::InvalidField { field: f, .. } if *f == field),
                "{field} = {bad} gives {err:?}"
            );
        }
        let err = parse_document(
            ISSUER,
            &with(
                minimal(),
                "require_pushed_authorization_requests",
                json!("yes"),
            ),
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                DiscoveryError::InvalidField {
                    field: "require_pushed_authorization_requests",
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn what_is_advertised_is_answered_from_the_document() {
        let info = parse_document(ISSUER, &minimal()).unwrap();
        assert!(!info.advertises_pkce_s256(), "omitted = no PKCE announced");
        assert!(
            info.advertises_auth_method("client_secret_basic"),
            "the default"
        );
        assert!(!info.advertises_auth_method("client_secret_post"));
        let doc = with(
            minimal(),
            "code_challenge_methods_supported",
            json!(["plain", "S256"]),
        );
        let doc = with(
            doc,
            "token_endpoint_auth_methods_supported",
            json!(["none"]),
        );
        let info = parse_document(ISSUER, &doc).unwrap();
        assert!(info.advertises_pkce_s256());
        assert!(info.advertises_auth_method("none"));
        assert!(!info.advertises_auth_method("client_secret_basic"));
    }

    #[test]
    fn info_round_trips_through_json() {
        let info = parse_document(ISSUER, &minimal()).unwrap();
        let back: DiscoveryInfo =
            serde_json::from_str(&serde_json::to_string(&info).unwrap()).unwrap();
        assert_eq!(back, info);
    }

    #[test]
    fn advice_warns_of_what_is_not_advertised_only() {
        let mut info = DiscoveryInfo {
            code_challenge_methods_supported: vec!["plain".into()],
            token_endpoint_auth_methods_supported: vec!["client_secret_post".into()],
            ..parse_document(ISSUER, &minimal()).unwrap()
        };
        let advice = info.advice();
        assert!(
            advice.pkce.as_deref().is_some_and(|w| w.contains("plain")),
            "{advice:?}"
        );
        let methods: Vec<ClientAuthMethod> = advice
            .unadvertised_methods
            .iter()
            .map(|m| m.method)
            .collect();
        assert_eq!(
            methods,
            vec![
                ClientAuthMethod::ClientSecretBasic,
                ClientAuthMethod::None,
                ClientAuthMethod::PrivateKeyJwt
            ],
            "client_secret_post is advertised"
        );
        info.code_challenge_methods_supported = vec!["S256".into()];
        info.token_endpoint_auth_methods_supported = ClientAuthMethod::VARIANTS
            .iter()
            .map(|m| m.as_str().to_string())
            .collect();
        assert_eq!(
            info.advice(),
            DiscoveryAdvice {
                pkce: None,
                unadvertised_methods: Vec::new()
            }
        );
    }

    /// A valid document for the issuer at `port`, `len` bytes long.
    fn document_of(port: u16, len: usize) -> String {
        let base = format!("http://127.0.0.1:{port}");
        let doc = json!({
            "issuer": base,
            "authorization_endpoint": format!("{base}/auth"),
            "token_endpoint": format!("{base}/token"),
            "jwks_uri": format!("{base}/certs"),
            "response_types_supported": ["code"],
        });
        crate::http::test_server::padded_json(doc, len)
    }

    #[tokio::test]
    async fn a_document_of_256_kib_is_read_and_a_longer_one_refused() {
        use crate::http::test_server::{json_ok, serve};
        let client = crate::http::client();
        // 256 KiB, written out: the room the cap promises for long lists, whatever it is set to.
        let port = serve(|port| json_ok(&document_of(port, 256 * 1024)));
        let info = fetch(&client, &format!("http://127.0.0.1:{port}")).await;
        assert_eq!(
            info.unwrap().token_endpoint,
            format!("http://127.0.0.1:{port}/token")
        );

        let port = serve(|port| json_ok(&document_of(port, 256 * 1024 + 1)));
        let err = fetch(&client, &format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                DiscoveryError::Http(HttpError::TooLarge {
                    limit: 262_144, // 256 KiB, the cap written out
                    ..
                })
            ),
            "{err:?}"
        );
    }
}
