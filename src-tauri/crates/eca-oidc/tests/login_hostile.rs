//! What a certified relying party must reject, proven against a hostile provider that gets
//! exactly one thing wrong per test (tests/support/hostile). Each rejection must name the check
//! that failed (`TestError::code`); the two valid oddities (no `kid` with one key, a rotated key)
//! must be accepted. With the platform's provider cache, logins share one JWKS fetch and a
//! rotated key is picked up at most once per refresh interval.

mod support;

use eca_model::idp::{ClientAuthMethod, IdpConfig, IdpFields, IdpId, Protocol};
use eca_model::secret::Secret;
use eca_oidc::login::browser::Browser;
use eca_oidc::login::client_auth::ClientCredential;
use eca_oidc::login::flow::LoginContext;
use eca_oidc::login::pending::{PendingCallbacks, Refused};
use eca_oidc::login::provider_cache::{CachePolicy, ProviderCache};
use eca_oidc::login::report::{StepName, StepStatus, TestErrorCode, TestOutcome, TestReport};
use eca_oidc::login::run::{self, Capture, TestLogin, DEEP_LINK_REDIRECT};
use eca_testkit::clock::TestClock;
use std::sync::Arc;
use support::hostile::{HostileOp, Misbehaviour, OpOptions};
use tokio::task::JoinHandle;
use url::Url;

fn idp_for(op: &HostileOp) -> IdpConfig {
    IdpConfig {
        id: IdpId::new(),
        fields: IdpFields {
            name: "Hostile".into(),
            issuer: Some(op.issuer().into()),
            authorization_endpoint: op.authorization_endpoint(),
            token_endpoint: op.token_endpoint(),
            userinfo_endpoint: Some(op.userinfo_endpoint()),
            jwks_uri: Some(op.jwks_uri()),
            client_id: op.client_id().into(),
            client_auth_method: ClientAuthMethod::ClientSecretBasic,
            ..IdpFields::blank(Protocol::Oidc)
        },
        has_secret: true,
        secret_entered_for: None,
        created_at: String::new(),
        updated_at: String::new(),
    }
}

/// A browser that follows the provider's immediate redirect to the app's loopback listener.
struct RedirectFollower;

impl Browser for RedirectFollower {
    fn open(&self, url: &Url) -> Result<(), String> {
        let url = url.to_string();
        tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let answer = http.get(&url).send().await.expect("authorize");
            let location = answer
                .headers()
                .get("location")
                .expect("a redirect")
                .to_str()
                .unwrap()
                .to_string();
            // The listener answers 200 when it takes the callback, 400/404 when it refuses it.
            let _ = http.get(&location).send().await;
        });
        Ok(())
    }
}

async fn test_login(op: &HostileOp) -> TestReport {
    let ctx = LoginContext {
        http: eca_oidc::http::client(),
        clock: Arc::new(eca_model::clock::SystemClock),
        provider_cache: None,
    };
    login_with(&ctx, op).await
}

async fn login_with(ctx: &LoginContext, op: &HostileOp) -> TestReport {
    let login = TestLogin {
        run_id: uuid::Uuid::new_v4().to_string(),
        idp: idp_for(op),
        credential: Some(ClientCredential::Secret(Secret::new(op.client_secret()))),
        capture: Capture::Loopback,
        timeout: time::Duration::seconds(20),
        observer: None,
    };
    run::run(ctx, login, &RedirectFollower, std::future::pending()).await
}

/// Runs a login against a provider with `misbehaviour` and returns the failed check's code.
async fn rejection(misbehaviour: Misbehaviour) -> (String, TestReport) {
    let op = HostileOp::start(misbehaviour);
    let report = test_login(&op).await;
    assert_eq!(
        report.outcome,
        TestOutcome::Failed,
        "{misbehaviour:?} must be rejected: {report:#?}"
    );
    let code = report
        .error
        .as_ref()
        .map(|e| e.code.to_string())
        .unwrap_or_default();
    (code, report)
}

macro_rules! rejects {
    ($($name:ident: $misbehaviour:expr => $code:literal,)*) => {$(
        #[tokio::test]
        async fn $name() {
            let (code, report) = rejection($misbehaviour).await;
            assert_eq!(code, $code, "the rejection must name the check: {:#?}", report.error);
            let error = report.error.unwrap();
            assert!(!error.message.is_empty() && !error.fix.is_empty(), "{error:#?}");
        }
    )*};
}

