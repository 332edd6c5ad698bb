//! "Check readiness": what can be checked about an IdP without a login.
//!
//! Invariants: read-only; it sends no credential. Each check reports passed, warning or failed
//! with what to change. It fetches discovery and the JWKS, and asks what discovery advertises,
//! through the same functions as the test login ([`discovery::fetch_dated`], [`jwks::fetch`],
//! [`DiscoveryInfo`]'s `advertises_*`, [`SigningPolicy`]).

use super::client_key;
use super::flow::LoginContext;
use super::jwks;
use super::report::StepStatus;
use super::signing::{self, SigningPolicy};
use crate::discovery::{self, Discovered, DiscoveryInfo};
use eca_model::credential_expiry::{self, CredentialExpiry};
use eca_model::idp::{IdpConfig, IdpFields, Protocol, TestRedirect};
use eca_model::preset::{self, RedirectRule};
use eca_model::signing_alg::SigningAlg;
use serde::{Deserialize, Serialize};

/// The name of the readiness line about the credential's expiry.
pub const CREDENTIAL_EXPIRY: &str = "Client secret expiry";
/// The same line for a private_key_jwt client's signing key.
pub const KEY_EXPIRY: &str = "Signing key expiry";

/// The largest difference between the IdP's clock and ours that is not reported.
pub const MAX_CLOCK_SKEW_SECS: i64 = 60;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct ReadinessCheck {
    pub name: String,
    pub status: StepStatus,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct ReadinessReport {
    pub idp_name: String,
    /// True when no check failed.
    pub ready: bool,
    pub checks: Vec<ReadinessCheck>,
}

struct Checks(Vec<ReadinessCheck>);

impl Checks {
    fn add(&mut self, name: &str, status: StepStatus, detail: impl Into<String>) {
        self.0.push(ReadinessCheck {
            name: name.into(),
            status,
            detail: detail.into(),
        });
    }
}

pub async fn check(ctx: &LoginContext, idp: &IdpConfig) -> ReadinessReport {
    let f = &idp.fields;
    let mut checks = Checks(Vec::new());
    check_credential_expiry(f, credential_expiry::today(&*ctx.clock), &mut checks);
    check_https(f, &mut checks);
    check_preset_quirks(f, &mut checks);
    if f.protocol == Protocol::Oidc {
        let issuer = f.issuer.clone().unwrap_or_default();
        match discovery::fetch_dated(&ctx.http, &issuer).await {
            Err(e) => checks.add(
                "Discovery issuer matches",
                StepStatus::Failed,
                e.to_string(),
            ),
            Ok(Discovered { info, date }) => {
                checks.add(
                    "Discovery issuer matches",
                    StepStatus::Passed,
                    format!("The document's issuer is exactly \"{}\".", info.issuer),
                );
                check_advertised(f, &info, &mut checks);
                check_par(&info, &mut checks);
                check_signing_algs(f, &info, &mut checks);
                check_clock(ctx, date, &mut checks);
                let jwks_uri = f.jwks_uri.clone().unwrap_or(info.jwks_uri);
                check_jwks(ctx, &jwks_uri, &mut checks).await;
            }
        }
    }
    let ready = !checks.0.iter().any(|c| c.status == StepStatus::Failed);
    ReadinessReport {
        idp_name: f.name.clone(),
        ready,
        checks: checks.0,
    }
}

/// The credential's recorded expiry: a warning from [`credential_expiry::REMINDER_DAYS`] days
/// ahead, a failure once expired (the platform refuses sign-ins then); no line without a date.
fn check_credential_expiry(f: &IdpFields, today: time::Date, checks: &mut Checks) {
    let Some(on) = f.credential_expires_on.as_deref() else {
        return;
    };
    let expiry = f.credential_expiry(today);
    let status = match expiry {
        CredentialExpiry::NoDate | CredentialExpiry::Fine { .. } => StepStatus::Passed,
        CredentialExpiry::DueSoon { .. } => StepStatus::Warning,
        CredentialExpiry::Expired { .. } => StepStatus::Failed,
    };
    let method = f.client_auth_method;
    if let Some(detail) = expiry.describe(on, method) {
        let name = if method.uses_key() {
            KEY_EXPIRY
        } else {
            CREDENTIAL_EXPIRY
        };
        checks.add(name, status, detail);
    }
}

/// Plain http is only for loopback development IdPs.
fn check_https(f: &IdpFields, checks: &mut Checks) {
    let mut urls: Vec<(&str, &str)> = vec![
        ("authorization endpoint", &f.authorization_endpoint),
        ("token endpoint", &f.token_endpoint),
    ];
    urls.extend(
        f.userinfo_endpoint
            .as_deref()
            .map(|u| ("userinfo endpoint", u)),
    );
    urls.extend(f.jwks_uri.as_deref().map(|u| ("JWKS URI", u)));
    urls.extend(f.issuer.as_deref().map(|u| ("issuer", u)));
    let plain: Vec<&str> = urls
        .iter()
        .filter(|(_, u)| !u.starts_with("https://"))
        .map(|(l, _)| *l)
        .collect();
    if plain.is_empty() {
        checks.add(
            "Endpoints use https",
            StepStatus::Passed,
            "Every endpoint uses https.",
        );
    } else {
        checks.add(
            "Endpoints use https",
            StepStatus::Warning,
            format!(
                "{} use plain http on a loopback host: fine for development, not for production.",
                plain.join(", ")
            ),
        );
    }
}

/// The quirks of the preset the issuer belongs to ([`preset::recognise`]), as its data states
/// them: the issuer's exact form (a trailing slash) and the redirects the IdP accepts.
fn check_preset_quirks(f: &IdpFields, checks: &mut Checks) {
    if f.protocol != Protocol::Oidc {
        return;
    }
    let Some(found) = f.issuer.as_deref().and_then(preset::recognise) else {
        return;
    };
    let name = &found.preset.name;
    if found.slash_differs {
        checks.add(
            "Issuer form",
            StepStatus::Failed,
            format!(
                "{name}'s issuer is exactly \"{}\" (compare the trailing slash): set the Issuer \
                 URL to that, or ID tokens are refused.",
                found.issuer()
            ),
        );
    }
    if found.preset.redirect == RedirectRule::LoopbackOnly
        && f.test_redirect == TestRedirect::DeepLink
    {
        checks.add(
            "Test redirect accepted",
            StepStatus::Warning,
            format!(
                "{name} refuses the app's private-use scheme redirect: set the test redirect to \
                 loopback (and register http://127.0.0.1 at {name})."
            ),
        );
    }
}

/// PKCE S256 and the client authentication method, as discovery advertises them.
fn check_advertised(f: &IdpFields, info: &DiscoveryInfo, checks: &mut Checks) {
    if info.advertises_pkce_s256() {
        checks.add(
            "PKCE S256 advertised",
            StepStatus::Passed,
            "code_challenge_methods_supported includes S256.",
        );
    } else {
        checks.add(
            "PKCE S256 advertised",
            StepStatus::Failed,
            format!(
                "code_challenge_methods_supported is [{}]: enable PKCE with S256 at the IdP.",
                info.code_challenge_methods_supported.join(", ")
            ),
        );
    }
    let method = f.client_auth_method.as_str();
    if info.advertises_auth_method(method) {
        checks.add(
            "Client authentication advertised",
            StepStatus::Passed,
            format!("{method} is supported."),
        );
    } else {
        checks.add(
            "Client authentication advertised",
            StepStatus::Failed,
            format!(
                "The IdP supports [{}], not {method}: choose one of those.",
                info.token_endpoint_auth_methods_supported.join(", ")
            ),
        );
    }
    if f.client_auth_method.uses_key() {
        check_assertion_alg(info, checks);
    }
}

/// The algorithm client assertions (private_key_jwt) will be signed with, as the IdP
/// advertises them.
fn check_assertion_alg(info: &DiscoveryInfo, checks: &mut Checks) {
    const NAME: &str = "Client assertion algorithm";
    let advertised = &info.token_endpoint_auth_signing_alg_values_supported;
    match client_key::assertion_alg(advertised) {
        Ok(alg) if advertised.is_empty() => checks.add(
            NAME,
            StepStatus::Warning,
            format!(
                "The IdP does not advertise token_endpoint_auth_signing_alg_values_supported: \
                 client assertions are signed with {alg}; confirm the IdP accepts it."
            ),
        ),
        Ok(alg) => checks.add(
            NAME,
            StepStatus::Passed,
            format!("Client assertions are signed with {alg}, which the IdP advertises."),
        ),
        Err(e) => checks.add(NAME, StepStatus::Failed, e.to_string()),
    }
}

/// Pushed authorization requests (RFC 9126): required, available, or not advertised. The test
/// login and the platform push whenever the IdP advertises an endpoint.
fn check_par(info: &DiscoveryInfo, checks: &mut Checks) {
    const NAME: &str = "Pushed authorization (PAR)";
    let required = info.require_pushed_authorization_requests;
    match (info.par_endpoint(), required) {
        (Some(endpoint), true) => checks.add(
            NAME,
            StepStatus::Passed,
            format!("PAR required: every login pushes its request to {endpoint} first."),
        ),
        (Some(endpoint), false) => checks.add(
            NAME,
            StepStatus::Passed,
            format!("PAR available: every login pushes its request to {endpoint} first."),
        ),
        (None, true) => checks.add(
            NAME,
            StepStatus::Failed,
            "The IdP requires PAR (require_pushed_authorization_requests) but advertises no \
             pushed_authorization_request_endpoint: fix the IdP's discovery document.",
        ),
        (None, false) => checks.add(
            NAME,
            StepStatus::Skipped,
            "Not advertised: the authorization request goes in the browser's URL.",
        ),
    }
}

/// The algorithms ID tokens will be accepted with, warning about configured ones the IdP does
/// not advertise (its tokens may never be signed so, or the setting has a typo).
fn check_signing_algs(f: &IdpFields, info: &DiscoveryInfo, checks: &mut Checks) {
    const NAME: &str = "ID token signing algorithms";
    let advertised = &info.id_token_signing_alg_values_supported;
    let policy = SigningPolicy::new(&f.id_token_signing_algs, advertised);
    let missing = signing::unadvertised(&f.id_token_signing_algs, advertised);
    if missing.is_empty() {
        checks.add(
            NAME,
            StepStatus::Passed,
            format!(
                "ID tokens signed with {} are accepted.",
                SigningAlg::join(policy.allowed())
            ),
        );
    } else {
        checks.add(
            NAME,
            StepStatus::Warning,
            format!(
                "{} allowed in the IdP's settings but not advertised by the IdP ([{}]): check \
                 the IdP's signing settings, or remove {} from the list.",
                SigningAlg::join(&missing),
                advertised.join(", "),
                if missing.len() == 1 { "it" } else { "them" }
            ),
        );
    }
}

/// Our clock against the IdP's `Date` header: ID tokens are checked against our clock.
fn check_clock(ctx: &LoginContext, date: Option<time::OffsetDateTime>, checks: &mut Checks) {
    let Some(theirs) = date else {
        checks.add(
            "Clock skew",
            StepStatus::Warning,
            "The IdP sent no Date header to compare with.",
        );
        return;
    };
    let skew = (theirs - ctx.clock.now()).whole_seconds();
    if skew.abs() <= MAX_CLOCK_SKEW_SECS {
        checks.add(
            "Clock skew",
            StepStatus::Passed,
            format!("{skew:+} s against the IdP's Date header."),
        );
    } else {
        checks.add(
            "Clock skew",
            StepStatus::Failed,
            format!("This computer's clock is {} s {} the IdP's: ID tokens would look expired or not yet valid. Synchronise the clock (NTP).", skew.abs(), if skew > 0 { "behind" } else { "ahead of" }),
        );
    }
}

async fn check_jwks(ctx: &LoginContext, uri: &str, checks: &mut Checks) {
    match jwks::fetch(&ctx.http, uri).await {
        Ok(keys) => checks.add(
            "JWKS reachable",
            StepStatus::Passed,
            format!("{} signing key(s) at {uri}.", keys.keys().len()),
        ),
        Err(e) => checks.add("JWKS reachable", StepStatus::Failed, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eca_model::idp::ClientAuthMethod;
    use eca_model::signing_alg::SigningAlg::{ES256, HS256, RS256};

    fn info(advertised: &[&str]) -> DiscoveryInfo {
        DiscoveryInfo {
            issuer: "https://idp.example".into(),
            authorization_endpoint: "https://idp.example/a".into(),
            token_endpoint: "https://idp.example/t".into(),
            userinfo_endpoint: None,
            jwks_uri: "https://idp.example/k".into(),
            code_challenge_methods_supported: vec!["S256".into()],
            token_endpoint_auth_methods_supported: vec!["client_secret_basic".into()],
            scopes_supported: Vec::new(),
            id_token_signing_alg_values_supported: advertised
                .iter()
                .map(|a| a.to_string())
                .collect(),
            token_endpoint_auth_signing_alg_values_supported: vec![],
            authorization_response_iss_parameter_supported: false,
            pushed_authorization_request_endpoint: None,
            require_pushed_authorization_requests: false,
        }
    }

    #[test]
    fn an_expired_credential_fails_readiness_named_for_what_it_is() {
        let today = time::macros::date!(2026 - 11 - 30);
        for (method, name, says) in [
            (
                ClientAuthMethod::ClientSecretBasic,
                CREDENTIAL_EXPIRY,
                "The client secret",
            ),
            (
                ClientAuthMethod::PrivateKeyJwt,
                KEY_EXPIRY,
                "The signing key",
            ),
        ] {
            let f = IdpFields {
                client_auth_method: method,
                credential_expires_on: Some("2026-11-29".into()),
                ..IdpFields::blank(Protocol::Oidc)
            };
            let mut checks = Checks(Vec::new());
            check_credential_expiry(&f, today, &mut checks);
            let [check] = &checks.0[..] else {
                panic!("one line: {:?}", checks.0)
            };
            assert_eq!(
                (check.name.as_str(), check.status),
                (name, StepStatus::Failed)
            );
            assert!(check.detail.starts_with(says), "{}", check.detail);
        }
    }

    fn signing_check(algs: Vec<SigningAlg>, advertised: &[&str]) -> ReadinessCheck {
        let f = IdpFields {
            id_token_signing_algs: algs,
            ..IdpFields::blank(Protocol::Oidc)
        };
        let mut checks = Checks(Vec::new());
        check_signing_algs(&f, &info(advertised), &mut checks);
        checks.0.remove(0)
    }

    fn quirk_checks(issuer: &str, redirect: TestRedirect) -> Vec<ReadinessCheck> {
        let f = IdpFields {
            issuer: Some(issuer.into()),
            test_redirect: redirect,
            ..IdpFields::blank(Protocol::Oidc)
        };
        let mut checks = Checks(Vec::new());
        check_preset_quirks(&f, &mut checks);
        checks.0
    }

    #[test]
    fn googles_trailing_slash_and_loopback_only_quirks_are_reported() {
        let checks = quirk_checks("https://accounts.google.com/", TestRedirect::DeepLink);
        let names: Vec<&str> = checks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Issuer form", "Test redirect accepted"]);
        assert_eq!(checks[0].status, StepStatus::Failed);
        assert!(
            checks[0].detail.contains("\"https://accounts.google.com\""),
            "the fix names the exact issuer: {}",
            checks[0].detail
        );
        assert_eq!(checks[1].status, StepStatus::Warning);
        assert_eq!(
            quirk_checks("https://accounts.google.com", TestRedirect::Loopback),
            Vec::new(),
            "the issuer as Google writes it, tested through loopback: nothing to report"
        );
        let auth0 = quirk_checks("https://acme.eu.auth0.com", TestRedirect::DeepLink);
        assert_eq!(auth0.len(), 1, "Auth0's issuer needs its trailing slash");
        assert!(auth0[0].detail.contains("\"https://acme.eu.auth0.com/\""));
        assert!(quirk_checks("https://idp.example/", TestRedirect::DeepLink).is_empty());
    }

    #[test]
    fn par_is_reported_required_available_or_not_advertised() {
        let par = |endpoint: Option<&str>, required| {
            let info = DiscoveryInfo {
                pushed_authorization_request_endpoint: endpoint.map(str::to_string),
                require_pushed_authorization_requests: required,
                ..info(&[])
            };
            let mut checks = Checks(Vec::new());
            check_par(&info, &mut checks);
            let check = checks.0.remove(0);
            (check.status, check.detail)
        };
        let endpoint = Some("https://idp.example/par");
        let (status, detail) = par(endpoint, true);
        assert_eq!(status, StepStatus::Passed);
        assert!(detail.starts_with("PAR required"), "{detail}");
        let (status, detail) = par(endpoint, false);
        assert_eq!(status, StepStatus::Passed);
        assert!(detail.starts_with("PAR available"), "{detail}");
        assert_eq!(par(None, false).0, StepStatus::Skipped);
        assert_eq!(par(None, true).0, StepStatus::Failed);
    }

    #[test]
    fn configured_algs_the_idp_does_not_advertise_are_a_warning() {
        let check = signing_check(vec![RS256, HS256], &["RS256", "ES256"]);
        assert_eq!(check.status, StepStatus::Warning);
        assert!(
            check.detail.starts_with("HS256 allowed"),
            "{}",
            check.detail
        );
        let check = signing_check(vec![ES256], &["RS256", "ES256"]);
        assert_eq!(check.status, StepStatus::Passed, "{}", check.detail);
        let check = signing_check(Vec::new(), &["RS256", "HS256", "ES256"]);
        assert_eq!(check.status, StepStatus::Passed);
        assert_eq!(
            check.detail,
            "ID tokens signed with RS256, ES256 are accepted."
        );
    }

    #[test]
    fn private_key_jwt_needs_the_method_and_an_algorithm_this_app_signs_with() {
        let f = IdpFields {
            client_auth_method: eca_model::idp::ClientAuthMethod::PrivateKeyJwt,
            ..IdpFields::blank(Protocol::Oidc)
        };
        let checks_for = |methods: &[&str], algs: &[&str]| {
            let mut i = info(&[]);
            i.token_endpoint_auth_methods_supported =
                methods.iter().map(|m| m.to_string()).collect();
            i.token_endpoint_auth_signing_alg_values_supported =
                algs.iter().map(|a| a.to_string()).collect();
            let mut checks = Checks(Vec::new());
            check_advertised(&f, &i, &mut checks);
            checks
                .0
                .into_iter()
                .filter(|c| c.name.starts_with("Client"))
                .map(|c| (c.name, c.status))
                .collect::<Vec<_>>()
        };
        let named = |method, alg| {
            vec![
                ("Client authentication advertised".to_string(), method),
                ("Client assertion algorithm".to_string(), alg),
            ]
        };
        use StepStatus::{Failed, Passed, Warning};
        assert_eq!(
            checks_for(&["private_key_jwt"], &["ES256"]),
            named(Passed, Passed)
        );
        assert_eq!(
            checks_for(&["client_secret_basic"], &["EdDSA"]),
            named(Failed, Failed)
        );
        assert_eq!(
            checks_for(&["private_key_jwt"], &[]),
            named(Passed, Warning),
            "RS256 is assumed but not advertised"
        );
    }
}
