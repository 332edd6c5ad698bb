//! One test login, as a state machine in two halves: [`prepare`] (discovery, JWKS, the
//! authorization URL) and [`complete`] (the callback's checks, the code exchange, the ID token,
//! userinfo). Between them, the admin logs in in the system browser.
//!
//! Invariants:
//! - PKCE (S256), `state` and `nonce` are fresh for every login, from the OS RNG.
//! - A [`PendingLogin`] is consumed by [`complete`]: a callback can complete a login once.
//! - Tokens never leave this module except masked in the [`TestReport`]; nothing here stores them.
//! - Time comes from the [`Clock`] passed in, so token lifetimes can be tested.

use super::callback::{CallbackError, CallbackParams};
use super::id_token::{self, Expectations, Rejection};
use super::report::{mask, StepName, TestError, TestOutcome, TestReport, VerifiedIdentity};
use super::steps::{Observer, StepLog};
use super::token::{self, clean, TokenRequest};
use crate::discovery::{self, DiscoveryInfo};
use crate::http;
use eca_model::clock::{rfc3339, Clock};
use eca_model::idp::{IdpConfig, Protocol};
use eca_model::secret::Secret;
use openidconnect::core::CoreJsonWebKeySet;
use openidconnect::{CsrfToken, Nonce, PkceCodeChallenge, PkceCodeVerifier};
use serde_json::Value;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};
use url::Url;

const MAX_JWKS_BYTES: usize = 512 * 1024;
const MAX_USERINFO_BYTES: usize = 256 * 1024;
/// How long a login may wait for its callback by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::minutes(5);

/// What a login needs from outside: HTTP, time, and who to tell about progress.
#[derive(Clone)]
pub struct LoginContext {
    pub http: reqwest::Client,
    pub clock: Arc<dyn Clock>,
}

/// What the IdP told us before the login: its discovery document and keys.
#[derive(Clone)]
pub struct ProviderKeys {
    pub discovery: Option<DiscoveryInfo>,
    pub jwks: Option<CoreJsonWebKeySet>,
}

/// A login waiting for its callback.
pub struct PendingLogin {
    pub run_id: String,
    pub idp: IdpConfig,
    secret: Option<Secret>,
    state: CsrfToken,
    nonce: Nonce,
    pkce_verifier: PkceCodeVerifier,
    pub redirect_uri: String,
    pub started_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    provider: ProviderKeys,
    log: StepLog,
}

impl PendingLogin {
    /// The `state` sent with the authorization request, to match the callback by.
    pub fn state(&self) -> &str {
        self.state.secret()
    }
}

/// The URL to open in the browser, and the login that waits for its callback.
pub struct Started {
    pub authorization_url: Url,
    pub pending: PendingLogin,
}

/// Discovery, JWKS and the authorization URL. A failure returns the finished (failed) report.
pub async fn prepare(
    ctx: &LoginContext,
    run_id: String,
    idp: IdpConfig,
    secret: Option<Secret>,
    redirect_uri: String,
    timeout: Duration,
    observer: Option<Observer>,
) -> Result<Started, Box<TestReport>> {
    let started_at = ctx.clock.now();
    let mut log = StepLog::new(observer);
    let fail = |log: StepLog, error: TestError| {
        Box::new(finish(
            &run_id,
            &idp,
            &redirect_uri,
            started_at,
            ctx.clock.now(),
            log,
            Err(error),
        ))
    };

    let provider = match fetch_provider(ctx, &idp, &mut log).await {
        Ok(p) => p,
        Err(error) => return Err(fail(log, error)),
    };
    if idp.fields.client_auth_method.uses_secret() && secret.is_none() {
        log.start(StepName::Authorization, "");
        let e = TestError {
            code: "missing_secret".into(),
            message: format!(
                "The client authentication method is {} but no client secret is stored.",
                idp.fields.client_auth_method.as_str()
            ),
            fix:
                "Enter the client secret in the IdP's form, or choose \"none\" for a public client."
                    .into(),
        };
        let e = log.fail(StepName::Authorization, e);
        return Err(fail(log, e));
    }

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state = CsrfToken::new_random();
    let nonce = Nonce::new_random();
    let mut url = match Url::parse(&idp.fields.authorization_endpoint) {
        Ok(u) => u,
        Err(e) => {
            log.start(StepName::Authorization, "");
            let e = log.fail(
                StepName::Authorization,
                TestError {
                    code: "authorization_endpoint".into(),
                    message: format!("The authorization endpoint is not a URL: {e}"),
                    fix: "Fix the Authorization endpoint.".into(),
                },
            );
            return Err(fail(log, e));
        }
    };
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", &idp.fields.client_id)
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("scope", &idp.fields.scopes.join(" "))
            .append_pair("state", state.secret())
            .append_pair("code_challenge", challenge.as_str())
            .append_pair("code_challenge_method", "S256");
        if idp.fields.protocol == Protocol::Oidc {
            q.append_pair("nonce", nonce.secret());
        }
        for p in &idp.fields.extra_params {
            q.append_pair(&p.key, &p.value);
        }
    }
    log.start(
        StepName::Authorization,
        "Waiting for the login in the system browser…",
    );
    let now = ctx.clock.now();
    Ok(Started {
        authorization_url: url,
        pending: PendingLogin {
            run_id,
            idp,
            secret,
            state,
            nonce,
            pkce_verifier: verifier,
            redirect_uri,
            started_at,
            expires_at: now + timeout,
            provider,
            log,
        },
    })
}

