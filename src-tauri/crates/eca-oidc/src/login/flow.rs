//! One test login, as a state machine in two halves: [`prepare`] (discovery, JWKS, the
//! authorization URL, pushed first when the IdP advertises PAR) and [`complete`] (the callback's
//! checks, the code exchange, the ID token, userinfo). Between them, the admin logs in in the
//! system browser. Each step of the step list is one function here; the checks inside a step
//! are pure functions beside it.
//!
//! Invariants:
//! - PKCE (S256), `state` and `nonce` are fresh for every login, from the OS RNG.
//! - When discovery advertises a PAR endpoint (RFC 9126), the authorization request is pushed
//!   there ([`par`]) and the browser gets only `client_id` and `request_uri`; otherwise the
//!   same parameters go in the browser's URL.
//! - A [`PendingLogin`] is consumed by [`complete`]: a callback can complete a login once.
//! - Tokens never leave this module except masked in the [`TestReport`]; nothing here stores them.
//! - Time comes from the [`Clock`] passed in, so token lifetimes can be tested.
//! - Discovery and the JWKS come through [`LoginContext`]: fetched for this login, or from the
//!   platform's [`ProviderCache`] when it has one; nowhere else fetches them.
//! - A failure is a [`TestError`] with one [`TestErrorCode`] per check, never a built string.

use super::callback::{self, CallbackError, CallbackParams};
use super::claims;
use super::client_auth::{missing_credential, ClientCredential, ClientCredentials};
use super::id_token::{self, Expectations, Rejection};
use super::jwks::{self, JwksError};
use super::loopback::registration_advice;
use super::par::{self, ParRequest, Pushed};
use super::provider_cache::{Cached, ProviderCache, Want};
use super::report::{
    mask, Step, StepName, TestError, TestErrorCode as Code, TestOutcome, TestReport,
    VerifiedIdentity,
};
use super::signing::SigningPolicy;
use super::steps::{Observer, StepLog};
use super::token::{self, clean, TokenRequest, TokenResponse};
use super::verifying_key::KeySet;
use crate::discovery::{self, DiscoveryError, DiscoveryInfo};
use crate::http;
use eca_model::clock::{rfc3339, Clock};
use eca_model::idp::{IdpConfig, IdpFields, Protocol};
use openidconnect::{CsrfToken, Nonce, PkceCodeChallenge, PkceCodeVerifier};
use serde_json::Value;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};
use url::Url;

const MAX_USERINFO_BYTES: usize = 256 * 1024;
/// How long a login may wait for its callback by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::minutes(5);

/// What a login needs from outside: HTTP, time, and where the IdP's documents come from.
#[derive(Clone)]
pub struct LoginContext {
    pub http: http::HttpClient,
    pub clock: Arc<dyn Clock>,
    /// `None`: discovery and the JWKS are fetched for every login, as Test Configuration
    /// wants (an admin testing a change must see the IdP as it is now). `Some`: shared by
    /// every login of the platform, so a customer login fetches neither (see
    /// [`ProviderCache`] for how long entries live and how often an unknown `kid` refreshes).
    pub provider_cache: Option<Arc<ProviderCache>>,
}

impl LoginContext {
    /// Discovery of `issuer`; without a cache, fetched whatever `want` says.
    async fn discovery(
        &self,
        issuer: &str,
        want: Want,
    ) -> Result<Cached<DiscoveryInfo>, DiscoveryError> {
        match &self.provider_cache {
            Some(cache) => {
                let now = self.clock.now();
                cache.discovery(&self.http, issuer, now, want).await
            }
            None => discovery::fetch(&self.http, issuer)
                .await
                .map(Cached::fetched),
        }
    }

    /// The key set at `uri`; without a cache, fetched whatever `want` says.
    async fn jwks(&self, uri: &str, want: Want) -> Result<Cached<KeySet>, JwksError> {
        match &self.provider_cache {
            Some(cache) => cache.jwks(&self.http, uri, self.clock.now(), want).await,
            None => jwks::fetch(&self.http, uri).await.map(Cached::fetched),
        }
    }
}

/// What the IdP told us before the login: its discovery document and keys.
#[derive(Clone)]
pub struct ProviderKeys {
    pub discovery: Option<Arc<DiscoveryInfo>>,
    pub jwks: Option<Arc<KeySet>>,
}

/// What binds the IdP's answers to this login: fresh per login, each checked once.
struct LoginBinding {
    state: CsrfToken,
    nonce: Nonce,
    pkce_verifier: PkceCodeVerifier,
}

