//! Field rules for an IdP, each error attached to the field it concerns.
//!
//! Invariants:
//! - [`validate`] is pure: it normalises (trims, turns blank optionals into `None`) and checks one
//!   config on its own. Rules that need the other IdPs (unique name and issuer) are checked by
//!   the catalog against the store using [`name_key`] and [`issuer_key`].
//! - URLs keep the exact string the admin typed (after trimming): issuers are compared as exact
//!   strings by OpenID Connect, so nothing here re-serialises them.
//! - The length limits here are the same numbers as the `CHECK` constraints in the migrations.

use crate::credential_expiry;
use crate::idp::{AuthParam, ClaimMapping, Field, FieldError, IdpFields, Protocol, TestRedirect};
use std::net::IpAddr;
use unicode_normalization::UnicodeNormalization;
use url::{Host, Url};

pub const MAX_NAME: usize = 100;
pub const MAX_URL: usize = 2048;
pub const MAX_CLIENT_ID: usize = 512;
pub const MAX_SCOPES: usize = 50;
pub const MAX_SCOPES_LEN: usize = 1024;
pub const MAX_PARAMS: usize = 20;
pub const MAX_PARAM_KEY: usize = 64;
pub const MAX_PARAM_VALUE: usize = 1024;
pub const MAX_REDIRECT_URIS: usize = 10;
pub const MAX_CLAIM: usize = 256;
pub const MAX_NOTES: usize = 4000;
pub const MAX_CLAIM_MAPPINGS: usize = 50;
pub const MAX_MAPPED_CLAIM: usize = 128;
pub const MAX_VARIABLE: usize = 64;
/// The lowest fixed loopback port: the ones below need administrator rights to listen on.
pub const MIN_LOOPBACK_PORT: u16 = 1024;

/// Authorization request parameters the app sets itself; an extra parameter may not override them.
const RESERVED_PARAMS: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "response_mode",
    "request",
    "request_uri",
    "client_secret",
];

/// The problem with an authorization endpoint whose own query sets a parameter the app sets
/// itself (`…/authorize?redirect_uri=…`): the IdP would see it twice, and may take either.
pub fn reserved_in_query(url: &Url) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| RESERVED_PARAMS.contains(&key.as_ref()))
        .map(|(key, _)| {
            format!("must not set \"{key}\" in its query: the app sets it for each login")
        })
}

/// Checks and normalises one IdP. Returns every problem found, not just the first.
pub fn validate(f: IdpFields) -> Result<IdpFields, Vec<FieldError>> {
    let f = normalise(f);
    let mut errors = Vec::new();
    let mut err = |field: Field, result: Result<(), String>| {
        if let Err(message) = result {
            errors.push(FieldError { field, message });
        }
    };
    err(Field::Name, check_name(&f.name));
    err(Field::Issuer, check_issuer_for(&f));
    err(
        Field::AuthorizationEndpoint,
        check_required_endpoint(&f.authorization_endpoint, f.protocol).and_then(|()| {
            let url = Url::parse(&f.authorization_endpoint).map_err(|e| e.to_string())?;
            reserved_in_query(&url).map_or(Ok(()), Err)
        }),
    );
    err(
        Field::TokenEndpoint,
        check_required_endpoint(&f.token_endpoint, f.protocol),
    );
    err(Field::UserinfoEndpoint, check_userinfo_for(&f));
    err(Field::JwksUri, check_jwks_for(&f));
    err(Field::ClientId, check_client_id(&f.client_id));
    err(Field::Scopes, check_scopes(&f.scopes, f.protocol));
    err(Field::ExtraParams, check_params(&f.extra_params));
    err(Field::RedirectUris, check_redirect_uris(&f.redirect_uris));
    err(Field::CustomerIdClaim, check_claim(&f.customer_id_claim));
    err(Field::Notes, check_notes(&f.notes));
    err(Field::ClaimMapping, check_claim_mapping(&f.claim_mapping));
    err(Field::LoopbackPort, check_loopback_port_for(&f));
    err(Field::IdTokenSigningAlgs, check_signing_algs_for(&f));
    err(
        Field::CredentialExpiresOn,
        check_credential_expires_on_for(&f),
    );
    if errors.is_empty() {
        Ok(f)
    } else {
        Err(errors)
    }
}

/// The stored form of what an admin typed: trimmed, blanks as `None`, scopes split and
/// deduplicated, empty parameter rows, claim mapping rows and redirect URIs dropped.
fn normalise(mut f: IdpFields) -> IdpFields {
    f.name = f.name.trim().to_string();
    f.issuer = blank_to_none(f.issuer);
    f.userinfo_endpoint = blank_to_none(f.userinfo_endpoint);
    f.jwks_uri = blank_to_none(f.jwks_uri);
    f.credential_expires_on = blank_to_none(f.credential_expires_on);
    f.authorization_endpoint = f.authorization_endpoint.trim().to_string();
    f.token_endpoint = f.token_endpoint.trim().to_string();
    f.client_id = f.client_id.trim().to_string();
    let mut scopes: Vec<String> = Vec::new();
    for s in f.scopes.iter().flat_map(|s| s.split_whitespace()) {
        if !scopes.iter().any(|seen| seen == s) {
            scopes.push(s.to_string());
        }
    }
    f.scopes = scopes;
    f.extra_params = f
        .extra_params
        .into_iter()
        .map(|p| AuthParam {
            key: p.key.trim().to_string(),
            value: p.value.trim().to_string(),
        })
        .filter(|p| !(p.key.is_empty() && p.value.is_empty()))
        .collect();
    f.redirect_uris = f
        .redirect_uris
        .iter()
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .collect();
    f.customer_id_claim = f.customer_id_claim.trim().to_string();
    f.claim_mapping = f
        .claim_mapping
        .into_iter()
        .map(|m| ClaimMapping {
            claim: m.claim.trim().to_string(),
            variable: m.variable.trim().to_string(),
        })
        .filter(|m| !(m.claim.is_empty() && m.variable.is_empty()))
        .collect();
    f.id_token_signing_algs.sort_unstable();
    f.id_token_signing_algs.dedup();
    f
}

