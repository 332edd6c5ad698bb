//! How the client authenticates at the IdP's back-channel endpoints (the token endpoint, and
//! any other endpoint that takes the same client authentication), and what an IdP's
//! `invalid_client` means for the method in use.
//!
//! Invariants:
//! - The one place a client credential is put on the wire: the client secret goes only in the
//!   `Authorization` header (`client_secret_basic`, id and secret form-urlencoded before
//!   Base64, RFC 6749 §2.3.1) or in the form body (`client_secret_post`); a client assertion
//!   (`private_key_jwt`, RFC 7523 §2.2) only in the form body, made fresh for each request with
//!   the audience the caller names. Never in a URL, a log or an error.
//! - A public client (`none`) sends its `client_id` in the body and nothing else.

use super::client_key::{self, AssertionClaims, ClientKey, ClientKeyError};
use super::report::{TestError, TestErrorCode};
use base64::Engine;
use eca_model::idp::ClientAuthMethod;
use eca_model::secret::Secret;
use time::OffsetDateTime;

/// RFC 7523 §2.2's `client_assertion_type`.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Who the client is and how it proves it.
#[derive(Clone, Copy)]
pub struct ClientCredentials<'a> {
    pub client_id: &'a str,
    pub method: ClientAuthMethod,
    /// The credential, when the method uses one and one is stored.
    pub credential: Option<Credential<'a>>,
}

/// What proves the client's identity: a shared secret, or its own signing key.
#[derive(Clone, Copy)]
pub enum Credential<'a> {
    Secret(&'a Secret),
    Key(SigningKey<'a>),
}

/// A stored credential, owned: what a login carries from where it is kept (the OS keyring,
/// the platform's sealed store) to its requests.
pub enum ClientCredential {
    Secret(Secret),
    Key(ClientKey),
}

impl ClientCredential {
    /// The client secret, when this is one (an HMAC-signed ID token's key).
    pub fn secret(&self) -> Option<&Secret> {
        match self {
            ClientCredential::Secret(secret) => Some(secret),
            ClientCredential::Key(_) => None,
        }
    }

    /// The credential for one request, made at `now`, with the algorithms the IdP advertises
    /// for client assertions.
    pub fn for_request<'a>(
        &'a self,
        advertised_algs: &'a [String],
        now: OffsetDateTime,
    ) -> Credential<'a> {
        match self {
            ClientCredential::Secret(secret) => Credential::Secret(secret),
            ClientCredential::Key(key) => Credential::Key(SigningKey {
                key,
                advertised_algs,
                now,
            }),
        }
    }

    /// Whether this is the kind of credential `method` uses.
    pub fn serves(&self, method: ClientAuthMethod) -> bool {
        match self {
            ClientCredential::Secret(_) => method.uses_secret(),
            ClientCredential::Key(_) => method.uses_key(),
        }
    }
}

/// The client's signing key, with what choosing and dating an assertion needs.
#[derive(Clone, Copy)]
pub struct SigningKey<'a> {
    pub key: &'a ClientKey,
    /// The IdP's `token_endpoint_auth_signing_alg_values_supported` (empty: not advertised).
    pub advertised_algs: &'a [String],
    /// The time the assertion is made at (`iat`; `exp` follows).
    pub now: OffsetDateTime,
}

