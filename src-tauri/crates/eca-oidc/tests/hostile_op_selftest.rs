//! Self-test of the hostile OpenID provider (tests/support/hostile/): it must not lie. With
//! `Misbehaviour::None` its ID tokens verify with an independent JWT library (jsonwebtoken)
//! against its JWKS; each misbehaviour breaks exactly the one thing it names; PKCE, client
//! authentication and single-use codes are enforced.

#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};
use support::hostile::tokens::{at_hash, impostor_issuer, s256_challenge, SUBJECT};
use support::hostile::{HostileOp, Misbehaviour, OpOptions};
use url::form_urlencoded::byte_serialize;
use url::Url;

const REDIRECT_URI: &str = "http://127.0.0.1:43121/oauth/callback";
const VERIFIER: &str = "a-pkce-verifier-of-forty-three-or-more-characters_0123456789";

/// One login's request values, as the app would choose them.
struct Login {
    state: &'static str,
    nonce: &'static str,
    verifier: &'static str,
}

const LOGIN: Login = Login {
    state: "state-123",
    nonce: "nonce-456",
    verifier: VERIFIER,
};

enum ClientAuth<'a> {
    Basic(&'a str, &'a str),
    Post(&'a str, &'a str),
    Public(&'a str),
}

fn authorization_url(op: &HostileOp, login: &Login) -> String {
    let mut url = Url::parse(&op.authorization_endpoint()).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", op.client_id())
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", "openid email profile")
        .append_pair("state", login.state)
        .append_pair("nonce", login.nonce)
        .append_pair("code_challenge", &s256_challenge(login.verifier))
        .append_pair("code_challenge_method", "S256");
    url.into()
}

/// The callback's query parameters (a repeated one would be a provider bug).
async fn callback_params(op: &HostileOp, login: &Login) -> Vec<(String, String)> {
    let location = op.authorize_redirect(&authorization_url(op, login)).await;
    assert!(
        location.starts_with(REDIRECT_URI),
        "redirected elsewhere: {location}"
    );
    let params: Vec<_> = Url::parse(&location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    let names: BTreeSet<_> = params.iter().map(|(name, _)| name).collect();
    assert_eq!(
        names.len(),
        params.len(),
        "a parameter is repeated: {location}"
    );
    params
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

async fn fresh_code(op: &HostileOp) -> String {
    let params = callback_params(op, &LOGIN).await;
    param(&params, "code")
        .expect("a code in the callback")
        .to_owned()
}

async fn redeem(op: &HostileOp, code: &str, verifier: &str, auth: ClientAuth<'_>) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", verifier),
    ];
    let mut request = reqwest::Client::new().post(op.token_endpoint());
    match auth {
        ClientAuth::Basic(id, secret) => {
            let enc = |s: &str| byte_serialize(s.as_bytes()).collect::<String>();
            let credentials = STANDARD.encode(format!("{}:{}", enc(id), enc(secret)));
            request = request.header("Authorization", format!("Basic {credentials}"));
        }
        ClientAuth::Post(id, secret) => form.extend([("client_id", id), ("client_secret", secret)]),
        ClientAuth::Public(id) => form.push(("client_id", id)),
    }
    let response = request.form(&form).send().await.expect("POST /token");
    let status = response.status().as_u16();
    (
        status,
        response.json().await.expect("a JSON token response"),
    )
}

/// A correct login up to the token response.
async fn tokens(op: &HostileOp) -> Value {
    let code = fresh_code(op).await;
    let (status, body) = redeem(
        op,
        &code,
        VERIFIER,
        ClientAuth::Basic(op.client_id(), op.client_secret()),
    )
    .await;
    assert_eq!(status, 200, "token request refused: {body}");
    body
}

async fn get_json(url: &str) -> Value {
    reqwest::get(url)
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn id_token(tokens: &Value) -> &str {
    tokens["id_token"].as_str().expect("an id_token")
}

fn decode_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("three JWS parts");
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(part)
            .expect("base64url without padding"),
    )
    .expect("a JSON part")
}