rejects! {
    rejects_a_wrong_issuer: Misbehaviour::WrongIss => "id_token.iss",
    rejects_a_wrong_audience: Misbehaviour::WrongAud => "id_token.aud",
    rejects_a_missing_subject: Misbehaviour::MissingSub => "id_token.sub",
    rejects_a_bad_signature: Misbehaviour::BadSignature => "id_token.signature",
    rejects_alg_none: Misbehaviour::AlgNone => "id_token.alg",
    rejects_a_wrong_nonce: Misbehaviour::WrongNonce => "id_token.nonce",
    rejects_an_expired_token: Misbehaviour::Expired => "id_token.exp",
    rejects_a_missing_iat: Misbehaviour::MissingIat => "id_token.iat",
    rejects_an_iat_in_the_future: Misbehaviour::IatInFuture => "id_token.iat",
    rejects_no_kid_with_several_keys: Misbehaviour::NoKidManyKeys => "id_token.kid",
    rejects_an_at_hash_mismatch: Misbehaviour::AtHashMismatch => "id_token.at_hash",
    rejects_several_audiences_without_azp: Misbehaviour::MultipleAudNoAzp => "id_token.azp",
    rejects_a_userinfo_sub_mismatch: Misbehaviour::UserinfoSubMismatch => "userinfo.sub",
    rejects_a_discovery_issuer_mismatch: Misbehaviour::DiscoveryIssuerMismatch => "issuer_mismatch",
    rejects_a_wrong_iss_parameter: Misbehaviour::WrongIssParam => "iss",
    rejects_a_missing_advertised_iss_parameter: Misbehaviour::MissingIssParamWhenAdvertised => "iss",
    reports_the_token_endpoints_error: Misbehaviour::TokenError("invalid_grant") => "invalid_grant",
    reports_the_authorization_error: Misbehaviour::AuthorizeError("access_denied") => "access_denied",
}

#[tokio::test]
async fn accepts_no_kid_with_a_single_key() {
    let op = HostileOp::start(Misbehaviour::NoKidOneKey);
    let report = test_login(&op).await;
    assert_eq!(report.outcome, TestOutcome::Passed, "{report:#?}");
}

#[tokio::test]
async fn accepts_a_rotated_key_after_one_refetch() {
    let op = HostileOp::start(Misbehaviour::None);
    op.set(Misbehaviour::RotatedKey);
    let report = test_login(&op).await;
    assert_eq!(report.outcome, TestOutcome::Passed, "{report:#?}");
    assert_eq!(
        op.jwks_fetches(),
        2,
        "the JWKS is fetched once at the start and once again for the new key"
    );
    let detail = &report
        .steps
        .iter()
        .find(|s| s.detail.contains("re-fetching"))
        .expect("the re-fetch is reported")
        .detail;
    assert!(detail.contains("rotated"), "{detail}");
}

/// The platform's context: logins share the cache, and the test moves its clock.
#[tokio::test]
async fn a_shared_cache_fetches_keys_once_and_refreshes_them_at_most_once_per_interval() {
    let op = HostileOp::start(Misbehaviour::None);
    let clock = Arc::new(TestClock::now_utc());
    let ctx = LoginContext {
        http: eca_oidc::http::client(),
        clock: clock.clone(),
        provider_cache: Some(Arc::new(ProviderCache::default())),
    };
    let outcome = |report: &TestReport| {
        let code = report.error.as_ref().map(|e| e.code.to_string());
        (report.outcome, code)
    };
    let passed = (TestOutcome::Passed, None);
    let unknown_key = (TestOutcome::Failed, Some("id_token.kid".to_string()));
    for login in 0..3 {
        assert_eq!(
            outcome(&login_with(&ctx, &op).await),
            passed,
            "login {login}"
        );
    }
    assert_eq!(op.jwks_fetches(), 1, "three logins, one JWKS fetch");

    // The OP signs with a new key; its next JWKS answer is still the old set, then the new.
    op.set(Misbehaviour::RotatedKey);
    let interval = CachePolicy::default().refresh_interval;
    for step in [
        "fetched < 30 s ago",
        "refreshed: the stale set",
        "< 30 s again",
    ] {
        if step.starts_with("refreshed") {
            clock.advance(interval);
        }
        let report = login_with(&ctx, &op).await;
        assert_eq!(outcome(&report), unknown_key, "{step}: {report:#?}");
    }
    assert_eq!(op.jwks_fetches(), 2, "one refresh in the first interval");
    clock.advance(interval);
    let report = login_with(&ctx, &op).await;
    assert_eq!(outcome(&report), passed, "{report:#?}");
    assert_eq!(
        op.jwks_fetches(),
        3,
        "the next interval's refresh has the new key"
    );
}

#[tokio::test]
async fn a_correct_provider_passes() {
    let op = HostileOp::start(Misbehaviour::None);
    let report = test_login(&op).await;
    assert_eq!(report.outcome, TestOutcome::Passed, "{report:#?}");
    assert_eq!(op.token_calls(), 1);
    assert_eq!(op.userinfo_calls(), 1);
}

