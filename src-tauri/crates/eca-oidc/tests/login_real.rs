//! Full test logins against a real, certified OpenID provider (npm `oidc-provider`) on loopback,
//! with the scripted browser of tests/oidc/browser.mjs doing what the admin does in theirs.
//! Covers the loopback redirect and the deep-link redirect, a confidential and a public client,
//! a client whose ID tokens are HS256, and the failures an admin meets most: a wrong secret, a
//! cancelled sign-in.

mod support;

use eca_model::idp::{ClientAuthMethod, IdpConfig, IdpFields, IdpId, Protocol};
use eca_model::secret::Secret;
use eca_model::signing_alg::SigningAlg;
use eca_oidc::discovery;
use eca_oidc::login::browser::Browser;
use eca_oidc::login::client_auth::{ClientCredential, JWT_BEARER};
use eca_oidc::login::client_key::{self, AssertionClaims, ClientKey};
use eca_oidc::login::pending::PendingCallbacks;
use eca_oidc::login::report::{StepName, StepStatus, TestErrorCode, TestOutcome, TestReport};
use eca_oidc::login::run::{self, Capture, TestLogin, DEEP_LINK_REDIRECT};
use eca_testkit::node_server::NodeServer;
use std::sync::Arc;
use support::login::{ctx, login_with, step, ScriptedBrowser};
use url::Url;

/// An IdP for the provider at `issuer`, endpoints filled by discovery as the form does.
async fn idp(issuer: &str, client_id: &str, method: ClientAuthMethod, claim: &str) -> IdpConfig {
    let info = discovery::fetch(&eca_oidc::http::client(), issuer)
        .await
        .expect("discovery");
    IdpConfig {
        id: IdpId::new(),
        fields: IdpFields {
            name: "Local OP".into(),
            issuer: Some(issuer.into()),
            authorization_endpoint: info.authorization_endpoint,
            token_endpoint: info.token_endpoint,
            userinfo_endpoint: info.userinfo_endpoint,
            jwks_uri: Some(info.jwks_uri),
            client_id: client_id.into(),
            client_auth_method: method,
            scopes: vec![
                "openid".into(),
                "email".into(),
                "profile".into(),
                "phone".into(),
            ],
            customer_id_claim: claim.into(),
            ..IdpFields::blank(Protocol::Oidc)
        },
        has_secret: method != ClientAuthMethod::None,
        secret_entered_for: None,
        created_at: String::new(),
        updated_at: String::new(),
    }
}

async fn login(
    idp: IdpConfig,
    secret: Option<Secret>,
    capture: Capture<'_>,
    browser: &dyn Browser,
) -> TestReport {
    let credential = secret.map(ClientCredential::Secret);
    login_with(idp, credential, capture, browser).await
}

async fn loopback_login(
    idp: IdpConfig,
    secret: Option<Secret>,
    envs: &[(&str, &str)],
) -> TestReport {
    login(idp, secret, Capture::Loopback, &ScriptedBrowser::new(envs)).await
}

#[tokio::test]
async fn a_confidential_client_logs_in_through_the_loopback_listener() {
    let op = NodeServer::start("provider.mjs", &[]);
    let idp = idp(
        &op.url,
        "eca-confidential",
        ClientAuthMethod::ClientSecretBasic,
        "email",
    )
    .await;
    let report = loopback_login(idp, Some(Secret::new("confidential-secret-123")), &[]).await;
    assert_eq!(report.outcome, TestOutcome::Passed, "{report:#?}");
    for name in [
        StepName::Discovery,
        StepName::Jwks,
        StepName::Authorization,
        StepName::RedirectReceived,
        StepName::StateAndIssuer,
        StepName::CodeExchange,
        StepName::IdTokenVerification,
        StepName::Userinfo,
    ] {
        assert!(
            matches!(
                step(&report, name),
                StepStatus::Passed | StepStatus::Warning
            ),
            "{name:?}: {report:#?}"
        );
    }
    let identity = report.identity.expect("a verified identity");
    assert!(identity.id_token_verified);
    assert_eq!(
        identity.customer_id.as_deref(),
        Some("alice@example.test"),
        "{identity:#?}"
    );
    assert!(identity.access_token_masked.contains("characters"));
    let text = serde_json::to_string(&report.steps).unwrap();
    assert!(
        text.contains("iss matches"),
        "the RFC 9207 iss parameter was checked: {text}"
    );
}

