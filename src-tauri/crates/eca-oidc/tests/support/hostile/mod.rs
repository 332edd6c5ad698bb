//! A hostile OpenID provider: a real authorization-code + PKCE (S256) provider on
//! `http://127.0.0.1:<ephemeral port>` that can be told to get exactly one thing wrong, so a test
//! can assert that the login flow notices and names that check.
//!
//! Misbehaviours ([`Misbehaviour`]), one at a time, settable at start and at any time after:
//! - ID token claims: `WrongIss`, `WrongAud`, `MissingSub`, `WrongNonce`, `Expired` (exp an hour
//!   ago), `MissingIat`, `IatInFuture` (an hour ahead), `AtHashMismatch`, `MultipleAudNoAzp`.
//! - ID token header and signature: `BadSignature`, `AlgNone`, `NoKidManyKeys`, `NoKidOneKey`
//!   (valid: must be accepted), `RotatedKey` (signed by a key the client must fetch again for).
//! - Discovery: `DiscoveryIssuerMismatch`. Userinfo: `UserinfoSubMismatch`.
//! - Authorization response: `WrongIssParam`, `MissingIssParamWhenAdvertised`, `WrongState`,
//!   `MissingState`, `AuthorizeError(error)`. Token endpoint: `TokenError(error)`.
//! - Pushed authorization requests (with [`OpOptions::par`]): `ParWithoutRequestUri`,
//!   `ParError(error)`, `ParOversized`.
//!
//! The server runs on its own thread and Tokio runtime, so it serves sync tests, current-thread
//! `#[tokio::test]`s and code under test that blocks alike; dropping the [`HostileOp`] stops it.
//!
//! Files: `keys.rs` (RSA keys, JWKS), `tokens.rs` (ID tokens and their defects), `server.rs`
//! (the endpoints and the OAuth checks).

mod keys;
mod server;
pub mod tokens;

use std::future::IntoFuture as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use server::{OpState, Shared};

