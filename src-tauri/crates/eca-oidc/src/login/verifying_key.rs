//! The JWKS keys an ID token is verified with: openidconnect's `CoreJsonWebKey`, whose RSA
//! signatures (RS256/384/512, PS256/384/512) are checked by ring rather than by the `rsa` crate
//! openidconnect uses. ring is ~9× faster at it (23 against 203 µs for one RS256 signature on
//! the 2-core machine), and the platform checks one per customer sign-in.
//!
//! Invariants:
//! - Which key a token is checked with (its `kid`, `use`, `kty` and `alg`) is still chosen by
//!   openidconnect; [`VerifyingKey`] answers only `verify_signature`, after the same
//!   compatibility check openidconnect makes there.
//! - An RSA modulus has 2048 to 8192 bits (RFC 7518 §3.3 asks for 2048 at least); the
//!   exponent is odd, at least 3 and at most 33 bits (ring's bounds). Leading zero bytes of `n`
//!   and `e` are ignored: RFC 7518 forbids them, but some IdPs send them.
//! - Every other algorithm (ES*, EdDSA, HS*) is openidconnect's own verification.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openidconnect::core::{
    CoreJsonWebKey, CoreJsonWebKeyType, CoreJsonWebKeyUse, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    JsonWebKey, JsonWebKeyAlgorithm, JsonWebKeyId, JsonWebKeySet, JsonWebKeyUse,
    JwsSigningAlgorithm, SignatureVerificationError,
};
use ring::signature::{self, RsaParameters, RsaPublicKeyComponents};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// The fewest bits an RSA modulus may have.
pub const MIN_RSA_BITS: usize = 2048;
/// The most bits an RSA modulus may have (ring's bound).
pub const MAX_RSA_BITS: usize = 8192;

/// An IdP's key set as the engine reads, caches and verifies with it: each key's RSA numbers
/// are decoded once, when the JWKS is read.
pub type KeySet = JsonWebKeySet<VerifyingKey>;

/// One JWK, with its RSA public numbers decoded once.
#[derive(Clone, Debug, Serialize)]
#[serde(transparent)]
pub struct VerifyingKey {
    core: CoreJsonWebKey,
    #[serde(skip)]
    rsa: Option<RsaNumbers>,
}

/// `n` and `e`, big-endian without leading zero bytes.
#[derive(Clone, Debug)]
struct RsaNumbers {
    n: Vec<u8>,
    e: Vec<u8>,
}

impl<'de> Deserialize<'de> for VerifyingKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let core = CoreJsonWebKey::deserialize(deserializer)?;
        Ok(Self {
            rsa: rsa_numbers(&core),
            core,
        })
    }
}

/// A key's `n` and `e` (`None` when it lacks either). openidconnect keeps them private, so they
/// are read back from the key's JSON form. Only an RSA key's are used: [`compatible`] refuses
/// any other key type for an RSA algorithm.
fn rsa_numbers(core: &CoreJsonWebKey) -> Option<RsaNumbers> {
    let json = serde_json::to_value(core).ok()?;
    let number = |name: &str| {
        let text = json.get(name).and_then(Value::as_str)?;
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
        Some(bytes[first..].to_vec())
    };
    Some(RsaNumbers {
        n: number("n")?,
        e: number("e")?,
    })
}

/// ring's parameters for an RSA algorithm; `None` for any other.
fn ring_rsa(alg: &CoreJwsSigningAlgorithm) -> Option<&'static RsaParameters> {
    use CoreJwsSigningAlgorithm as A;
    Some(match alg {
        A::RsaSsaPkcs1V15Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        A::RsaSsaPkcs1V15Sha384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        A::RsaSsaPkcs1V15Sha512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        A::RsaSsaPssSha256 => &signature::RSA_PSS_2048_8192_SHA256,
        A::RsaSsaPssSha384 => &signature::RSA_PSS_2048_8192_SHA384,
        A::RsaSsaPssSha512 => &signature::RSA_PSS_2048_8192_SHA512,
        _ => return None,
    })
}

/// The number of bits of a big-endian number without leading zero bytes.
fn bits(number: &[u8]) -> usize {
    match number.first() {
        Some(first) => number.len() * 8 - first.leading_zeros() as usize,
        None => 0,
    }
}