fn check_issuer_for(f: &IdpFields) -> Result<(), String> {
    match (&f.issuer, f.protocol) {
        (Some(issuer), _) => check_issuer(issuer),
        (None, Protocol::Oidc) => Err("is required for OpenID Connect".into()),
        (None, Protocol::Oauth2) => Ok(()),
    }
}

fn check_required_endpoint(value: &str, protocol: Protocol) -> Result<(), String> {
    if value.is_empty() {
        let hint = match protocol {
            Protocol::Oidc => " (use \"Fetch from issuer\" to fill it)",
            Protocol::Oauth2 => "",
        };
        Err(format!("is required{hint}"))
    } else {
        check_endpoint(value)
    }
}

fn check_userinfo_for(f: &IdpFields) -> Result<(), String> {
    match (&f.userinfo_endpoint, f.protocol) {
        (Some(u), _) => check_endpoint(u),
        (None, Protocol::Oauth2) => Err(
            "is required for OAuth 2.0: without an ID token, the customer is identified from it"
                .into(),
        ),
        (None, Protocol::Oidc) => Ok(()),
    }
}

fn check_jwks_for(f: &IdpFields) -> Result<(), String> {
    match (&f.jwks_uri, f.protocol) {
        (Some(u), _) => check_endpoint(u),
        (None, Protocol::Oidc) => Err(
            "is required for OpenID Connect to verify ID token signatures (use \"Fetch from \
             issuer\")"
                .into(),
        ),
        (None, Protocol::Oauth2) => Ok(()),
    }
}

/// The key names are unique under: Unicode NFKC, then case-folded (lower-cased) and NFKC again,
/// so "Ｏｋｔａ" and "okta" collide.
pub fn name_key(name: &str) -> String {
    name.trim()
        .nfkc()
        .collect::<String>()
        .to_lowercase()
        .nfkc()
        .collect()
}

/// The key issuers are unique under: scheme and host lower-cased, one trailing slash ignored.
/// Two IdPs whose issuers differ only so would defeat the mix-up defence (RFC 9207 §4).
pub fn issuer_key(issuer: &str) -> String {
    let trimmed = issuer.trim().trim_end_matches('/');
    match Url::parse(trimmed) {
        Ok(u) => {
            let host = u.host_str().unwrap_or_default().to_lowercase();
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            let path = u.path().trim_end_matches('/');
            format!("{}://{host}{port}{path}", u.scheme())
        }
        Err(_) => trimmed.to_lowercase(),
    }
}

fn blank_to_none(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Characters that can make two names look alike or reorder what an admin reads.
fn is_deceptive(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}'   // zero-width space/joiners, LRM, RLM
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{061C}'              // Arabic letter mark
            | '\u{FEFF}'              // zero-width no-break space / BOM
            | '\u{00AD}'              // soft hyphen
            | '\u{180E}'              // Mongolian vowel separator
        )
}

fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("is required".into());
    }
    if name.chars().count() > MAX_NAME {
        return Err(format!("is too long ({MAX_NAME} characters at most)"));
    }
    if let Some(c) = name.chars().find(|c| is_deceptive(*c)) {
        return Err(format!(
            "must not contain control, zero-width or text-direction characters (found U+{:04X})",
            c as u32
        ));
    }
    Ok(())
}

/// Where a URL may point: `https` anywhere; `http` only to a loopback host, for development.
/// The rule for every URL an admin types that the app fetches (IdP endpoints, the update
/// manifest).
pub fn check_web_url(raw: &str) -> Result<Url, String> {
    if raw.chars().count() > MAX_URL {
        return Err(format!("is too long ({MAX_URL} characters at most)"));
    }
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces or control characters".into());
    }
    let lower = raw.to_ascii_lowercase();
    for scheme in ["javascript:", "file:", "data:", "vbscript:", "blob:"] {
        if lower.starts_with(scheme) {
            return Err(format!(
                "must be an https URL, not a {} URL",
                &scheme[..scheme.len() - 1]
            ));
        }
    }
    let url = Url::parse(raw).map_err(|e| format!("is not a valid URL ({e})"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain a user name or password (\"user@\" before the host)".into());
    }
    let host = url
        .host()
        .ok_or_else(|| "must include a host name".to_string())?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback_host(&host) => Ok(url),
        "http" => {
            Err("must use https (http is allowed only for localhost, for development)".into())
        }
        other => Err(format!("must be an https URL, not {other}:")),
    }
}

/// Whether `url` names this computer (`localhost`, 127.0.0.0/8, `::1`): the only place plain
/// http is allowed, by validation, the sync settings and the engine's HTTP client alike.
pub fn is_loopback_url(url: &Url) -> bool {
    url.host().as_ref().is_some_and(is_loopback_host)
}

