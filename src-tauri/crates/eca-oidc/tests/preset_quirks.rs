//! Each preset against a provider that imitates its IdP's quirk: `tests/oidc/provider.mjs
//! --quirks` (oidc-provider instances mounted where each preset's issuer points once on
//! loopback, see [`eca_testkit::presets`]). An IdP is made as "Start from" makes it (the
//! preset's fill, then discovery's endpoints), then the real engine runs: readiness, and a full
//! test login with code exchange, ID token check and userinfo.
//!
//! What oidc-provider cannot be configured into, the quirk providers do with a middleware: a
//! discovery document naming Entra's `{tenantid}` template or a userinfo endpoint elsewhere,
//! tokens naming another issuer than discovery, and no RFC 9207 `iss` then (Entra sends none).

mod support;

use eca_model::idp::{ClientAuthMethod, IdpConfig, IdpFields, Protocol, TestRedirect};
use eca_model::preset;
use eca_model::secret::Secret;
use eca_oidc::discovery::{self, DiscoveryError};
use eca_oidc::login::client_auth::ClientCredential;
use eca_oidc::login::client_key::ClientKey;
use eca_oidc::login::readiness::{self, ReadinessReport};
use eca_oidc::login::report::{StepName, StepStatus, TestErrorCode, TestOutcome, TestReport};
use eca_oidc::login::run::Capture;
use eca_testkit::node_server::NodeServer;
use eca_testkit::{fixtures, presets};
use support::login::{ctx, login_with, step, ScriptedBrowser};

/// alice's Entra tenant: the one the multi-tenant quirk providers' tokens name.
const TENANT: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";
const ALICE_OID: &str = "a1b2c3d4-0000-4000-8000-00000000a11c";
const BOB_OID: &str = "b0b0b0b0-0000-4000-8000-000000000b0b";
const BOB: [(&str, &str); 2] = [
    ("ECA_BROWSER_USER", "bob"),
    ("ECA_BROWSER_PASSWORD", "builder"),
];

/// The quirk providers, with the loopback presets served to this test process.
fn quirk_providers() -> NodeServer {
    presets::serve();
    NodeServer::start("provider.mjs", &["--quirks"])
}

/// An IdP made from the preset `id` with these parameters as "Start from" makes it: the
/// preset's fill, then the endpoints discovery gives (a userinfo the preset filled is kept).
/// The client is the quirk providers' confidential one (client_secret_basic).
async fn from_preset(
    op: &NodeServer,
    id: &str,
    params: &[(&str, &str)],
) -> Result<IdpConfig, DiscoveryError> {
    let mut fields = IdpFields::blank(Protocol::Oidc);
    let filled = preset::fill(id, &presets::values(&op.url, params)).expect("the preset fills");
    filled.apply(&mut fields);
    fields.name = format!("From {id}");
    fields.client_id = "eca-confidential".into();
    fields.client_auth_method = ClientAuthMethod::ClientSecretBasic;
    with_discovery(fields).await
}

/// `fields` with the endpoints discovery of its issuer gives, as the form fills them.
async fn with_discovery(mut fields: IdpFields) -> Result<IdpConfig, DiscoveryError> {
    let issuer = fields.issuer.clone().unwrap_or_default();
    let info = discovery::fetch(&eca_oidc::http::client(), &issuer).await?;
    fields.authorization_endpoint = info.authorization_endpoint;
    fields.token_endpoint = info.token_endpoint;
    fields.jwks_uri = Some(info.jwks_uri);
    if fields.userinfo_endpoint.is_none() {
        fields.userinfo_endpoint = info.userinfo_endpoint;
    }
    Ok(fixtures::saved(fields))
}

/// A loopback test login of `idp`, signed in as alice (or as `envs` say).
async fn login(idp: IdpConfig, envs: &[(&str, &str)]) -> TestReport {
    let credential = ClientCredential::Secret(Secret::new("confidential-secret-123"));
    let browser = ScriptedBrowser::new(envs);
    login_with(idp, Some(credential), Capture::Loopback, &browser).await
}

async fn readiness(idp: &IdpConfig) -> ReadinessReport {
    readiness::check(&ctx(), idp).await
}