/// Whether `key` may check a signature made with `alg`: the check openidconnect makes before
/// its own verification (its `check_key_compatibility` is not public).
fn compatible(key: &VerifyingKey, alg: &CoreJwsSigningAlgorithm) -> Result<(), &'static str> {
    if key.key_use().is_some_and(|u| !u.allows_signature()) {
        return Err("key usage not permitted for digital signatures");
    }
    if alg.key_type().as_ref() != Some(key.key_type()) {
        return Err("key type does not match signature algorithm");
    }
    match key.signing_alg() {
        JsonWebKeyAlgorithm::Unspecified => Ok(()),
        JsonWebKeyAlgorithm::Algorithm(own) if own == alg => Ok(()),
        JsonWebKeyAlgorithm::Algorithm(_) => Err("incompatible key algorithm"),
        JsonWebKeyAlgorithm::Unsupported => Err("key algorithm is not a signing algorithm"),
    }
}

impl JsonWebKey for VerifyingKey {
    type KeyUse = CoreJsonWebKeyUse;
    type SigningAlgorithm = CoreJwsSigningAlgorithm;

    fn key_id(&self) -> Option<&JsonWebKeyId> {
        self.core.key_id()
    }

    fn key_type(&self) -> &CoreJsonWebKeyType {
        self.core.key_type()
    }

    fn key_use(&self) -> Option<&CoreJsonWebKeyUse> {
        self.core.key_use()
    }

    fn signing_alg(&self) -> JsonWebKeyAlgorithm<&CoreJwsSigningAlgorithm> {
        self.core.signing_alg()
    }

    fn new_symmetric(key: Vec<u8>) -> Self {
        Self {
            core: CoreJsonWebKey::new_symmetric(key),
            rsa: None,
        }
    }