/// Discovery (OpenID Connect) and the JWKS, each as a step.
async fn fetch_provider(
    ctx: &LoginContext,
    idp: &IdpConfig,
    log: &mut StepLog,
) -> Result<ProviderKeys, TestError> {
    let f = &idp.fields;
    if f.protocol == Protocol::Oauth2 {
        log.skip(
            StepName::Discovery,
            "Plain OAuth 2.0: no discovery document.",
        );
        log.skip(
            StepName::Jwks,
            "Plain OAuth 2.0: no ID token, so no signing keys.",
        );
        return Ok(ProviderKeys {
            discovery: None,
            jwks: None,
        });
    }
    let issuer = f.issuer.clone().unwrap_or_default();
    log.start(
        StepName::Discovery,
        format!("Fetching {}", discovery_url_text(&issuer)),
    );
    let info = match discovery::fetch(&ctx.http, &issuer).await {
        Ok(info) => info,
        Err(e) => {
            let code = if matches!(e, discovery::DiscoveryError::IssuerMismatch { .. }) {
                "issuer_mismatch"
            } else {
                "discovery"
            };
            return Err(log.fail(
                StepName::Discovery,
                TestError {
                    code: code.into(),
                    message: e.to_string(),
                    fix: "Set the Issuer URL to exactly the issuer the IdP announces, then use \"Fetch from issuer\".".into(),
                },
            ));
        }
    };
    let mut notes = Vec::new();
    for (label, ours, theirs) in [
        (
            "authorization endpoint",
            Some(f.authorization_endpoint.as_str()),
            Some(info.authorization_endpoint.as_str()),
        ),
        (
            "token endpoint",
            Some(f.token_endpoint.as_str()),
            Some(info.token_endpoint.as_str()),
        ),
        (
            "userinfo endpoint",
            f.userinfo_endpoint.as_deref(),
            info.userinfo_endpoint.as_deref(),
        ),
        (
            "JWKS URI",
            f.jwks_uri.as_deref(),
            Some(info.jwks_uri.as_str()),
        ),
    ] {
        if ours.is_some() && ours != theirs {
            notes.push(format!(
                "the {label} differs from discovery ({})",
                theirs.unwrap_or("none")
            ));
        }
    }
    if !info
        .code_challenge_methods_supported
        .iter()
        .any(|m| m == "S256")
    {
        notes.push("the IdP does not advertise PKCE S256 (the login sends it anyway)".into());
    }
    let method = f.client_auth_method.as_str();
    if !info
        .token_endpoint_auth_methods_supported
        .iter()
        .any(|m| m == method)
    {
        notes.push(format!("the IdP does not advertise {method}"));
    }
    if notes.is_empty() {
        log.pass(
            StepName::Discovery,
            format!("Issuer {} matches; endpoints agree.", info.issuer),
        );
    } else {
        log.warn(
            StepName::Discovery,
            format!("Issuer matches, but {}.", notes.join("; ")),
        );
    }

    let jwks_uri = f.jwks_uri.clone().unwrap_or_else(|| info.jwks_uri.clone());
    log.start(StepName::Jwks, format!("Fetching {jwks_uri}"));
    match fetch_jwks(ctx, &jwks_uri).await {
        Ok(jwks) => {
            log.pass(StepName::Jwks, describe_jwks(&jwks));
            Ok(ProviderKeys {
                discovery: Some(info),
                jwks: Some(jwks),
            })
        }
        Err(e) => Err(log.fail(StepName::Jwks, e)),
    }
}