/// A back-channel POST's form fields. Owned, since a credential may be made per request.
pub type Form = Vec<(&'static str, String)>;

impl ClientCredentials<'_> {
    /// Adds the client's authentication to `request` and its `form`. `audience` is what a
    /// client assertion's `aud` must be for this endpoint (its URL, or the issuer). Refuses a
    /// method that needs a credential this client does not have.
    pub fn authenticate(
        &self,
        request: reqwest::RequestBuilder,
        form: &mut Form,
        audience: &str,
    ) -> Result<reqwest::RequestBuilder, TestError> {
        match (self.method, self.credential) {
            (ClientAuthMethod::ClientSecretBasic, Some(Credential::Secret(secret))) => {
                Ok(request.header("Authorization", basic_auth(self.client_id, secret)))
            }
            (ClientAuthMethod::ClientSecretPost, Some(Credential::Secret(secret))) => {
                form.push(("client_id", self.client_id.to_string()));
                form.push(("client_secret", secret.expose().to_string()));
                Ok(request)
            }
            (ClientAuthMethod::PrivateKeyJwt, Some(Credential::Key(key))) => {
                let assertion = self.assertion(key, audience)?;
                form.push(("client_id", self.client_id.to_string()));
                form.push(("client_assertion_type", JWT_BEARER.to_string()));
                form.push(("client_assertion", assertion));
                Ok(request)
            }
            (ClientAuthMethod::None, _) => {
                form.push(("client_id", self.client_id.to_string()));
                Ok(request)
            }
            (method, _) => Err(missing_credential(method)),
        }
    }

    fn assertion(&self, key: SigningKey<'_>, audience: &str) -> Result<String, TestError> {
        let signed = client_key::assertion_alg(key.advertised_algs).and_then(|alg| {
            let claims = AssertionClaims {
                client_id: self.client_id,
                audience,
                jti: client_key::new_jti(),
                now: key.now,
            };
            key.key.sign_assertion(alg, &claims)
        });
        signed.map_err(|e| {
            let fix = match e {
                ClientKeyError::NoCommonAlg(_) => {
                    "Allow RS256, PS256 or ES256 for client assertions at the IdP."
                }
                _ => "Generate a new key (\"Replace key\") and register its public key at the IdP.",
            };
            TestError::new(TestErrorCode::ClientAssertion, e.to_string(), fix)
        })
    }

    /// What to check when the IdP answers `invalid_client`: the credentials, or the method.
    pub fn invalid_client_fix(&self) -> String {
        if self.method == ClientAuthMethod::PrivateKeyJwt {
            return "Register this IdP's public key, as ECA Admin shows it (the JWKS, or the \
                    certificate), for this client ID at the IdP, and check the client ID. A \
                    replaced key must be registered again."
                .to_string();
        }
        format!(
            "Check the client ID and secret, or switch the client authentication method: it is {} now, and the IdP may expect {}.",
            self.method.as_str(),
            match self.method {
                ClientAuthMethod::ClientSecretBasic => "client_secret_post",
                ClientAuthMethod::ClientSecretPost => "client_secret_basic",
                ClientAuthMethod::None | ClientAuthMethod::PrivateKeyJwt => {
                    "a secret (client_secret_basic or client_secret_post)"
                }
            }
        )
    }
}

/// The refusal of a method whose credential is not stored.
pub fn missing_credential(method: ClientAuthMethod) -> TestError {
    if method.uses_key() {
        return TestError::new(
            TestErrorCode::MissingKey,
            "The client authentication method is private_key_jwt but no signing key is stored.",
            "Generate a key in the IdP's form (\"Generate key\") and register its public key at the IdP.",
        );
    }
    TestError::new(
        TestErrorCode::MissingSecret,
        format!("The client authentication method is {} but no client secret is stored.", method.as_str()),
        "Enter the client secret in the IdP's form (\"Replace secret\"), or choose \"none\" for a public client.",
    )
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1).
pub fn basic_auth(client_id: &str, secret: &Secret) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let raw = format!("{}:{}", enc(client_id), enc(secret.expose()));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_form_encodes_before_base64() {
        // RFC 6749 §2.3.1: "a:b" in a secret must not split the pair.
        let header = basic_auth("my client", &Secret::new("p@ss:w rd+"));
        let b64 = header.strip_prefix("Basic ").unwrap();
        let raw = String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(raw, "my+client:p%40ss%3Aw+rd%2B");
    }

    fn sent(creds: ClientCredentials<'_>) -> Result<(Option<String>, Form), TestError> {
        let mut form = Form::new();
        let request = creds.authenticate(
            reqwest::Client::new().post("https://idp.example/token"),
            &mut form,
            "https://idp.example/token",
        )?;
        let request = request.build().unwrap();
        let header = request
            .headers()
            .get("Authorization")
            .map(|v| v.to_str().unwrap().to_string());
        Ok((header, form))
    }

    #[test]
    fn each_method_puts_the_credential_in_its_one_place() {
        let secret = Secret::new("s3cret");
        let with = |method| ClientCredentials {
            client_id: "c",
            method,
            credential: Some(Credential::Secret(&secret)),
        };
        let (header, form) = sent(with(ClientAuthMethod::ClientSecretBasic)).unwrap();
        assert_eq!(header.as_deref(), Some(basic_auth("c", &secret).as_str()));
        assert!(form.is_empty(), "{form:?}");

        let (header, form) = sent(with(ClientAuthMethod::ClientSecretPost)).unwrap();
        assert_eq!(header, None);
        assert_eq!(
            form,
            vec![
                ("client_id", "c".to_string()),
                ("client_secret", "s3cret".to_string())
            ]
        );

        let (header, form) = sent(with(ClientAuthMethod::None)).unwrap();
        assert_eq!(header, None);
        assert_eq!(form, vec![("client_id", "c".to_string())]);
    }

    #[test]
    fn a_method_with_a_secret_but_none_stored_is_refused() {
        let creds = ClientCredentials {
            client_id: "c",
            method: ClientAuthMethod::ClientSecretPost,
            credential: None,
        };
        let error = sent(creds).expect_err("refused");
        assert_eq!(error.code, TestErrorCode::MissingSecret);
        assert!(
            error.message.contains("client_secret_post"),
            "{}",
            error.message
        );
    }
}
