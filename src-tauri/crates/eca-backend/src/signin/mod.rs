//! Customer sign-in (`docs/auth-api.yaml`): the platform side of Embedded Client
//! Authentication. A flow or an agent creates an auth request; the gateway sends its link; the
//! customer opens it and logs in at the IdP; the platform verifies the login with the same
//! relying-party engine as ECA Admin's Test Configuration ([`eca_oidc::login::flow`]), using
//! the configuration and secret that sync pushed, or, for an IdP that authenticates with
//! private_key_jwt, the platform's own signing key ([`crate::platform_keys`]).
//!
//! - [`request`]: the request body, its checks, and the [`request::Outcome`].
//! - [`link`]: the link token. [`gateway`]: the message text. [`pages`]: what the customer sees.
//! - [`logins`]: logins waiting at the IdP, in memory.
//! - [`journal`]: the customer's routes' writes, committed in batches off their responses.
//! - [`open_links`], [`signing_idps`]: what a click reads, kept in memory.
//! - [`judge`]: the engine's report plus the platform's rules (channel binding, claim mapping).
//! - [`status`]: where a request stands, as a flow reads it, and erasure.
//! - [`webhook`]: the workspace's webhook and the signed delivery of a finished request.
//!
//! Invariants:
//! - The redirect URI is always `{public_url}/v1/oauth/callback`, PKCE S256, `state` and
//!   `nonce` fresh per login (the engine's [`eca_oidc::login::flow::prepare`]).
//! - A request is `authenticated` at most once and only through [`SignIn::callback`]; a link
//!   starts at most one login.
//! - The customer's routes read from memory ([`open_links`], [`signing_idps`]) or by key
//!   ([`Database::lookup`]) and write through the [`journal::Journal`]: they wait neither for
//!   the writer connection nor for the disk. Every read of a request by the API settles the
//!   journal first.
//! - Discovery and the JWKS come from one [`ProviderCache`] shared by every login, so a
//!   customer login fetches neither (an unknown `kid` refreshes them, rate-limited).
//! - No token of the IdP is stored; the customer's data is erased once the result is read (or
//!   delivered to the webhook) or its retention ends ([`SignIn::erase_due`]); no log line
//!   names a customer or a link token.

pub mod gateway;
pub mod journal;
pub mod judge;
pub mod link;
pub mod logins;
pub mod open_links;
pub mod pages;
pub mod request;
pub mod signing_idps;
pub mod status;
pub mod webhook;

use crate::crypto::{row_binding, SecretSealer};
use crate::platform_keys::{self, PlatformKeyError, UNREADABLE_FIX};
use crate::problem::ApiError;
use crate::store::auth_requests::{
    self, AuthRequestRow, LinkRefused, NewAuthRequest, NewMessage, RowState,
};
use crate::store::{idps, Database, StoreError};
use crate::workspace::WorkspaceId;
use eca_model::clock::{rfc3339, Clock};
use eca_model::credential_expiry;
use eca_model::idp::{IdpConfig, IdpId};
use eca_model::secret::Secret;
use eca_model::secret_binding::SecretBinding;
use eca_oidc::http::HttpClient;
use eca_oidc::login::callback;
use eca_oidc::login::client_auth::ClientCredential;
use eca_oidc::login::flow::{self, LoginContext, PendingLogin};
use eca_oidc::login::provider_cache::ProviderCache;
use eca_oidc::login::report::{TestError, TestErrorCode};
use eca_oidc::reach::Reach;
use journal::{Journal, LinkClaim, Write};
use judge::Judging;
use link::LinkToken;
use logins::{cookie_name, BrowserCookie, InFlight, InFlightLogins};
use open_links::{OpenLink, OpenLinks};
use pages::Page;
use request::{CreateRequest, Failure, Kind, Outcome};
use serde::Serialize;
use sha2::{Digest, Sha256};
use signing_idps::SigningIdps;
use std::sync::Arc;
use time::{Date, Duration, OffsetDateTime};
use url::Url;
use uuid::Uuid;
use webhook::Notice;

