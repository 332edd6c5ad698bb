//! The floor of the login benchmark: a minimal openidconnect-only client doing the same flow as
//! `eca idp test` against the same provider — discovery, PKCE S256 authorization in `$BROWSER`,
//! a one-shot loopback listener, the code exchange, ID token verification, userinfo — and
//! nothing else (no store, no keyring, no report, none of the extra checks).
//!
//! Usage: `minimal_login <issuer> <client_id>` (a public client); exits 0 when verified.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClientId, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (issuer, client_id) = (
        args.next().expect("issuer"),
        args.next().expect("client id"),
    );
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(issuer).unwrap(), &http)
        .await
        .expect("discovery");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let redirect = format!(
        "http://127.0.0.1:{}/oauth/callback",
        listener.local_addr().unwrap().port()
    );
    let client = CoreClient::from_provider_metadata(metadata, ClientId::new(client_id), None)
        .set_redirect_uri(RedirectUrl::new(redirect).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();

    let browser = std::env::var("BROWSER").expect("$BROWSER");
    let mut words = browser.split_whitespace();
    let mut child = std::process::Command::new(words.next().unwrap())
        .args(words)
        .arg(url.as_str())
        .spawn()
        .unwrap();

    let (mut stream, _) = listener.accept().unwrap();
    let mut line = String::new();
    BufReader::new(&stream).read_line(&mut line).unwrap();
    let target = line.split_whitespace().nth(1).unwrap();
    let callback = url::Url::parse(&format!("http://127.0.0.1{target}")).unwrap();
    let param = |k: &str| {
        callback
            .query_pairs()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.into_owned())
    };
    stream
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
        .unwrap();
    drop(stream);
    assert_eq!(
        param("state").as_deref(),
        Some(state.secret().as_str()),
        "state"
    );

    let token = client
        .exchange_code(AuthorizationCode::new(param("code").expect("code")))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("token");
    let claims = token
        .id_token()
        .expect("id token")
        .claims(&client.id_token_verifier(), &nonce)
        .expect("verified");
    let info: CoreUserInfoClaims = client
        .user_info(token.access_token().clone(), None)
        .unwrap()
        .request_async(&http)
        .await
        .expect("userinfo");
    assert_eq!(info.subject(), claims.subject());
    let _ = child.wait();
}
