//! Full test logins against a real, certified OpenID provider (npm `oidc-provider`) on loopback,
//! with the scripted browser of tests/oidc/browser.mjs doing what the admin does in theirs.
//! Covers the loopback redirect and the deep-link redirect, a confidential and a public client,
//! and the failures an admin meets most: a wrong secret, a cancelled sign-in.

#[path = "support/node_server.rs"]
mod node_server;

use eca_core::discovery;
use eca_core::login::callback;
use eca_core::login::flow::{self, LoginContext, Started};
use eca_core::login::loopback::LoopbackListener;
use eca_core::login::pending::PendingLogins;
use eca_core::login::report::{StepName, StepStatus, TestOutcome, TestReport};
use eca_core::model::{ClientAuthMethod, IdpConfig, IdpFields, IdpId, Protocol};
use eca_core::secrets::Secret;
use node_server::{workspace_root, NodeServer};
use std::process::Command;
use std::sync::Arc;

const DEEP_LINK: &str = "com.ecaadmin.desktop:/oauth/callback";

fn ctx() -> LoginContext {
    LoginContext { http: eca_core::http::client(), clock: Arc::new(eca_core::clock::SystemClock) }
}

/// An IdP for the provider at `issuer`, endpoints filled by discovery as the form does.
async fn idp(issuer: &str, client_id: &str, method: ClientAuthMethod, claim: &str) -> IdpConfig {
    let info = discovery::fetch(&eca_core::http::client(), issuer).await.expect("discovery");
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
            scopes: vec!["openid".into(), "email".into(), "profile".into(), "phone".into()],
            customer_id_claim: claim.into(),
            ..IdpFields::blank(Protocol::Oidc)
        },
        has_secret: method != ClientAuthMethod::None,
        created_at: String::new(),
        updated_at: String::new(),
    }
}

/// Runs the scripted browser on `url`; returns what it printed (the redirect, in print mode).
fn browse(url: &str, envs: &[(&str, &str)]) -> String {
    let out = Command::new("node")
        .arg(workspace_root().join("tests/oidc/browser.mjs"))
        .arg(url)
        .envs(envs.iter().copied())
        .output()
        .expect("node");
    assert!(out.status.success(), "browser.mjs failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

async fn loopback_login(idp: IdpConfig, secret: Option<Secret>, envs: &[(&str, &str)]) -> TestReport {
    let ctx = ctx();
    let listener = LoopbackListener::bind().await.unwrap();
    let redirect = listener.redirect_uri();
    let Started { authorization_url, pending } =
        flow::prepare(&ctx, idp, secret, redirect, flow::DEFAULT_TIMEOUT, None).await.unwrap_or_else(|r| panic!("{r:#?}"));
    let url = authorization_url.to_string();
    let envs: Vec<(String, String)> = envs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let browser = tokio::task::spawn_blocking(move || {
        let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        browse(&url, &envs)
    });
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    let callback = listener.wait(deadline).await.expect("a callback");
    browser.await.unwrap();
    flow::complete(&ctx, pending, Ok(callback)).await
}

fn step(report: &TestReport, name: StepName) -> StepStatus {
    report.steps.iter().find(|s| s.name == name).map(|s| s.status).unwrap_or_else(|| panic!("no step {name:?}: {report:#?}"))
}

#[tokio::test]
async fn a_confidential_client_logs_in_through_the_loopback_listener() {
    let op = NodeServer::start("provider.mjs", &[]);
    let idp = idp(&op.url, "eca-confidential", ClientAuthMethod::ClientSecretBasic, "email").await;
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
        assert!(matches!(step(&report, name), StepStatus::Passed | StepStatus::Warning), "{name:?}: {report:#?}");
    }
    let identity = report.identity.expect("a verified identity");
    assert!(identity.id_token_verified);
    assert_eq!(identity.customer_id.as_deref(), Some("alice@example.test"), "{identity:#?}");
    assert!(identity.access_token_masked.contains("characters"));
    let text = serde_json::to_string(&report.steps).unwrap();
    assert!(text.contains("iss matches"), "the RFC 9207 iss parameter was checked: {text}");
}

#[tokio::test]
async fn a_public_client_logs_in_through_a_deep_link() {
    let op = NodeServer::start("provider.mjs", &[]);
    let idp = idp(&op.url, "eca-public", ClientAuthMethod::None, "sub").await;
    let ctx = ctx();
    let pending = PendingLogins::new();
    let Started { authorization_url, pending: login } =
        flow::prepare(&ctx, idp, None, DEEP_LINK.into(), flow::DEFAULT_TIMEOUT, None).await.unwrap_or_else(|r| panic!("{r:#?}"));
    pending.insert(login);
    let url = authorization_url.to_string();
    // The browser ends at the app's scheme; the OS would hand that URL to the app.
    let redirect = tokio::task::spawn_blocking(move || browse(&url, &[("ECA_BROWSER_PRINT", "1")])).await.unwrap();
    assert!(redirect.starts_with(DEEP_LINK), "{redirect}");
    let params = callback::parse(&redirect, DEEP_LINK).expect("a well-formed callback");
    let now = time::OffsetDateTime::now_utc();
    let login = pending.take(params.state.as_deref().unwrap_or_default(), now).expect("matched by state");
    let report = flow::complete(&ctx, login, Ok(params.clone())).await;
    assert_eq!(report.outcome, TestOutcome::Passed, "{report:#?}");
    assert_eq!(report.identity.unwrap().customer_id.as_deref(), Some("alice"));
    // The same callback again finds nothing: consumed once.
    assert!(pending.take(params.state.as_deref().unwrap(), now).is_none(), "a replayed callback must match nothing");
}

#[tokio::test]
async fn a_wrong_secret_says_to_check_the_secret_or_the_method() {
    let op = NodeServer::start("provider.mjs", &[]);
    let idp = idp(&op.url, "eca-confidential", ClientAuthMethod::ClientSecretBasic, "sub").await;
    let report = loopback_login(idp, Some(Secret::new("not-the-secret")), &[]).await;
    assert_eq!(report.outcome, TestOutcome::Failed);
    assert_eq!(step(&report, StepName::CodeExchange), StepStatus::Failed);
    let error = report.error.expect("an error");
    assert_eq!(error.code, "invalid_client", "{error:#?}");
    assert!(error.fix.contains("client_secret_post"), "{}", error.fix);
    assert!(!serde_json::to_string(&report.steps).unwrap().contains("not-the-secret"));
}

#[tokio::test]
async fn a_cancelled_sign_in_is_reported_as_the_idps_error() {
    let op = NodeServer::start("provider.mjs", &[]);
    let idp = idp(&op.url, "eca-public", ClientAuthMethod::None, "sub").await;
    let report = loopback_login(idp, None, &[("ECA_BROWSER_ACTION", "abort")]).await;
    assert_eq!(report.outcome, TestOutcome::Failed);
    let error = report.error.clone().expect("an error");
    assert_eq!(error.code, "access_denied", "{error:#?}");
    assert_eq!(step(&report, StepName::StateAndIssuer), StepStatus::Failed);
}

#[tokio::test]
async fn a_missing_customer_claim_lists_the_claims_that_exist() {
    let op = NodeServer::start("provider.mjs", &[]);
    let idp = idp(&op.url, "eca-public", ClientAuthMethod::None, "employee_number").await;
    let report = loopback_login(idp, None, &[]).await;
    let error = report.error.expect("an error");
    assert_eq!(error.code, "customer_id_claim");
    assert!(error.fix.contains("email"), "{}", error.fix);
}