fn is_loopback_host(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

fn check_issuer(raw: &str) -> Result<(), String> {
    let url = check_web_url(raw)?;
    if url.query().is_some() {
        return Err("must not contain a query (\"?…\"): an issuer is scheme, host and path".into());
    }
    if url.fragment().is_some() {
        return Err("must not contain a fragment (\"#…\")".into());
    }
    Ok(())
}

fn check_endpoint(raw: &str) -> Result<(), String> {
    let url = check_web_url(raw)?;
    if url.fragment().is_some() {
        return Err("must not contain a fragment (\"#…\"; RFC 6749 §3.1)".into());
    }
    Ok(())
}

fn check_client_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("is required (the IdP shows it where the client was registered)".into());
    }
    if id.chars().count() > MAX_CLIENT_ID {
        return Err(format!("is too long ({MAX_CLIENT_ID} characters at most)"));
    }
    // RFC 6749 Appendix A.1: VSCHAR = %x20-7E.
    if !id.chars().all(|c| (' '..='~').contains(&c)) {
        return Err("may contain only printable ASCII characters (RFC 6749)".into());
    }
    Ok(())
}

fn check_scopes(scopes: &[String], protocol: Protocol) -> Result<(), String> {
    if scopes.len() > MAX_SCOPES {
        return Err(format!("has too many scopes ({MAX_SCOPES} at most)"));
    }
    if scopes.iter().map(|s| s.len() + 1).sum::<usize>() > MAX_SCOPES_LEN {
        return Err(format!("is too long ({MAX_SCOPES_LEN} characters at most)"));
    }
    // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
    if let Some(bad) = scopes.iter().find(|s| {
        !s.chars()
            .all(|c| c == '!' || ('#'..='[').contains(&c) || (']'..='~').contains(&c))
    }) {
        return Err(format!(
            "\"{}\" is not a valid scope (no quotes, backslashes or non-ASCII)",
            bad.escape_debug()
        ));
    }
    if protocol == Protocol::Oidc && !scopes.iter().any(|s| s == "openid") {
        return Err("must include \"openid\" for OpenID Connect".into());
    }
    Ok(())
}

fn check_params(params: &[AuthParam]) -> Result<(), String> {
    if params.len() > MAX_PARAMS {
        return Err(format!("has too many parameters ({MAX_PARAMS} at most)"));
    }
    for (i, p) in params.iter().enumerate() {
        if p.key.is_empty() {
            return Err(format!("parameter {} has a value but no name", i + 1));
        }
        if p.key.len() > MAX_PARAM_KEY
            || !p
                .key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            return Err(format!(
                "\"{}\" is not a valid parameter name (letters, digits, _ - . only; {MAX_PARAM_KEY} at most)",
                p.key.escape_debug()
            ));
        }
        if RESERVED_PARAMS.contains(&p.key.as_str()) {
            return Err(format!(
                "\"{}\" is set by the app itself and cannot be overridden",
                p.key
            ));
        }
        if p.value.chars().count() > MAX_PARAM_VALUE {
            return Err(format!(
                "the value of \"{}\" is too long ({MAX_PARAM_VALUE} characters at most)",
                p.key
            ));
        }
        if p.value.chars().any(char::is_control) {
            return Err(format!(
                "the value of \"{}\" must not contain control characters",
                p.key
            ));
        }
        if params[..i].iter().any(|q| q.key == p.key) {
            return Err(format!("\"{}\" is given twice", p.key));
        }
    }
    Ok(())
}

fn check_redirect_uris(uris: &[String]) -> Result<(), String> {
    if uris.len() > MAX_REDIRECT_URIS {
        return Err(format!("has too many URIs ({MAX_REDIRECT_URIS} at most)"));
    }
    for (i, u) in uris.iter().enumerate() {
        check_redirect_uri(u).map_err(|m| format!("\"{u}\" {m}"))?;
        if uris[..i].contains(u) {
            return Err(format!("\"{u}\" is listed twice"));
        }
    }
    Ok(())
}

/// A redirect URI is an https URL, a loopback http URL, or a private-use scheme that is a
/// reversed domain name (RFC 8252 §7.1), such as `com.ecaadmin.desktop:/oauth/callback`.
fn check_redirect_uri(raw: &str) -> Result<(), String> {
    let scheme = raw
        .split(':')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if scheme.contains('.') && !matches!(scheme.as_str(), "http" | "https") {
        if raw.chars().count() > MAX_URL || raw.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err("must be a URL without spaces, at most 2048 characters".into());
        }
        if raw
            .get(scheme.len() + 1..)
            .is_some_and(|rest| rest.starts_with("//"))
        {
            return Err(
                "must have a single slash after a private-use scheme, as in \
                 com.example.app:/callback (RFC 8252 §7.1)"
                    .into(),
            );
        }
        let url = Url::parse(raw).map_err(|e| format!("is not a valid URI ({e})"))?;
        if url.fragment().is_some() {
            return Err("must not contain a fragment".into());
        }
        return Ok(());
    }
    let url = check_web_url(raw)?;
    if url.fragment().is_some() {
        return Err("must not contain a fragment (RFC 6749 §3.1.2)".into());
    }
    Ok(())
}

fn check_claim(claim: &str) -> Result<(), String> {
    if claim.is_empty() {
        return Err("is required (usually sub, email or phone_number)".into());
    }
    check_claim_name(claim, MAX_CLAIM)
}

/// What any claim name must be, the customer's or a mapped one: at most `max` characters, no
/// spaces, control or invisible characters.
fn check_claim_name(claim: &str, max: usize) -> Result<(), String> {
    if claim.chars().count() > max {
        return Err(format!("is too long ({max} characters at most)"));
    }
    if claim.chars().any(|c| c.is_whitespace() || is_deceptive(c)) {
        return Err("must be a claim name without spaces or invisible characters".into());
    }
    Ok(())
}