fn discovery_url_text(issuer: &str) -> String {
    discovery::discovery_url(issuer)
        .map(|u| u.to_string())
        .unwrap_or_else(|_| issuer.to_string())
}

async fn fetch_jwks(ctx: &LoginContext, uri: &str) -> Result<CoreJsonWebKeySet, TestError> {
    let jwks_error = |message: String| TestError {
        code: "jwks".into(),
        message,
        fix: "Check the JWKS URI (\"Fetch from issuer\" fills it from discovery).".into(),
    };
    let url = Url::parse(uri).map_err(|e| jwks_error(format!("The JWKS URI is not a URL: {e}")))?;
    let (jwks, _meta): (CoreJsonWebKeySet, _) = http::get_json(&ctx.http, &url, MAX_JWKS_BYTES)
        .await
        .map_err(|e| jwks_error(format!("The IdP's signing keys could not be read: {e}")))?;
    if jwks.keys().is_empty() {
        return Err(jwks_error("The IdP's JWKS holds no keys.".into()));
    }
    Ok(jwks)
}

fn describe_jwks(jwks: &CoreJsonWebKeySet) -> String {
    let kids: Vec<String> = jwks
        .keys()
        .iter()
        .map(|k| {
            use openidconnect::JsonWebKey;
            k.key_id()
                .map(|kid| kid.as_str().to_string())
                .unwrap_or_else(|| "(no kid)".into())
        })
        .collect();
    format!("{} key(s): {}", kids.len(), kids.join(", "))
}

/// Ends a pending login without a callback: cancelled, timed out, or failed before the
/// redirect (e.g. the browser could not be started: then `error` says why).
pub fn abandon(
    pending: PendingLogin,
    outcome: TestOutcome,
    error: Option<TestError>,
    now: OffsetDateTime,
) -> TestReport {
    let PendingLogin {
        run_id,
        idp,
        redirect_uri,
        started_at,
        mut log,
        ..
    } = pending;
    let error = error.unwrap_or_else(|| match outcome {
        TestOutcome::TimedOut => TestError {
            code: "timeout".into(),
            message: "The login did not come back before the timeout.".into(),
            fix: format!(
                "Finish the login in the browser sooner. If the browser showed an error about the redirect URI, register exactly {redirect_uri} at the IdP."
            ),
        },
        _ => TestError { code: "cancelled".into(), message: "The test was cancelled.".into(), fix: String::new() },
    });
    log.abort_running(&error.message);
    let mut report = finish(
        &run_id,
        &idp,
        &redirect_uri,
        started_at,
        now,
        log,
        Err(error),
    );
    report.outcome = outcome;
    report
}

/// A run that failed before it could start (e.g. no loopback port).
pub fn failed_before_start(
    ctx: &LoginContext,
    run_id: String,
    idp: IdpConfig,
    redirect_uri: String,
    error: TestError,
) -> TestReport {
    let now = ctx.clock.now();
    finish(
        &run_id,
        &idp,
        &redirect_uri,
        now,
        now,
        StepLog::new(None),
        Err(error),
    )
}

/// Checks the callback, exchanges the code, verifies the ID token and calls userinfo.
pub async fn complete(
    ctx: &LoginContext,
    pending: PendingLogin,
    callback: Result<CallbackParams, CallbackError>,
) -> TestReport {
    let PendingLogin {
        run_id,
        idp,
        secret,
        state,
        nonce,
        pkce_verifier,
        redirect_uri,
        started_at,
        provider,
        mut log,
        ..
    } = pending;
    let result = check_and_exchange(
        ctx,
        &idp,
        secret.as_ref(),
        &state,
        &nonce,
        pkce_verifier,
        &redirect_uri,
        provider,
        &mut log,
        callback,
    )
    .await;
    finish(
        &run_id,
        &idp,
        &redirect_uri,
        started_at,
        ctx.clock.now(),
        log,
        result,
    )
}