fn check<'r>(report: &'r ReadinessReport, name: &str) -> Option<&'r readiness::ReadinessCheck> {
    report.checks.iter().find(|c| c.name == name)
}

/// The login passed with a verified ID token, and the customer id is `customer_id`.
fn assert_passed(report: &TestReport, customer_id: &str) {
    assert_eq!(report.outcome, TestOutcome::Passed, "{report:#?}");
    for name in [
        StepName::CodeExchange,
        StepName::IdTokenVerification,
        StepName::Userinfo,
    ] {
        assert_eq!(
            step(report, name),
            StepStatus::Passed,
            "{name:?}: {report:#?}"
        );
    }
    let identity = report.identity.as_ref().expect("a verified identity");
    assert!(identity.id_token_verified);
    assert_eq!(
        identity.customer_id.as_deref(),
        Some(customer_id),
        "{identity:#?}"
    );
}

/// The login was refused at the ID token check, for its issuer.
fn assert_refused_for_its_issuer(report: &TestReport) {
    assert_eq!(report.outcome, TestOutcome::Failed, "{report:#?}");
    assert_eq!(
        step(report, StepName::IdTokenVerification),
        StepStatus::Failed,
        "{report:#?}"
    );
    let error = report.error.as_ref().expect("an error");
    assert_eq!(error.code, TestErrorCode::IdTokenIss, "{error:#?}");
}

