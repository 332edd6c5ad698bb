//! The hostile provider's RSA signing keys and the JWKS documents it publishes.
//!
//! Each provider has its own 2048-bit keys: `primary` signs by default, `spare` sits beside it in
//! the normal JWKS (so a token without `kid` is ambiguous: `NoKidManyKeys`), and `rotated` signs
//! only under `RotatedKey` and is published only once the client fetches again. `rotated` is
//! generated on first use, since key generation is most of a provider's start time.
//!
//! Invariant: a JWK never carries a private part; kids are unique within one provider.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use std::sync::OnceLock;

use rsa::pkcs1v15;
use rsa::rand_core::OsRng;
use rsa::signature::{SignatureEncoding as _, Signer as _};
use rsa::traits::PublicKeyParts as _;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{json, Value};
use sha2::Sha256;

/// One RS256 key with its `kid`.
pub struct SigningKey {
    kid: &'static str,
    signer: pkcs1v15::SigningKey<Sha256>,
    public: RsaPublicKey,
}

impl SigningKey {
    fn generate(kid: &'static str) -> Self {
        let private = RsaPrivateKey::new(&mut OsRng, 2048).expect("generate a 2048-bit RSA key");
        let public = private.to_public_key();
        Self {
            kid,
            signer: pkcs1v15::SigningKey::new(private),
            public,
        }
    }

    pub fn kid(&self) -> &'static str {
        self.kid
    }

    /// The RSASSA-PKCS1-v1_5 SHA-256 signature of `input` (JWS RS256).
    pub fn sign(&self, input: &[u8]) -> Vec<u8> {
        self.signer.sign(input).to_vec()
    }

    /// The public key as a JWK (RFC 7517/7518).
    pub fn jwk(&self) -> Value {
        json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(self.public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(self.public.e().to_bytes_be()),
        })
    }
}

/// The keys of one provider.
pub struct KeyRing {
    pub primary: SigningKey,
    pub spare: SigningKey,
    rotated: OnceLock<SigningKey>,
}

impl KeyRing {
    /// Generates `primary` and `spare` on two threads.
    pub fn generate() -> Self {
        std::thread::scope(|scope| {
            let spare = scope.spawn(|| SigningKey::generate("hostile-spare"));
            let primary = SigningKey::generate("hostile-primary");
            let spare = spare.join().expect("spare key thread");
            Self {
                primary,
                spare,
                rotated: OnceLock::new(),
            }
        })
    }

    /// The key `RotatedKey` signs with, generated on the first call.
    pub fn rotated(&self) -> &SigningKey {
        self.rotated
            .get_or_init(|| SigningKey::generate("hostile-rotated"))
    }
}

/// A JWK Set holding `keys`, in that order.
pub fn jwks(keys: &[&SigningKey]) -> Value {
    json!({ "keys": keys.iter().map(|key| key.jwk()).collect::<Vec<_>>() })
}
