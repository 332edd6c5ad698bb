//! ID token verification as a certified relying party does it (OpenID Connect Core §3.1.3.7),
//! on top of the openidconnect crate.
//!
//! openidconnect checks the signature against the JWKS (RSA signatures through
//! [`VerifyingKey`], with ring), the allowed algorithms, `iss` (exact), `aud`, `exp` and
//! `nonce`. This module adds what it leaves to the application: required
//! claims present (named when missing), `alg: none` and any algorithm outside the IdP's
//! [`SigningPolicy`] refused up front, `azp` when there are several audiences, `iat` neither
//! far in the past nor in the future, and `at_hash`.
//! Invariants: every rejection names the check that failed in `TestError::code` (`id_token.*`);
//! the client secret reaches openidconnect's verifier only as the policy's HMAC key.

use super::report::{TestError, TestErrorCode as Code};
use super::signing::SigningPolicy;
use super::token;
use super::verifying_key::{KeySet, VerifyingKey};
use crate::issuer::IssuerRule;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use eca_model::secret::Secret;
use openidconnect::core::{CoreIdToken, CoreJwsSigningAlgorithm};
use openidconnect::{
    ClaimsVerificationError, ClientId, ClientSecret, IdTokenVerifier, IssuerUrl, Nonce,
    SignatureVerificationError,
};
use serde_json::Value;
use sha2::Digest;
use std::str::FromStr;
use time::OffsetDateTime;

/// How far the IdP's clock may be from ours when checking `exp` and `iat`.
pub const CLOCK_SKEW: time::Duration = time::Duration::seconds(120);
/// The oldest `iat` accepted: the token was issued during this login.
pub const MAX_TOKEN_AGE: time::Duration = time::Duration::minutes(10);

pub struct Expectations<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The client secret, if any; only [`SigningPolicy::hmac_key`] passes it on.
    pub secret: Option<&'a Secret>,
    pub nonce: &'a Nonce,
    /// The algorithms this IdP's ID tokens may be signed with.
    pub signing: &'a SigningPolicy,
    pub access_token: &'a str,
    pub now: OffsetDateTime,
}

/// What was verified, for display.
pub struct Verified {
    pub header: Value,
    pub claims: Value,
    pub subject: String,
    pub lifetime: Option<i64>,
}

/// Why verification failed: either a definite rejection, or a signature by a key the JWKS does
/// not have (worth one re-fetch of the JWKS: the IdP may have rotated its keys).
pub enum Rejection {
    UnknownKey(TestError),
    Rejected(TestError),
}

fn reject(code: Code, message: impl Into<String>, fix: impl Into<String>) -> Rejection {
    Rejection::Rejected(TestError::new(code, message, fix))
}

/// Verifies `token` against `jwks` and the expectations of this login.
pub fn verify(token: &str, jwks: &KeySet, exp: &Expectations<'_>) -> Result<Verified, Rejection> {
    let (header, claims) = decode_parts(token)?;
    let alg = check_alg(&header, exp.signing)?;
    check_required_claims(&claims)?;
    check_azp(&claims, exp.client_id)?;
    let issuer = IssuerRule::of(exp.issuer)
        .token_issuer(&claims)
        .map_err(|m| reject(Code::IdTokenIss, m, "Check the IdP's ID token settings."))?;
    let subject = verify_signature_and_claims(
        token,
        jwks,
        &Expectations {
            issuer: &issuer,
            ..*exp
        },
    )?;
    check_at_hash(&claims, exp.access_token, &alg)?;
    let lifetime = match (
        claims.get("iat").and_then(Value::as_i64),
        claims.get("exp").and_then(Value::as_i64),
    ) {
        (Some(iat), Some(exp)) => Some(exp - iat),
        _ => None,
    };
    Ok(Verified {
        header,
        claims,
        subject,
        lifetime,
    })
}

/// The header's `alg`, refused when `none` or outside the IdP's signing policy.
fn check_alg(header: &Value, signing: &SigningPolicy) -> Result<String, Rejection> {
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if alg.eq_ignore_ascii_case("none") || alg.is_empty() {
        return Err(reject(
            Code::IdTokenAlg,
            "The ID token is not signed (alg \"none\").",
            "Configure the IdP to sign ID tokens (RS256 or ES256).",
        ));
    }
    if !signing.allows(&alg) {
        let (message, fix) = signing.refusal(&token::clean(&alg));
        return Err(reject(Code::IdTokenAlgNotAllowed, message, fix));
    }
    Ok(alg)
}