/// Verifies the RS256 signature only (no claim checks) with jsonwebtoken and the JWK `kid`.
fn signature_verifies(token: &str, jwks: &Value, kid: &str) -> Result<Value, String> {
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|key| key["kid"] == kid)
        .ok_or_else(|| format!("no key {kid} in the JWKS"))?;
    let key =
        DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap())
            .map_err(|err| err.to_string())?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .map(|data| data.claims)
        .map_err(|err| err.to_string())
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn a_correct_login_verifies_with_an_independent_library() {
    let started = Instant::now();
    let op = HostileOp::start(Misbehaviour::None);
    eprintln!(
        "hostile OP started (2 RSA-2048 keys) in {:?}",
        started.elapsed()
    );

    let discovery = get_json(&op.discovery_url()).await;
    assert_eq!(
        discovery["issuer"],
        op.issuer(),
        "discovery issuer must be the base URL"
    );
    assert!(!op.issuer().ends_with('/'));
    assert_eq!(discovery["jwks_uri"], op.jwks_uri());
    assert_eq!(
        discovery["code_challenge_methods_supported"],
        json!(["S256"])
    );
    assert_eq!(
        discovery["authorization_response_iss_parameter_supported"],
        true
    );

    let params = callback_params(&op, &LOGIN).await;
    assert_eq!(param(&params, "state"), Some(LOGIN.state));
    assert_eq!(param(&params, "iss"), Some(op.issuer()));
    let code = param(&params, "code").unwrap().to_owned();
    let auth = ClientAuth::Basic(op.client_id(), op.client_secret());
    let (status, tokens) = redeem(&op, &code, VERIFIER, auth).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "openid email profile");

    // Full validation by jsonwebtoken: signature by kid, iss, aud, exp.
    let token = id_token(&tokens);
    let header = jsonwebtoken::decode_header(token).unwrap();
    let kid = header.kid.expect("a kid");
    let jwks = get_json(&op.jwks_uri()).await;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .unwrap();
    assert_eq!(
        (&jwk["kty"], &jwk["use"], &jwk["alg"]),
        (&json!("RSA"), &json!("sig"), &json!("RS256"))
    );
    let key =
        DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap())
            .unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[op.issuer()]);
    validation.set_audience(&[op.client_id()]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let claims = jsonwebtoken::decode::<Value>(token, &key, &validation)
        .expect("a valid ID token")
        .claims;
    assert_eq!(claims["sub"], SUBJECT);
    assert_eq!(SUBJECT, "hostile-user-1");
    assert_eq!(claims["nonce"], LOGIN.nonce);
    assert_eq!(
        claims["at_hash"],
        at_hash(tokens["access_token"].as_str().unwrap())
    );
    let iat = claims["iat"].as_i64().unwrap();
    assert!((iat - now()).abs() <= 5, "iat is now");
    assert_eq!(claims["exp"].as_i64().unwrap(), iat + 300);

    let userinfo = reqwest::Client::new()
        .get(op.userinfo_endpoint())
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), 200);
    let userinfo: Value = userinfo.json().await.unwrap();
    assert_eq!(userinfo["sub"], claims["sub"]);
    assert!(userinfo["email"].is_string() && userinfo["name"].is_string());
    assert!(userinfo["phone_number"].is_string());

    assert_eq!(
        (
            op.authorize_calls(),
            op.token_calls(),
            op.userinfo_calls(),
            op.jwks_fetches()
        ),
        (1, 1, 1, 1)
    );
}

