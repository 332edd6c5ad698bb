//! How the client authenticates at the IdP's back-channel endpoints (the token endpoint, and
//! any other endpoint that takes the same client authentication), and what an IdP's
//! `invalid_client` means for the method in use.
//!
//! Invariants:
//! - The one place a client credential is put on the wire: the client secret goes only in the
//!   `Authorization` header (`client_secret_basic`, id and secret form-urlencoded before
//!   Base64, RFC 6749 §2.3.1) or in the form body (`client_secret_post`); never in a URL, a log
//!   or an error.
//! - A public client (`none`) sends its `client_id` in the body and nothing else.

use super::report::{TestError, TestErrorCode};
use base64::Engine;
use eca_model::idp::ClientAuthMethod;
use eca_model::secret::Secret;

/// Who the client is and how it proves it.
#[derive(Clone, Copy)]
pub struct ClientCredentials<'a> {
    pub client_id: &'a str,
    pub method: ClientAuthMethod,
    /// The client secret, when the method uses one and one is stored.
    pub secret: Option<&'a Secret>,
}

/// A back-channel POST's form fields. Owned, since a credential may be made per request.
pub type Form = Vec<(&'static str, String)>;

impl ClientCredentials<'_> {
    /// Adds the client's authentication to `request` and its `form`. Refuses a method that
    /// needs a credential this client does not have.
    pub fn authenticate(
        &self,
        request: reqwest::RequestBuilder,
        form: &mut Form,
    ) -> Result<reqwest::RequestBuilder, TestError> {
        match (self.method, self.secret) {
            (ClientAuthMethod::ClientSecretBasic, Some(secret)) => {
                Ok(request.header("Authorization", basic_auth(self.client_id, secret)))
            }
            (ClientAuthMethod::ClientSecretPost, Some(secret)) => {
                form.push(("client_id", self.client_id.to_string()));
                form.push(("client_secret", secret.expose().to_string()));
                Ok(request)
            }
            (ClientAuthMethod::None, _) => {
                form.push(("client_id", self.client_id.to_string()));
                Ok(request)
            }
            (method, None) => Err(TestError::new(
                TestErrorCode::MissingSecret,
                format!("The client authentication method is {} but no client secret is stored.", method.as_str()),
                "Enter the client secret in the IdP's form (\"Replace secret\"), or choose \"none\" for a public client.",
            )),
        }
    }

    /// What to check when the IdP answers `invalid_client`: the credentials, or the method.
    pub fn invalid_client_fix(&self) -> String {
        format!(
            "Check the client ID and secret, or switch the client authentication method: it is {} now, and the IdP may expect {}.",
            self.method.as_str(),
            match self.method {
                ClientAuthMethod::ClientSecretBasic => "client_secret_post",
                ClientAuthMethod::ClientSecretPost => "client_secret_basic",
                ClientAuthMethod::None => "a secret (client_secret_basic or client_secret_post)",
            }
        )
    }
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
            secret: Some(&secret),
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
            secret: None,
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