/// The claims every ID token carries (Core §2), each named when missing.
fn check_required_claims(claims: &Value) -> Result<(), Rejection> {
    for (claim, code) in [
        ("iss", Code::IdTokenIss),
        ("sub", Code::IdTokenSub),
        ("aud", Code::IdTokenAud),
        ("exp", Code::IdTokenExp),
        ("iat", Code::IdTokenIat),
        ("nonce", Code::IdTokenNonce),
    ] {
        if claims.get(claim).is_none_or(Value::is_null) {
            return Err(reject(
                code,
                format!("The ID token has no \"{claim}\" claim."),
                missing_fix(claim),
            ));
        }
    }
    Ok(())
}

fn missing_fix(claim: &str) -> &'static str {
    match claim {
        "nonce" => "The IdP must echo the nonce of the authorization request in the ID token.",
        "sub" => "The IdP must identify the user with a sub claim.",
        _ => "The IdP's ID tokens must carry iss, sub, aud, exp and iat (OpenID Connect Core §2).",
    }
}

/// What openidconnect checks: the signature ([`VerifyingKey`]), `iss`, `aud`, `exp`, `nonce`,
/// and our `iat` bounds. Returns the subject.
fn verify_signature_and_claims(
    token: &str,
    jwks: &KeySet,
    exp: &Expectations<'_>,
) -> Result<String, Rejection> {
    let parsed = CoreIdToken::from_str(token).map_err(|e| {
        reject(
            Code::IdTokenFormat,
            format!("The ID token is malformed: {e}"),
            "Check the IdP's ID token settings.",
        )
    })?;
    let algs: Vec<CoreJwsSigningAlgorithm> = exp
        .signing
        .allowed()
        .iter()
        .filter_map(|a| serde_json::from_value(Value::String(a.as_str().into())).ok())
        .collect();
    let now = exp.now;
    let skewed_now = to_chrono(now - CLOCK_SKEW);
    let issuer = IssuerUrl::new(exp.issuer.to_string()).map_err(|e| {
        reject(
            Code::IdTokenIss,
            format!("The configured issuer is not a URL: {e}"),
            "Fix the Issuer URL.",
        )
    })?;
    let base = match exp.signing.hmac_key(exp.secret) {
        Some(s) => IdTokenVerifier::<VerifyingKey>::new_confidential_client(
            ClientId::new(exp.client_id.to_string()),
            ClientSecret::new(s.expose().to_string()),
            issuer,
            jwks.clone(),
        ),
        None => IdTokenVerifier::<VerifyingKey>::new_public_client(
            ClientId::new(exp.client_id.to_string()),
            issuer,
            jwks.clone(),
        ),
    };
    let verifier = base
        .set_allowed_algs(algs)
        .set_time_fn(move || skewed_now)
        .set_issue_time_verifier_fn(move |iat| check_iat(iat, now));
    let verified = parsed
        .claims(&verifier, exp.nonce)
        .map_err(|e| map_error(e, exp))?;
    Ok(verified.subject().as_str().to_string())
}

/// `at_hash`, when present, must be the access token's (Core §3.1.3.6).
fn check_at_hash(claims: &Value, access_token: &str, alg: &str) -> Result<(), Rejection> {
    let Some(at_hash) = claims.get("at_hash").and_then(Value::as_str) else {
        return Ok(());
    };
    let expected = at_hash_of(access_token, alg).ok_or_else(|| {
        reject(
            Code::IdTokenAtHash,
            format!("at_hash cannot be checked for {alg}."),
            "Use an RS*, PS* or ES* signing algorithm.",
        )
    })?;
    if expected != at_hash {
        return Err(reject(
            Code::IdTokenAtHash,
            "The ID token's at_hash does not match the access token: the two were not issued together.",
            "This points at a faulty or compromised IdP; contact its administrator.",
        ));
    }
    Ok(())
}