/// How long a link works by default: the platform's session length.
pub const DEFAULT_LINK_TTL: Duration = Duration::minutes(10);
/// How long an erased request is still answered (as `expired`, `failed`…) before it is
/// deleted.
pub const KEEP_ERASED_ROWS: Duration = Duration::days(1);
/// The callback's path under the public URL.
pub const CALLBACK_PATH: &str = "/v1/oauth/callback";

/// The sign-in side of a running backend.
pub struct SignIn {
    public_url: String,
    link_ttl: Duration,
    logins: InFlightLogins,
    login: LoginContext,
    sealer: Arc<SecretSealer>,
    journal: Journal,
    open_links: OpenLinks,
    signing_idps: SigningIdps,
}

/// `201` of `POST …/auth-requests`.
#[derive(Debug, Serialize)]
pub struct Created {
    pub id: Uuid,
    pub link: String,
    pub expires_at: String,
    pub status: &'static str,
}

/// `GET /v1/platform`.
#[derive(Debug, Serialize)]
pub struct Platform {
    pub redirect_uri: String,
    pub link_base: String,
}

impl SignIn {
    /// `public_url` is how customers' browsers and IdPs reach this backend, without a
    /// trailing slash. Starts the journal's writer on the current runtime.
    pub fn new(
        public_url: &str,
        link_ttl: Duration,
        reach: Reach,
        clock: Arc<dyn Clock>,
        sealer: Arc<SecretSealer>,
        db: &Database,
    ) -> Self {
        let http = HttpClient::new(reach);
        let notice = Notice {
            db: db.clone(),
            sealer: Arc::clone(&sealer),
            http: http.clone(),
            clock: Arc::clone(&clock),
        };
        let deliver = Box::new(move |workspace, id| {
            tokio::spawn(notice.clone().send(workspace, id));
        });
        Self {
            public_url: public_url.trim_end_matches('/').to_string(),
            link_ttl,
            logins: InFlightLogins::default(),
            login: LoginContext {
                http,
                clock,
                provider_cache: Some(Arc::new(ProviderCache::default())),
            },
            sealer,
            journal: Journal::start(db.clone(), deliver),
            open_links: OpenLinks::default(),
            signing_idps: SigningIdps::default(),
        }
    }

    /// Waits until every write of the customer's routes queued so far is committed.
    pub async fn settled(&self) {
        self.journal.settled().await;
    }

    pub fn redirect_uri(&self) -> String {
        format!("{}{CALLBACK_PATH}", self.public_url)
    }

    pub fn platform(&self) -> Platform {
        Platform {
            redirect_uri: self.redirect_uri(),
            link_base: format!("{}/l/", self.public_url),
        }
    }

    fn now(&self) -> OffsetDateTime {
        self.login.clock.now()
    }