/// A login waiting for its callback.
pub struct PendingLogin {
    pub run_id: String,
    pub idp: IdpConfig,
    credential: Option<ClientCredential>,
    binding: LoginBinding,
    pub redirect_uri: String,
    pub started_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    provider: ProviderKeys,
    log: StepLog,
}

impl PendingLogin {
    /// The `state` sent with the authorization request, to match the callback by.
    pub fn state(&self) -> &str {
        self.binding.state.secret()
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
    credential: Option<ClientCredential>,
    redirect_uri: String,
    timeout: Duration,
    observer: Option<Observer>,
) -> Result<Started, Box<TestReport>> {
    let started_at = ctx.clock.now();
    let mut log = StepLog::new(observer);
    let (challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256();
    let binding = LoginBinding {
        state: CsrfToken::new_random(),
        nonce: Nonce::new_random(),
        pkce_verifier,
    };
    let request = AuthorizationRequest {
        redirect_uri: &redirect_uri,
        binding: &binding,
        challenge: &challenge,
    };
    let prepared = async {
        let provider = fetch_provider(ctx, &idp, &mut log).await?;
        let url = authorization_step(
            ctx,
            &idp,
            credential.as_ref(),
            &provider,
            &request,
            &mut log,
        )
        .await?;
        Ok::<_, TestError>((provider, url))
    }
    .await;
    let (provider, authorization_url) = match prepared {
        Ok(prepared) => prepared,
        Err(error) => {
            let (now, result) = (ctx.clock.now(), Err(error));
            let report = finish(&run_id, &idp, &redirect_uri, started_at, now, log, result);
            return Err(Box::new(report));
        }
    };
    log.start(
        StepName::Authorization,
        "Waiting for the login in the system browser…",
    );
    let now = ctx.clock.now();
    Ok(Started {
        authorization_url,
        pending: PendingLogin {
            run_id,
            idp,
            credential,
            binding,
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
    let info = discovery_step(ctx, f, log).await?;
    let jwks_uri = f.jwks_uri.clone().unwrap_or_else(|| info.jwks_uri.clone());
    let jwks = jwks_step(ctx, &jwks_uri, log).await?;
    Ok(ProviderKeys {
        discovery: Some(info),
        jwks: Some(jwks),
    })
}

/// The "Discovery" step: the document, and where it disagrees with the IdP's settings.
async fn discovery_step(
    ctx: &LoginContext,
    f: &IdpFields,
    log: &mut StepLog,
) -> Result<Arc<DiscoveryInfo>, TestError> {
    let issuer = f.issuer.clone().unwrap_or_default();
    log.start(
        StepName::Discovery,
        format!("Fetching {}", discovery_url_text(&issuer)),
    );
    let cached = ctx.discovery(&issuer, Want::Fresh).await.map_err(|e| {
        let code = match e {
            discovery::DiscoveryError::IssuerMismatch { .. } => Code::IssuerMismatch,
            _ => Code::Discovery,
        };
        log.fail(
            StepName::Discovery,
            TestError::new(
                code,
                e.to_string(),
                "Set the Issuer URL to exactly the issuer the IdP announces, then use \"Fetch from issuer\".",
            ),
        )
    })?;
    let (info, origin) = (cached.value, origin(cached.fetched));
    let notes = discovery_notes(f, &info);
    if notes.is_empty() {
        log.pass(
            StepName::Discovery,
            format!("Issuer {} matches; endpoints agree{origin}.", info.issuer),
        );
    } else {
        log.warn(
            StepName::Discovery,
            format!("Issuer matches, but {}{origin}.", notes.join("; ")),
        );
    }
    Ok(info)
}

/// What the admin should look at: settings that differ from discovery, and what the IdP does
/// not advertise.
fn discovery_notes(f: &IdpFields, info: &DiscoveryInfo) -> Vec<String> {
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
    if !info.advertises_pkce_s256() {
        notes.push("the IdP does not advertise PKCE S256 (the login sends it anyway)".into());
    }
    let method = f.client_auth_method.as_str();
    if !info.advertises_auth_method(method) {
        notes.push(format!("the IdP does not advertise {method}"));
    }
    notes
}

fn discovery_url_text(issuer: &str) -> String {
    discovery::discovery_url(issuer)
        .map(|u| u.to_string())
        .unwrap_or_else(|_| issuer.to_string())
}

/// " (cached)" after a step's detail when the document did not come from a fetch just now.
fn origin(fetched: bool) -> &'static str {
    if fetched {
        ""
    } else {
        " (cached)"
    }
}

/// The "Signing keys (JWKS)" step.
async fn jwks_step(
    ctx: &LoginContext,
    uri: &str,
    log: &mut StepLog,
) -> Result<Arc<KeySet>, TestError> {
    log.start(StepName::Jwks, format!("Fetching {uri}"));
    match ctx.jwks(uri, Want::Fresh).await {
        Ok(cached) => {
            let detail = format!(
                "{}{}",
                jwks::describe(&cached.value),
                origin(cached.fetched)
            );
            log.pass(StepName::Jwks, detail);
            Ok(cached.value)
        }
        Err(e) => Err(log.fail(StepName::Jwks, jwks_error(e))),
    }
}

fn jwks_error(e: JwksError) -> TestError {
    TestError::new(
        Code::Jwks,
        e.to_string(),
        "Check the JWKS URI (\"Fetch from issuer\" fills it from discovery).",
    )
}

/// What goes into the authorization request besides the IdP's settings.
struct AuthorizationRequest<'a> {
    redirect_uri: &'a str,
    binding: &'a LoginBinding,
    challenge: &'a PkceCodeChallenge,
}

/// The "Authorization in the browser" step up to opening the browser: the secret the client
/// authentication needs is there, and the URL to open, after pushing the request when the IdP
/// advertises PAR. Fails the step (or the PAR step) when not.
async fn authorization_step(
    ctx: &LoginContext,
    idp: &IdpConfig,
    credential: Option<&ClientCredential>,
    provider: &ProviderKeys,
    request: &AuthorizationRequest<'_>,
    log: &mut StepLog,
) -> Result<Url, TestError> {
    let endpoint = check_credential_present(idp, credential)
        .and_then(|()| authorization_endpoint(idp))
        .map_err(|e| {
            log.start(StepName::Authorization, "");
            log.fail(StepName::Authorization, e)
        })?;
    let params = authorization_params(idp, request);
    let discovery = provider.discovery.as_deref();
    let Some(par_endpoint) = discovery.and_then(DiscoveryInfo::par_endpoint) else {
        let mut url = endpoint;
        url.query_pairs_mut().extend_pairs(&params);
        return Ok(url);
    };
    let required = discovery.is_some_and(|d| d.require_pushed_authorization_requests);
    let push = ParRequest {
        endpoint: par_endpoint,
        client: client_credentials(&idp.fields, credential, discovery, ctx.clock.now()),
        // RFC 9126 §2: the IdP accepts its issuer as a client assertion's audience here.
        audience: idp.fields.issuer.as_deref().unwrap_or(par_endpoint),
        params: &params,
        redirect_uri: request.redirect_uri,
        loopback_port: idp.fields.loopback_port,
    };
    let pushed = par_step(ctx, &push, required, log).await?;
    Ok(par::browser_url(endpoint, &idp.fields.client_id, &pushed))
}

/// The "Pushed authorization (PAR)" step: the parameters go to the IdP first.
async fn par_step(
    ctx: &LoginContext,
    push: &ParRequest<'_>,
    required: bool,
    log: &mut StepLog,
) -> Result<Pushed, TestError> {
    let endpoint = push.endpoint;
    log.start(StepName::PushedAuthorization, format!("POST {endpoint}"));
    let pushed = par::push(&ctx.http, push)
        .await
        .map_err(|e| log.fail(StepName::PushedAuthorization, e))?;
    let why = if required { "requires" } else { "offers" };
    log.pass(
        StepName::PushedAuthorization,
        format!(
            "The IdP {why} PAR: the request went to {endpoint}, and the browser gets only \
             client_id and a request_uri valid for {} s.",
            pushed.expires_in
        ),
    );
    Ok(pushed)
}

/// Who the client is at the IdP's back-channel endpoints (PAR, token), with a credential made
/// at `now` for the client-assertion algorithms discovery advertises.
fn client_credentials<'a>(
    f: &'a IdpFields,
    credential: Option<&'a ClientCredential>,
    discovery: Option<&'a DiscoveryInfo>,
    now: OffsetDateTime,
) -> ClientCredentials<'a> {
    let advertised_algs = discovery
        .map(|d| {
            d.token_endpoint_auth_signing_alg_values_supported
                .as_slice()
        })
        .unwrap_or_default();
    ClientCredentials {
        client_id: &f.client_id,
        method: f.client_auth_method,
        credential: credential.map(|c| c.for_request(advertised_algs, now)),
    }
}

fn check_credential_present(
    idp: &IdpConfig,
    credential: Option<&ClientCredential>,
) -> Result<(), TestError> {
    let method = idp.fields.client_auth_method;
    if method.uses_credential() && !credential.is_some_and(|c| c.serves(method)) {
        return Err(missing_credential(method));
    }
    Ok(())
}

fn authorization_endpoint(idp: &IdpConfig) -> Result<Url, TestError> {
    Url::parse(&idp.fields.authorization_endpoint).map_err(|e| {
        TestError::new(
            Code::AuthorizationEndpoint,
            format!("The authorization endpoint is not a URL: {e}"),
            "Fix the Authorization endpoint.",
        )
    })
}

/// The authorization request's parameters (RFC 6749 §4.1.1 with PKCE, and a nonce for OpenID
/// Connect), then the IdP's extra ones: the browser's query, or the pushed form.
fn authorization_params(
    idp: &IdpConfig,
    request: &AuthorizationRequest<'_>,
) -> Vec<(String, String)> {
    let f = &idp.fields;
    let mut params: Vec<(String, String)> = [
        ("response_type", "code"),
        ("client_id", f.client_id.as_str()),
        ("redirect_uri", request.redirect_uri),
        ("scope", &f.scopes.join(" ")),
        ("state", request.binding.state.secret()),
        ("code_challenge", request.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    if f.protocol == Protocol::Oidc {
        params.push(("nonce".into(), request.binding.nonce.secret().clone()));
    }
    params.extend(
        f.extra_params
            .iter()
            .map(|p| (p.key.clone(), p.value.clone())),
    );
    params
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
        TestOutcome::TimedOut => TestError::new(
            Code::Timeout,
            "The login did not come back before the timeout.",
            format!(
                "Finish the login in the browser sooner. If the browser showed an error about the redirect URI (or a bare \"403 Forbidden\"), the IdP refused it: {}",
                registration_advice(&redirect_uri, idp.fields.loopback_port)
            ),
        ),
        _ => TestError::new(Code::Cancelled, "The test was cancelled.", ""),
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

/// Ends a login whose task panicked ([`crate::panicked`]): the steps as last observed, the one
/// running marked failed, and an error that says it was a bug, not the IdP.
pub fn crashed(
    ctx: &LoginContext,
    run_id: String,
    idp: IdpConfig,
    redirect_uri: String,
    steps: Vec<Step>,
) -> TestReport {
    let now = ctx.clock.now();
    let error = TestError::new(
        Code::Internal,
        "ECA Admin stopped this test on an internal error (a bug), not because of the IdP's \
         answer.",
        "Run the test again; if it happens again, report it with the app's log.",
    );
    let mut log = StepLog::resume(steps);
    log.abort_running(&error.message);
    finish(&run_id, &idp, &redirect_uri, now, now, log, Err(error))
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
        credential,
        binding,
        redirect_uri,
        started_at,
        provider,
        mut log,
        ..
    } = pending;
    let result = Completion {
        ctx,
        idp: &idp,
        credential: credential.as_ref(),
        redirect_uri: &redirect_uri,
        provider,
        log: &mut log,
    }
    .run(binding, callback)
    .await;
    let now = ctx.clock.now();
    finish(&run_id, &idp, &redirect_uri, started_at, now, log, result)
}

/// A login after its redirect: what each of the remaining steps needs.
struct Completion<'a> {
    ctx: &'a LoginContext,
    idp: &'a IdpConfig,
    credential: Option<&'a ClientCredential>,
    redirect_uri: &'a str,
    provider: ProviderKeys,
    log: &'a mut StepLog,
}

impl Completion<'_> {
    /// The steps after the redirect, in protocol order; the first failure ends the login.
    async fn run(
        mut self,
        binding: LoginBinding,
        callback: Result<CallbackParams, CallbackError>,
    ) -> Result<VerifiedIdentity, TestError> {
        let params = self.receive_redirect(callback)?;
        let code = self.check_state_and_issuer(&params, &binding.state)?;
        let tokens = self.exchange_code(code, &binding.pkce_verifier).await?;
        let verified = self.verify_id_token(&tokens, &binding.nonce).await?;
        let subject = verified.as_ref().map(|v| v.subject.clone());
        let userinfo = self
            .userinfo(&tokens.access_token, subject.as_deref())
            .await?;
        let mut identity = identity(&self.idp.fields, &tokens, verified, userinfo);
        identity.customer_id = Some(customer_id(&identity)?);
        Ok(identity)
    }

    /// The "Redirect received" step: the callback URL was acceptable (see `login::callback`).
    fn receive_redirect(
        &mut self,
        callback: Result<CallbackParams, CallbackError>,
    ) -> Result<CallbackParams, TestError> {
        self.log
            .pass(StepName::Authorization, "The browser came back.");
        self.log.start(StepName::RedirectReceived, "");
        let params = callback.map_err(|e| {
            self.log.fail(
                StepName::RedirectReceived,
                TestError::new(
                    Code::Callback,
                    format!("The redirect was refused: {e}."),
                    "Start the test again.",
                ),
            )
        })?;
        self.log.pass(
            StepName::RedirectReceived,
            format!("At {}", self.redirect_uri),
        );
        Ok(params)
    }

    /// The "State and issuer checks" step; returns the authorization code.
    fn check_state_and_issuer<'p>(
        &mut self,
        params: &'p CallbackParams,
        state: &CsrfToken,
    ) -> Result<&'p str, TestError> {
        self.log.start(StepName::StateAndIssuer, "");
        let iss_advertised = self
            .provider
            .discovery
            .as_ref()
            .is_some_and(|d| d.authorization_response_iss_parameter_supported);
        let expected_iss = self.idp.fields.issuer.as_deref();
        let code = check_state(state, params.state.as_deref())
            .and_then(|()| check_iss(params.iss.as_deref(), expected_iss, iss_advertised))
            .and_then(|()| check_authorization_error(params))
            .and_then(|()| authorization_code(params))
            .map_err(|e| self.log.fail(StepName::StateAndIssuer, e))?;
        let iss_note = if params.iss.is_some() {
            "; iss matches"
        } else {
            ""
        };
        self.log.pass(
            StepName::StateAndIssuer,
            format!("State matches{iss_note}."),
        );
        Ok(code)
    }

    /// The "Code exchange" step.
    async fn exchange_code(
        &mut self,
        code: &str,
        pkce_verifier: &PkceCodeVerifier,
    ) -> Result<TokenResponse, TestError> {
        let f = &self.idp.fields;
        self.log
            .start(StepName::CodeExchange, format!("POST {}", f.token_endpoint));
        let request = TokenRequest {
            token_endpoint: &f.token_endpoint,
            client: client_credentials(
                f,
                self.credential,
                self.provider.discovery.as_deref(),
                self.ctx.clock.now(),
            ),
            code,
            redirect_uri: self.redirect_uri,
            loopback_port: f.loopback_port,
            code_verifier: pkce_verifier.secret(),
        };
        let tokens = token::exchange(&self.ctx.http, request)
            .await
            .map_err(|e| self.log.fail(StepName::CodeExchange, e))?;
        let id_token = if tokens.id_token.is_some() {
            ", ID token"
        } else {
            ""
        };
        let refresh_token = if tokens.refresh_token.is_some() {
            ", refresh token"
        } else {
            ""
        };
        self.log.pass(
            StepName::CodeExchange,
            format!("Tokens received: access token{id_token}{refresh_token}."),
        );
        Ok(tokens)
    }

    /// The "ID token verification" step; skipped (`None`) for plain OAuth 2.0.
    async fn verify_id_token(
        &mut self,
        tokens: &TokenResponse,
        nonce: &Nonce,
    ) -> Result<Option<id_token::Verified>, TestError> {
        if self.idp.fields.protocol != Protocol::Oidc {
            self.log.skip(StepName::IdTokenVerification, "Plain OAuth 2.0: no ID token was verified; the identity comes from the profile endpoint.");
            return Ok(None);
        }
        self.log.start(StepName::IdTokenVerification, "");
        let verified = match tokens.id_token.as_deref() {
            None => Err(TestError::new(
                Code::IdTokenMissing,
                "The token response has no ID token.",
                "Request the openid scope, and check the client is an OpenID Connect client at the IdP.",
            )),
            Some(raw) => self.verify_with_refetch(raw, &tokens.access_token, nonce).await,
        };
        let (verified, refetched) =
            verified.map_err(|e| self.log.fail(StepName::IdTokenVerification, e))?;
        let rotated = if refetched {
            " (after re-fetching the rotated JWKS)"
        } else {
            ""
        };
        let alg = verified
            .header
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or("?");
        self.log.pass(
            StepName::IdTokenVerification,
            format!("Signature ({alg}){rotated}, iss, aud, exp, iat, nonce and sub verified."),
        );
        Ok(Some(verified))
    }

    /// Verifies the ID token; on a key the JWKS does not have, re-fetches discovery and the
    /// JWKS once (the IdP may have rotated its keys) and tries again. True when it re-fetched.
    async fn verify_with_refetch(
        &mut self,
        raw: &str,
        access_token: &str,
        nonce: &Nonce,
    ) -> Result<(id_token::Verified, bool), TestError> {
        let idp = self.idp;
        let issuer = idp.fields.issuer.clone().unwrap_or_default();
        let advertised = self
            .provider
            .discovery
            .as_ref()
            .map(|d| d.id_token_signing_alg_values_supported.as_slice())
            .unwrap_or_default();
        let signing = SigningPolicy::new(&idp.fields.id_token_signing_algs, advertised);
        let expectations = Expectations {
            issuer: &issuer,
            client_id: &idp.fields.client_id,
            secret: self.credential.and_then(ClientCredential::secret),
            nonce,
            signing: &signing,
            access_token,
            now: self.ctx.clock.now(),
        };
        let Some(jwks) = self.provider.jwks.clone() else {
            return Err(TestError::new(
                Code::Jwks,
                "No signing keys were fetched.",
                "Set the JWKS URI.",
            ));
        };
        match id_token::verify(raw, &jwks, &expectations) {
            Ok(verified) => return Ok((verified, false)),
            Err(Rejection::Rejected(e)) => return Err(e),
            Err(Rejection::UnknownKey(_)) => {}
        }
        let jwks = self.refetch_keys(&issuer).await?.unwrap_or(jwks);
        match id_token::verify(raw, &jwks, &expectations) {
            Ok(verified) => Ok((verified, true)),
            Err(Rejection::UnknownKey(e) | Rejection::Rejected(e)) => Err(e),
        }
    }

    /// Discovery and the JWKS again, for a key rotated since [`prepare`] (from the platform's
    /// cache, at most once per its refresh interval). `None` when there is no JWKS URI to
    /// fetch from.
    async fn refetch_keys(&mut self, issuer: &str) -> Result<Option<Arc<KeySet>>, TestError> {
        let uri = self
            .idp
            .fields
            .jwks_uri
            .clone()
            .or_else(|| self.provider.discovery.as_ref().map(|d| d.jwks_uri.clone()));
        if let Ok(info) = self.ctx.discovery(issuer, Want::Refresh).await {
            self.provider.discovery = Some(info.value);
        }
        match uri {
            Some(uri) => self
                .ctx
                .jwks(&uri, Want::Refresh)
                .await
                .map(|cached| Some(cached.value))
                .map_err(jwks_error),
            None => Ok(None),
        }
    }

    /// The "Userinfo" step; skipped (`None`) without a userinfo endpoint. `subject` is the ID
    /// token's, which userinfo must answer about.
    async fn userinfo(
        &mut self,
        access_token: &str,
        subject: Option<&str>,
    ) -> Result<Option<Value>, TestError> {
        let Some(endpoint) = self.idp.fields.userinfo_endpoint.as_deref() else {
            self.log
                .skip(StepName::Userinfo, "No userinfo endpoint configured.");
            return Ok(None);
        };
        self.log
            .start(StepName::Userinfo, format!("GET {endpoint}"));
        let claims = fetch_userinfo(self.ctx, endpoint, access_token)
            .await
            .and_then(|claims| check_userinfo_subject(&claims, subject).map(|()| claims))
            .map_err(|e| self.log.fail(StepName::Userinfo, e))?;
        self.log.pass(
            StepName::Userinfo,
            format!("{} claim(s).", claims.as_object().map_or(0, |o| o.len())),
        );
        Ok(Some(claims))
    }
}