/// Splits a compact JWS and decodes its header and claims as JSON, for checks and display.
pub fn decode_parts(token: &str) -> Result<(Value, Value), Rejection> {
    let malformed = |what: &str| {
        reject(
            Code::IdTokenFormat,
            format!("The ID token is not a valid JWT ({what})."),
            "Check the IdP's ID token settings.",
        )
    };
    let mut parts = token.split('.');
    let (Some(h), Some(c), Some(_sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("it must have three dot-separated parts"));
    };
    let json = |part: &str| -> Option<Value> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
    };
    let header = json(h).ok_or_else(|| malformed("bad header"))?;
    let claims = json(c).ok_or_else(|| malformed("bad claims"))?;
    if !claims.is_object() {
        return Err(malformed("claims are not an object"));
    }
    Ok((header, claims))
}

/// With several audiences, `azp` must be present and be this client (Core §3.1.3.7 items 4–5).
fn check_azp(claims: &Value, client_id: &str) -> Result<(), Rejection> {
    let several = claims
        .get("aud")
        .and_then(Value::as_array)
        .is_some_and(|a| a.len() > 1);
    match claims.get("azp").and_then(Value::as_str) {
        Some(azp) if azp != client_id => Err(reject(
            Code::IdTokenAzp,
            format!("The ID token was issued to another party (azp \"{azp}\", this client is \"{client_id}\")."),
            "Check the client ID.",
        )),
        None if several => Err(reject(
            Code::IdTokenAzp,
            "The ID token has several audiences but no azp claim naming this client.",
            "Configure the IdP to issue ID tokens for this client only, or to include azp.",
        )),
        _ => Ok(()),
    }
}

fn check_iat(iat: DateTime<Utc>, now: OffsetDateTime) -> Result<(), String> {
    let iat = OffsetDateTime::from_unix_timestamp(iat.timestamp()).map_err(|e| e.to_string())?;
    if iat > now + CLOCK_SKEW {
        return Err(format!(
            "iat is {} s in the future",
            (iat - now).whole_seconds()
        ));
    }
    if iat < now - MAX_TOKEN_AGE - CLOCK_SKEW {
        return Err(format!(
            "iat is {} s in the past",
            (now - iat).whole_seconds()
        ));
    }
    Ok(())
}

fn to_chrono(t: OffsetDateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(t.unix_timestamp(), t.nanosecond()).unwrap_or_default()
}

/// `at_hash`: the left half of the hash of the access token, base64url (Core §3.1.3.6).
pub fn at_hash_of(access_token: &str, alg: &str) -> Option<String> {
    let digest: Vec<u8> = match &alg[alg.len().saturating_sub(3)..] {
        "256" => sha2::Sha256::digest(access_token.as_bytes()).to_vec(),
        "384" => sha2::Sha384::digest(access_token.as_bytes()).to_vec(),
        "512" => sha2::Sha512::digest(access_token.as_bytes()).to_vec(),
        _ => return None,
    };
    Some(URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2]))
}