/// A flow variable name: `^[A-Za-z_][A-Za-z0-9_]{0,63}$`, what flow expressions can refer to.
fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.len() <= MAX_VARIABLE
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn check_claim_mapping(mapping: &[ClaimMapping]) -> Result<(), String> {
    if mapping.len() > MAX_CLAIM_MAPPINGS {
        return Err(format!(
            "has too many entries ({MAX_CLAIM_MAPPINGS} at most)"
        ));
    }
    for (i, m) in mapping.iter().enumerate() {
        if m.claim.is_empty() {
            return Err(format!("entry {} has a variable but no claim", i + 1));
        }
        if m.variable.is_empty() {
            return Err(format!("entry {} has a claim but no variable", i + 1));
        }
        check_claim_name(&m.claim, MAX_MAPPED_CLAIM)
            .map_err(|e| format!("the claim \"{}\" {e}", m.claim.escape_debug()))?;
        if !is_variable_name(&m.variable) {
            return Err(format!(
                "\"{}\" is not a valid variable name (a letter or _, then letters, digits or _; \
                 {MAX_VARIABLE} characters at most)",
                m.variable.escape_debug()
            ));
        }
        if let Some(earlier) = mapping[..i].iter().find(|e| e.variable == m.variable) {
            return Err(if earlier.claim == m.claim {
                format!("\"{} → {}\" is listed twice", m.claim, m.variable)
            } else {
                format!(
                    "the variable \"{}\" receives both \"{}\" and \"{}\": give each claim \
                     its own variable",
                    m.variable, earlier.claim, m.claim
                )
            });
        }
    }
    Ok(())
}

/// A fixed loopback port belongs to the loopback test redirect; with the deep link it would be
/// a setting that silently does nothing, so it is refused rather than kept unused.
fn check_loopback_port_for(f: &IdpFields) -> Result<(), String> {
    match (f.loopback_port, f.test_redirect) {
        (None, _) => Ok(()),
        (Some(_), TestRedirect::DeepLink) => Err(
            "is used only by the loopback test redirect: choose \"Loopback\" as the test \
             redirect, or clear the port"
                .into(),
        ),
        (Some(port), TestRedirect::Loopback) if port < MIN_LOOPBACK_PORT => Err(format!(
            "must be between {MIN_LOOPBACK_PORT} and 65535 (lower ports need administrator \
             rights); leave it empty to pick a free port for each test"
        )),
        (Some(_), TestRedirect::Loopback) => Ok(()),
    }
}