    /// Creates a request and sends its link, after checking the IdP can sign anyone in.
    pub async fn create(
        &self,
        db: &Database,
        workspace: WorkspaceId,
        create: CreateRequest,
    ) -> Result<(Created, String), ApiError> {
        let now = self.now();
        let today = credential_expiry::today(&*self.login.clock);
        let token = LinkToken::generate();
        let link = format!("{}/l/{}", self.public_url, token.as_str());
        let expires = now + self.link_ttl;
        let row = AuthRequestRow {
            id: Uuid::new_v4(),
            idp_id: create.idp_id,
            kind: create.kind,
            channel: create.channel,
            customer: Some(create.customer.clone()),
            conversation_id: create.conversation_id,
            return_url: create.return_url,
            state: RowState::Pending,
            created_at: rfc3339(now),
            expires_unix: expires.unix_timestamp(),
            keep_until_unix: expires.unix_timestamp(),
            opened_at: None,
            finished_at: None,
            outcome: None,
            claims_erased: false,
        };
        let text = gateway::message_text(create.channel, &link, self.link_ttl);
        let (id, ws) = (row.id, workspace.clone());
        let link_for_db = link.clone();
        let (hash, hash_for_db) = (token.hash(), token.hash());
        let open = OpenLink {
            workspace: workspace.clone(),
            row: row.clone(),
        };
        let idp_id = row.idp_id;
        let signs = db
            .run(move |conn| {
                let tx = conn.transaction()?;
                let idp = idps::get(&tx, &ws, row.idp_id)?;
                if let Err(e) = usable(idp.as_ref(), row.idp_id, today) {
                    return Ok(Err(e));
                }
                let signs = idp.is_some_and(|idp| idp.fields.client_auth_method.uses_key());
                let new = NewAuthRequest {
                    row: &row,
                    link_hash: &hash_for_db,
                    message: NewMessage {
                        id: Uuid::new_v4(),
                        body: &text,
                        link: &link_for_db,
                    },
                };
                auth_requests::insert(&tx, &ws, &new)?;
                tx.commit()?;
                Ok(Ok(signs))
            })
            .await??;
        if signs {
            // Made now if the IdP has none yet, so the click finds it. The request and its
            // message are stored already: a key that cannot be made or opened is the click's to
            // report (it fails the request with the fix), not a 500 that a caller retries into
            // another message to the customer.
            if let Err(e) = platform_keys::ensure(db, &self.sealer, &workspace, idp_id, now).await {
                tracing::warn!(error = %e, "the platform's signing key is not ready");
            }
        }
        self.open_links.insert(hash, open);
        let location = format!("/v1/workspaces/{workspace}/auth-requests/{id}");
        Ok((
            Created {
                id,
                link,
                expires_at: rfc3339(expires),
                status: "pending",
            },
            location,
        ))
    }

    /// The customer opened a link (`GET`): whom it is for, to confirm with a click; nothing is
    /// used yet. `Err` is the page to show instead.
    pub fn peek(&self, db: &Database, token: &str) -> Result<String, Page> {
        let token = LinkToken::parse(token).ok_or(Page::LinkUnknown)?;
        let (hash, now_unix) = (token.hash(), self.now().unix_timestamp());
        if self.journal.is_claimed(&hash) {
            return Err(Page::LinkUsed);
        }
        let found = self.find_link(db, &hash, now_unix, false).map_err(|e| {
            tracing::error!(error = %e, "reading a link failed");
            Page::CannotStart
        })?;
        match found {
            Ok((_, row)) => Ok(row.customer.unwrap_or_default()),
            Err(refused) => Err(refused_page(refused)),
        }
    }

    /// The customer confirmed (`POST` to the link): uses the link, starts the login, and
    /// returns where to send the browser with the cookie that binds the login to it, or the page
    /// to show instead. The link is spent only once nothing is left to wait for, so a click
    /// whose request goes away half-way leaves the link as it was.
    pub async fn start(
        &self,
        db: &Database,
        token: &str,
    ) -> Result<Started, (Page, Option<String>)> {
        let token = LinkToken::parse(token).ok_or((Page::LinkUnknown, None))?;
        let now = self.now();
        let HeldLink {
            claim,
            workspace,
            row,
            idp,
        } = self.hold_link(db, &token, now)?;
        let return_url = row.return_url.clone();
        let (idp, credential) = match idp {
            Ok(idp) => idp,
            Err(error) => {
                self.spend(claim, now);
                self.fail(&workspace, row.id, error);
                return Err((Page::CannotStart, return_url));
            }
        };
        let expires_at = OffsetDateTime::from_unix_timestamp(row.expires_unix).unwrap_or(now);
        let remaining = expires_at - now;
        let judged_idp = idp.clone();
        let (id, redirect_uri) = (row.id.to_string(), self.redirect_uri());
        let prepared = flow::prepare(
            &self.login,
            id,
            idp,
            credential,
            redirect_uri,
            remaining,
            None,
        )
        .await;
        self.spend(claim, now);
        let started = match prepared {
            Ok(started) => started,
            Err(report) => {
                let judging = Judging {
                    idp: &judged_idp,
                    customer: row.customer.as_deref().unwrap_or_default(),
                    admin_test: row.kind == Kind::AdminTest,
                };
                let outcome = judge::judge(*report, &judging);
                self.finish(&workspace, row.id, outcome);
                return Err((Page::CannotStart, return_url));
            }
        };
        let cookie = self.admit(&workspace, &row, started.pending, expires_at, now)?;
        Ok(Started {
            authorization_url: started.authorization_url,
            cookie,
        })
    }

