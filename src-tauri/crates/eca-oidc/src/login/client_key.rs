//! The client's own signing key for `private_key_jwt` (RFC 7523 §2.2, OIDC Core §9): making
//! it, the public JWK, JWKS and self-signed certificate an admin registers at the IdP, and
//! signing client assertions.
//!
//! Which keys: every IdP gets one key set of two keys, an RSA 2048 key (RS256 and PS256, what
//! nearly every IdP accepts, and the key of the certificate for IdPs that register one) and an
//! EC P-256 key (ES256, for IdPs that advertise only that). One JWKS holding both covers every
//! algorithm the IdP may advertise, so the admin registers once and never has to know the
//! algorithm before generating. The algorithm is chosen per request from discovery
//! ([`assertion_alg`]), and it picks the key.
//!
//! Invariants:
//! - The private keys leave a [`ClientKey`] only as [`ClientKey::to_stored_text`], for the OS
//!   keyring or a store that seals it; `Debug` redacts and nothing here implements `Serialize`
//!   for private material. Everything [`PublicKeys`] holds is public.
//! - A `kid` is the key's RFC 7638 thumbprint, so it follows from the key alone.
//! - Each assertion carries `iss` = `sub` = the client ID, the `aud` the caller names, a fresh
//!   `jti` and an `exp` [`ASSERTION_LIFETIME`] after `iat`; time comes from the caller.
//! - The certificate follows from the RSA key alone (subject, serial and validity included), so
//!   the same key always shows the same certificate bytes, and an RSA-signed assertion names
//!   that certificate by its thumbprints (`x5t`, `x5t#S256`): what Entra ID matches a
//!   registered certificate by.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use eca_model::signing_alg::SigningAlg;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{self, EcdsaKeyPair, KeyPair as _, RsaKeyPair};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::traits::PublicKeyParts;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

/// How long a client assertion is valid: long enough for one request, short enough that a
/// stolen one is soon useless.
pub const ASSERTION_LIFETIME: Duration = Duration::seconds(60);
/// The algorithms a client assertion is signed with, in order of preference.
pub const ASSERTION_ALGS: [SigningAlg; 3] =
    [SigningAlg::RS256, SigningAlg::PS256, SigningAlg::ES256];
const STORED_PREFIX: &str = "eca-client-key-v1";
const RSA_BITS: usize = 2048;
/// The certificate's validity, the same for every key so that a key's certificate never
/// changes: from before any key was made to the last date of RFC 5280's UTCTime. How long the
/// key itself is trusted is the IdP's registration and the credential's "expires on" date.
const CERTIFICATE_NOT_BEFORE: OffsetDateTime = time::macros::datetime!(2025-01-01 00:00 UTC);
const CERTIFICATE_NOT_AFTER: OffsetDateTime = time::macros::datetime!(2049-12-31 23:59:59 UTC);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClientKeyError {
    #[error("The stored signing key could not be read. Generate a new key (\"Replace key\") and register its public key at the IdP.")]
    Unreadable,
    #[error("A signing key could not be generated: {0}. Try again.")]
    Generate(String),
    #[error("The client assertion could not be signed. Generate a new key (\"Replace key\") and register its public key at the IdP.")]
    Sign,
    #[error("The IdP advertises {0} for client assertions; this app signs them with RS256, PS256 or ES256. Allow one of those at the IdP.")]
    NoCommonAlg(String),
}

/// An IdP's key set: its private halves and the public keys derived from them.
pub struct ClientKey {
    rsa_pkcs8: Vec<u8>,
    ec_pkcs8: Vec<u8>,
    public: PublicKeys,
    /// The RSA key's self-signed certificate (DER), made once from the key.
    certificate_der: Vec<u8>,
}

impl std::fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

/// The public half of a [`ClientKey`]: what an admin registers at the IdP.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct PublicKeys {
    /// The RSA key's JWK (RS256, PS256): the one key to register where only one is taken.
    pub rsa_jwk: Value,
    /// The EC P-256 key's JWK (ES256).
    pub ec_jwk: Value,
}