/// The ID token signing algorithms: an ID token exists only with OpenID Connect, and an HMAC
/// algorithm (HS*) is keyed with the client secret, which a public client does not have.
fn check_signing_algs_for(f: &IdpFields) -> Result<(), String> {
    if f.protocol == Protocol::Oauth2 && !f.id_token_signing_algs.is_empty() {
        return Err(
            "apply only to OpenID Connect (plain OAuth 2.0 has no ID token): clear the list".into(),
        );
    }
    match f.id_token_signing_algs.iter().find(|a| a.is_symmetric()) {
        Some(alg) => match f.client_auth_method.why_no_secret() {
            Some(why) => Err(format!(
                "{alg} is keyed with the client secret, and {why}: choose client_secret_basic \
                 or client_secret_post and enter the secret, or remove {alg}"
            )),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// The credential's expiry date: a calendar day, and only for a client that has a credential
/// (a public client, "none", has nothing that expires).
fn check_credential_expires_on_for(f: &IdpFields) -> Result<(), String> {
    let Some(date) = f.credential_expires_on.as_deref() else {
        return Ok(());
    };
    if !f.client_auth_method.uses_credential() {
        return Err(
            "applies only to a client with a credential, and a public client (client \
             authentication \"none\") has none: clear the date"
                .into(),
        );
    }
    credential_expiry::parse_date(date).map(|_| ())
}

fn check_notes(notes: &str) -> Result<(), String> {
    if notes.chars().count() > MAX_NOTES {
        return Err(format!("are too long ({MAX_NOTES} characters at most)"));
    }
    if notes
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err("must not contain control characters".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idp::ClientAuthMethod;

    fn oidc() -> IdpFields {
        IdpFields {
            name: "Acme Okta".into(),
            issuer: Some("https://acme.okta.com".into()),
            authorization_endpoint: "https://acme.okta.com/oauth2/v1/authorize".into(),
            token_endpoint: "https://acme.okta.com/oauth2/v1/token".into(),
            userinfo_endpoint: Some("https://acme.okta.com/oauth2/v1/userinfo".into()),
            jwks_uri: Some("https://acme.okta.com/oauth2/v1/keys".into()),
            client_id: "0oa1b2c3d4".into(),
            redirect_uris: vec!["https://platform.example/oauth/callback".into()],
            ..IdpFields::blank(Protocol::Oidc)
        }
    }

    fn oauth2() -> IdpFields {
        IdpFields {
            name: "GitHub".into(),
            authorization_endpoint: "https://github.com/login/oauth/authorize".into(),
            token_endpoint: "https://github.com/login/oauth/access_token".into(),
            userinfo_endpoint: Some("https://api.github.com/user".into()),
            client_id: "Iv1.abc".into(),
            scopes: vec!["read:user".into()],
            ..IdpFields::blank(Protocol::Oauth2)
        }
    }

    /// The errors for `fields`, as (field, message) pairs; panics if it validates.
    fn errors(fields: IdpFields) -> Vec<(Field, String)> {
        validate(fields)
            .expect_err("expected validation to fail")
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect()
    }

    fn assert_field_error(fields: IdpFields, field: Field, needle: &str) {
        let errs = errors(fields);
        assert!(
            errs.iter().any(|(f, m)| *f == field && m.contains(needle)),
            "expected an error on {field} containing {needle:?}, got {errs:?}"
        );
    }

    #[test]
    fn valid_configs_pass_and_are_normalised() {
        let mut f = oidc();
        f.name = "  Acme Okta  ".into();
        f.userinfo_endpoint = Some("   ".into());
        f.scopes = vec!["openid email".into(), "email".into()];
        f.extra_params = vec![
            AuthParam {
                key: " prompt ".into(),
                value: "login".into(),
            },
            AuthParam {
                key: "".into(),
                value: "".into(),
            },
        ];
        let v = validate(f).expect("valid");
        assert_eq!(v.name, "Acme Okta");
        assert_eq!(v.userinfo_endpoint, None);
        assert_eq!(v.scopes, vec!["openid", "email"]);
        assert_eq!(
            v.extra_params,
            vec![AuthParam {
                key: "prompt".into(),
                value: "login".into()
            }]
        );
        validate(oauth2()).expect("a plain OAuth 2.0 config is valid");
    }

    #[test]
    fn urls_must_be_https_except_loopback() {
        let mut f = oidc();
        f.token_endpoint = "http://acme.okta.com/token".into();
        assert_field_error(f, Field::TokenEndpoint, "must use https");
        for ok in [
            "http://127.0.0.1:8080/token",
            "http://localhost/token",
            "http://[::1]:9/t",
            "http://127.8.0.1/t",
        ] {
            let mut f = oidc();
            f.token_endpoint = ok.into();
            assert!(validate(f).is_ok(), "{ok} is loopback and must be allowed");
        }
        let mut f = oidc();
        f.token_endpoint = "http://localhost.evil.com/token".into();
        assert_field_error(f, Field::TokenEndpoint, "must use https");
        let mut f = oidc();
        f.token_endpoint = "ftp://acme.okta.com/token".into();
        assert_field_error(f, Field::TokenEndpoint, "not ftp");
    }

    #[test]
    fn credentials_in_urls_are_refused() {
        for raw in [
            "https://idp@evil.example",
            "https://user:pw@acme.okta.com/authorize",
            "https://:pw@x.example/",
        ] {
            let mut f = oidc();
            f.authorization_endpoint = raw.into();
            assert_field_error(f, Field::AuthorizationEndpoint, "user name or password");
        }
    }

    #[test]
    fn dangerous_schemes_are_refused() {
        for (raw, word) in [
            ("javascript:alert(1)", "javascript"),
            ("JavaScript:alert(1)", "javascript"),
            ("file:///etc/passwd", "file"),
            ("data:text/html,<script>x</script>", "data"),
        ] {
            let mut f = oidc();
            f.userinfo_endpoint = Some(raw.into());
            assert_field_error(f, Field::UserinfoEndpoint, word);
            let mut f = oidc();
            f.redirect_uris = vec![raw.into()];
            assert_field_error(f, Field::RedirectUris, word);
        }
    }

    #[test]
    fn hidden_whitespace_in_urls_is_refused() {
        // The URL parser would silently drop the tab and newline; we refuse instead.
        for raw in [
            "https://acme.ok\tta.com",
            "https://acme.okta.com/\nauthorize",
            " https://a.example/x y",
        ] {
            let mut f = oidc();
            f.authorization_endpoint = raw.into();
            let errs = errors(f);
            assert!(
                errs.iter().any(|(f, _)| *f == Field::AuthorizationEndpoint),
                "{raw:?}: {errs:?}"
            );
        }
    }

    #[test]
    fn issuer_has_no_query_or_fragment() {
        let mut f = oidc();
        f.issuer = Some("https://acme.okta.com?tenant=1".into());
        assert_field_error(f, Field::Issuer, "query");
        let mut f = oidc();
        f.issuer = Some("https://acme.okta.com#x".into());
        assert_field_error(f, Field::Issuer, "fragment");
        let mut f = oidc();
        f.issuer = None;
        assert_field_error(f, Field::Issuer, "required");
    }

    #[test]
    fn issuer_is_kept_exactly_as_typed() {
        let mut f = oidc();
        f.issuer = Some("https://acme.okta.com/oauth2/default/".into());
        assert_eq!(
            validate(f).unwrap().issuer.as_deref(),
            Some("https://acme.okta.com/oauth2/default/")
        );
    }

    #[test]
    fn the_authorization_endpoint_does_not_set_what_the_app_sets() {
        for reserved in [
            "redirect_uri",
            "client_id",
            "state",
            "code_challenge",
            "scope",
        ] {
            let mut f = oidc();
            f.authorization_endpoint = format!("https://acme.okta.com/authorize?{reserved}=x");
            assert_field_error(f, Field::AuthorizationEndpoint, reserved);
        }
        let mut f = oidc();
        f.authorization_endpoint = "https://acme.okta.com/authorize?tenant=acme".into();
        assert!(
            validate(f).is_ok(),
            "another parameter in its query is the IdP's own"
        );
    }

    #[test]
    fn endpoints_have_no_fragment() {
        let mut f = oidc();
        f.authorization_endpoint = "https://acme.okta.com/authorize#frag".into();
        assert_field_error(f, Field::AuthorizationEndpoint, "fragment");
    }

    #[test]
    fn oidc_needs_openid_scope_jwks_and_issuer() {
        let mut f = oidc();
        f.scopes = vec!["email".into()];
        assert_field_error(f, Field::Scopes, "openid");
        let mut f = oidc();
        f.jwks_uri = None;
        assert_field_error(f, Field::JwksUri, "required");
        // OAuth 2.0 needs none of these, but needs a profile endpoint.
        let mut f = oauth2();
        f.userinfo_endpoint = None;
        assert_field_error(f, Field::UserinfoEndpoint, "required for OAuth 2.0");
    }

    #[test]
    fn scope_tokens_follow_rfc6749() {
        let mut f = oidc();
        f.scopes = vec!["openid".into(), "bad\"quote".into()];
        assert_field_error(f, Field::Scopes, "not a valid scope");
        let mut f = oidc();
        f.scopes = vec!["openid".into(), "caf\u{e9}".into()];
        assert_field_error(f, Field::Scopes, "not a valid scope");
    }

    #[test]
    fn names_refuse_invisible_and_bidi_characters() {
        for name in [
            "Okta\u{202E}gnp",
            "Ok\u{200B}ta",
            "Okta\u{0007}",
            "\u{2066}Okta",
            "Ok\u{FEFF}ta",
        ] {
            let mut f = oidc();
            f.name = name.into();
            assert_field_error(f, Field::Name, "must not contain");
        }
        let mut f = oidc();
        f.name = "   ".into();
        assert_field_error(f, Field::Name, "required");
        let mut f = oidc();
        f.name = "é".repeat(MAX_NAME + 1);
        assert_field_error(f, Field::Name, "too long");
        let mut f = oidc();
        f.name = "é".repeat(MAX_NAME);
        assert!(
            validate(f).is_ok(),
            "100 two-byte characters are within the limit"
        );
    }

    #[test]
    fn name_keys_fold_width_and_case() {
        assert_eq!(name_key("ＯＫＴＡ"), name_key("okta"));
        assert_eq!(name_key("Acme Okta"), name_key("acme okta "));
        // "ﬁ" (U+FB01) decomposes to "fi" under NFKC.
        assert_eq!(name_key("\u{FB01}rm"), name_key("Firm"));
        assert_ne!(name_key("Okta A"), name_key("Okta B"));
    }

    #[test]
    fn issuer_keys_ignore_case_of_host_and_a_trailing_slash() {
        assert_eq!(
            issuer_key("https://Acme.Okta.com/"),
            issuer_key("https://acme.okta.com")
        );
        assert_eq!(
            issuer_key("https://a.example/t1/"),
            issuer_key("https://a.example/t1")
        );
        assert_ne!(
            issuer_key("https://a.example/t1"),
            issuer_key("https://a.example/t2")
        );
        assert_ne!(
            issuer_key("https://a.example:8443"),
            issuer_key("https://a.example")
        );
    }

    #[test]
    fn extra_params_cannot_override_protocol_parameters() {
        for key in [
            "state",
            "redirect_uri",
            "code_challenge",
            "client_id",
            "scope",
        ] {
            let mut f = oidc();
            f.extra_params = vec![AuthParam {
                key: key.into(),
                value: "x".into(),
            }];
            assert_field_error(f, Field::ExtraParams, "set by the app");
        }
        let mut f = oidc();
        f.extra_params = vec![
            AuthParam {
                key: "prompt".into(),
                value: "login".into(),
            },
            AuthParam {
                key: "prompt".into(),
                value: "none".into(),
            },
        ];
        assert_field_error(f, Field::ExtraParams, "twice");
        let mut f = oidc();
        f.extra_params = vec![AuthParam {
            key: "bad key".into(),
            value: "x".into(),
        }];
        assert_field_error(f, Field::ExtraParams, "not a valid parameter name");
        let mut f = oidc();
        f.extra_params = vec![AuthParam {
            key: "login_hint".into(),
            value: "a\r\nb".into(),
        }];
        assert_field_error(f, Field::ExtraParams, "control");
    }

    #[test]
    fn redirect_uris_allow_private_use_schemes() {
        let mut f = oidc();
        f.redirect_uris = vec![
            "com.ecaadmin.desktop:/oauth/callback".into(),
            "https://chat.example/oauth/callback".into(),
            "http://127.0.0.1/oauth/callback".into(),
        ];
        assert!(validate(f).is_ok());
        let mut f = oidc();
        f.redirect_uris = vec!["http://chat.example/cb".into()];
        assert_field_error(f, Field::RedirectUris, "https");
        let mut f = oidc();
        f.redirect_uris = vec!["https://chat.example/cb#x".into()];
        assert_field_error(f, Field::RedirectUris, "fragment");
        let mut f = oidc();
        f.redirect_uris = vec!["https://a.example/cb".into(), "https://a.example/cb".into()];
        assert_field_error(f, Field::RedirectUris, "twice");
        // RFC 8252 §7.1: no naming authority, so a single slash (what the contract's pattern
        // says too: "qfm.z.a89w4y://49@[W<g6X|" was schema-valid yet refused by the parser).
        for authority in ["com.example.app://cb", "qfm.z.a89w4y://49@[W<g6X|"] {
            let mut f = oidc();
            f.redirect_uris = vec![authority.into()];
            assert_field_error(f, Field::RedirectUris, "single slash");
        }
        let mut f = oidc();
        f.redirect_uris = vec!["com.example.app".into()];
        assert_field_error(f, Field::RedirectUris, "not a valid URI");
    }

    #[test]
    fn client_id_claim_and_notes_limits() {
        let mut f = oidc();
        f.client_id = "".into();
        assert_field_error(f, Field::ClientId, "required");
        let mut f = oidc();
        f.client_id = "id\u{e9}".into();
        assert_field_error(f, Field::ClientId, "printable ASCII");
        let mut f = oidc();
        f.client_id = "x".repeat(MAX_CLIENT_ID + 1);
        assert_field_error(f, Field::ClientId, "too long");
        let mut f = oidc();
        f.customer_id_claim = "phone number".into();
        assert_field_error(f, Field::CustomerIdClaim, "without spaces");
        let mut f = oidc();
        f.notes = "n".repeat(MAX_NOTES + 1);
        assert_field_error(f, Field::Notes, "too long");
        let mut f = oidc();
        f.notes = "line one\nline two\tok".into();
        assert!(validate(f).is_ok());
    }

    fn map(claim: &str, variable: &str) -> ClaimMapping {
        ClaimMapping {
            claim: claim.into(),
            variable: variable.into(),
        }
    }

    fn with_mapping(mapping: Vec<ClaimMapping>) -> IdpFields {
        IdpFields {
            claim_mapping: mapping,
            ..oidc()
        }
    }

    #[test]
    fn claim_mapping_is_trimmed_and_blank_rows_dropped() {
        let v = validate(with_mapping(vec![
            map(" email ", " customer_email "),
            map("", "  "),
            map("phone_number", "_phone2"),
        ]))
        .expect("valid");
        assert_eq!(
            v.claim_mapping,
            vec![
                map("email", "customer_email"),
                map("phone_number", "_phone2")
            ]
        );
    }

    #[test]
    fn mapped_claims_are_named_without_spaces_and_not_too_long() {
        assert_field_error(
            with_mapping(vec![map("", "customer_email")]),
            Field::ClaimMapping,
            "entry 1 has a variable but no claim",
        );
        for bad in ["given name", "email\u{0007}", "em\u{200B}ail"] {
            assert_field_error(
                with_mapping(vec![map(bad, "v")]),
                Field::ClaimMapping,
                "without spaces or invisible characters",
            );
        }
        assert_field_error(
            with_mapping(vec![map(&"c".repeat(MAX_MAPPED_CLAIM + 1), "v")]),
            Field::ClaimMapping,
            "too long (128 characters at most)",
        );
        validate(with_mapping(vec![map(&"c".repeat(MAX_MAPPED_CLAIM), "v")]))
            .expect("128 characters are within the limit");
        validate(with_mapping(vec![map(
            "https://example.com/claims/tier",
            "tier",
        )]))
        .expect("a URI-named claim is a claim name");
    }

    #[test]
    fn variables_follow_the_flow_variable_pattern() {
        for ok in [
            "a",
            "_",
            "customer_email",
            "Email2",
            &format!("v{}", "x".repeat(63)),
        ] {
            validate(with_mapping(vec![map("email", ok)]))
                .unwrap_or_else(|e| panic!("{ok:?} is a valid variable: {e:?}"));
        }
        assert_field_error(
            with_mapping(vec![map("email", "")]),
            Field::ClaimMapping,
            "entry 1 has a claim but no variable",
        );
        for bad in [
            "2fa",
            "customer-email",
            "customer.email",
            "e mail",
            "émail",
            &format!("v{}", "x".repeat(64)),
        ] {
            assert_field_error(
                with_mapping(vec![map("email", bad)]),
                Field::ClaimMapping,
                "is not a valid variable name",
            );
        }
    }

    #[test]
    fn a_variable_receives_one_claim_and_a_pair_is_listed_once() {
        assert_field_error(
            with_mapping(vec![
                map("email", "contact"),
                map("phone_number", "contact"),
            ]),
            Field::ClaimMapping,
            "receives both \"email\" and \"phone_number\"",
        );
        assert_field_error(
            with_mapping(vec![map("email", "e"), map("email", "e")]),
            Field::ClaimMapping,
            "\"email → e\" is listed twice",
        );
        validate(with_mapping(vec![map("email", "e1"), map("email", "e2")]))
            .expect("one claim may reach two variables");
    }

    #[test]
    fn claim_mapping_has_at_most_50_entries() {
        let many = |n: usize| (0..n).map(|i| map("email", &format!("v{i}"))).collect();
        validate(with_mapping(many(MAX_CLAIM_MAPPINGS))).expect("50 entries are allowed");
        assert_field_error(
            with_mapping(many(MAX_CLAIM_MAPPINGS + 1)),
            Field::ClaimMapping,
            "too many entries (50 at most)",
        );
    }

    #[test]
    fn channel_binding_on_oauth2_needs_the_userinfo_endpoint() {
        // Without an ID token, phone_number can only come from userinfo: an OAuth 2.0 IdP
        // without one is refused (the userinfo rule says so for every OAuth 2.0 IdP).
        let bound = IdpFields {
            channel_binding: true,
            ..oauth2()
        };
        validate(bound.clone()).expect("OAuth 2.0 with userinfo may bind the channel");
        let errs = errors(IdpFields {
            userinfo_endpoint: None,
            ..bound
        });
        assert_eq!(
            errs.iter().map(|(f, _)| *f).collect::<Vec<_>>(),
            vec![Field::UserinfoEndpoint],
            "{errs:?}"
        );
        validate(IdpFields {
            channel_binding: true,
            userinfo_endpoint: None,
            ..oidc()
        })
        .expect("OpenID Connect may bind the channel with the ID token's claims");
    }

    #[test]
    fn a_loopback_port_is_1024_to_65535_with_the_loopback_redirect_only() {
        let loopback = |port| IdpFields {
            test_redirect: TestRedirect::Loopback,
            loopback_port: Some(port),
            ..oidc()
        };
        for port in [1024, 8765, 65535] {
            assert_eq!(
                validate(loopback(port)).map(|f| f.loopback_port),
                Ok(Some(port)),
                "{port} is a usable fixed port"
            );
        }
        for port in [0, 80, 1023] {
            assert_eq!(
                errors(loopback(port)),
                vec![(
                    Field::LoopbackPort,
                    "must be between 1024 and 65535 (lower ports need administrator rights); \
                     leave it empty to pick a free port for each test"
                        .to_string()
                )],
                "{port} is refused"
            );
        }
        let deep_link = IdpFields {
            test_redirect: TestRedirect::DeepLink,
            loopback_port: Some(8765),
            ..oidc()
        };
        assert_field_error(deep_link, Field::LoopbackPort, "used only by the loopback");
        let random = IdpFields {
            test_redirect: TestRedirect::Loopback,
            loopback_port: None,
            ..oidc()
        };
        assert!(validate(random).is_ok(), "no port: a free one per test");
    }

    #[test]
    fn signing_algs_are_deduplicated_in_a_fixed_order() {
        use crate::signing_alg::SigningAlg::{ES256, HS256, RS256};
        let f = IdpFields {
            id_token_signing_algs: vec![HS256, RS256, ES256, RS256],
            ..oidc()
        };
        assert_eq!(
            validate(f).map(|f| f.id_token_signing_algs),
            Ok(vec![RS256, ES256, HS256]),
            "one of each, in the enum's order, so equal sets compare equal in diffs"
        );
    }

    #[test]
    fn an_hmac_alg_needs_a_confidential_client() {
        use crate::signing_alg::SigningAlg::{HS384, RS256};
        let public = IdpFields {
            client_auth_method: ClientAuthMethod::None,
            id_token_signing_algs: vec![RS256, HS384],
            ..oidc()
        };
        assert_eq!(
            errors(public),
            vec![(
                Field::IdTokenSigningAlgs,
                "HS384 is keyed with the client secret, and a public client (authentication \
                 \"none\") has no secret: choose client_secret_basic or client_secret_post \
                 and enter the secret, or remove HS384"
                    .to_string()
            )]
        );
        let keyed = IdpFields {
            client_auth_method: ClientAuthMethod::PrivateKeyJwt,
            id_token_signing_algs: vec![HS384],
            ..oidc()
        };
        assert!(
            errors(keyed)[0].1.contains("private_key_jwt"),
            "a client with its own key has no secret to key HS* with either"
        );
        let public_rs = IdpFields {
            client_auth_method: ClientAuthMethod::None,
            id_token_signing_algs: vec![RS256],
            ..oidc()
        };
        assert!(
            validate(public_rs).is_ok(),
            "asymmetric algs need no secret"
        );
        let confidential = IdpFields {
            id_token_signing_algs: vec![HS384],
            ..oidc()
        };
        assert!(
            validate(confidential).is_ok(),
            "a confidential client may list HS*"
        );
    }

    #[test]
    fn signing_algs_belong_to_openid_connect() {
        let f = IdpFields {
            id_token_signing_algs: vec![crate::signing_alg::SigningAlg::ES256],
            ..oauth2()
        };
        assert_field_error(f, Field::IdTokenSigningAlgs, "only to OpenID Connect");
    }

    #[test]
    fn an_expiry_date_is_a_day_for_a_client_with_a_credential() {
        let dated = IdpFields {
            credential_expires_on: Some(" 2027-03-31 ".into()),
            ..oidc()
        };
        assert_eq!(
            validate(dated).map(|f| f.credential_expires_on),
            Ok(Some("2027-03-31".into()))
        );
        let blank = IdpFields {
            credential_expires_on: Some("  ".into()),
            ..oidc()
        };
        assert_eq!(validate(blank).map(|f| f.credential_expires_on), Ok(None));
        let garbled = IdpFields {
            credential_expires_on: Some("31/03/2027".into()),
            ..oidc()
        };
        assert_field_error(garbled, Field::CredentialExpiresOn, "YYYY-MM-DD");
        let public = IdpFields {
            client_auth_method: ClientAuthMethod::None,
            credential_expires_on: Some("2027-03-31".into()),
            ..oidc()
        };
        assert_field_error(public, Field::CredentialExpiresOn, "clear the date");
        let keyed = IdpFields {
            client_auth_method: ClientAuthMethod::PrivateKeyJwt,
            credential_expires_on: Some("2027-03-31".into()),
            ..oidc()
        };
        assert_eq!(
            validate(keyed).map(|f| f.credential_expires_on),
            Ok(Some("2027-03-31".into())),
            "a signing key expires too"
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let f = IdpFields {
            client_auth_method: ClientAuthMethod::None,
            ..IdpFields::blank(Protocol::Oidc)
        };
        let fields: Vec<Field> = errors(f).into_iter().map(|(f, _)| f).collect();
        for expected in [
            Field::Name,
            Field::Issuer,
            Field::AuthorizationEndpoint,
            Field::TokenEndpoint,
            Field::ClientId,
        ] {
            assert!(
                fields.contains(&expected),
                "missing {expected} in {fields:?}"
            );
        }
    }
}