/// `state` must be this login's, compared in constant time (RFC 6749 §10.12).
fn check_state(expected: &CsrfToken, got: Option<&str>) -> Result<(), TestError> {
    let Some(got) = got else {
        return Err(TestError::new(
            Code::State,
            "The redirect carries no state parameter.",
            "The IdP must return the state it received (RFC 6749 §4.1.2).",
        ));
    };
    if !callback::same_state(expected.secret(), got) {
        return Err(TestError::new(
            Code::State,
            "The redirect's state does not match this login's: it may be forged or belong to another login.",
            "Start the test again; if it repeats, the IdP alters the state parameter.",
        ));
    }
    Ok(())
}

/// The `iss` response parameter (RFC 9207): exactly the issuer when present, and present when
/// the IdP advertises it.
fn check_iss(got: Option<&str>, expected: Option<&str>, advertised: bool) -> Result<(), TestError> {
    match (got, expected) {
        (Some(got), Some(expected)) if got != expected => Err(TestError::new(
            Code::Iss,
            format!("The redirect's iss parameter is \"{}\", expected exactly \"{expected}\" (RFC 9207).", clean(got)),
            "The response came from another IdP (mix-up), or the Issuer URL is wrong.",
        )),
        (None, Some(_)) if advertised => Err(TestError::new(
            Code::Iss,
            "The IdP advertises the iss response parameter (RFC 9207) but the redirect has none.",
            "The response may not come from this IdP; start the test again.",
        )),
        _ => Ok(()),
    }
}