/// The one thing the provider gets wrong.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Misbehaviour {
    /// Everything correct.
    #[default]
    None,
    /// The ID token's `iss` is [`tokens::impostor_issuer`] of the real one.
    WrongIss,
    /// The ID token's `aud` is another client.
    WrongAud,
    /// The ID token has no `sub`.
    MissingSub,
    /// The ID token's RS256 signature bytes are corrupted (right key, right length).
    BadSignature,
    /// The ID token's header says `"alg": "none"` and the signature is empty.
    AlgNone,
    /// The ID token's `nonce` is not the one of the authorization request.
    WrongNonce,
    /// The ID token expired an hour ago.
    Expired,
    /// The ID token has no `iat`.
    MissingIat,
    /// The ID token's header has no `kid` and the JWKS holds two keys: ambiguous.
    NoKidManyKeys,
    /// The ID token's header has no `kid` and the JWKS holds exactly its key: must be accepted.
    NoKidOneKey,
    /// The ID token is signed by a new key. The first JWKS fetch after the switch still returns
    /// the old keys; the next returns the new one, so a client must fetch again once.
    RotatedKey,
    /// The ID token's `iat` is an hour ahead (and `exp` five minutes after it).
    IatInFuture,
    /// The ID token's `at_hash` is present but not that of the access token.
    AtHashMismatch,
    /// The ID token's `aud` is `[client_id, "other-client"]` and it has no `azp`.
    MultipleAudNoAzp,
    /// Userinfo answers for another `sub` than the ID token's.
    UserinfoSubMismatch,
    /// The discovery document's `issuer` is not the URL it was fetched from.
    DiscoveryIssuerMismatch,
    /// The authorization response's `iss` parameter (RFC 9207) is another issuer.
    WrongIssParam,
    /// Discovery advertises `authorization_response_iss_parameter_supported` but the
    /// authorization response has no `iss`.
    MissingIssParamWhenAdvertised,
    /// The authorization response carries another `state`.
    WrongState,
    /// The authorization response carries no `state`.
    MissingState,
    /// The token endpoint answers 400 with this OAuth error (e.g. "invalid_grant").
    TokenError(&'static str),
    /// Authorize redirects back with `error=<this>` and an `error_description`.
    AuthorizeError(&'static str),
    /// The PAR endpoint answers 201 without a `request_uri`.
    ParWithoutRequestUri,
    /// The PAR endpoint answers with this OAuth error (401 for `invalid_client`, else 400).
    ParError(&'static str),
    /// The PAR endpoint answers 201 with a valid reference padded to 1 MiB.
    ParOversized,
}

/// How a [`HostileOp`] starts.
#[derive(Clone, Debug)]
pub struct OpOptions {
    pub misbehaviour: Misbehaviour,
    /// Advertise `authorization_response_iss_parameter_supported` and send `iss` (default true).
    pub advertise_iss_param: bool,
    /// Default "hostile-secret". One with `:`, `+` or `%` tests the form-encoding inside Basic.
    pub client_secret: String,
    /// Accept token requests without a secret (`none`); a secret sent must still be right.
    pub public_client: bool,
    /// Advertise a PAR endpoint (RFC 9126) and require it: authorize takes only a pushed
    /// request's `request_uri` (default false).
    pub par: bool,
}

impl Default for OpOptions {
    fn default() -> Self {
        Self {
            misbehaviour: Misbehaviour::None,
            advertise_iss_param: true,
            client_secret: "hostile-secret".to_owned(),
            public_client: false,
            par: false,
        }
    }
}

/// A running hostile provider. Stops when dropped.
pub struct HostileOp {
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl HostileOp {
    /// Starts a provider that gets `misbehaviour` wrong (`Misbehaviour::None`: nothing).
    pub fn start(misbehaviour: Misbehaviour) -> Self {
        Self::start_with(OpOptions {
            misbehaviour,
            ..OpOptions::default()
        })
    }

    pub fn start_with(options: OpOptions) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind 127.0.0.1 on an ephemeral port");
        listener
            .set_nonblocking(true)
            .expect("make the listener non-blocking for Tokio");
        let port = listener
            .local_addr()
            .expect("the listener's address")
            .port();
        let shared = Arc::new(Shared {
            issuer: format!("http://127.0.0.1:{port}"),
            client_id: "hostile-client".to_owned(),
            client_secret: options.client_secret,
            public_client: options.public_client,
            advertise_iss_param: options.advertise_iss_param,
            par: options.par,
            par_calls: AtomicUsize::new(0),
            keys: keys::KeyRing::generate(),
            state: Mutex::new(OpState::new(options.misbehaviour)),
            authorize_calls: AtomicUsize::new(0),
            token_calls: AtomicUsize::new(0),
            userinfo_calls: AtomicUsize::new(0),
            jwks_fetches: AtomicUsize::new(0),
        });

        let (shutdown, stopped) = oneshot::channel::<()>();
        let app = server::router(Arc::clone(&shared));
        let thread = std::thread::Builder::new()
            .name(format!("hostile-op-{port}"))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a Tokio runtime for the hostile OP");
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)
                        .expect("hand the listener to Tokio");
                    tokio::select! {
                        served = axum::serve(listener, app).into_future() => {
                            served.expect("the hostile OP's server failed");
                        }
                        _ = stopped => {}
                    }
                });
                // Dropping the runtime here drops every open connection's task with it.
            })
            .expect("spawn the hostile OP's thread");
        let op = Self {
            shared,
            shutdown: Some(shutdown),
            thread: Some(thread),
        };
        op.prepare_keys(options.misbehaviour);
        op
    }

    /// Generates the rotated key now rather than inside a token request.
    fn prepare_keys(&self, misbehaviour: Misbehaviour) {
        if misbehaviour == Misbehaviour::RotatedKey {
            self.shared.keys.rotated();
        }
    }

    /// Changes what goes wrong from now on. Switching to `RotatedKey` makes the next JWKS
    /// fetch still return the old keys.
    pub fn set(&self, misbehaviour: Misbehaviour) {
        self.prepare_keys(misbehaviour);
        self.shared.lock().set_misbehaviour(misbehaviour);
    }

    pub fn misbehaviour(&self) -> Misbehaviour {
        self.shared.lock().misbehaviour
    }

    /// Issues tokens as if it were `unix_secs` (None: the system clock again).
    pub fn set_now(&self, unix_secs: Option<i64>) {
        self.shared.lock().frozen_now = unix_secs;
    }

    /// `http://127.0.0.1:<port>`, no trailing slash.
    pub fn issuer(&self) -> &str {
        &self.shared.issuer
    }

    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.shared.issuer)
    }

    pub fn authorization_endpoint(&self) -> String {
        format!("{}/authorize", self.shared.issuer)
    }

    pub fn token_endpoint(&self) -> String {
        format!("{}/token", self.shared.issuer)
    }

    pub fn userinfo_endpoint(&self) -> String {
        format!("{}/userinfo", self.shared.issuer)
    }

    pub fn par_endpoint(&self) -> String {
        format!("{}/par", self.shared.issuer)
    }

    pub fn par_calls(&self) -> usize {
        self.shared.par_calls.load(Ordering::SeqCst)
    }

    /// The parameter names of the last authorization request the browser sent, in order.
    pub fn last_authorize_params(&self) -> Vec<String> {
        self.shared.lock().last_authorize_params.clone()
    }

    pub fn jwks_uri(&self) -> String {
        format!("{}/jwks", self.shared.issuer)
    }

    /// "hostile-client".
    pub fn client_id(&self) -> &str {
        &self.shared.client_id
    }

    /// "hostile-secret" unless [`OpOptions::client_secret`] said otherwise.
    pub fn client_secret(&self) -> &str {
        &self.shared.client_secret
    }

    pub fn jwks_fetches(&self) -> usize {
        self.shared.jwks_fetches.load(Ordering::SeqCst)
    }

    pub fn authorize_calls(&self) -> usize {
        self.shared.authorize_calls.load(Ordering::SeqCst)
    }

    pub fn token_calls(&self) -> usize {
        self.shared.token_calls.load(Ordering::SeqCst)
    }

    pub fn userinfo_calls(&self) -> usize {
        self.shared.userinfo_calls.load(Ordering::SeqCst)
    }

    /// What a browser would do: GETs `authorization_url` without following redirects and
    /// returns the `Location` it is sent to (the callback URL for the app).
    ///
    /// Panics unless the answer is a redirect, with the status and body in the message.
    pub async fn authorize_redirect(&self, authorization_url: &str) -> String {
        let browser = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a non-following HTTP client");
        let response = browser
            .get(authorization_url)
            .send()
            .await
            .unwrap_or_else(|err| panic!("GET {authorization_url} failed: {err}"));
        let status = response.status();
        match response.headers().get(reqwest::header::LOCATION) {
            Some(location) if status.is_redirection() => {
                location.to_str().expect("an ASCII Location").to_owned()
            }
            _ => {
                let body = response.text().await.unwrap_or_default();
                panic!("authorize answered {status} without a redirect: {body}")
            }
        }
    }
}

impl Drop for HostileOp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            // Joined so the port is closed when drop returns; a server panic is already
            // reported on its thread, and re-raising it here could abort a panicking test.
            let _ = thread.join();
        }
    }
}