#[tokio::test]
async fn entra_multi_tenant_discovery_names_the_template_and_tokens_the_users_tenant() {
    let op = quirk_providers();
    for tenant in ["common", "organizations"] {
        let idp = from_preset(&op, "entra", &[("tenant", tenant)])
            .await
            .unwrap_or_else(|e| panic!("{tenant}: discovery naming {{tenantid}} passes: {e}"));
        let ready = readiness(&idp).await;
        assert!(ready.ready, "{tenant}: {ready:#?}");
        let report = login(idp, &[]).await;
        assert_passed(&report, ALICE_OID);
        let claims = report.identity.unwrap().id_token_claims.unwrap();
        assert_eq!(claims["tid"], TENANT);
        assert!(
            claims["iss"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/{TENANT}/v2.0")),
            "{tenant}: the token's iss carries the user's tenant: {claims}"
        );
    }
}

#[tokio::test]
async fn entra_refuses_a_token_whose_iss_tenant_is_not_its_tid() {
    let op = quirk_providers();
    let idp = from_preset(&op, "entra", &[("tenant", "common")])
        .await
        .unwrap();
    // bob's tid is another tenant than the one his token's iss names.
    let report = login(idp, &BOB).await;
    assert_refused_for_its_issuer(&report);
}

#[tokio::test]
async fn entra_refuses_a_multi_tenant_discovery_that_names_another_template() {
    let op = quirk_providers();
    let err = from_preset(&op, "entra", &[("tenant", "consumers")])
        .await
        .unwrap_err();
    match err {
        DiscoveryError::IssuerMismatch { found, .. } => {
            assert!(found.ends_with("/{tenant}/v2.0"), "{found}")
        }
        other => panic!("expected IssuerMismatch, got {other:?}"),
    }
}

#[tokio::test]
async fn entra_single_tenant_issuer_is_exact() {
    let op = quirk_providers();
    let idp = from_preset(&op, "entra", &[("tenant", TENANT)])
        .await
        .unwrap();
    assert!(readiness(&idp).await.ready);
    assert_passed(&login(idp.clone(), &[]).await, ALICE_OID);
    // The exact issuer takes no tenant from the token: bob's token names this tenant in its iss
    // (his tid is another's, as a guest's is), and that is all a single tenant's issuer asks.
    assert_passed(&login(idp.clone(), &BOB).await, BOB_OID);
    let mut with_slash = idp.fields;
    with_slash.issuer = Some(format!("{}/", with_slash.issuer.unwrap()));
    assert!(matches!(
        with_discovery(with_slash).await,
        Err(DiscoveryError::IssuerMismatch { .. })
    ));
}

/// Entra's recommended client authentication: its quirk provider takes a client assertion only
/// when the header names a registered certificate by its thumbprints (which it computes from
/// the PEM with Node's crypto, independently of the app).
#[tokio::test]
async fn entra_takes_an_assertion_only_when_it_names_the_registered_certificate() {
    presets::serve();
    let jwks = tempfile::NamedTempFile::new().unwrap();
    let certificates = tempfile::NamedTempFile::new().unwrap();
    let path = |f: &tempfile::NamedTempFile| f.path().to_str().unwrap().to_string();
    let op = NodeServer::start(
        "provider.mjs",
        &[
            "--quirks",
            "--pkjwt-jwks",
            &path(&jwks),
            "--pkjwt-certs",
            &path(&certificates),
        ],
    );
    let key = ClientKey::generate().unwrap();
    std::fs::write(jwks.path(), key.public().jwks().to_string()).unwrap();
    // What the admin uploads: the certificate the app shows.
    std::fs::write(certificates.path(), key.certificate_pem()).unwrap();

    let mut idp = from_preset(&op, "entra", &[("tenant", "common")])
        .await
        .unwrap();
    let recommended = preset::find("entra").unwrap().client_auth_method;
    assert_eq!(recommended, ClientAuthMethod::PrivateKeyJwt);
    idp.fields.client_id = "eca-pkjwt".into();
    idp.fields.client_auth_method = recommended;
    let ready = readiness(&idp).await;
    assert!(ready.ready, "{ready:#?}");
    // The key as a later login reads it back from the keyring: the same certificate.
    let stored = || ClientKey::from_stored_text(&key.to_stored_text()).unwrap();
    let browser = ScriptedBrowser::new(&[]);
    let credential = Some(ClientCredential::Key(stored()));
    let report = login_with(idp.clone(), credential, Capture::Loopback, &browser).await;
    assert_passed(&report, ALICE_OID);

    // Another certificate registered (the key's own is not): Entra refuses the client.
    let other = ClientKey::generate().unwrap();
    std::fs::write(certificates.path(), other.certificate_pem()).unwrap();
    let credential = Some(ClientCredential::Key(stored()));
    let report = login_with(idp, credential, Capture::Loopback, &browser).await;
    assert_eq!(step(&report, StepName::CodeExchange), StepStatus::Failed);
    let error = report.error.expect("an error");
    assert_eq!(error.code, TestErrorCode::InvalidClient, "{error:#?}");
}

#[tokio::test]
async fn keycloak_realm_paths_pass_and_another_realms_tokens_are_refused() {
    let op = quirk_providers();
    for host in ["sso.acme.com", "sso.acme.com/auth"] {
        let idp = from_preset(&op, "keycloak", &[("host", host), ("realm", "customers")])
            .await
            .unwrap();
        assert!(readiness(&idp).await.ready, "{host}");
        assert_passed(&login(idp, &[]).await, "alice");
    }
    // The realm "staff", whose provider hands out the realm "customers"' tokens.
    let staff = from_preset(
        &op,
        "keycloak",
        &[("host", "sso.acme.com"), ("realm", "staff")],
    )
    .await
    .unwrap();
    assert_refused_for_its_issuer(&login(staff, &[]).await);
}

#[tokio::test]
async fn okta_org_and_custom_servers_each_refuse_the_others_tokens() {
    let op = quirk_providers();
    let org = from_preset(&op, "okta-org", &[("domain", "acme.okta.com")])
        .await
        .unwrap();
    assert_passed(&login(org, &[]).await, "alice");
    let custom = [("domain", "acme.okta.com"), ("server", "default")];
    let custom = from_preset(&op, "okta-custom", &custom).await.unwrap();
    assert_passed(&login(custom, &[]).await, "alice");

    // other.okta.com: its org server hands out its custom server's tokens, and the reverse.
    let org = from_preset(&op, "okta-org", &[("domain", "other.okta.com")])
        .await
        .unwrap();
    assert_refused_for_its_issuer(&login(org, &[]).await);
    let custom = [("domain", "other.okta.com"), ("server", "default")];
    let custom = from_preset(&op, "okta-custom", &custom).await.unwrap();
    assert_refused_for_its_issuer(&login(custom, &[]).await);
}

#[tokio::test]
async fn auth0s_issuer_ends_with_a_slash() {
    let op = quirk_providers();
    let idp = from_preset(&op, "auth0", &[("domain", "acme.eu.auth0.com")])
        .await
        .unwrap();
    assert!(idp
        .fields
        .issuer
        .as_deref()
        .unwrap()
        .ends_with(".auth0.com/"));
    assert!(readiness(&idp).await.ready);
    assert_passed(&login(idp.clone(), &[]).await, "alice");

    let mut no_slash = idp;
    let issuer = no_slash.fields.issuer.take().unwrap();
    no_slash.fields.issuer = Some(issuer.trim_end_matches('/').to_string());
    let ready = readiness(&no_slash).await;
    assert!(!ready.ready);
    let form = check(&ready, "Issuer form").expect("the issuer's form is checked");
    assert_eq!(form.status, StepStatus::Failed);
    assert!(form.detail.contains(&issuer), "{}", form.detail);
    assert_eq!(
        check(&ready, "Discovery issuer matches").unwrap().status,
        StepStatus::Failed
    );
}

#[tokio::test]
async fn google_has_no_trailing_slash_and_takes_loopback_redirects_only() {
    let op = quirk_providers();
    let idp = from_preset(&op, "google", &[]).await.unwrap();
    assert_eq!(idp.fields.test_redirect, TestRedirect::Loopback);
    let ready = readiness(&idp).await;
    assert!(ready.ready, "{ready:#?}");
    assert!(check(&ready, "Test redirect accepted").is_none());
    assert_passed(&login(idp.clone(), &[]).await, "alice");

    let mut deep_link = idp.clone();
    deep_link.fields.test_redirect = TestRedirect::DeepLink;
    let ready = readiness(&deep_link).await;
    let redirect = check(&ready, "Test redirect accepted").expect("the redirect is checked");
    assert_eq!(redirect.status, StepStatus::Warning);

    let mut slash = idp;
    slash.fields.issuer = Some(format!("{}/", slash.fields.issuer.unwrap()));
    let ready = readiness(&slash).await;
    assert_eq!(
        check(&ready, "Issuer form").map(|c| c.status),
        Some(StepStatus::Failed)
    );
}

#[tokio::test]
async fn cognitos_userinfo_is_the_pool_domains_not_the_one_discovery_names() {
    let op = quirk_providers();
    let params = [
        ("region", "eu-west-1"),
        ("user_pool_id", "eu-west-1_AbC"),
        ("domain", "acme.auth.eu-west-1.amazoncognito.com"),
    ];
    let idp = from_preset(&op, "cognito", &params).await.unwrap();
    let userinfo = idp.fields.userinfo_endpoint.clone().unwrap();
    assert!(
        userinfo.starts_with("http://127.0.0.2:") && userinfo.ends_with("/oauth2/userInfo"),
        "the preset's userinfo, on another origin than the issuer: {userinfo}"
    );
    assert_passed(&login(idp.clone(), &[]).await, "alice");

    // The userinfo endpoint discovery names serves none: without the preset's, userinfo fails.
    let mut discovered = idp;
    discovered.fields.userinfo_endpoint = None;
    let discovered = with_discovery(discovered.fields).await.unwrap();
    let report = login(discovered, &[]).await;
    assert_eq!(report.outcome, TestOutcome::Failed, "{report:#?}");
    assert_eq!(step(&report, StepName::Userinfo), StepStatus::Failed);
}

#[tokio::test]
async fn pingone_issuers_are_per_environment() {
    let op = quirk_providers();
    let environment = "3f1b6b5e-8d8c-4a4e-9f6e-1a2b3c4d5e6f";
    let params = [("region", "eu"), ("environment_id", environment)];
    let idp = from_preset(&op, "pingone", &params).await.unwrap();
    assert!(readiness(&idp).await.ready);
    assert_passed(&login(idp, &[]).await, "alice");

    // Another environment, whose provider hands out the first one's tokens.
    let other = [
        ("region", "eu"),
        ("environment_id", "0b7c4f2e-1d3a-4e5b-8c9d-0e1f2a3b4c5d"),
    ];
    let idp = from_preset(&op, "pingone", &other).await.unwrap();
    assert_refused_for_its_issuer(&login(idp, &[]).await);
}