    /// Registers the started login as in flight, bound to this browser by a fresh cookie, and
    /// returns that cookie; the request fails with "busy" when too many logins are in flight.
    fn admit(
        &self,
        workspace: &WorkspaceId,
        row: &AuthRequestRow,
        login: PendingLogin,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<BrowserCookie, (Page, Option<String>)> {
        let binding = link::random_token();
        let cookie = BrowserCookie {
            name: cookie_name(login.state()),
            value: binding.clone(),
            max_age: (expires_at - now).whole_seconds().max(1),
            secure: self.public_url.starts_with("https://"),
        };
        let entry = InFlight {
            workspace: workspace.clone(),
            request_id: row.id,
            customer: row.customer.clone().unwrap_or_default(),
            return_url: row.return_url.clone(),
            admin_test: row.kind == Kind::AdminTest,
            expires_at,
            browser: Sha256::digest(binding.as_bytes()).into(),
            login,
        };
        if self.logins.insert(entry, now).is_err() {
            let error = TestError::new(
                TestErrorCode::TemporarilyUnavailable,
                "Too many sign-ins were in progress on the platform.",
                "Send a new link in a minute.",
            );
            self.fail(workspace, row.id, error);
            return Err((Page::Busy, row.return_url.clone()));
        }
        Ok(cookie)
    }

    /// Holds the link for this click (nothing is written yet), and reads its request and the
    /// IdP it signs in at with its secret opened; the IdP's problem, if it cannot sign anyone in
    /// now, as the failure to record.
    fn hold_link(
        &self,
        db: &Database,
        token: &LinkToken,
        now: OffsetDateTime,
    ) -> Result<HeldLink, (Page, Option<String>)> {
        let claim = self
            .journal
            .claim_link(token.hash())
            .ok_or((Page::LinkUsed, None))?;
        let now_unix = now.unix_timestamp();
        let found =
            self.find_link(db, claim.hash(), now_unix, true)
                .and_then(|found| match found {
                    Ok((ws, row)) => {
                        let idp = self.signing_idps.get(db, &ws, row.idp_id)?;
                        Ok(Ok((ws, row, idp)))
                    }
                    Err(refused) => Ok(Err(refused)),
                });
        match found {
            Ok(Ok((workspace, row, idp))) => {
                let today = credential_expiry::today(&*self.login.clock);
                let idp = signing_idp(db, &self.sealer, &workspace, row.idp_id, idp, today);
                Ok(HeldLink {
                    claim,
                    workspace,
                    row,
                    idp,
                })
            }
            Ok(Err(refused)) => Err((refused_page(refused), None)),
            Err(e) => {
                tracing::error!(error = %e, "opening a link failed");
                Err((Page::CannotStart, None))
            }
        }
    }

    /// The request a link belongs to, if it can start a login at `now_unix`: from memory when
    /// this process created it, else from the database. `take`: a click that holds the link
    /// takes it out of memory.
    fn find_link(
        &self,
        db: &Database,
        hash: &str,
        now_unix: i64,
        take: bool,
    ) -> Result<Result<(WorkspaceId, AuthRequestRow), LinkRefused>, StoreError> {
        let open = match take {
            true => self.open_links.take(hash),
            false => self.open_links.get(hash),
        };
        match open {
            Some(OpenLink { workspace, row }) => Ok(match auth_requests::refusal(&row, now_unix) {
                Some(refused) => Err(refused),
                None => Ok((workspace, row)),
            }),
            None => db.lookup(|conn| auth_requests::find_link(conn, hash, now_unix)),
        }
    }

    /// Spends a held link: its request becomes `started` (through the journal, before any
    /// outcome recorded after this call).
    fn spend(&self, claim: LinkClaim, now: OffsetDateTime) {
        let at = (now.unix_timestamp(), rfc3339(now));
        self.journal.push(Write::LinkUsed { claim, at });
    }

    /// The IdP's redirect: finishes the login it belongs to and records the outcome. Should the
    /// redirect's request go away before (the customer's browser left), the request fails as
    /// `cancelled` ([`Unfinished`]).
    /// `cookie` reads a cookie of the request by name: the login's browser binding must be there.
    pub async fn callback(
        &self,

        query: &str,
        cookie: impl Fn(&str) -> Option<String>,
    ) -> (Page, Option<String>) {
        let url = format!("{}?{query}", self.redirect_uri());
        let params = match callback::parse(&url, &self.redirect_uri()) {
            Ok(params) => params,
            Err(_) => return (Page::CallbackRefused, None),
        };
        let Some(state) = params.state.clone() else {
            return (Page::CallbackRefused, None);
        };
        let Some(entry) = self.logins.take(&state, self.now()) else {
            return (Page::CallbackRefused, None);
        };
        if !entry.same_browser(cookie(&cookie_name(&state)).as_deref()) {
            let error = TestError::new(
                TestErrorCode::BrowserMismatch,
                "The sign-in came back in another browser than the one that opened the link.",
                "Open the link and sign in in the same browser; if you did not open a link, \
                 someone may have forwarded one to you.",
            );
            self.fail(&entry.workspace, entry.request_id, error);
            return (Page::NotVerified, None);
        }
        let InFlight {
            workspace,
            request_id,
            customer,
            return_url,
            admin_test,
            login,
            ..
        } = entry;
        let idp = login.idp.clone();
        let unfinished = Unfinished {
            signin: self,
            request: Some((workspace, request_id)),
        };
        let report = flow::complete(&self.login, login, Ok(params)).await;
        let judging = Judging {
            idp: &idp,
            customer: &customer,
            admin_test,
        };
        let outcome = judge::judge(report, &judging);
        let page = if outcome.result.is_some() {
            Page::Verified
        } else {
            Page::NotVerified
        };
        let (workspace, request_id) = unfinished.done();
        self.finish(&workspace, request_id, outcome);
        (page, return_url)
    }

    fn fail(&self, workspace: &WorkspaceId, id: Uuid, error: TestError) {
        let outcome = Outcome {
            result: None,
            error: Some(Failure {
                step: None,
                code: error.code,
                message: error.message,
                fix: error.fix,
            }),
            steps: None,
        };
        self.finish(workspace, id, outcome);
    }

    /// Records the outcome (through the journal); the webhook gets it once it is committed.
    fn finish(&self, workspace: &WorkspaceId, id: Uuid, outcome: Outcome) {
        let now = self.now();
        self.journal.push(Write::Finished {
            workspace: workspace.clone(),
            id,
            outcome: Box::new(outcome),
            at: (now.unix_timestamp(), rfc3339(now)),
            keep_until_unix: (now + self.link_ttl).unix_timestamp(),
        });
    }
}

/// A login taken for its callback and not finished yet. Dropped before [`Unfinished::done`] (the
/// callback's request went away mid-way), it fails its request as `cancelled` rather than leave
/// it waiting for its expiry.
struct Unfinished<'a> {
    signin: &'a SignIn,
    request: Option<(WorkspaceId, Uuid)>,
}