/// The two hashes against their definitions (OpenID Connect Core §3.1.3.6, RFC 7636 appendix B).
#[test]
fn at_hash_is_the_left_half_of_sha256() {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(b"token");
    assert_eq!(at_hash("token"), URL_SAFE_NO_PAD.encode(&digest[..16]));
    // RFC 7636 appendix B.
    assert_eq!(
        s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}

#[tokio::test]
async fn bad_signature_and_alg_none_do_not_verify() {
    let op = HostileOp::start(Misbehaviour::BadSignature);
    let token = id_token(&tokens(&op).await).to_owned();
    let jwks = get_json(&op.jwks_uri()).await;
    let kid = decode_part(&token, 0)["kid"].as_str().unwrap().to_owned();
    let err = signature_verifies(&token, &jwks, &kid).expect_err("a corrupted signature");
    assert!(err.contains("InvalidSignature"), "{err}");

    op.set(Misbehaviour::AlgNone);
    let token = id_token(&tokens(&op).await).to_owned();
    assert_eq!(
        decode_part(&token, 0),
        json!({ "alg": "none", "typ": "JWT" })
    );
    assert!(
        token.ends_with('.'),
        "an unsecured JWS has an empty signature"
    );
    assert!(
        jsonwebtoken::decode_header(&token).is_err(),
        "jsonwebtoken knows no alg none"
    );

    // The claims are still right: the signature is the only defect.
    let claims = decode_part(&token, 1);
    assert_eq!(
        (&claims["iss"], &claims["aud"]),
        (&json!(op.issuer()), &json!(op.client_id()))
    );
}

/// Each claim defect changes exactly the claims it names; the signature stays valid.
#[tokio::test]
async fn each_claim_defect_breaks_only_its_claim() {
    let op = HostileOp::start(Misbehaviour::None);
    let jwks = get_json(&op.jwks_uri()).await;
    let reference = signature_verifies(id_token(&tokens(&op).await), &jwks, "hostile-primary")
        .expect("a correct token");
    let cases: &[(Misbehaviour, &[&str])] = &[
        (Misbehaviour::None, &[]),
        (Misbehaviour::WrongIss, &["iss"]),
        (Misbehaviour::WrongAud, &["aud"]),
        (Misbehaviour::MissingSub, &["sub"]),
        (Misbehaviour::WrongNonce, &["nonce"]),
        (Misbehaviour::Expired, &["exp", "iat"]),
        (Misbehaviour::MissingIat, &["iat"]),
        (Misbehaviour::IatInFuture, &["exp", "iat"]),
        (Misbehaviour::AtHashMismatch, &["at_hash"]),
        (Misbehaviour::MultipleAudNoAzp, &["aud"]),
        (Misbehaviour::UserinfoSubMismatch, &[]),
        (Misbehaviour::WrongState, &[]),
    ];
    for &(misbehaviour, changed) in cases {
        op.set(misbehaviour);
        let tokens = tokens(&op).await;
        let claims = signature_verifies(id_token(&tokens), &jwks, "hostile-primary")
            .unwrap_or_else(|err| panic!("{misbehaviour:?}: the signature must stay valid: {err}"));
        let names: BTreeSet<&str> = reference
            .as_object()
            .unwrap()
            .keys()
            .chain(claims.as_object().unwrap().keys())
            .map(String::as_str)
            .collect();
        let differing: Vec<&str> = names
            .into_iter()
            .filter(|&name| match name {
                // Differs per token by construction.
                "at_hash" => {
                    claims.get(name)
                        != Some(&json!(at_hash(tokens["access_token"].as_str().unwrap())))
                }
                // Issued a moment apart: equal within a few seconds.
                "iat" | "exp" => match (reference[name].as_i64(), claims[name].as_i64()) {
                    (Some(a), Some(b)) => (a - b).abs() > 5,
                    _ => true,
                },
                _ => reference.get(name) != claims.get(name),
            })
            .collect();
        assert_eq!(
            differing, changed,
            "{misbehaviour:?} changed {differing:?}: {claims}"
        );
    }

    op.set(Misbehaviour::WrongIss);
    let claims = decode_part(id_token(&tokens(&op).await), 1);
    assert_eq!(claims["iss"], impostor_issuer(op.issuer()));
    op.set(Misbehaviour::Expired);
    let claims = decode_part(id_token(&tokens(&op).await), 1);
    assert!(
        claims["exp"].as_i64().unwrap() <= now() - 3600 + 5,
        "an hour in the past"
    );
    op.set(Misbehaviour::IatInFuture);
    let claims = decode_part(id_token(&tokens(&op).await), 1);
    assert!(
        claims["iat"].as_i64().unwrap() >= now() + 3600 - 5,
        "an hour ahead"
    );
    op.set(Misbehaviour::MultipleAudNoAzp);
    let claims = decode_part(id_token(&tokens(&op).await), 1);
    assert_eq!(claims["aud"], json!([op.client_id(), "other-client"]));
    assert!(claims.get("azp").is_none());
}

#[tokio::test]
async fn kid_less_tokens_with_one_and_with_many_keys() {
    let op = HostileOp::start(Misbehaviour::NoKidOneKey);
    let token = id_token(&tokens(&op).await).to_owned();
    assert!(decode_part(&token, 0).get("kid").is_none());
    let jwks = get_json(&op.jwks_uri()).await;
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "exactly one key: {jwks}");
    let kid = keys[0]["kid"].as_str().unwrap();
    signature_verifies(&token, &jwks, kid).expect("the only key verifies the kid-less token");

    op.set(Misbehaviour::NoKidManyKeys);
    let token = id_token(&tokens(&op).await).to_owned();
    assert!(decode_part(&token, 0).get("kid").is_none());
    let jwks = get_json(&op.jwks_uri()).await;
    assert_eq!(
        jwks["keys"].as_array().unwrap().len(),
        2,
        "two keys make it ambiguous"
    );
}