#[tokio::test]
async fn hs256_id_tokens_need_hs256_in_the_idps_settings() {
    let op = NodeServer::start("provider.mjs", &[]);
    let secret = || Some(Secret::new("hs256-secret-of-at-least-32-bytes-long"));
    let mut idp = idp(
        &op.url,
        "eca-hs256",
        ClientAuthMethod::ClientSecretBasic,
        "sub",
    )
    .await;
    let report = loopback_login(idp.clone(), secret(), &[]).await;
    assert_eq!(report.outcome, TestOutcome::Failed, "{report:#?}");
    assert_eq!(
        step(&report, StepName::IdTokenVerification),
        StepStatus::Failed
    );
    let error = report.error.expect("an error");
    assert_eq!(
        error.code,
        TestErrorCode::IdTokenAlgNotAllowed,
        "{error:#?}"
    );
    assert!(error.message.contains("HS256"), "{}", error.message);
    assert!(
        error.fix.contains("ID token signing algorithms"),
        "{}",
        error.fix
    );

    idp.fields.id_token_signing_algs = vec![SigningAlg::HS256];
    let report = loopback_login(idp, secret(), &[]).await;
    assert_eq!(report.outcome, TestOutcome::Passed, "{report:#?}");
    assert!(report.identity.expect("an identity").id_token_verified);
}

/// Another local process that found the loopback port: it holds idle connections open and
/// sends a callback with a guessed state, then the real browser comes back.
struct JammedBrowser {
    browser: ScriptedBrowser,
    /// The status line the guessed callback got.
    stray_answer: Arc<std::sync::Mutex<String>>,
}

impl Browser for JammedBrowser {
    fn open(&self, url: &Url) -> Result<(), String> {
        use std::io::{Read, Write};
        use std::net::TcpStream;
        let redirect = url
            .query_pairs()
            .find(|(name, _)| name == "redirect_uri")
            .map(|(_, value)| Url::parse(&value).unwrap())
            .expect("a redirect_uri");
        let port = redirect.port().expect("a loopback port");
        let (browser, url, answer) = (self.browser.clone(), url.clone(), self.stray_answer.clone());
        std::thread::spawn(move || {
            let idle: Vec<TcpStream> = (0..4)
                .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
                .collect();
            let mut stray = TcpStream::connect(("127.0.0.1", port)).unwrap();
            write!(
                stray,
                "GET /oauth/callback?code=forged&state=guess HTTP/1.1\r\n\
                 Host: 127.0.0.1:{port}\r\n\r\n"
            )
            .unwrap();
            let mut text = String::new();
            let _ = stray.read_to_string(&mut text);
            *answer.lock().unwrap() = text.lines().next().unwrap_or_default().to_string();
            browser.open(&url).unwrap();
            std::thread::sleep(std::time::Duration::from_secs(20));
            drop(idle);
        });
        Ok(())
    }
}