impl Unfinished<'_> {
    /// The login finished: its request is recorded by the caller.
    fn done(mut self) -> (WorkspaceId, Uuid) {
        self.request
            .take()
            .expect("an unfinished login has its request")
    }
}

impl Drop for Unfinished<'_> {
    fn drop(&mut self) {
        if let Some((workspace, id)) = self.request.take() {
            let error = TestError::new(
                TestErrorCode::Cancelled,
                "The customer's browser left before the platform finished verifying the sign-in.",
                "Send a new link.",
            );
            self.signin.fail(&workspace, id, error);
        }
    }
}

/// A started login: where the browser goes, and the cookie that binds the login to it.
pub struct Started {
    pub authorization_url: Url,
    pub cookie: BrowserCookie,
}

fn refused_page(refused: LinkRefused) -> Page {
    match refused {
        LinkRefused::Unknown => Page::LinkUnknown,
        LinkRefused::Used => Page::LinkUsed,
        LinkRefused::Expired => Page::LinkExpired,
    }
}

/// Whether the IdP can sign a customer in on `today`: it exists, is enabled, has its secret
/// when its client authentication needs one, and that credential has not expired. (A
/// private_key_jwt IdP signs with the platform's own key, made when first needed.)
fn usable(idp: Option<&idps::IdpRow>, id: Uuid, today: Date) -> Result<(), ApiError> {
    let idp = idp.ok_or(ApiError::UnknownIdp(id.to_string()))?;
    if !idp.fields.enabled {
        return Err(ApiError::IdpDisabled(idp.fields.name.clone()));
    }
    let on = idp.fields.credential_expires_on.as_deref();
    let expiry = credential_expiry::expiry(on, today);
    let method = idp.fields.client_auth_method;
    let why = expiry.describe(on.unwrap_or_default(), method);
    if let (true, Some(why)) = (expiry.is_expired(), why) {
        return Err(ApiError::CredentialExpired(format!(
            "IdP \"{}\": {why}",
            idp.fields.name
        )));
    }
    if method.uses_secret() && idp.secret.is_none() {
        return Err(ApiError::ConfigIncomplete(format!(
            "The IdP \"{}\" authenticates with {} but no client secret was pushed. Push it \
             from ECA Admin with its client secret.",
            idp.fields.name,
            method.as_str()
        )));
    }
    Ok(())
}