/// An error response (RFC 6749 §4.1.2.1), named by the IdP's own error code.
fn check_authorization_error(params: &CallbackParams) -> Result<(), TestError> {
    let Some(error) = &params.error else {
        return Ok(());
    };
    let code = Code::from_idp(error);
    let description = params
        .error_description
        .as_deref()
        .map(clean)
        .unwrap_or_default();
    let message = format!("The IdP returned the error \"{code}\" to the redirect. {description}");
    let fix = authorization_error_fix(&code);
    Err(TestError::new(code, message.trim_end(), fix))
}

fn authorization_code(params: &CallbackParams) -> Result<&str, TestError> {
    params.code.as_deref().ok_or_else(|| {
        TestError::new(
            Code::Code,
            "The redirect carries no authorization code.",
            "Check the response type: it must be \"code\".",
        )
    })
}

/// Userinfo must be about the ID token's subject (OpenID Connect Core §5.3.2).
fn check_userinfo_subject(claims: &Value, subject: Option<&str>) -> Result<(), TestError> {
    let Some(sub) = subject else {
        return Ok(());
    };
    let theirs = claims.get("sub").and_then(Value::as_str);
    if theirs == Some(sub) {
        return Ok(());
    }
    // The message names no subject: it is kept in the test history, which holds no user
    // identifiers outside its redacted claims.
    let what = match theirs {
        Some(_) => "names another subject (sub) than the ID token",
        None => "names no subject (sub)",
    };
    Err(TestError::new(
        Code::UserinfoSub,
        format!("The userinfo answer {what}: it may be about another user."),
        "The IdP must answer userinfo for the same user (OpenID Connect Core §5.3.2).",
    ))
}