    fn verify_signature(
        &self,
        alg: &CoreJwsSigningAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), SignatureVerificationError> {
        let Some(params) = ring_rsa(alg) else {
            return self.core.verify_signature(alg, message, signature);
        };
        let invalid = |why: String| SignatureVerificationError::InvalidKey(why);
        compatible(self, alg).map_err(|why| invalid(why.into()))?;
        let rsa = self
            .rsa
            .as_ref()
            .ok_or_else(|| invalid("the RSA key has no modulus `n` or exponent `e`".into()))?;
        let size = bits(&rsa.n);
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&size) {
            return Err(invalid(format!(
                "the RSA key has {size} bits; {MIN_RSA_BITS} to {MAX_RSA_BITS} are accepted"
            )));
        }
        RsaPublicKeyComponents {
            n: &rsa.n,
            e: &rsa.e,
        }
        .verify(params, message, signature)
        .map_err(|_| SignatureVerificationError::CryptoError("bad signature".into()))
    }

    fn hash_bytes(&self, bytes: &[u8], alg: &CoreJwsSigningAlgorithm) -> Result<Vec<u8>, String> {
        self.core.hash_bytes(bytes, alg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openidconnect::core::CoreJwsSigningAlgorithm as A;
    use rsa::signature::{RandomizedSigner as _, SignatureEncoding as _, Signer as _};
    use rsa::traits::PublicKeyParts as _;
    use rsa::RsaPrivateKey;
    use serde_json::json;
    use sha2::{Digest as _, Sha256, Sha384, Sha512};
    use std::sync::OnceLock;

    const MESSAGE: &[u8] = b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjdXN0b21lciJ9";

    fn key(bits: usize) -> &'static RsaPrivateKey {
        static KEYS: OnceLock<(RsaPrivateKey, RsaPrivateKey)> = OnceLock::new();
        let (small, normal) = KEYS.get_or_init(|| {
            let mut rng = rsa::rand_core::OsRng;
            (
                RsaPrivateKey::new(&mut rng, 1024).unwrap(),
                RsaPrivateKey::new(&mut rng, 2048).unwrap(),
            )
        });
        match bits {
            1024 => small,
            _ => normal,
        }
    }

    /// The JWK of `private`'s public key, with `extra` members, and `n` prefixed by `zeros` zero
    /// bytes.
    fn jwk(private: &RsaPrivateKey, extra: Value, zeros: usize) -> VerifyingKey {
        let mut n = vec![0u8; zeros];
        n.extend(private.n().to_bytes_be());
        let mut value = json!({
            "kty": "RSA",
            "n": URL_SAFE_NO_PAD.encode(n),
            "e": URL_SAFE_NO_PAD.encode(private.e().to_bytes_be()),
        });
        if let (Value::Object(members), Value::Object(more)) = (&mut value, extra) {
            members.extend(more);
        }
        serde_json::from_value(value).unwrap()
    }

    fn sign(private: &RsaPrivateKey, alg: &A, message: &[u8]) -> Vec<u8> {
        use rsa::{pkcs1v15, pss};
        let private = private.clone();
        let mut rng = rsa::rand_core::OsRng;
        match alg {
            A::RsaSsaPkcs1V15Sha256 => pkcs1v15::SigningKey::<Sha256>::new(private)
                .sign(message)
                .to_vec(),
            A::RsaSsaPkcs1V15Sha384 => pkcs1v15::SigningKey::<Sha384>::new(private)
                .sign(message)
                .to_vec(),
            A::RsaSsaPkcs1V15Sha512 => pkcs1v15::SigningKey::<Sha512>::new(private)
                .sign(message)
                .to_vec(),
            A::RsaSsaPssSha256 => pss::SigningKey::<Sha256>::new(private)
                .sign_with_rng(&mut rng, message)
                .to_vec(),
            A::RsaSsaPssSha384 => pss::SigningKey::<Sha384>::new(private)
                .sign_with_rng(&mut rng, message)
                .to_vec(),
            A::RsaSsaPssSha512 => pss::SigningKey::<Sha512>::new(private)
                .sign_with_rng(&mut rng, message)
                .to_vec(),
            other => panic!("not an RSA algorithm: {other:?}"),
        }
    }

    const RSA_ALGS: [A; 6] = [
        A::RsaSsaPkcs1V15Sha256,
        A::RsaSsaPkcs1V15Sha384,
        A::RsaSsaPkcs1V15Sha512,
        A::RsaSsaPssSha256,
        A::RsaSsaPssSha384,
        A::RsaSsaPssSha512,
    ];

    #[test]
    fn each_rsa_algorithm_verifies_its_own_signatures_only() {
        let private = key(2048);
        let public = jwk(private, json!({}), 0);
        for signed_with in &RSA_ALGS {
            let signature = sign(private, signed_with, MESSAGE);
            for checked_with in &RSA_ALGS {
                let verdict = public.verify_signature(checked_with, MESSAGE, &signature);
                assert_eq!(
                    verdict.is_ok(),
                    signed_with == checked_with,
                    "signed with {signed_with:?}, checked as {checked_with:?}: {verdict:?}"
                );
            }
            let mut altered = MESSAGE.to_vec();
            altered[0] ^= 1;
            let verdict = public.verify_signature(signed_with, &altered, &signature);
            assert!(
                matches!(verdict, Err(SignatureVerificationError::CryptoError(_))),
                "an altered message under {signed_with:?}: {verdict:?}"
            );
        }
    }

    #[test]
    fn another_keys_signature_is_refused() {
        let other = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
        let signature = sign(&other, &A::RsaSsaPkcs1V15Sha256, MESSAGE);
        let verdict = jwk(key(2048), json!({}), 0).verify_signature(
            &A::RsaSsaPkcs1V15Sha256,
            MESSAGE,
            &signature,
        );
        assert!(
            matches!(verdict, Err(SignatureVerificationError::CryptoError(_))),
            "{verdict:?}"
        );
    }

    #[test]
    fn leading_zero_bytes_of_the_modulus_are_ignored() {
        let private = key(2048);
        let signature = sign(private, &A::RsaSsaPkcs1V15Sha256, MESSAGE);
        let padded = jwk(private, json!({}), 2);
        assert_eq!(padded.rsa.as_ref().map(|r| bits(&r.n)), Some(2048));
        padded
            .verify_signature(&A::RsaSsaPkcs1V15Sha256, MESSAGE, &signature)
            .expect("a modulus with leading zero bytes verifies");
    }

    #[test]
    fn a_modulus_under_2048_bits_is_refused_and_named_for_every_rsa_algorithm() {
        // The size is checked before the signature, so any signature bytes do here.
        let small = jwk(key(1024), json!({}), 0);
        for alg in &RSA_ALGS {
            match small.verify_signature(alg, MESSAGE, &[1u8; 128]) {
                Err(SignatureVerificationError::InvalidKey(why)) => {
                    assert_eq!(why, "the RSA key has 1024 bits; 2048 to 8192 are accepted")
                }
                other => panic!("a 1024-bit key under {alg:?}: {other:?}"),
            }
        }
    }

    /// A key whose modulus is these bytes, with e = 65537.
    fn modulus(n: &[u8]) -> VerifyingKey {
        serde_json::from_value(json!({"kty": "RSA", "n": URL_SAFE_NO_PAD.encode(n), "e": "AQAB"}))
            .unwrap()
    }

    #[test]
    fn the_size_bounds_are_exact() {
        // An odd modulus of 2,047 bits (256 bytes, ring alone would round it up to 2,048), of
        // 2,041 bits (256 bytes too), and of 8,193 bits.
        let mut short = vec![0xffu8; 256];
        short[0] = 0x7f;
        let mut shorter = vec![0xffu8; 256];
        shorter[0] = 0x01;
        let mut long = vec![0xffu8; 1025];
        long[0] = 0x01;
        for (n, size) in [(&short, 2047), (&shorter, 2041), (&long, 8193)] {
            match modulus(n).verify_signature(&A::RsaSsaPkcs1V15Sha256, MESSAGE, &[1u8; 256]) {
                Err(SignatureVerificationError::InvalidKey(why)) => assert_eq!(
                    why,
                    format!("the RSA key has {size} bits; 2048 to 8192 are accepted")
                ),
                other => panic!("a {size}-bit modulus: {other:?}"),
            }
        }
        // 2,048 and 8,192 bits pass the size check and fail only on the signature.
        let mut shortest_accepted = vec![0xffu8; 256];
        shortest_accepted[0] = 0x80;
        let longest_accepted = vec![0xffu8; 1024];
        for n in [&shortest_accepted, &longest_accepted] {
            let verdict =
                modulus(n).verify_signature(&A::RsaSsaPkcs1V15Sha256, MESSAGE, &vec![1u8; n.len()]);
            assert!(
                matches!(verdict, Err(SignatureVerificationError::CryptoError(_))),
                "{} bits: {verdict:?}",
                bits(n)
            );
        }
    }

    #[test]
    fn refusals_are_openidconnects_own() {
        // The compatibility check copies openidconnect's (not public): the same refusal, word
        // for word, for every way a key may not check a signature.
        let n = URL_SAFE_NO_PAD.encode(key(2048).n().to_bytes_be());
        let ec = json!({
            "kty": "EC", "crv": "P-256",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
        });
        for (jwk, alg) in [
            (
                json!({"kty": "RSA", "n": n, "e": "AQAB", "use": "enc"}),
                A::RsaSsaPkcs1V15Sha256,
            ),
            (
                json!({"kty": "RSA", "n": n, "e": "AQAB", "alg": "RS384"}),
                A::RsaSsaPkcs1V15Sha256,
            ),
            (
                json!({"kty": "RSA", "n": n, "e": "AQAB", "alg": "A128GCM"}),
                A::RsaSsaPssSha256,
            ),
            (ec, A::RsaSsaPkcs1V15Sha512),
            (json!({"kty": "oct", "k": "c2VjcmV0"}), A::RsaSsaPssSha384),
        ] {
            let ours: VerifyingKey = serde_json::from_value(jwk.clone()).unwrap();
            let theirs: CoreJsonWebKey = serde_json::from_value(jwk.clone()).unwrap();
            let signature = [1u8; 256];
            let (ours, theirs) = (
                ours.verify_signature(&alg, MESSAGE, &signature),
                theirs.verify_signature(&alg, MESSAGE, &signature),
            );
            assert!(
                matches!(ours, Err(SignatureVerificationError::InvalidKey(_))),
                "{jwk}: {ours:?}"
            );
            assert_eq!(format!("{ours:?}"), format!("{theirs:?}"), "{jwk}");
        }
    }

    #[test]
    fn an_rsa_key_is_never_an_hmac_secret() {
        let private = key(2048);
        let public = jwk(private, json!({}), 0);
        let n = private.n().to_bytes_be();
        let forged = openidconnect::core::CoreHmacKey::new(n);
        let signature =
            openidconnect::PrivateSigningKey::sign(&forged, &A::HmacSha256, MESSAGE).unwrap();
        let verdict = public.verify_signature(&A::HmacSha256, MESSAGE, &signature);
        assert!(
            matches!(verdict, Err(SignatureVerificationError::InvalidKey(_))),
            "{verdict:?}"
        );
    }

    #[test]
    fn bits_counts_from_the_first_set_bit() {
        assert_eq!(bits(&[]), 0);
        assert_eq!(bits(&[1]), 1);
        assert_eq!(bits(&[0x80, 0]), 16);
        assert_eq!(bits(&[0x7f, 0xff]), 15);
    }

    #[test]
    fn a_key_that_may_not_sign_this_way_is_refused_before_any_check() {
        let private = key(2048);
        let signature = sign(private, &A::RsaSsaPkcs1V15Sha256, MESSAGE);
        for (extra, why) in [
            (
                json!({"use": "enc"}),
                "key usage not permitted for digital signatures",
            ),
            (json!({"alg": "RS384"}), "incompatible key algorithm"),
            (
                json!({"alg": "A128GCM"}),
                "key algorithm is not a signing algorithm",
            ),
        ] {
            let verdict = jwk(private, extra.clone(), 0).verify_signature(
                &A::RsaSsaPkcs1V15Sha256,
                MESSAGE,
                &signature,
            );
            match verdict {
                Err(SignatureVerificationError::InvalidKey(got)) => assert_eq!(got, why, "{extra}"),
                other => panic!("{extra}: {other:?}"),
            }
        }
        for extra in [json!({"use": "sig"}), json!({"alg": "RS256"})] {
            jwk(private, extra.clone(), 0)
                .verify_signature(&A::RsaSsaPkcs1V15Sha256, MESSAGE, &signature)
                .unwrap_or_else(|e| panic!("{extra}: {e:?}"));
        }
    }

    #[test]
    fn a_key_of_another_type_or_without_its_numbers_is_refused() {
        let signature = sign(key(2048), &A::RsaSsaPkcs1V15Sha256, MESSAGE);
        let ec: VerifyingKey = serde_json::from_value(json!({
            "kty": "EC", "crv": "P-256",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
        }))
        .unwrap();
        match ec.verify_signature(&A::RsaSsaPkcs1V15Sha256, MESSAGE, &signature) {
            Err(SignatureVerificationError::InvalidKey(why)) => {
                assert_eq!(why, "key type does not match signature algorithm")
            }
            other => panic!("an EC key for RS256: {other:?}"),
        }
        let no_e: VerifyingKey =
            serde_json::from_value(json!({"kty": "RSA", "n": "AQAB"})).unwrap();
        match no_e.verify_signature(&A::RsaSsaPkcs1V15Sha256, MESSAGE, &signature) {
            Err(SignatureVerificationError::InvalidKey(why)) => {
                assert_eq!(why, "the RSA key has no modulus `n` or exponent `e`")
            }
            other => panic!("an RSA key without e: {other:?}"),
        }
    }

    #[test]
    fn other_algorithms_are_openidconnects() {
        use openidconnect::core::CoreHmacKey;
        use openidconnect::PrivateSigningKey as _;
        let secret = b"a shared secret of thirty-two bytes!".to_vec();
        let signature = CoreHmacKey::new(secret.clone())
            .sign(&A::HmacSha256, MESSAGE)
            .unwrap();
        let hmac = VerifyingKey::new_symmetric(secret);
        hmac.verify_signature(&A::HmacSha256, MESSAGE, &signature)
            .expect("an HS256 signature of the same secret");
        assert!(hmac
            .verify_signature(&A::HmacSha256, b"other", &signature)
            .is_err());
    }

    #[test]
    fn the_key_reads_and_writes_as_the_same_jwk() {
        let private = key(2048);
        let key = jwk(
            private,
            json!({"kid": "k1", "use": "sig", "alg": "RS256"}),
            0,
        );
        assert_eq!(key.key_id().map(|k| k.as_str()), Some("k1"));
        assert_eq!(key.key_use(), Some(&CoreJsonWebKeyUse::Signature));
        assert!(matches!(
            key.signing_alg(),
            JsonWebKeyAlgorithm::Algorithm(A::RsaSsaPkcs1V15Sha256)
        ));
        let written = serde_json::to_value(&key).unwrap();
        assert_eq!(
            written["n"],
            URL_SAFE_NO_PAD.encode(private.n().to_bytes_be())
        );
        assert_eq!(written["kid"], "k1");
        let read: KeySet = serde_json::from_value(json!({"keys": [written]})).unwrap();
        assert_eq!(read.keys().len(), 1);
        let signature = sign(private, &A::RsaSsaPkcs1V15Sha256, MESSAGE);
        read.keys()[0]
            .verify_signature(&A::RsaSsaPkcs1V15Sha256, MESSAGE, &signature)
            .expect("a key read back as part of a key set verifies");
        assert_eq!(
            key.hash_bytes(b"x", &A::RsaSsaPkcs1V15Sha256).unwrap(),
            sha2::Sha256::digest(b"x").to_vec()
        );
    }
}
