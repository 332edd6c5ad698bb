//! The stable name of every check a test login can fail: [`TestErrorCode`], the `code` of a
//! [`super::report::TestError`].
//!
//! Invariants:
//! - One variant per check; each serialises to the exact string the UI, the CLI's `--json`
//!   and the stored history have always used (`state`, `id_token.aud`, `invalid_client`...).
//!   The strings live only in the table below; nothing builds a code with `format!`.
//! - The IdP's own OAuth error codes pass through as the IdP spelt them (cleaned): the
//!   registered ones this app explains are variants, any other is [`TestErrorCode::Other`].
//!   So every code ever stored still loads.

use serde::{Deserialize, Serialize};

/// `TestErrorCode::Other` in TypeScript: `string & {}`, so the known codes stay the type's
/// suggestions (a plain `string` would absorb them).
struct OtherCode;

impl specta::Type for OtherCode {
    fn definition(_: &mut specta::Types) -> specta::datatype::DataType {
        specta::datatype::DataType::Reference(specta_typescript::define("string & {}"))
    }
}

/// One table gives the variants, their wire strings and the list of them all.
macro_rules! test_error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $code:literal,)*) => {
        /// Why a test login failed, as a stable code.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
        pub enum TestErrorCode {
            $($(#[doc = $doc])* #[serde(rename = $code)] $variant,)*
            /// An OAuth error code of the IdP's that is not one of the above (IdPs invent
            /// their own, e.g. `invalid_code`). Built only by [`TestErrorCode::from_idp`], so it
            /// never holds a known code's string. (In TypeScript, `string & {}` keeps the known
            /// codes as the type's suggestions while admitting these.)
            #[serde(untagged)]
            Other(#[specta(type = OtherCode)] String),
        }

        impl TestErrorCode {
            /// Every code but [`TestErrorCode::Other`].
            pub const KNOWN: &[TestErrorCode] = &[$(TestErrorCode::$variant,)*];

            /// The code as it is serialised.
            pub fn as_str(&self) -> &str {
                match self {
                    $(TestErrorCode::$variant => $code,)*
                    TestErrorCode::Other(code) => code,
                }
            }
        }
    };
}

test_error_codes! {
    /// The test stopped on a bug in ECA Admin (a panic), not on the IdP's answer.
    Internal = "internal",
    // Before the browser opens.
    /// The client authenticates with a secret, but none is stored.
    MissingSecret = "missing_secret",
    /// The client authenticates with its own key (private_key_jwt), but none is stored.
    MissingKey = "missing_key",
    /// The client assertion could not be made: no algorithm in common with the IdP, or an
    /// unreadable key.
    ClientAssertion = "client_assertion",
    /// The authorization endpoint is not a URL.
    AuthorizationEndpoint = "authorization_endpoint",
    /// The discovery document could not be fetched or is unusable.
    Discovery = "discovery",
    /// The discovery document names another issuer.
    IssuerMismatch = "issuer_mismatch",
    /// The signing keys could not be fetched, or there are none.
    Jwks = "jwks",
    /// The system browser could not be started.
    Browser = "browser",
    /// No loopback listener could be opened for the redirect.
    Loopback = "loopback",
    /// The pushed authorization request (RFC 9126) failed before the IdP answered with an
    /// OAuth error (unreachable, a redirect, an answer too large or not JSON).
    ParEndpoint = "par_endpoint",
    /// The PAR endpoint accepted the request but its answer has no usable `request_uri` and
    /// `expires_in`.
    ParResponse = "par_response",
    // Waiting for the redirect.
    /// The redirect did not come back in time.
    Timeout = "timeout",
    /// The admin cancelled the test.
    Cancelled = "cancelled",
    /// The redirect URL itself was refused (see `login::callback`).
    Callback = "callback",
    /// The redirect's `state` is missing or not this login's.
    State = "state",
    /// The redirect's `iss` (RFC 9207) is wrong, or missing though advertised.
    Iss = "iss",
    /// The redirect carries no authorization code.
    Code = "code",
    // The code exchange.
    /// The token request failed before the IdP answered with an OAuth error.
    TokenEndpoint = "token_endpoint",
    /// The token endpoint's answer is not a token response.
    TokenResponse = "token_response",
    /// The access token is not a Bearer token.
    TokenType = "token_type",
    // The ID token (OpenID Connect Core §3.1.3.7).
    /// The token response has no ID token.
    IdTokenMissing = "id_token.missing",
    /// The ID token is not a well-formed JWT.
    IdTokenFormat = "id_token.format",
    /// Unsigned, or signed with an algorithm that is not allowed.
    IdTokenAlg = "id_token.alg",
    /// Signed with an algorithm the IdP's settings (or, by default, its advertised asymmetric
    /// algorithms) do not allow.
    IdTokenAlgNotAllowed = "id_token.alg_not_allowed",
    /// The signing key is not in the JWKS, or ambiguous.
    IdTokenKid = "id_token.kid",
    /// The signature does not verify.
    IdTokenSignature = "id_token.signature",
    /// `iss` is missing or wrong.
    IdTokenIss = "id_token.iss",
    /// `sub` is missing or invalid.
    IdTokenSub = "id_token.sub",
    /// `aud` is missing or not this client.
    IdTokenAud = "id_token.aud",
    /// `exp` is missing or past.
    IdTokenExp = "id_token.exp",
    /// `iat` is missing, too old or in the future.
    IdTokenIat = "id_token.iat",
    /// `nonce` is missing or not this login's.
    IdTokenNonce = "id_token.nonce",
    /// `azp` names another party, or is missing with several audiences.
    IdTokenAzp = "id_token.azp",
    /// `at_hash` does not match the access token.
    IdTokenAtHash = "id_token.at_hash",
    /// Any other claim check.
    IdTokenClaims = "id_token.claims",
    // Userinfo and the identity.
    /// The userinfo request failed or its answer is unusable.
    Userinfo = "userinfo",
    /// Userinfo answered about another subject.
    UserinfoSub = "userinfo.sub",
    /// The configured customer identifier claim was not returned.
    CustomerIdClaim = "customer_id_claim",
    /// The platform's channel binding: the IdP's verified phone number is not the one the link
    /// was sent to (or is missing, or unverified).
    ChannelBindingMismatch = "channel_binding.mismatch",
    /// The platform's sign-in: the IdP was deleted or disabled after the link was sent.
    IdpUnavailable = "idp_unavailable",
    /// The platform's sign-in: the IdP's client credential passed its expiry date after the link
    /// was sent.
    CredentialExpired = "credential_expired",
    /// The platform's sign-in came back in another browser than the one that opened the link.
    BrowserMismatch = "browser_binding.mismatch",
    /// The IdP's `error` is not a valid OAuth error code (RFC 6749 §4.1.2.1: printable ASCII
    /// without `"` or `\\`), is too long, or names one of this app's own checks.
    IdpError = "idp_error",
    // The IdP's OAuth errors (RFC 6749 §4.1.2.1 and §5.2, OpenID Connect Core §3.1.2.6).
    InvalidRequest = "invalid_request",
    UnauthorizedClient = "unauthorized_client",
    AccessDenied = "access_denied",
    UnsupportedResponseType = "unsupported_response_type",
    InvalidScope = "invalid_scope",
    ServerError = "server_error",
    TemporarilyUnavailable = "temporarily_unavailable",
    InteractionRequired = "interaction_required",
    LoginRequired = "login_required",
    ConsentRequired = "consent_required",
    InvalidClient = "invalid_client",
    InvalidGrant = "invalid_grant",
    UnsupportedGrantType = "unsupported_grant_type",
}

impl TestErrorCode {
    /// The registered OAuth error codes an IdP may answer with, as variants.
    const FROM_IDP: &[TestErrorCode] = &[
        TestErrorCode::InvalidRequest,
        TestErrorCode::UnauthorizedClient,
        TestErrorCode::AccessDenied,
        TestErrorCode::UnsupportedResponseType,
        TestErrorCode::InvalidScope,
        TestErrorCode::ServerError,
        TestErrorCode::TemporarilyUnavailable,
        TestErrorCode::InteractionRequired,
        TestErrorCode::LoginRequired,
        TestErrorCode::ConsentRequired,
        TestErrorCode::InvalidClient,
        TestErrorCode::InvalidGrant,
        TestErrorCode::UnsupportedGrantType,
    ];
    /// The longest IdP-invented code kept as it is.
    const MAX_IDP_CODE: usize = 64;

    /// The code for an OAuth `error` the IdP sent. A registered code is its variant; another
    /// well-formed one is kept as [`TestErrorCode::Other`]; anything else (bad characters, too
    /// long, or the name of one of this app's own checks, which an IdP must not be able to
    /// claim) is [`TestErrorCode::IdpError`]. The IdP's description says the rest.
    pub fn from_idp(error: &str) -> Self {
        if let Some(code) = Self::FROM_IDP.iter().find(|c| c.as_str() == error) {
            return code.clone();
        }
        let well_formed = !error.is_empty()
            && error.len() <= Self::MAX_IDP_CODE
            && error
                .bytes()
                .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E));
        let ours = Self::KNOWN.iter().any(|c| c.as_str() == error);
        if well_formed && !ours {
            TestErrorCode::Other(error.to_string())
        } else {
            TestErrorCode::IdpError
        }
    }
}