/// An IdP as the engine takes it, and its credential: its opened secret, or the platform's
/// signing key.
type IdpWithCredential = (IdpConfig, Option<ClientCredential>);

/// A link held by one click, its request, and the IdP it signs in at (or why it cannot).
struct HeldLink {
    claim: LinkClaim,
    workspace: WorkspaceId,
    row: AuthRequestRow,
    idp: Result<IdpWithCredential, TestError>,
}

/// The IdP a started link signs in at, or why it cannot (deleted or disabled since the link was
/// sent, no secret pushed, a secret that does not open, no platform key) as the failure the
/// request ends with.
fn signing_idp(
    db: &Database,
    sealer: &SecretSealer,
    workspace: &WorkspaceId,
    id: Uuid,
    idp: Option<idps::IdpRow>,
    today: Date,
) -> Result<IdpWithCredential, TestError> {
    match (usable(idp.as_ref(), id, today), idp) {
        (Ok(()), Some(idp)) => {
            let signs = idp.fields.client_auth_method.uses_key();
            let (config, secret) = idp_config(sealer, workspace, idp).map_err(|e| {
                tracing::error!(error = %e, "a stored secret does not open");
                TestError::new(
                    TestErrorCode::MissingSecret,
                    "The platform cannot read the IdP's stored client secret.",
                    "Push the IdP again with its client secret.",
                )
            })?;
            let credential = match signs {
                true => Some(ClientCredential::Key(platform_key(
                    db, sealer, workspace, id,
                )?)),
                false => secret.map(ClientCredential::Secret),
            };
            Ok((config, credential))
        }
        (Err(ApiError::CredentialExpired(message)), _) => Err(TestError::new(
            TestErrorCode::CredentialExpired,
            message,
            "Push the IdP from ECA Admin with a new client secret and its expiry date, then \
             send a new link.",
        )),
        (Err(ApiError::ConfigIncomplete(message)), _) => Err(TestError::new(
            TestErrorCode::MissingSecret,
            message,
            "Push the IdP from ECA Admin with its client secret, then send a new link.",
        )),
        _ => Err(TestError::new(
            TestErrorCode::IdpUnavailable,
            "The IdP was deleted or disabled after the link was sent.",
            "Enable the IdP (or push it again), then send a new link.",
        )),
    }
}