#[tokio::test]
async fn a_stray_callback_and_idle_sockets_do_not_spoil_a_loopback_login() {
    let op = NodeServer::start("provider.mjs", &[]);
    let idp = idp(&op.url, "eca-public", ClientAuthMethod::None, "sub").await;
    let browser = JammedBrowser {
        browser: ScriptedBrowser::new(&[]),
        stray_answer: Arc::default(),
    };
    let started = std::time::Instant::now();
    let report = login(idp, None, Capture::Loopback, &browser).await;
    assert_eq!(
        report.outcome,
        TestOutcome::Passed,
        "the real callback completed the login: {report:#?}"
    );
    assert_eq!(
        browser.stray_answer.lock().unwrap().as_str(),
        "HTTP/1.1 400 Bad Request",
        "the guessed callback was refused"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "idle sockets held the login up for {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_public_client_logs_in_through_a_deep_link() {
    let op = NodeServer::start("provider.mjs", &[]);
    let idp = idp(&op.url, "eca-public", ClientAuthMethod::None, "sub").await;
    let callbacks = Arc::new(PendingCallbacks::new());
    let browser = ScriptedBrowser {
        deep_links: Some(callbacks.clone()),
        ..ScriptedBrowser::new(&[])
    };
    let report = login(idp, None, Capture::DeepLink(&callbacks), &browser).await;
    assert_eq!(report.outcome, TestOutcome::Passed, "{report:#?}");
    assert_eq!(report.redirect_uri, DEEP_LINK_REDIRECT);
    assert_eq!(
        report.identity.unwrap().customer_id.as_deref(),
        Some("alice")
    );
    assert!(
        callbacks.is_empty(),
        "the run's registration is gone once it ends"
    );
}

#[tokio::test]
async fn a_deep_link_login_times_out_and_names_the_redirect_to_register() {
    let op = NodeServer::start("provider.mjs", &[]);
    let idp = idp(&op.url, "eca-public", ClientAuthMethod::None, "sub").await;
    let callbacks = PendingCallbacks::new();
    struct NoBrowser;
    impl Browser for NoBrowser {
        fn open(&self, _: &Url) -> Result<(), String> {
            Ok(())
        }
    }
    let login = TestLogin {
        run_id: uuid::Uuid::new_v4().to_string(),
        idp,
        credential: None,
        capture: Capture::DeepLink(&callbacks),
        timeout: time::Duration::milliseconds(300),
        observer: None,
    };
    let report = run::run(&ctx(), login, &NoBrowser, std::future::pending()).await;
    assert_eq!(report.outcome, TestOutcome::TimedOut);
    assert!(report.error.unwrap().fix.contains(DEEP_LINK_REDIRECT));
    assert!(callbacks.is_empty());
}

#[tokio::test]
async fn a_cancelled_run_ends_at_once() {
    let op = NodeServer::start("provider.mjs", &[]);
    let idp = idp(&op.url, "eca-public", ClientAuthMethod::None, "sub").await;
    let login = TestLogin {
        run_id: uuid::Uuid::new_v4().to_string(),
        idp,
        credential: None,
        capture: Capture::Loopback,
        timeout: time::Duration::minutes(5),
        observer: None,
    };
    struct NoBrowser;
    impl Browser for NoBrowser {
        fn open(&self, _: &Url) -> Result<(), String> {
            Ok(())
        }
    }
    let report = run::run(&ctx(), login, &NoBrowser, async {}).await;
    assert_eq!(report.outcome, TestOutcome::Cancelled);
    assert_eq!(step(&report, StepName::Authorization), StepStatus::Failed);
}

#[tokio::test]
async fn a_wrong_secret_says_to_check_the_secret_or_the_method() {
    let op = NodeServer::start("provider.mjs", &[]);
    let idp = idp(
        &op.url,
        "eca-confidential",
        ClientAuthMethod::ClientSecretBasic,
        "sub",
    )
    .await;
    let report = loopback_login(idp, Some(Secret::new("not-the-secret")), &[]).await;
    assert_eq!(report.outcome, TestOutcome::Failed);
    assert_eq!(step(&report, StepName::CodeExchange), StepStatus::Failed);
    let error = report.error.expect("an error");
    assert_eq!(error.code, TestErrorCode::InvalidClient, "{error:#?}");
    assert!(error.fix.contains("client_secret_post"), "{}", error.fix);
    assert!(!serde_json::to_string(&report.steps)
        .unwrap()
        .contains("not-the-secret"));
}

#[tokio::test]
async fn a_cancelled_sign_in_is_reported_as_the_idps_error() {
    let op = NodeServer::start("provider.mjs", &[]);
    let idp = idp(&op.url, "eca-public", ClientAuthMethod::None, "sub").await;
    let report = loopback_login(idp, None, &[("ECA_BROWSER_ACTION", "abort")]).await;
    assert_eq!(report.outcome, TestOutcome::Failed);
    let error = report.error.clone().expect("an error");
    assert_eq!(error.code, TestErrorCode::AccessDenied, "{error:#?}");
    assert_eq!(step(&report, StepName::StateAndIssuer), StepStatus::Failed);
}

#[tokio::test]
async fn a_missing_customer_claim_lists_the_claims_that_exist() {
    let op = NodeServer::start("provider.mjs", &[]);
    let idp = idp(
        &op.url,
        "eca-public",
        ClientAuthMethod::None,
        "employee_number",
    )
    .await;
    let report = loopback_login(idp, None, &[]).await;
    let error = report.error.expect("an error");
    assert_eq!(error.code, TestErrorCode::CustomerIdClaim);
    assert!(error.fix.contains("email"), "{}", error.fix);
}

#[tokio::test]
async fn a_plain_oauth2_idp_is_identified_from_its_profile_endpoint() {
    let op = NodeServer::start("provider.mjs", &[]);
    let mut idp = idp(&op.url, "eca-public", ClientAuthMethod::None, "email").await;
    // Plain OAuth 2.0: entered endpoints, no issuer, no JWKS, identity from the profile endpoint.
    idp.fields.protocol = Protocol::Oauth2;
    idp.fields.issuer = None;
    idp.fields.jwks_uri = None;
    let report = loopback_login(idp, None, &[]).await;
    assert_eq!(report.outcome, TestOutcome::Passed, "{report:#?}");
    assert_eq!(step(&report, StepName::Discovery), StepStatus::Skipped);
    assert_eq!(
        step(&report, StepName::IdTokenVerification),
        StepStatus::Skipped
    );
    let detail = &report
        .steps
        .iter()
        .find(|s| s.name == StepName::IdTokenVerification)
        .unwrap()
        .detail;
    assert!(
        detail.contains("no ID token was verified"),
        "the report says so plainly: {detail}"
    );
    let identity = report.identity.unwrap();
    assert!(!identity.id_token_verified);
    assert_eq!(identity.customer_id.as_deref(), Some("alice@example.test"));
}

/// oidc-provider with its private_key_jwt client (`eca-pkjwt`), whose public keys are read from
/// a file the test writes: registering a key at the IdP.
struct PkjwtOp {
    op: NodeServer,
    jwks_file: tempfile::NamedTempFile,
}

impl PkjwtOp {
    fn start() -> Self {
        let jwks_file = tempfile::NamedTempFile::new().unwrap();
        let path = jwks_file.path().to_str().unwrap().to_string();
        let op = NodeServer::start("provider.mjs", &["--pkjwt-jwks", &path]);
        Self { op, jwks_file }
    }

    fn register(&self, key: &ClientKey) {
        let jwks = key.public().jwks().to_string();
        std::fs::write(self.jwks_file.path(), jwks).unwrap();
    }

    /// A loopback test login of `eca-pkjwt` signing with `key`.
    async fn login(&self, key: Option<ClientKey>) -> TestReport {
        let method = ClientAuthMethod::PrivateKeyJwt;
        let idp = idp(&self.op.url, "eca-pkjwt", method, "email").await;
        let credential = key.map(ClientCredential::Key);
        let browser = ScriptedBrowser::new(&[]);
        login_with(idp, credential, Capture::Loopback, &browser).await
    }
}

fn client_key() -> ClientKey {
    ClientKey::generate().expect("a key pair")
}

#[tokio::test]
async fn a_private_key_jwt_client_logs_in_with_the_key_registered_at_the_idp() {
    let pk = PkjwtOp::start();
    let key = client_key();
    pk.register(&key);
    let stored = key.to_stored_text();
    let report = pk.login(Some(key)).await;
    assert_eq!(report.outcome, TestOutcome::Passed, "{report:#?}");
    assert_eq!(step(&report, StepName::CodeExchange), StepStatus::Passed);
    let text = serde_json::to_string(&report).unwrap();
    let private_part = stored.split('.').nth(1).unwrap();
    assert!(
        !text.contains(&private_part[..32]),
        "the private key never reaches the report"
    );
}

#[tokio::test]
async fn a_key_the_idp_does_not_know_is_refused_and_the_fix_names_the_key_to_register() {
    let pk = PkjwtOp::start();
    pk.register(&client_key());
    let report = pk.login(Some(client_key())).await;
    assert_eq!(report.outcome, TestOutcome::Failed);
    assert_eq!(step(&report, StepName::CodeExchange), StepStatus::Failed);
    let error = report.error.expect("an error");
    assert_eq!(error.code, TestErrorCode::InvalidClient, "{error:#?}");
    assert!(error.fix.contains("public key"), "{}", error.fix);
}

#[tokio::test]
async fn a_private_key_jwt_idp_without_a_stored_key_stops_before_the_browser() {
    let pk = PkjwtOp::start();
    let report = pk.login(None).await;
    assert_eq!(step(&report, StepName::Authorization), StepStatus::Failed);
    let error = report.error.expect("an error");
    assert_eq!(error.code, TestErrorCode::MissingKey, "{error:#?}");
}

#[tokio::test]
async fn a_replayed_client_assertion_is_refused_by_the_idp() {
    let pk = PkjwtOp::start();
    let key = client_key();
    pk.register(&key);
    let info = discovery::fetch(&eca_oidc::http::client(), &pk.op.url)
        .await
        .unwrap();
    let assertion = key
        .sign_assertion(
            SigningAlg::RS256,
            &AssertionClaims {
                client_id: "eca-pkjwt",
                audience: &info.token_endpoint,
                jti: client_key::new_jti(),
                now: time::OffsetDateTime::now_utc(),
            },
        )
        .unwrap();
    let send = || async {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", "not-a-code"),
            ("redirect_uri", "http://127.0.0.1/oauth/callback"),
            ("code_verifier", "v".repeat(43).leak()),
            ("client_id", "eca-pkjwt"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", assertion.as_str()),
        ];
        let answer = reqwest::Client::new()
            .post(&info.token_endpoint)
            .form(&form)
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = answer.json().await.unwrap();
        body["error"].as_str().unwrap_or_default().to_string()
    };
    assert_eq!(
        send().await,
        "invalid_grant",
        "the first use authenticates the client (only the made-up code is refused)"
    );
    assert_eq!(send().await, "invalid_client", "the same jti a second time");
}