impl std::fmt::Display for TestErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn codes_serialise_to_the_strings_stored_and_shown_since_the_first_release() {
        for (code, wire) in [
            (TestErrorCode::MissingSecret, "missing_secret"),
            (TestErrorCode::IssuerMismatch, "issuer_mismatch"),
            (TestErrorCode::State, "state"),
            (TestErrorCode::Iss, "iss"),
            (TestErrorCode::IdTokenAud, "id_token.aud"),
            (TestErrorCode::IdTokenAtHash, "id_token.at_hash"),
            (TestErrorCode::UserinfoSub, "userinfo.sub"),
            (TestErrorCode::CustomerIdClaim, "customer_id_claim"),
            (TestErrorCode::InvalidClient, "invalid_client"),
            (TestErrorCode::Other("invalid_code".into()), "invalid_code"),
        ] {
            assert_eq!(serde_json::to_value(&code).unwrap(), json!(wire));
        }
    }

    #[test]
    fn the_table_and_serde_agree_and_every_code_round_trips() {
        let mut seen = std::collections::HashSet::new();
        for code in TestErrorCode::KNOWN {
            let wire = serde_json::to_value(code).unwrap();
            assert_eq!(wire, Value::String(code.as_str().into()), "{code:?}");
            assert_eq!(
                &serde_json::from_value::<TestErrorCode>(wire).unwrap(),
                code
            );
            assert!(
                seen.insert(code.as_str()),
                "{} is listed twice",
                code.as_str()
            );
        }
    }

    #[test]
    fn codes_of_stored_runs_still_load() {
        // Codes as older versions wrote them, including an IdP's own error code.
        for (stored, expected) in [
            ("timeout", TestErrorCode::Timeout),
            ("id_token.kid", TestErrorCode::IdTokenKid),
            ("access_denied", TestErrorCode::AccessDenied),
            ("jwks", TestErrorCode::Jwks),
            ("invalid_code", TestErrorCode::Other("invalid_code".into())),
        ] {
            let error: super::super::report::TestError =
                serde_json::from_value(json!({"code": stored, "message": "m", "fix": "f"}))
                    .unwrap();
            assert_eq!(error.code, expected, "{stored}");
        }
    }

    #[test]
    fn idp_codes_map_to_known_codes_and_odd_ones_are_refused() {
        assert_eq!(
            TestErrorCode::from_idp("invalid_grant"),
            TestErrorCode::InvalidGrant
        );
        assert_eq!(
            TestErrorCode::from_idp("invalid_code"),
            TestErrorCode::Other("invalid_code".into()),
            "an IdP's own well-formed code is kept"
        );
        for hostile in [
            "weird\u{7}_error",
            "right\u{202e}to-left",
            "quote\"d",
            "",
            &"x".repeat(65),
            "state",
            "id_token.signature",
            "missing_secret",
        ] {
            assert_eq!(
                TestErrorCode::from_idp(hostile),
                TestErrorCode::IdpError,
                "{hostile:?} is not kept as the IdP's code"
            );
        }
    }
}