impl PublicKeys {
    /// `{"keys": [rsa, ec]}`: one registration for every algorithm.
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.rsa_jwk, self.ec_jwk] })
    }

    /// The `kid` of the key that signs with `alg`.
    pub fn kid(&self, alg: SigningAlg) -> &str {
        let jwk = match alg {
            SigningAlg::ES256 => &self.ec_jwk,
            _ => &self.rsa_jwk,
        };
        jwk["kid"].as_str().unwrap_or_default()
    }
}

/// What one client assertion says (RFC 7523 §3).
pub struct AssertionClaims<'a> {
    pub client_id: &'a str,
    /// The endpoint's URL or the issuer, as the IdP expects.
    pub audience: &'a str,
    pub jti: String,
    pub now: OffsetDateTime,
}

impl ClientKey {
    /// A new key set from the OS RNG. RSA generation takes a moment: call it off the UI thread.
    pub fn generate() -> Result<ClientKey, ClientKeyError> {
        let rsa = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, RSA_BITS)
            .map_err(|e| ClientKeyError::Generate(e.to_string()))?;
        let rsa_pkcs8 = rsa
            .to_pkcs8_der()
            .map_err(|e| ClientKeyError::Generate(e.to_string()))?
            .as_bytes()
            .to_vec();
        let ec_pkcs8 = EcdsaKeyPair::generate_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &SystemRandom::new(),
        )
        .map_err(|_| ClientKeyError::Generate("the EC key".into()))?
        .as_ref()
        .to_vec();
        Self::from_pkcs8(rsa_pkcs8, ec_pkcs8)
    }

    fn from_pkcs8(rsa_pkcs8: Vec<u8>, ec_pkcs8: Vec<u8>) -> Result<ClientKey, ClientKeyError> {
        let rsa = rsa::RsaPrivateKey::from_pkcs8_der(&rsa_pkcs8)
            .map_err(|_| ClientKeyError::Unreadable)?;
        let ec = ec_key_pair(&ec_pkcs8)?;
        let public = PublicKeys {
            rsa_jwk: with_kid(json!({
                "kty": "RSA",
                "e": b64(&rsa.e().to_bytes_be()),
                "n": b64(&rsa.n().to_bytes_be()),
            })),
            ec_jwk: with_kid(ec_jwk(ec.public_key().as_ref())?),
        };
        let certificate_der = certificate_der(&rsa_pkcs8, public.kid(SigningAlg::RS256))?;
        Ok(ClientKey {
            rsa_pkcs8,
            ec_pkcs8,
            public,
            certificate_der,
        })
    }

    /// The text kept in the OS keyring (or sealed by the platform's store). Private.
    pub fn to_stored_text(&self) -> String {
        format!(
            "{STORED_PREFIX}.{}.{}",
            b64(&self.rsa_pkcs8),
            b64(&self.ec_pkcs8)
        )
    }

    /// Reads [`Self::to_stored_text`]'s text back.
    pub fn from_stored_text(text: &str) -> Result<ClientKey, ClientKeyError> {
        let mut parts = text.trim().split('.');
        let (Some(STORED_PREFIX), Some(rsa), Some(ec), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(ClientKeyError::Unreadable);
        };
        let decode = |s: &str| {
            URL_SAFE_NO_PAD
                .decode(s)
                .map_err(|_| ClientKeyError::Unreadable)
        };
        Self::from_pkcs8(decode(rsa)?, decode(ec)?)
    }

    pub fn public(&self) -> &PublicKeys {
        &self.public
    }

    /// The self-signed certificate of the RSA key (PEM), for IdPs that register a certificate
    /// rather than a JWK. Always the same for the same key: only its key matters to the IdP.
    pub fn certificate_pem(&self) -> String {
        let body = base64::engine::general_purpose::STANDARD.encode(&self.certificate_der);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|line| std::str::from_utf8(line).unwrap_or_default())
            .collect();
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        )
    }

    /// The certificate's thumbprints, as a JWS header names it: `x5t` (SHA-1 of the DER) and
    /// `x5t#S256` (SHA-256), base64url.
    pub fn certificate_thumbprints(&self) -> (String, String) {
        let sha1 = ring::digest::digest(
            &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            &self.certificate_der,
        );
        (
            b64(sha1.as_ref()),
            b64(&Sha256::digest(&self.certificate_der)),
        )
    }

    /// A signed client assertion (RFC 7523 §2.2) with `alg`, one of [`ASSERTION_ALGS`].
    pub fn sign_assertion(
        &self,
        alg: SigningAlg,
        claims: &AssertionClaims<'_>,
    ) -> Result<String, ClientKeyError> {
        let mut header = json!({ "alg": alg.as_str(), "typ": "JWT", "kid": self.public.kid(alg) });
        if alg != SigningAlg::ES256 {
            // The certificate is the RSA key's: Entra ID finds the registered certificate by
            // x5t with RS256 and by x5t#S256 with PS256; both name the same certificate.
            let (x5t, x5t_s256) = self.certificate_thumbprints();
            header["x5t"] = x5t.into();
            header["x5t#S256"] = x5t_s256.into();
        }
        let iat = claims.now.unix_timestamp();
        let payload = json!({
            "iss": claims.client_id,
            "sub": claims.client_id,
            "aud": claims.audience,
            "jti": claims.jti,
            "iat": iat,
            "exp": iat + ASSERTION_LIFETIME.whole_seconds(),
        });
        let signing_input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(payload.to_string().as_bytes())
        );
        let signature = self.sign(alg, signing_input.as_bytes())?;
        Ok(format!("{signing_input}.{}", b64(&signature)))
    }

    fn sign(&self, alg: SigningAlg, message: &[u8]) -> Result<Vec<u8>, ClientKeyError> {
        let rng = SystemRandom::new();
        let padding: &'static dyn signature::RsaEncoding = match alg {
            SigningAlg::RS256 => &signature::RSA_PKCS1_SHA256,
            SigningAlg::PS256 => &signature::RSA_PSS_SHA256,
            SigningAlg::ES256 => {
                let ec = ec_key_pair(&self.ec_pkcs8)?;
                let sig = ec.sign(&rng, message).map_err(|_| ClientKeyError::Sign)?;
                return Ok(sig.as_ref().to_vec());
            }
            _ => return Err(ClientKeyError::Sign),
        };
        let rsa =
            RsaKeyPair::from_pkcs8(&self.rsa_pkcs8).map_err(|_| ClientKeyError::Unreadable)?;
        let mut sig = vec![0; rsa.public().modulus_len()];
        rsa.sign(padding, &rng, message, &mut sig)
            .map_err(|_| ClientKeyError::Sign)?;
        Ok(sig)
    }
}