fn map_error(e: ClaimsVerificationError, exp: &Expectations<'_>) -> Rejection {
    use ClaimsVerificationError as C;
    use SignatureVerificationError as S;
    match e {
        // openidconnect reports the issue-time check (our `check_iat`) as `Expired` too.
        C::Expired(m) if m.starts_with("iat ") => reject(
            Code::IdTokenIat,
            format!("The ID token's issue time is out of range ({m})."),
            "Check this computer's clock and the IdP's (clock skew).",
        ),
        C::Expired(m) => reject(
            Code::IdTokenExp,
            format!("The ID token has expired ({m}), even allowing {} s of clock skew.", CLOCK_SKEW.whole_seconds()),
            "Check this computer's clock and the IdP's; if both are right, the IdP issues tokens that are already expired.",
        ),
        C::InvalidAudience(m) => reject(
            Code::IdTokenAud,
            format!("The ID token is not for this client ({m}); expected the audience \"{}\".", exp.client_id),
            "Check the client ID: it must be the one the IdP issues tokens to.",
        ),
        C::InvalidIssuer(m) => reject(
            Code::IdTokenIss,
            format!("The ID token's issuer is wrong ({m}); expected exactly \"{}\".", exp.issuer),
            "Set the Issuer URL to exactly the IdP's issuer (compare trailing slashes).",
        ),
        C::InvalidNonce(m) => reject(
            Code::IdTokenNonce,
            format!("The ID token's nonce does not match this login's ({m})."),
            "The IdP must echo the nonce it received; a mismatch can mean a replayed token.",
        ),
        C::InvalidSubject(m) => reject(Code::IdTokenSub, format!("The ID token's subject is invalid ({m})."), "Check the IdP."),
        C::SignatureVerification(S::NoMatchingKey) => Rejection::UnknownKey(TestError::new(
            Code::IdTokenKid,
            "The ID token is signed with a key that is not in the IdP's JWKS, even after fetching it again.",
            "Check the JWKS URI: it must be the key set of this issuer.",
        )),
        C::SignatureVerification(S::AmbiguousKeyId(m)) => reject(
            Code::IdTokenKid,
            format!("The ID token names no key (kid) and the JWKS has several that could fit ({m})."),
            "Configure the IdP to put a kid in its ID token headers.",
        ),
        C::SignatureVerification(S::DisallowedAlg(m) | S::UnsupportedAlg(m)) => {
            reject(Code::IdTokenAlg, format!("The ID token's signing algorithm is not accepted ({m})."), "Use RS256 or ES256 at the IdP.")
        }
        C::SignatureVerification(S::NoSignature) => {
            reject(Code::IdTokenAlg, "The ID token is not signed.", "Configure the IdP to sign ID tokens.")
        }
        C::SignatureVerification(other) => reject(
            Code::IdTokenSignature,
            format!("The ID token's signature is invalid ({other})."),
            "The token was altered or signed by another key: check the JWKS URI and the issuer.",
        ),
        other => reject(Code::IdTokenClaims, format!("The ID token was rejected: {other}"), "Check the IdP's ID token settings."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_matches_the_spec_example() {
        // OpenID Connect Core, Appendix A.3: access token and its at_hash for RS256.
        assert_eq!(
            at_hash_of("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "RS256").as_deref(),
            Some("77QmUPtjPfzWtF2AnpK9RQ")
        );
        assert_eq!(at_hash_of("x", "HS1"), None);
    }

    #[test]
    fn several_audiences_need_azp() {
        let claims = serde_json::json!({"aud": ["me", "other"]});
        assert!(
            matches!(check_azp(&claims, "me"), Err(Rejection::Rejected(e)) if e.code == Code::IdTokenAzp)
        );
        let claims = serde_json::json!({"aud": ["me", "other"], "azp": "me"});
        assert!(check_azp(&claims, "me").is_ok());
        let claims = serde_json::json!({"aud": "me", "azp": "else"});
        assert!(
            matches!(check_azp(&claims, "me"), Err(Rejection::Rejected(e)) if e.code == Code::IdTokenAzp && e.message.contains("\"else\""))
        );
    }

    #[test]
    fn iat_bounds() {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let at = |offset: i64| DateTime::from_timestamp(1_800_000_000 + offset, 0).unwrap();
        assert!(check_iat(at(0), now).is_ok());
        assert!(check_iat(at(60), now).is_ok(), "within the skew");
        assert_eq!(
            check_iat(at(3600), now),
            Err("iat is 3600 s in the future".into())
        );
        assert_eq!(
            check_iat(at(-3600), now),
            Err("iat is 3600 s in the past".into())
        );
        // The bounds themselves: the skew ahead, the token age plus the skew behind.
        let (skew, age) = (CLOCK_SKEW.whole_seconds(), MAX_TOKEN_AGE.whole_seconds());
        assert!(check_iat(at(skew), now).is_ok());
        assert_eq!(
            check_iat(at(skew + 1), now),
            Err(format!("iat is {} s in the future", skew + 1))
        );
        assert!(check_iat(at(-(age + skew)), now).is_ok());
        assert_eq!(
            check_iat(at(-(age + skew) - 1), now),
            Err(format!("iat is {} s in the past", age + skew + 1))
        );
    }

    /// A compact JWS of `claims` signed with the HMAC `alg`, keyed by `key`: any claims can be
    /// signed here, so the verifier's checks can be driven one claim at a time.
    fn hmac_signed(alg: CoreJwsSigningAlgorithm, key: &str, claims: &Value) -> String {
        use openidconnect::core::CoreHmacKey;
        use openidconnect::PrivateSigningKey;
        let header = serde_json::json!({ "alg": alg, "typ": "JWT" });
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = CoreHmacKey::new(key).sign(&alg, input.as_bytes()).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    mod edges {
        //! The verifier's boundaries, through `verify` with HMAC-signed tokens (so any claims can
        //! be signed here) and an injected `now`: the token lifetime, the `exp` skew, `azp`
        //! with one audience, `at_hash` for every hash size, and the fix for each missing claim.
        use super::super::*;
        use crate::login::signing::SigningPolicy;
        use eca_model::signing_alg::SigningAlg::{HS256, HS384, HS512};
        use serde_json::json;
        use sha2::Digest;

        const NOW: i64 = 1_800_000_000;
        const KEY: &str = "a-client-secret-of-32-bytes-at-least!";

        /// Claims that pass, to change one at a time.
        fn claims() -> Value {
            json!({
                "iss": "https://idp.example", "sub": "user-1", "aud": "client-1",
                "exp": NOW + 300, "iat": NOW, "nonce": "n-1",
            })
        }

        /// The subject and lifetime of a verified token, or the refusal.
        fn verify_hs(
            alg: CoreJwsSigningAlgorithm,
            claims: &Value,
        ) -> Result<(String, Option<i64>), TestError> {
            verify_hs_for("https://idp.example", alg, claims)
        }

        /// [`verify_hs`] for an IdP configured with `issuer`.
        fn verify_hs_for(
            issuer: &str,
            alg: CoreJwsSigningAlgorithm,
            claims: &Value,
        ) -> Result<(String, Option<i64>), TestError> {
            verify_token_for(issuer, &super::hmac_signed(alg, KEY, claims))
        }

        /// Verifies `token` as an ID token of an IdP configured with `issuer` and HS*.
        fn verify_token_for(issuer: &str, token: &str) -> Result<(String, Option<i64>), TestError> {
            let secret = Secret::new(KEY);
            let nonce = Nonce::new("n-1".into());
            let signing = SigningPolicy::new(&[HS256, HS384, HS512], &[]);
            let exp = Expectations {
                issuer,
                client_id: "client-1",
                secret: Some(&secret),
                nonce: &nonce,
                signing: &signing,
                access_token: "the-access-token",
                now: OffsetDateTime::from_unix_timestamp(NOW).unwrap(),
            };
            let jwks = KeySet::new(Vec::new());
            match verify(token, &jwks, &exp) {
                Ok(v) => Ok((v.subject, v.lifetime)),
                Err(Rejection::Rejected(e) | Rejection::UnknownKey(e)) => Err(e),
            }
        }

        fn with(changes: Value) -> Value {
            let mut c = claims();
            for (k, v) in changes.as_object().unwrap() {
                c[k] = v.clone();
            }
            c
        }

        fn hs256(claims: &Value) -> Result<(String, Option<i64>), TestError> {
            verify_hs(CoreJwsSigningAlgorithm::HmacSha256, claims)
        }

        #[test]
        fn a_multi_tenant_entra_token_verifies_with_its_own_tenant_and_no_other() {
            const COMMON: &str = "https://login.microsoftonline.com/common/v2.0";
            const TID: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";
            let tenant_iss = format!("https://login.microsoftonline.com/{TID}/v2.0");
            let entra =
                |claims: &Value| verify_hs_for(COMMON, CoreJwsSigningAlgorithm::HmacSha256, claims);
            let good = with(json!({ "iss": tenant_iss, "tid": TID }));
            assert_eq!(entra(&good).unwrap().0, "user-1");
            let other = "72f988bf-86f1-41af-91ab-2d7cd011db47";
            let mixed = with(json!({ "iss": tenant_iss, "tid": other }));
            assert_eq!(entra(&mixed).unwrap_err().code, Code::IdTokenIss);
            let literal = with(json!({
                "iss": "https://login.microsoftonline.com/{tenantid}/v2.0", "tid": TID
            }));
            assert_eq!(entra(&literal).unwrap_err().code, Code::IdTokenIss);
            let no_tid = with(json!({ "iss": tenant_iss }));
            assert_eq!(entra(&no_tid).unwrap_err().code, Code::IdTokenIss);
            // A single-tenant issuer is exact: another tenant's token is refused.
            let single = verify_hs_for(
                &format!("https://login.microsoftonline.com/{other}/v2.0"),
                CoreJwsSigningAlgorithm::HmacSha256,
                &good,
            );
            assert_eq!(single.unwrap_err().code, Code::IdTokenIss);
        }

        #[test]
        fn the_lifetime_is_exp_minus_iat() {
            let verified = hs256(&with(json!({ "iat": NOW - 20, "exp": NOW + 280 })));
            assert_eq!(verified.unwrap(), ("user-1".to_string(), Some(300)));
        }

        #[test]
        fn an_expired_token_passes_only_within_the_clock_skew() {
            let skew = CLOCK_SKEW.whole_seconds();
            assert!(hs256(&with(json!({ "iat": NOW - 400, "exp": NOW - skew + 1 }))).is_ok());
            let late = hs256(&with(json!({ "iat": NOW - 400, "exp": NOW - skew - 1 })));
            assert_eq!(late.unwrap_err().code, Code::IdTokenExp);
        }

        #[test]
        fn an_issue_time_out_of_range_is_named_as_such() {
            let skew = CLOCK_SKEW.whole_seconds();
            let ahead = with(json!({ "iat": NOW + skew + 1, "exp": NOW + skew + 300 }));
            let error = hs256(&ahead).unwrap_err();
            assert_eq!(error.code, Code::IdTokenIat, "{error:?}");
            assert!(error.message.contains("in the future"), "{}", error.message);
        }

        #[test]
        fn one_audience_in_a_list_needs_no_azp_and_another_one_is_never_trusted() {
            assert!(hs256(&with(json!({ "aud": ["client-1"] }))).is_ok());
            let no_azp = hs256(&with(json!({ "aud": ["client-1", "other"] })));
            assert_eq!(no_azp.unwrap_err().code, Code::IdTokenAzp);
            let wrong_azp = hs256(&with(
                json!({ "aud": ["client-1", "other"], "azp": "other" }),
            ));
            assert_eq!(wrong_azp.unwrap_err().code, Code::IdTokenAzp);
            // Core §3.1.3.7 item 3: an additional audience the client does not trust is refused.
            let two = hs256(&with(
                json!({ "aud": ["client-1", "other"], "azp": "client-1" }),
            ));
            assert_eq!(two.unwrap_err().code, Code::IdTokenAud);
        }

        #[test]
        fn at_hash_is_checked_with_the_hash_of_the_signing_algorithm() {
            // The left half of the digest, computed here independently of `at_hash_of`.
            fn half(digest: &[u8]) -> String {
                URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
            }
            let token = b"the-access-token";
            for (alg, expected) in [
                (
                    CoreJwsSigningAlgorithm::HmacSha256,
                    half(&sha2::Sha256::digest(token)),
                ),
                (
                    CoreJwsSigningAlgorithm::HmacSha384,
                    half(&sha2::Sha384::digest(token)),
                ),
                (
                    CoreJwsSigningAlgorithm::HmacSha512,
                    half(&sha2::Sha512::digest(token)),
                ),
            ] {
                let ok = verify_hs(alg.clone(), &with(json!({ "at_hash": expected })));
                assert!(ok.is_ok(), "{alg:?}: {ok:?}");
                let other = half(&sha2::Sha256::digest(b"another-token"));
                let wrong = verify_hs(alg.clone(), &with(json!({ "at_hash": other })));
                assert_eq!(wrong.unwrap_err().code, Code::IdTokenAtHash, "{alg:?}");
            }
        }

        #[test]
        fn an_unsigned_token_is_named_as_unsigned_whatever_its_alg_header_says() {
            let signed = super::hmac_signed(CoreJwsSigningAlgorithm::HmacSha256, KEY, &claims());
            let (_, rest) = signed.split_once('.').unwrap();
            for header in [r#"{"alg":"none"}"#, r#"{"alg":"NONE"}"#, r#"{"typ":"JWT"}"#] {
                let token = format!("{}.{rest}", URL_SAFE_NO_PAD.encode(header));
                let error = verify_token_for("https://idp.example", &token).unwrap_err();
                assert_eq!(error.code, Code::IdTokenAlg, "{header}: {error:?}");
                assert!(
                    error.message.starts_with("The ID token is not signed"),
                    "named as unsigned, not as an algorithm refused: {header}: {error:?}"
                );
            }
        }

        #[test]
        fn each_missing_claim_is_named_with_its_own_fix() {
            for (claim, code, fix) in [
                ("nonce", Code::IdTokenNonce, "echo the nonce"),
                ("sub", Code::IdTokenSub, "with a sub claim"),
                ("iss", Code::IdTokenIss, "OpenID Connect Core §2"),
                ("exp", Code::IdTokenExp, "OpenID Connect Core §2"),
            ] {
                let mut c = claims();
                c.as_object_mut().unwrap().remove(claim);
                let error = hs256(&c).unwrap_err();
                assert_eq!(error.code, code, "{claim}");
                assert!(
                    error.message.contains(&format!("no \"{claim}\" claim")),
                    "{error:?}"
                );
                assert!(error.fix.contains(fix), "{claim}: {}", error.fix);
            }
        }
    }

    mod algs {
        //! The allowed algorithms and the HMAC key, through `verify` as the flow calls it.
        use super::super::*;
        use crate::login::signing::SigningPolicy;
        use eca_model::signing_alg::SigningAlg::{ES256, HS256, RS256};

        const NOW: i64 = 1_800_000_000;

        /// A token with correct claims, signed with HMAC-SHA256 keyed by `key`.
        fn hs256_token(key: &str) -> String {
            let claims = serde_json::json!({
                "iss": "https://idp.example", "sub": "user-1", "aud": "client-1",
                "exp": NOW + 300, "iat": NOW, "nonce": "n-1",
            });
            super::hmac_signed(CoreJwsSigningAlgorithm::HmacSha256, key, &claims)
        }

        /// An RS256 header over correct claims; the signature is never reached.
        fn rs256_token() -> String {
            let token = hs256_token("unused");
            let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"k1"}"#);
            format!("{header}.{}", token.split_once('.').unwrap().1)
        }

        fn verify_with(
            token: &str,
            signing: &SigningPolicy,
            secret: &Secret,
        ) -> Result<Verified, Rejection> {
            let nonce = Nonce::new("n-1".into());
            let exp = Expectations {
                issuer: "https://idp.example",
                client_id: "client-1",
                secret: Some(secret),
                nonce: &nonce,
                signing,
                access_token: "at",
                now: OffsetDateTime::from_unix_timestamp(NOW).unwrap(),
            };
            verify(token, &KeySet::new(Vec::new()), &exp)
        }

        fn refused_code(result: Result<Verified, Rejection>) -> (Code, String, String) {
            match result {
                Err(Rejection::Rejected(e) | Rejection::UnknownKey(e)) => {
                    (e.code, e.message, e.fix)
                }
                Ok(_) => panic!("expected a refusal, the token was accepted"),
            }
        }

        #[test]
        fn an_hs256_token_is_refused_by_default_even_with_a_secret() {
            let secret = Secret::new("a-client-secret-of-32-bytes-at-least!");
            let advertised = vec!["RS256".to_string(), "HS256".to_string()];
            let default = SigningPolicy::new(&[], &advertised);
            let (code, message, fix) = refused_code(verify_with(
                &hs256_token(secret.expose()),
                &default,
                &secret,
            ));
            assert_eq!(code, Code::IdTokenAlgNotAllowed);
            assert!(message.contains("HS256"), "{message}");
            assert!(fix.contains("ID token signing algorithms"), "{fix}");
        }

        #[test]
        fn an_hs256_token_is_accepted_when_listed() {
            let secret = Secret::new("a-client-secret-of-32-bytes-at-least!");
            let listed = SigningPolicy::new(&[RS256, HS256], &[]);
            let verified = verify_with(&hs256_token(secret.expose()), &listed, &secret)
                .unwrap_or_else(|r| match r {
                    Rejection::Rejected(e) | Rejection::UnknownKey(e) => panic!("{e:?}"),
                });
            assert_eq!(verified.subject, "user-1");
            let forged = hs256_token("another-secret-of-32-bytes-at-least!!");
            let (code, ..) = refused_code(verify_with(&forged, &listed, &secret));
            assert_eq!(
                code,
                Code::IdTokenSignature,
                "a token keyed otherwise still fails"
            );
        }

        #[test]
        fn an_rs256_token_is_refused_when_only_es256_is_listed() {
            let secret = Secret::new("s");
            let only_es = SigningPolicy::new(&[ES256], &["RS256".to_string()]);
            let (code, message, _) = refused_code(verify_with(&rs256_token(), &only_es, &secret));
            assert_eq!(code, Code::IdTokenAlgNotAllowed);
            assert!(
                message.contains("RS256") && message.contains("ES256"),
                "{message}"
            );
        }
    }

    #[test]
    fn malformed_tokens_are_named() {
        for t in ["", "a.b", "a.b.c.d", "!!.??.x"] {
            assert!(
                matches!(decode_parts(t), Err(Rejection::Rejected(e)) if e.code == Code::IdTokenFormat),
                "{t}"
            );
        }
    }
}