#[tokio::test]
async fn rotated_key_is_published_on_the_second_fetch() {
    let op = HostileOp::start(Misbehaviour::RotatedKey);
    let token = id_token(&tokens(&op).await).to_owned();
    assert_eq!(decode_part(&token, 0)["kid"], "hostile-rotated");

    let first = get_json(&op.jwks_uri()).await;
    let err = signature_verifies(&token, &first, "hostile-rotated").unwrap_err();
    assert!(
        err.contains("no key"),
        "the first fetch must still be the old set: {err}"
    );
    let second = get_json(&op.jwks_uri()).await;
    signature_verifies(&token, &second, "hostile-rotated").expect("the new key after a re-fetch");
    assert_eq!(op.jwks_fetches(), 2);

    // Switching again makes the next fetch stale again.
    op.set(Misbehaviour::None);
    op.set(Misbehaviour::RotatedKey);
    let stale = get_json(&op.jwks_uri()).await;
    assert!(stale["keys"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k["kid"] != "hostile-rotated"));
}

#[tokio::test]
async fn pkce_client_authentication_and_single_use_codes_are_enforced() {
    let secret = "s3cr:et+/%=é";
    let op = HostileOp::start_with(OpOptions {
        client_secret: secret.into(),
        ..Default::default()
    });
    let id = op.client_id().to_owned();

    let wrong_verifier = "another-verifier-that-is-long-enough-0123456789abcdef";
    let (status, body) = redeem(
        &op,
        &fresh_code(&op).await,
        wrong_verifier,
        ClientAuth::Basic(&id, secret),
    )
    .await;
    assert_eq!(
        (status, &body["error"]),
        (400, &json!("invalid_grant")),
        "wrong verifier: {body}"
    );

    let (status, body) = redeem(
        &op,
        &fresh_code(&op).await,
        VERIFIER,
        ClientAuth::Basic(&id, "wrong"),
    )
    .await;
    assert_eq!(
        (status, &body["error"]),
        (401, &json!("invalid_client")),
        "wrong secret: {body}"
    );
    let (status, body) = redeem(
        &op,
        &fresh_code(&op).await,
        VERIFIER,
        ClientAuth::Post(&id, "wrong"),
    )
    .await;
    assert_eq!(
        (status, &body["error"]),
        (401, &json!("invalid_client")),
        "wrong secret: {body}"
    );
    let (status, body) = redeem(
        &op,
        &fresh_code(&op).await,
        VERIFIER,
        ClientAuth::Public(&id),
    )
    .await;
    assert_eq!(
        (status, &body["error"]),
        (401, &json!("invalid_client")),
        "no secret: {body}"
    );

    // A secret with ':', '+', '%' and non-ASCII only works when form-encoded inside Basic.
    let (status, body) = redeem(
        &op,
        &fresh_code(&op).await,
        VERIFIER,
        ClientAuth::Post(&id, secret),
    )
    .await;
    assert_eq!(status, 200, "client_secret_post: {body}");
    let code = fresh_code(&op).await;
    let (status, first) = redeem(&op, &code, VERIFIER, ClientAuth::Basic(&id, secret)).await;
    assert_eq!(status, 200, "client_secret_basic: {first}");

    let (status, body) = redeem(&op, &code, VERIFIER, ClientAuth::Basic(&id, secret)).await;
    assert_eq!(
        (status, &body["error"]),
        (400, &json!("invalid_grant")),
        "reused code: {body}"
    );
    let userinfo = reqwest::Client::new()
        .get(op.userinfo_endpoint())
        .bearer_auth(first["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        userinfo.status(),
        401,
        "a reused code revokes its access token"
    );
    let (status, body) = redeem(&op, &code, VERIFIER, ClientAuth::Basic(&id, secret)).await;
    assert_eq!(status, 400, "a third use is refused too: {body}");

    let public = HostileOp::start_with(OpOptions {
        public_client: true,
        ..Default::default()
    });
    let (status, body) = redeem(
        &public,
        &fresh_code(&public).await,
        VERIFIER,
        ClientAuth::Public("hostile-client"),
    )
    .await;
    assert_eq!(status, 200, "a public client needs no secret: {body}");
}

#[tokio::test]
async fn authorization_response_defects() {
    let op = HostileOp::start(Misbehaviour::WrongState);
    let params = callback_params(&op, &LOGIN).await;
    assert_eq!(param(&params, "state"), Some("forged-state"));
    assert!(param(&params, "code").is_some());

    op.set(Misbehaviour::MissingState);
    let params = callback_params(&op, &LOGIN).await;
    assert_eq!(param(&params, "state"), None);
    assert_eq!(param(&params, "iss"), Some(op.issuer()));

    op.set(Misbehaviour::WrongIssParam);
    let params = callback_params(&op, &LOGIN).await;
    assert_eq!(
        param(&params, "iss"),
        Some(impostor_issuer(op.issuer()).as_str())
    );
    assert_eq!(param(&params, "state"), Some(LOGIN.state));

    op.set(Misbehaviour::AuthorizeError("access_denied"));
    let params = callback_params(&op, &LOGIN).await;
    assert_eq!(param(&params, "error"), Some("access_denied"));
    assert!(param(&params, "error_description").is_some());
    assert_eq!(param(&params, "code"), None);
    assert_eq!(param(&params, "state"), Some(LOGIN.state));

    let quiet = HostileOp::start_with(OpOptions {
        misbehaviour: Misbehaviour::MissingIssParamWhenAdvertised,
        advertise_iss_param: false,
        ..Default::default()
    });
    let discovery = get_json(&quiet.discovery_url()).await;
    assert_eq!(
        discovery["authorization_response_iss_parameter_supported"],
        true
    );
    assert_eq!(param(&callback_params(&quiet, &LOGIN).await, "iss"), None);
    quiet.set(Misbehaviour::None);
    let discovery = get_json(&quiet.discovery_url()).await;
    assert_eq!(
        discovery["authorization_response_iss_parameter_supported"],
        false
    );
    assert_eq!(param(&callback_params(&quiet, &LOGIN).await, "iss"), None);
}

#[tokio::test]
async fn discovery_userinfo_and_token_endpoint_defects() {
    let op = HostileOp::start(Misbehaviour::DiscoveryIssuerMismatch);
    let discovery = get_json(&op.discovery_url()).await;
    assert_eq!(discovery["issuer"], impostor_issuer(op.issuer()));
    assert_eq!(
        decode_part(id_token(&tokens(&op).await), 1)["iss"],
        op.issuer()
    );

    op.set(Misbehaviour::UserinfoSubMismatch);
    let tokens = tokens(&op).await;
    let userinfo: Value = reqwest::Client::new()
        .get(op.userinfo_endpoint())
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(userinfo["sub"], decode_part(id_token(&tokens), 1)["sub"]);

    op.set(Misbehaviour::TokenError("invalid_scope"));
    let auth = ClientAuth::Basic(op.client_id(), op.client_secret());
    let (status, body) = redeem(&op, &fresh_code(&op).await, VERIFIER, auth).await;
    assert_eq!((status, &body["error"]), (400, &json!("invalid_scope")));
}

#[test]
fn dropping_stops_the_server() {
    let op = HostileOp::start(Misbehaviour::None);
    let address = op.issuer().trim_start_matches("http://").to_owned();
    std::net::TcpStream::connect(&address).expect("listening while alive");
    drop(op);
    let refused =
        std::net::TcpStream::connect_timeout(&address.parse().unwrap(), Duration::from_secs(1));
    assert!(refused.is_err(), "the port must be closed after drop");
}