/// RFC 9207: a provider that does not advertise the `iss` response parameter and sends none
/// passes (only an advertised one is required); one that sends none while advertising it fails
/// (`rejects_a_missing_advertised_iss_parameter`).
#[tokio::test]
async fn an_absent_iss_parameter_passes_when_the_provider_does_not_advertise_it() {
    // Neither advertised nor sent (the hostile provider's self-test checks both).
    let op = HostileOp::start_with(OpOptions {
        advertise_iss_param: false,
        ..Default::default()
    });
    let report = test_login(&op).await;
    assert_eq!(report.outcome, TestOutcome::Passed, "{report:#?}");
    let checks = report
        .steps
        .iter()
        .find(|s| s.name == StepName::StateAndIssuer)
        .expect("the state and issuer step ran");
    assert_eq!(checks.status, StepStatus::Passed, "{checks:?}");
}

/// A bug that panics in the middle of a login (here injected where the browser opens) ends the
/// run with a failed report, never a task that dies in silence; a deep-link registration goes.
#[tokio::test]
async fn a_panic_in_a_login_is_reported_as_a_failed_step() {
    struct PanickingBrowser;
    impl Browser for PanickingBrowser {
        fn open(&self, _: &Url) -> Result<(), String> {
            panic!("injected: a bug while opening the browser");
        }
    }
    let ctx = LoginContext {
        http: eca_oidc::http::client(),
        clock: Arc::new(eca_model::clock::SystemClock),
        provider_cache: None,
    };
    let callbacks = PendingCallbacks::new();
    for capture in [Capture::Loopback, Capture::DeepLink(&callbacks)] {
        let op = HostileOp::start(Misbehaviour::None);
        let login = TestLogin {
            run_id: uuid::Uuid::new_v4().to_string(),
            idp: idp_for(&op),
            credential: Some(ClientCredential::Secret(Secret::new(op.client_secret()))),
            capture,
            timeout: time::Duration::seconds(20),
            observer: None,
        };
        let report = run::run(&ctx, login, &PanickingBrowser, std::future::pending()).await;
        assert_eq!(report.outcome, TestOutcome::Failed, "{report:#?}");
        let error = report.error.as_ref().expect("an error");
        assert_eq!(error.code, TestErrorCode::Internal, "{error:#?}");
        assert!(!error.message.contains("injected"), "{error:#?}");
        assert!(
            report
                .steps
                .iter()
                .any(|s| s.name == StepName::Discovery && s.status == StepStatus::Passed),
            "the steps done before stay: {report:#?}"
        );
        let failed = report
            .steps
            .iter()
            .find(|s| s.status == StepStatus::Failed)
            .unwrap_or_else(|| panic!("a failed step: {report:#?}"));
        assert_eq!(failed.name, StepName::Authorization, "{report:#?}");
    }
    assert!(callbacks.is_empty(), "the deep-link registration is gone");
}

/// An IdP that alters or drops `state`: its redirect is not this login's, so the loopback
/// listener answers it 400 and keeps waiting for the real one, as the deep link does for a
/// forged state; the login ends at its timeout. (The flow's own state check is unit-tested.)
#[tokio::test]
async fn a_redirect_without_this_logins_state_never_reaches_the_flow() {
    let ctx = LoginContext {
        http: eca_oidc::http::client(),
        clock: Arc::new(eca_model::clock::SystemClock),
        provider_cache: None,
    };
    for misbehaviour in [Misbehaviour::WrongState, Misbehaviour::MissingState] {
        let op = HostileOp::start(misbehaviour);
        let login = TestLogin {
            run_id: uuid::Uuid::new_v4().to_string(),
            idp: idp_for(&op),
            credential: Some(ClientCredential::Secret(Secret::new(op.client_secret()))),
            capture: Capture::Loopback,
            timeout: time::Duration::seconds(2),
            observer: None,
        };
        let report = run::run(&ctx, login, &RedirectFollower, std::future::pending()).await;
        assert_eq!(
            report.outcome,
            TestOutcome::TimedOut,
            "{misbehaviour:?}: {report:#?}"
        );
    }
}