/// The platform's signing key for a private_key_jwt IdP, or the failure without one: none yet
/// (register one), or one that cannot be opened (make a new one: registering it again would
/// not help).
fn platform_key(
    db: &Database,
    sealer: &SecretSealer,
    workspace: &WorkspaceId,
    id: Uuid,
) -> Result<eca_oidc::login::client_key::ClientKey, TestError> {
    match platform_keys::stored(db, sealer, workspace, id) {
        Ok(Some(key)) => Ok(key),
        Ok(None) => Err(TestError::new(
            TestErrorCode::MissingKey,
            "The platform has no signing key for this IdP yet (private_key_jwt).",
            "Open the IdP in ECA Admin, register the platform's public key (\"The platform \
             (customer sign-in)\") at the IdP, then send a new link.",
        )),
        Err(PlatformKeyError::Unreadable) => {
            tracing::error!(workspace = %workspace, idp = %id, "the platform's signing key does not open");
            Err(TestError::new(
                TestErrorCode::ClientAssertion,
                "The platform cannot open its signing key for this IdP (private_key_jwt).",
                format!("{UNREADABLE_FIX} Then send a new link."),
            ))
        }
        Err(e) => {
            tracing::error!(error = %e, workspace = %workspace, idp = %id, "the platform's signing key could not be read");
            Err(TestError::new(
                TestErrorCode::ClientAssertion,
                e.to_string(),
                "Send a new link. If this happens again, the platform's logs say why.",
            ))
        }
    }
}

/// The IdP as the engine takes it, with its secret opened.
fn idp_config(
    sealer: &SecretSealer,
    workspace: &WorkspaceId,
    row: idps::IdpRow,
) -> Result<(IdpConfig, Option<Secret>), crate::crypto::CryptoError> {
    let id = row.id.hyphenated().to_string();
    let secret = row
        .secret
        .as_ref()
        .map(|s| sealer.open(&row_binding(workspace.as_str(), &id), &s.sealed))
        .transpose()?
        .map(|plain| Secret::new(plain.as_str()));
    let fields = row.fields.into_local(None);
    let config = IdpConfig {
        id: IdpId(row.id),
        secret_entered_for: secret.as_ref().map(|_| SecretBinding::of(&fields)),
        fields,
        has_secret: secret.is_some(),
        created_at: row.created_at,
        updated_at: row.updated_at,
    };
    Ok((config, secret))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::MasterKey;

    #[tokio::test]
    async fn a_missing_platform_key_is_registered_and_an_unreadable_one_made_again() {
        let conn = crate::store::open_in_memory().unwrap();
        let (ws, id): (WorkspaceId, Uuid) = ("a".parse().unwrap(), Uuid::new_v4());
        crate::store::platform_keys::tests::add_idp(&conn, &ws, id);
        let db = Database::new(conn);
        let sealer = SecretSealer::new(&MasterKey::generate());

        let missing = platform_key(&db, &sealer, &ws, id).err().unwrap();
        assert_eq!(missing.code, TestErrorCode::MissingKey);
        assert!(
            missing.fix.contains("register the platform's public key"),
            "{missing:?}"
        );

        let now = time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        platform_keys::ensure(&db, &sealer, &ws, id, now)
            .await
            .unwrap();
        assert!(platform_key(&db, &sealer, &ws, id).is_ok());

        let other = SecretSealer::new(&MasterKey::generate());
        let unreadable = platform_key(&db, &other, &ws, id).err().unwrap();
        assert_eq!(unreadable.code, TestErrorCode::ClientAssertion);
        assert!(unreadable.fix.starts_with(UNREADABLE_FIX), "{unreadable:?}");
        assert!(
            !unreadable.fix.contains("register the platform's"),
            "{unreadable:?}"
        );
    }
}
