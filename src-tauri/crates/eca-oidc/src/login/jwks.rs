//! The IdP's signing keys (JWKS, RFC 7517): the one fetch that readiness and the test login
//! share.
//!
//! Invariant: a key set is returned only when it holds at least one key; it is fetched through
//! [`crate::http`] (no redirects, body capped at [`MAX_JWKS_BYTES`]).

use super::verifying_key::KeySet;
use crate::http::{self, HttpError};
use openidconnect::JsonWebKey;
use url::Url;

/// Real key sets are a few KiB; this leaves room for many keys and certificate chains.
pub const MAX_JWKS_BYTES: usize = 512 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("The JWKS URI is not a URL: {0}")]
    InvalidUri(#[from] url::ParseError),
    #[error("The IdP's signing keys could not be read: {0}")]
    Unreadable(#[from] HttpError),
    #[error("The IdP's JWKS holds no keys.")]
    Empty,
}

/// Fetches the key set at `uri`.
pub async fn fetch(client: &http::HttpClient, uri: &str) -> Result<KeySet, JwksError> {
    let url = Url::parse(uri)?;
    let (jwks, _meta): (KeySet, _) = client.get_json(&url, MAX_JWKS_BYTES).await?;
    if jwks.keys().is_empty() {
        return Err(JwksError::Empty);
    }
    Ok(jwks)
}

/// "2 key(s): k1, k2", for the step list.
pub fn describe(jwks: &KeySet) -> String {
    let kids: Vec<String> = jwks
        .keys()
        .iter()
        .map(|k| {
            k.key_id()
                .map(|kid| kid.as_str().to_string())
                .unwrap_or_else(|| "(no kid)".into())
        })
        .collect();
    format!("{} key(s): {}", kids.len(), kids.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::test_server::{json_ok, padded_json, serve};
    use serde_json::json;

    /// A key set of one RSA key, `len` bytes long.
    fn key_set_of(len: usize) -> String {
        let set = json!({
            "keys": [{ "kty": "RSA", "use": "sig", "kid": "k1", "n": "sXch", "e": "AQAB" }],
        });
        padded_json(set, len)
    }

    #[tokio::test]
    async fn a_key_set_of_512_kib_is_read_and_a_longer_one_refused() {
        let client = crate::http::client();
        // 512 KiB, written out: the room the cap promises for many keys and certificate chains.
        let body = key_set_of(512 * 1024);
        let port = serve(|_| json_ok(&body));
        let jwks = fetch(&client, &format!("http://127.0.0.1:{port}/certs")).await;
        assert_eq!(describe(&jwks.unwrap()), "1 key(s): k1");

        let body = key_set_of(512 * 1024 + 1);
        let port = serve(|_| json_ok(&body));
        let err = fetch(&client, &format!("http://127.0.0.1:{port}/certs"))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                JwksError::Unreadable(HttpError::TooLarge {
                    limit: 524_288, // 512 KiB, the cap written out
                    ..
                })
            ),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn an_empty_key_set_is_refused() {
        let port = serve(|_| json_ok(r#"{"keys": []}"#));
        let uri = format!("http://127.0.0.1:{port}/certs");
        let err = fetch(&crate::http::client(), &uri).await.unwrap_err();
        assert!(matches!(err, JwksError::Empty), "{err:?}");
    }
}