/// The self-signed certificate (DER) of the RSA key in `rsa_pkcs8` whose `kid` is `kid`: a
/// function of the key only (the serial is rcgen's, derived from the public key).
fn certificate_der(rsa_pkcs8: &[u8], kid: &str) -> Result<Vec<u8>, ClientKeyError> {
    let key = rcgen::KeyPair::try_from(rsa_pkcs8).map_err(|_| ClientKeyError::Unreadable)?;
    let mut params =
        rcgen::CertificateParams::new(Vec::<String>::new()).map_err(|_| ClientKeyError::Sign)?;
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        format!("ECA Admin client key {kid}"),
    );
    params.not_before = CERTIFICATE_NOT_BEFORE;
    params.not_after = CERTIFICATE_NOT_AFTER;
    let cert = params.self_signed(&key).map_err(|_| ClientKeyError::Sign)?;
    Ok(cert.der().to_vec())
}

/// The algorithm to sign a client assertion with, from the IdP's
/// `token_endpoint_auth_signing_alg_values_supported` (RS256 when it lists none).
pub fn assertion_alg(advertised: &[String]) -> Result<SigningAlg, ClientKeyError> {
    if advertised.is_empty() {
        return Ok(SigningAlg::RS256);
    }
    ASSERTION_ALGS
        .into_iter()
        .find(|alg| advertised.iter().any(|a| a == alg.as_str()))
        .ok_or_else(|| ClientKeyError::NoCommonAlg(advertised.join(", ")))
}