/// Through a deep link, a forged state matches no login and a replayed callback matches nothing:
/// both are refused, and the login still waits for its real callback.
#[tokio::test]
async fn deep_links_refuse_forged_and_replayed_callbacks() {
    let op = HostileOp::start(Misbehaviour::None);
    let callbacks = Arc::new(PendingCallbacks::new());
    /// Delivers the callbacks from a task of its own, kept so that the test can await it: an
    /// assertion failing in it fails the test.
    struct DeepLinkBrowser(
        Arc<PendingCallbacks>,
        std::sync::Mutex<Option<JoinHandle<()>>>,
    );
    impl Browser for DeepLinkBrowser {
        fn open(&self, url: &Url) -> Result<(), String> {
            let url = url.to_string();
            let callbacks = self.0.clone();
            let delivering = tokio::spawn(async move {
                let http = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .unwrap();
                let answer = http.get(&url).send().await.expect("authorize");
                let location = answer
                    .headers()
                    .get("location")
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_string();
                let now = time::OffsetDateTime::now_utc();
                let forged = location.replace("state=", "state=forged");
                assert_eq!(
                    callbacks.deliver(&forged, DEEP_LINK_REDIRECT, now),
                    Err(Refused::NoPendingLogin)
                );
                callbacks
                    .deliver(&location, DEEP_LINK_REDIRECT, now)
                    .expect("the real callback is delivered");
                assert_eq!(
                    callbacks.deliver(&location, DEEP_LINK_REDIRECT, now),
                    Err(Refused::NoPendingLogin),
                    "replay"
                );
            });
            *self.1.lock().unwrap() = Some(delivering);
            Ok(())
        }
    }
    let ctx = LoginContext {
        http: eca_oidc::http::client(),
        clock: Arc::new(eca_model::clock::SystemClock),
        provider_cache: None,
    };
    let login = TestLogin {
        run_id: uuid::Uuid::new_v4().to_string(),
        idp: idp_for(&op),
        credential: Some(ClientCredential::Secret(Secret::new(op.client_secret()))),
        capture: Capture::DeepLink(&callbacks),
        timeout: time::Duration::seconds(20),
        observer: None,
    };
    let browser = DeepLinkBrowser(callbacks.clone(), Default::default());
    let report = run::run(&ctx, login, &browser, std::future::pending()).await;
    let delivering = browser.1.lock().unwrap().take();
    delivering
        .expect("the browser was opened")
        .await
        .expect("the forged and replayed callbacks were refused");
    assert_eq!(report.outcome, TestOutcome::Passed, "{report:#?}");
    assert_eq!(op.token_calls(), 1, "the code was exchanged once");
}

/// A provider that requires PAR (RFC 9126): the request is pushed once, and the browser's
/// authorization request carries only `client_id` and `request_uri` (the provider takes nothing
/// else, so the login passes only if the pushed parameters were all there).
#[tokio::test]
async fn a_par_provider_gets_the_request_pushed_and_the_browser_only_its_reference() {
    let op = HostileOp::start_with(OpOptions {
        par: true,
        ..Default::default()
    });
    let report = test_login(&op).await;
    assert_eq!(report.outcome, TestOutcome::Passed, "{report:#?}");
    assert_eq!(op.par_calls(), 1);
    assert_eq!(op.last_authorize_params(), ["client_id", "request_uri"]);
    let step = report
        .steps
        .iter()
        .find(|s| s.name == StepName::PushedAuthorization)
        .expect("a PAR step");
    assert_eq!(step.status, StepStatus::Passed, "{step:?}");
    assert!(step.detail.contains(&op.par_endpoint()), "{step:?}");
}

/// A PAR endpoint that answers badly fails the PAR step, names the check, says what to do, and
/// no browser is sent anywhere.
#[tokio::test]
async fn a_bad_par_answer_fails_the_par_step_before_the_browser() {
    for (misbehaviour, code, says) in [
        (
            Misbehaviour::ParWithoutRequestUri,
            TestErrorCode::ParResponse,
            "no request_uri",
        ),
        (
            Misbehaviour::ParError("invalid_client"),
            TestErrorCode::InvalidClient,
            "refused the client at its PAR endpoint",
        ),
        (
            Misbehaviour::ParOversized,
            TestErrorCode::ParEndpoint,
            "larger than",
        ),
    ] {
        let op = HostileOp::start_with(OpOptions {
            misbehaviour,
            par: true,
            ..Default::default()
        });
        let report = test_login(&op).await;
        assert_eq!(report.outcome, TestOutcome::Failed, "{report:#?}");
        let error = report.error.as_ref().expect("an error");
        assert_eq!(error.code, code, "{misbehaviour:?}: {error:#?}");
        assert!(error.message.contains(says), "{misbehaviour:?}: {error:#?}");
        assert!(!error.fix.is_empty(), "{error:#?}");
        let failed = report
            .steps
            .iter()
            .find(|s| s.status == StepStatus::Failed)
            .expect("a failed step");
        assert_eq!(failed.name, StepName::PushedAuthorization, "{report:#?}");
        assert_eq!(op.par_calls(), 1);
        assert_eq!(op.authorize_calls(), 0, "{misbehaviour:?}: no browser");
        assert!(!format!("{report:?}").contains(op.client_secret()));
    }
}