/// What the login verified, with the tokens masked.
fn identity(
    f: &IdpFields,
    tokens: &TokenResponse,
    verified: Option<id_token::Verified>,
    userinfo: Option<Value>,
) -> VerifiedIdentity {
    let granted_scopes = tokens
        .scope
        .as_deref()
        .map(|s| s.split_whitespace().map(str::to_string).collect())
        .unwrap_or_else(|| f.scopes.clone());
    let mut identity = VerifiedIdentity {
        customer_id_claim: f.customer_id_claim.clone(),
        granted_scopes,
        access_token_masked: mask(&tokens.access_token),
        refresh_token_masked: tokens.refresh_token.as_deref().map(mask),
        access_token_expires_in: tokens.expires_in,
        userinfo_claims: userinfo,
        ..VerifiedIdentity::default()
    };
    if let Some(verified) = verified {
        identity.id_token_verified = true;
        identity.id_token_lifetime = verified.lifetime;
        identity.id_token_header = Some(verified.header);
        identity.id_token_claims = Some(verified.claims);
    }
    identity
}

/// The configured customer identifier claim (see [`claims::claim`] for where it is read).
fn customer_id(identity: &VerifiedIdentity) -> Result<String, TestError> {
    let claim = &identity.customer_id_claim;
    if let Some(value) = claims::claim_text(identity, claim) {
        return Ok(value);
    }
    Err(TestError::new(
        Code::CustomerIdClaim,
        format!("The login worked, but the IdP returned no \"{claim}\" claim to identify the customer."),
        format!(
            "Choose a customer identifier claim the IdP returns ({}), or request the scope that releases \"{claim}\".",
            claims::available(identity).join(", ")
        ),
    ))
}