/// A fresh `jti`: 128 bits from the OS RNG.
pub fn new_jti() -> String {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("the OS random number generator works");
    b64(&bytes)
}

fn ec_key_pair(pkcs8: &[u8]) -> Result<EcdsaKeyPair, ClientKeyError> {
    EcdsaKeyPair::from_pkcs8(
        &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        pkcs8,
        &SystemRandom::new(),
    )
    .map_err(|_| ClientKeyError::Unreadable)
}

/// The JWK of an uncompressed P-256 point (`04 || x || y`).
fn ec_jwk(point: &[u8]) -> Result<Value, ClientKeyError> {
    if point.len() != 65 || point[0] != 4 {
        return Err(ClientKeyError::Unreadable);
    }
    Ok(json!({ "kty": "EC", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..]) }))
}

/// Adds `kid` (the RFC 7638 thumbprint) and `use: sig` to a public JWK.
fn with_kid(mut jwk: Value) -> Value {
    // serde_json's default map is ordered by key, which is what RFC 7638 §3 asks for.
    let thumbprint = b64(&Sha256::digest(jwk.to_string().as_bytes()));
    jwk["kid"] = thumbprint.into();
    jwk["use"] = "sig".into();
    jwk
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;

    fn pem_body(pem: &str) -> Option<Vec<u8>> {
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        STANDARD.decode(body).ok()
    }
    use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};

    fn key() -> &'static ClientKey {
        static KEY: std::sync::OnceLock<ClientKey> = std::sync::OnceLock::new();
        KEY.get_or_init(|| ClientKey::generate().unwrap())
    }

    fn claims(now: OffsetDateTime) -> AssertionClaims<'static> {
        AssertionClaims {
            client_id: "client-1",
            audience: "https://idp.example/token",
            jti: "jti-1".into(),
            now,
        }
    }

    /// Checks a signature with jsonwebtoken, an independent verifier.
    fn verify(token: &str, alg: Algorithm, jwk: &Value) -> Value {
        let key = match alg {
            Algorithm::ES256 => DecodingKey::from_ec_components(
                jwk["x"].as_str().unwrap(),
                jwk["y"].as_str().unwrap(),
            )
            .unwrap(),
            _ => DecodingKey::from_rsa_components(
                jwk["n"].as_str().unwrap(),
                jwk["e"].as_str().unwrap(),
            )
            .unwrap(),
        };
        let mut validation = Validation::new(alg);
        validation.set_audience(&["https://idp.example/token"]);
        validation.validate_exp = false;
        decode::<Value>(token, &key, &validation)
            .unwrap_or_else(|e| panic!("{alg:?} verifies: {e}"))
            .claims
    }

    #[test]
    fn each_alg_signs_with_its_key_and_the_claims_rfc_7523_asks_for() {
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let public = key().public();
        for (alg, jwt_alg, jwk) in [
            (SigningAlg::RS256, Algorithm::RS256, &public.rsa_jwk),
            (SigningAlg::PS256, Algorithm::PS256, &public.rsa_jwk),
            (SigningAlg::ES256, Algorithm::ES256, &public.ec_jwk),
        ] {
            let token = key().sign_assertion(alg, &claims(now)).unwrap();
            let header = decode_header(&token).unwrap();
            assert_eq!(header.kid.as_deref(), jwk["kid"].as_str(), "{alg:?}");
            let c = verify(&token, jwt_alg, jwk);
            assert_eq!(c["iss"], "client-1");
            assert_eq!(c["sub"], "client-1");
            assert_eq!(c["jti"], "jti-1");
            assert_eq!(c["iat"], 1_700_000_000);
            assert_eq!(c["exp"], 1_700_000_060, "a short exp");
        }
    }

    #[test]
    fn the_stored_text_reads_back_to_the_same_key_and_bad_text_is_refused() {
        let text = key().to_stored_text();
        let back = ClientKey::from_stored_text(&text).unwrap();
        assert_eq!(back.public(), key().public());
        assert_eq!(
            ClientKey::from_stored_text("eca-client-key-v1.AAAA.BBBB").unwrap_err(),
            ClientKeyError::Unreadable
        );
        assert_eq!(
            ClientKey::from_stored_text("not a key").unwrap_err(),
            ClientKeyError::Unreadable
        );
    }

    #[test]
    fn the_kid_is_the_rfc_7638_thumbprint() {
        // RFC 7638 §3.1's example key and thumbprint.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let jwk = with_kid(json!({ "kty": "RSA", "e": "AQAB", "n": n }));
        assert_eq!(jwk["kid"], "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    #[test]
    fn the_alg_is_the_first_advertised_one_this_app_signs_with() {
        assert_eq!(
            assertion_alg(&[]),
            Ok(SigningAlg::RS256),
            "RS256 by default"
        );
        let list = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            assertion_alg(&list(&["ES256", "PS256"])),
            Ok(SigningAlg::PS256)
        );
        assert_eq!(assertion_alg(&list(&["ES256"])), Ok(SigningAlg::ES256));
        assert_eq!(
            assertion_alg(&list(&["HS256", "EdDSA"])),
            Err(ClientKeyError::NoCommonAlg("HS256, EdDSA".into()))
        );
    }

    #[test]
    fn the_certificate_holds_the_rsa_key() {
        let pem = key().certificate_pem();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
        let der = pem_body(&pem).unwrap();
        let n = URL_SAFE_NO_PAD
            .decode(key().public().rsa_jwk["n"].as_str().unwrap())
            .unwrap();
        assert!(
            der.windows(n.len()).any(|w| w == n.as_slice()),
            "the certificate carries the RSA modulus"
        );
    }

    #[test]
    fn the_same_key_always_shows_the_same_certificate() {
        let again = ClientKey::from_stored_text(&key().to_stored_text()).unwrap();
        assert_eq!(
            again.certificate_pem(),
            key().certificate_pem(),
            "a key read back from the keyring shows the certificate registered before"
        );
        let other = ClientKey::generate().unwrap();
        assert_ne!(other.certificate_pem(), key().certificate_pem());
    }

    #[test]
    fn rsa_assertions_name_the_shown_certificate_by_its_thumbprints() {
        use sha1::Digest as _;
        let der = pem_body(&key().certificate_pem()).unwrap();
        let x5t = URL_SAFE_NO_PAD.encode(sha1::Sha1::digest(&der));
        let x5t_s256 = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(&der));
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        for alg in [SigningAlg::RS256, SigningAlg::PS256] {
            let token = key().sign_assertion(alg, &claims(now)).unwrap();
            let header = decode_header(&token).unwrap();
            assert_eq!(header.x5t.as_deref(), Some(x5t.as_str()), "{alg:?}: x5t");
            assert_eq!(
                header.x5t_s256.as_deref(),
                Some(x5t_s256.as_str()),
                "{alg:?}: x5t#S256"
            );
        }
        let es = key()
            .sign_assertion(SigningAlg::ES256, &claims(now))
            .unwrap();
        let header = decode_header(&es).unwrap();
        assert_eq!(
            (header.x5t, header.x5t_s256),
            (None, None),
            "the certificate is the RSA key's: an ES256 assertion names none"
        );
    }

    #[test]
    fn debug_shows_no_private_key() {
        let shown = format!("{:?}", key());
        let text = key().to_stored_text();
        let rsa_part = text.split('.').nth(1).unwrap();
        assert!(!shown.contains(&rsa_part[..40]), "{shown}");
    }

    #[test]
    fn jtis_are_fresh() {
        assert_ne!(new_jti(), new_jti());
    }
}