#[allow(clippy::too_many_arguments)]
async fn check_and_exchange(
    ctx: &LoginContext,
    idp: &IdpConfig,
    secret: Option<&Secret>,
    state: &CsrfToken,
    nonce: &Nonce,
    pkce_verifier: PkceCodeVerifier,
    redirect_uri: &str,
    mut provider: ProviderKeys,
    log: &mut StepLog,
    callback: Result<CallbackParams, CallbackError>,
) -> Result<VerifiedIdentity, TestError> {
    let f = &idp.fields;
    log.pass(StepName::Authorization, "The browser came back.");
    log.start(StepName::RedirectReceived, "");
    let params = callback.map_err(|e| {
        log.fail(
            StepName::RedirectReceived,
            TestError {
                code: "callback".into(),
                message: format!("The redirect was refused: {e}."),
                fix: "Start the test again.".into(),
            },
        )
    })?;
    log.pass(StepName::RedirectReceived, format!("At {redirect_uri}"));

    log.start(StepName::StateAndIssuer, "");
    let fail_state = |log: &mut StepLog, code: &str, message: String, fix: &str| {
        log.fail(
            StepName::StateAndIssuer,
            TestError {
                code: code.into(),
                message,
                fix: fix.into(),
            },
        )
    };
    match &params.state {
        None => {
            return Err(fail_state(
                log,
                "state",
                "The redirect carries no state parameter.".into(),
                "The IdP must return the state it received (RFC 6749 §4.1.2).",
            ))
        }
        Some(s) => {
            use subtle::ConstantTimeEq;
            let same: bool = state.secret().as_bytes().ct_eq(s.as_bytes()).into();
            if !same {
                return Err(fail_state(
                    log,
                    "state",
                    "The redirect's state does not match this login's: it may be forged or belong to another login.".into(),
                    "Start the test again; if it repeats, the IdP alters the state parameter.",
                ));
            }
        }
    }
    let issuer = f.issuer.clone();
    let iss_required = provider
        .discovery
        .as_ref()
        .is_some_and(|d| d.authorization_response_iss_parameter_supported);
    match (&params.iss, &issuer) {
        (Some(got), Some(expected)) if got != expected => {
            return Err(fail_state(
                log,
                "iss",
                format!("The redirect's iss parameter is \"{}\", expected exactly \"{expected}\" (RFC 9207).", clean(got)),
                "The response came from another IdP (mix-up), or the Issuer URL is wrong.",
            ));
        }
        (None, Some(_)) if iss_required => {
            return Err(fail_state(
                log,
                "iss",
                "The IdP advertises the iss response parameter (RFC 9207) but the redirect has none.".into(),
                "The response may not come from this IdP; start the test again.",
            ));
        }
        _ => {}
    }
    if let Some(error) = &params.error {
        let description = params
            .error_description
            .as_deref()
            .map(clean)
            .unwrap_or_default();
        return Err(fail_state(
            log,
            &clean(error),
            format!(
                "The IdP returned the error \"{}\" to the redirect. {description}",
                clean(error)
            )
            .trim_end()
            .to_string(),
            authorization_error_fix(error),
        ));
    }
    let Some(code) = params.code.as_deref() else {
        return Err(fail_state(
            log,
            "code",
            "The redirect carries no authorization code.".into(),
            "Check the response type: it must be \"code\".",
        ));
    };
    let iss_note = if params.iss.is_some() {
        "; iss matches"
    } else {
        ""
    };
    log.pass(
        StepName::StateAndIssuer,
        format!("State matches{iss_note}."),
    );

    log.start(StepName::CodeExchange, format!("POST {}", f.token_endpoint));
    let tokens = token::exchange(
        &ctx.http,
        TokenRequest {
            token_endpoint: &f.token_endpoint,
            client_id: &f.client_id,
            auth_method: f.client_auth_method,
            secret,
            code,
            redirect_uri,
            code_verifier: pkce_verifier.secret(),
        },
    )
    .await
    .map_err(|e| log.fail(StepName::CodeExchange, e))?;
    log.pass(
        StepName::CodeExchange,
        format!(
            "Tokens received: access token{}{}.",
            if tokens.id_token.is_some() {
                ", ID token"
            } else {
                ""
            },
            if tokens.refresh_token.is_some() {
                ", refresh token"
            } else {
                ""
            }
        ),
    );

    let mut identity = VerifiedIdentity {
        customer_id_claim: f.customer_id_claim.clone(),
        granted_scopes: tokens
            .scope
            .as_deref()
            .map(|s| s.split_whitespace().map(str::to_string).collect())
            .unwrap_or_else(|| f.scopes.clone()),
        access_token_masked: mask(&tokens.access_token),
        refresh_token_masked: tokens.refresh_token.as_deref().map(mask),
        access_token_expires_in: tokens.expires_in,
        ..VerifiedIdentity::default()
    };

    let mut subject = None;
    if f.protocol == Protocol::Oidc {
        log.start(StepName::IdTokenVerification, "");
        let Some(raw) = tokens.id_token.as_deref() else {
            return Err(log.fail(
                StepName::IdTokenVerification,
                TestError {
                    code: "id_token.missing".into(),
                    message: "The token response has no ID token.".into(),
                    fix: "Request the openid scope, and check the client is an OpenID Connect client at the IdP.".into(),
                },
            ));
        };
        let verified = verify_with_refetch(
            ctx,
            idp,
            secret,
            nonce,
            &tokens.access_token,
            raw,
            &mut provider,
            log,
        )
        .await?;
        subject = Some(verified.subject.clone());
        identity.id_token_verified = true;
        identity.id_token_lifetime = verified.lifetime;
        identity.id_token_header = Some(verified.header);
        identity.id_token_claims = Some(verified.claims);
    } else {
        log.skip(StepName::IdTokenVerification, "Plain OAuth 2.0: no ID token was verified; the identity comes from the profile endpoint.");
    }

    match f.userinfo_endpoint.as_deref() {
        Some(endpoint) => {
            log.start(StepName::Userinfo, format!("GET {endpoint}"));
            let claims = fetch_userinfo(ctx, endpoint, &tokens.access_token)
                .await
                .map_err(|e| log.fail(StepName::Userinfo, e))?;
            if let Some(sub) = &subject {
                let theirs = claims.get("sub").and_then(Value::as_str);
                if theirs != Some(sub.as_str()) {
                    return Err(log.fail(
                        StepName::Userinfo,
                        TestError {
                            code: "userinfo.sub".into(),
                            message: format!(
                                "The userinfo sub ({}) differs from the ID token's ({sub}): the answer may be about another user.",
                                theirs.map(clean).unwrap_or_else(|| "missing".into())
                            ),
                            fix: "The IdP must answer userinfo for the same user (OpenID Connect Core §5.3.2).".into(),
                        },
                    ));
                }
            }
            log.pass(
                StepName::Userinfo,
                format!("{} claim(s).", claims.as_object().map_or(0, |o| o.len())),
            );
            identity.userinfo_claims = Some(claims);
        }
        None => log.skip(StepName::Userinfo, "No userinfo endpoint configured."),
    }

    let claim = &f.customer_id_claim;
    let value = [
        identity.id_token_claims.as_ref(),
        identity.userinfo_claims.as_ref(),
    ]
    .into_iter()
    .flatten()
    .find_map(|c| c.get(claim))
    .and_then(|v| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    match value {
        Some(v) => identity.customer_id = Some(v),
        None => {
            let mut available: Vec<String> = [
                identity.id_token_claims.as_ref(),
                identity.userinfo_claims.as_ref(),
            ]
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .flat_map(|o| o.keys().cloned())
            .collect();
            available.sort();
            available.dedup();
            return Err(TestError {
                code: "customer_id_claim".into(),
                message: format!("The login worked, but the IdP returned no \"{claim}\" claim to identify the customer."),
                fix: format!(
                    "Choose a customer identifier claim the IdP returns ({}), or request the scope that releases \"{claim}\".",
                    available.join(", ")
                ),
            });
        }
    }
    Ok(identity)
}

/// Verifies the ID token; on a key the JWKS does not have, re-fetches discovery and the JWKS
/// once (the IdP may have rotated its keys) and tries again.
#[allow(clippy::too_many_arguments)]
async fn verify_with_refetch(
    ctx: &LoginContext,
    idp: &IdpConfig,
    secret: Option<&Secret>,
    nonce: &Nonce,
    access_token: &str,
    raw: &str,
    provider: &mut ProviderKeys,
    log: &mut StepLog,
) -> Result<id_token::Verified, TestError> {
    let issuer = idp.fields.issuer.clone().unwrap_or_default();
    let algs = provider
        .discovery
        .as_ref()
        .map(|d| d.id_token_signing_alg_values_supported.clone())
        .unwrap_or_default();
    let expectations = Expectations {
        issuer: &issuer,
        client_id: &idp.fields.client_id,
        secret,
        nonce,
        allowed_algs: &algs,
        access_token,
        now: ctx.clock.now(),
    };
    let Some(jwks) = provider.jwks.clone() else {
        return Err(log.fail(
            StepName::IdTokenVerification,
            TestError {
                code: "jwks".into(),
                message: "No signing keys were fetched.".into(),
                fix: "Set the JWKS URI.".into(),
            },
        ));
    };
    let mut refetched = false;
    let mut jwks = jwks;
    loop {
        match id_token::verify(raw, &jwks, &expectations) {
            Ok(v) => {
                let rotated = if refetched {
                    " (after re-fetching the rotated JWKS)"
                } else {
                    ""
                };
                let alg = v
                    .header
                    .get("alg")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_string();
                log.pass(
                    StepName::IdTokenVerification,
                    format!(
                        "Signature ({alg}){rotated}, iss, aud, exp, iat, nonce and sub verified."
                    ),
                );
                return Ok(v);
            }
            Err(Rejection::UnknownKey(_)) if !refetched => {
                refetched = true;
                let uri = idp
                    .fields
                    .jwks_uri
                    .clone()
                    .or_else(|| provider.discovery.as_ref().map(|d| d.jwks_uri.clone()));
                if let Ok(info) = discovery::fetch(&ctx.http, &issuer).await {
                    provider.discovery = Some(info);
                }
                match uri {
                    Some(uri) => match fetch_jwks(ctx, &uri).await {
                        Ok(fresh) => jwks = fresh,
                        Err(e) => return Err(log.fail(StepName::IdTokenVerification, e)),
                    },
                    None => continue,
                }
            }
            Err(Rejection::UnknownKey(e) | Rejection::Rejected(e)) => {
                return Err(log.fail(StepName::IdTokenVerification, e));
            }
        }
    }
}

async fn fetch_userinfo(
    ctx: &LoginContext,
    endpoint: &str,
    access_token: &str,
) -> Result<Value, TestError> {
    let error = |message: String, fix: &str| TestError {
        code: "userinfo".into(),
        message,
        fix: fix.into(),
    };
    let request = ctx
        .http
        .get(endpoint)
        .bearer_auth(access_token)
        .header("Accept", "application/json");
    let response = http::send(request, MAX_USERINFO_BYTES).await.map_err(|e| {
        error(
            format!("The userinfo request failed: {e}"),
            "Check the userinfo endpoint URL.",
        )
    })?;
    let response = response.into_success().map_err(|e| {
        error(
            format!("The userinfo endpoint refused the access token: {e}"),
            "Check the scopes granted to the client and the userinfo endpoint URL.",
        )
    })?;
    if response
        .meta
        .content_type
        .as_deref()
        .is_some_and(|c| c.starts_with("application/jwt"))
    {
        return Err(error(
            "The IdP answers userinfo as a signed JWT, which this test does not verify yet.".into(),
            "Configure the IdP to answer userinfo as JSON.",
        ));
    }
    let claims: Value = response.json().map_err(|e| {
        error(
            format!("The userinfo answer is not JSON: {e}"),
            "Check the userinfo endpoint URL.",
        )
    })?;
    if !claims.is_object() {
        return Err(error(
            "The userinfo answer is not a JSON object.".into(),
            "Check the userinfo endpoint URL.",
        ));
    }
    Ok(claims)
}

fn authorization_error_fix(error: &str) -> &'static str {
    match error {
        "access_denied" => "The user or an IdP policy denied the login; log in with a user allowed to use this client.",
        "invalid_scope" => "Remove the scopes the IdP does not grant to this client, or allow them at the IdP.",
        "unauthorized_client" => "Allow the authorization code grant for this client at the IdP.",
        "unsupported_response_type" => "Enable the \"code\" response type for this client at the IdP.",
        "invalid_request" => "Check the extra parameters and that the IdP supports PKCE (S256).",
        "login_required" | "consent_required" | "interaction_required" => {
            "Remove prompt=none from the extra parameters: the user must be able to log in."
        }
        "temporarily_unavailable" | "server_error" => "The IdP had a problem; try again later.",
        _ => "Look up this error in the IdP's documentation.",
    }
}

fn finish(
    run_id: &str,
    idp: &IdpConfig,
    redirect_uri: &str,
    started_at: OffsetDateTime,
    finished_at: OffsetDateTime,
    log: StepLog,
    result: Result<VerifiedIdentity, TestError>,
) -> TestReport {
    let (outcome, error, identity) = match result {
        Ok(identity) => (TestOutcome::Passed, None, Some(identity)),
        Err(error) => (TestOutcome::Failed, Some(error), None),
    };
    TestReport {
        run_id: run_id.to_string(),
        idp_id: idp.id,
        idp_name: idp.fields.name.clone(),
        started_at: rfc3339(started_at),
        finished_at: rfc3339(finished_at),
        outcome,
        redirect_uri: redirect_uri.to_string(),
        steps: log.into_steps(),
        error,
        identity,
    }
}