async fn fetch_userinfo(
    ctx: &LoginContext,
    endpoint: &str,
    access_token: &str,
) -> Result<Value, TestError> {
    let error = |message: String, fix: &str| TestError::new(Code::Userinfo, message, fix);
    let request = ctx
        .http
        .get(endpoint)
        .bearer_auth(access_token)
        .header("Accept", "application/json");
    let response = ctx
        .http
        .send(request, MAX_USERINFO_BYTES)
        .await
        .map_err(|e| {
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

/// What to do about an error the IdP answered an authorization request with (at the redirect,
/// or at the PAR endpoint).
pub(super) fn authorization_error_fix(code: &Code) -> &'static str {
    match code {
        Code::AccessDenied => "The user or an IdP policy denied the login; log in with a user allowed to use this client.",
        Code::InvalidScope => "Remove the scopes the IdP does not grant to this client, or allow them at the IdP.",
        Code::UnauthorizedClient => "Allow the authorization code grant for this client at the IdP.",
        Code::UnsupportedResponseType => "Enable the \"code\" response type for this client at the IdP.",
        Code::InvalidRequest => "Check the extra parameters and that the IdP supports PKCE (S256).",
        Code::LoginRequired | Code::ConsentRequired | Code::InteractionRequired => {
            "Remove prompt=none from the extra parameters: the user must be able to log in."
        }
        Code::TemporarilyUnavailable | Code::ServerError => "The IdP had a problem; try again later.",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_userinfo_subject_mismatch_names_neither_subject() {
        let error = check_userinfo_subject(&json!({"sub": "mallory"}), Some("alice")).unwrap_err();
        assert_eq!(error.code, Code::UserinfoSub);
        assert!(
            !error.message.contains("alice") && !error.message.contains("mallory"),
            "{}",
            error.message
        );
        assert!(check_userinfo_subject(&json!({"sub": "alice"}), Some("alice")).is_ok());
    }
    use serde_json::json;

    fn params(query: &str) -> CallbackParams {
        super::super::callback::parse_query(query).unwrap()
    }

    #[test]
    fn state_must_be_this_logins() {
        let state = CsrfToken::new("s1".into());
        assert!(check_state(&state, Some("s1")).is_ok());
        for got in [None, Some("s2"), Some("")] {
            let e = check_state(&state, got).unwrap_err();
            assert_eq!(e.code, Code::State, "{got:?}");
        }
    }

    #[test]
    fn iss_must_match_and_be_present_when_advertised() {
        let issuer = Some("https://idp.example");
        assert!(check_iss(Some("https://idp.example"), issuer, true).is_ok());
        assert!(check_iss(None, issuer, false).is_ok(), "not advertised");
        for (got, advertised) in [(Some("https://idp.example/"), false), (None, true)] {
            let e = check_iss(got, issuer, advertised).unwrap_err();
            assert_eq!(e.code, Code::Iss, "{got:?}");
        }
    }

    #[test]
    fn an_authorization_error_is_named_by_the_idps_code() {
        let e = check_authorization_error(&params("error=access_denied&state=s")).unwrap_err();
        assert_eq!(e.code, Code::AccessDenied);
        assert!(e.fix.contains("denied"), "{}", e.fix);
        let e = check_authorization_error(&params("error=invalid_code")).unwrap_err();
        assert_eq!(e.code, Code::Other("invalid_code".into()));
        assert!(check_authorization_error(&params("code=c")).is_ok());
        assert_eq!(authorization_code(&params("code=c")).unwrap(), "c");
        assert_eq!(
            authorization_code(&params("state=s")).unwrap_err().code,
            Code::Code
        );
    }

    #[test]
    fn userinfo_must_be_about_the_same_subject() {
        let claims = json!({"sub": "u1"});
        assert!(check_userinfo_subject(&claims, Some("u1")).is_ok());
        assert!(check_userinfo_subject(&claims, None).is_ok(), "OAuth 2.0");
        let e = check_userinfo_subject(&claims, Some("u2")).unwrap_err();
        assert_eq!(e.code, Code::UserinfoSub);
    }

    #[test]
    fn the_customer_id_comes_from_the_id_token_first_then_userinfo() {
        let mut identity = VerifiedIdentity {
            customer_id_claim: "cid".into(),
            id_token_claims: Some(json!({"sub": "u1"})),
            userinfo_claims: Some(json!({"cid": 42, "email": "e"})),
            ..VerifiedIdentity::default()
        };
        assert_eq!(customer_id(&identity).unwrap(), "42");
        identity.id_token_claims = Some(json!({"cid": "from-id-token"}));
        assert_eq!(customer_id(&identity).unwrap(), "from-id-token");
        identity.customer_id_claim = "missing".into();
        let e = customer_id(&identity).unwrap_err();
        assert_eq!(e.code, Code::CustomerIdClaim);
        assert!(
            e.fix.contains("cid, email"),
            "names what is there: {}",
            e.fix
        );
    }
}
