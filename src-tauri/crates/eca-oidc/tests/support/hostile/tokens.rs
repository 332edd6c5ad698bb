//! ID tokens as the hostile provider issues them: correct claims and an RS256 signature, then
//! exactly one defect chosen by the [`Misbehaviour`].
//!
//! Claim defects: `WrongIss`, `WrongAud`, `MissingSub`, `WrongNonce`, `Expired`, `MissingIat`,
//! `IatInFuture`, `AtHashMismatch`, `MultipleAudNoAzp`. Header and signature defects:
//! `BadSignature`, `AlgNone`, `NoKidManyKeys`, `NoKidOneKey` (a valid token), `RotatedKey`.
//! Every other misbehaviour leaves the ID token correct.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Map, Value};
use sha2::{Digest as _, Sha256};

use super::keys::KeyRing;
use super::Misbehaviour;

/// The subject of every token and of userinfo (unless `UserinfoSubMismatch`).
pub const SUBJECT: &str = "hostile-user-1";
/// How long an ID token is valid.
pub const ID_TOKEN_LIFETIME_SECS: i64 = 300;
/// Far beyond any clock skew a relying party may allow.
const AN_HOUR: i64 = 3600;

/// What an ID token is about.
pub struct IdTokenFacts<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The nonce of the authorization request, if it had one.
    pub nonce: Option<&'a str>,
    pub access_token: &'a str,
    /// Unix seconds.
    pub now: i64,
}

/// Signs the ID token for `facts`, wrong in the one way `misbehaviour` asks for.
pub fn id_token(facts: &IdTokenFacts<'_>, misbehaviour: Misbehaviour, keys: &KeyRing) -> String {
    let claims = Value::Object(claims(facts, misbehaviour));
    let key = match misbehaviour {
        Misbehaviour::RotatedKey => keys.rotated(),
        _ => &keys.primary,
    };
    let header = match misbehaviour {
        Misbehaviour::AlgNone => json!({ "alg": "none", "typ": "JWT" }),
        Misbehaviour::NoKidManyKeys | Misbehaviour::NoKidOneKey => {
            json!({ "alg": "RS256", "typ": "JWT" })
        }
        _ => json!({ "alg": "RS256", "typ": "JWT", "kid": key.kid() }),
    };
    let signing_input = format!("{}.{}", b64_json(&header), b64_json(&claims));
    let signature = match misbehaviour {
        // An unsecured JWS (RFC 7515 appendix A.5): the signature part is empty.
        Misbehaviour::AlgNone => Vec::new(),
        Misbehaviour::BadSignature => {
            let mut signature = key.sign(signing_input.as_bytes());
            // Right length, right key, wrong bytes: only the cryptographic check can notice.
            signature[10] ^= 0x5a;
            signature
        }
        _ => key.sign(signing_input.as_bytes()),
    };
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn claims(facts: &IdTokenFacts<'_>, misbehaviour: Misbehaviour) -> Map<String, Value> {
    let now = facts.now;
    let mut claims = Map::new();
    let mut set = |name: &str, value: Value| {
        claims.insert(name.to_owned(), value);
    };
    set("iss", json!(facts.issuer));
    set("sub", json!(SUBJECT));
    set("aud", json!(facts.client_id));
    set("exp", json!(now + ID_TOKEN_LIFETIME_SECS));
    set("iat", json!(now));
    if let Some(nonce) = facts.nonce {
        set("nonce", json!(nonce));
    }
    set("at_hash", json!(at_hash(facts.access_token)));

    match misbehaviour {
        // A suffix, so that a prefix comparison of issuers is caught too.
        Misbehaviour::WrongIss => set("iss", json!(impostor_issuer(facts.issuer))),
        Misbehaviour::WrongAud => set("aud", json!("not-hostile-client")),
        Misbehaviour::MissingSub => {
            claims.remove("sub");
        }
        Misbehaviour::WrongNonce => set("nonce", json!("not-the-nonce-you-sent")),
        Misbehaviour::Expired => {
            set("iat", json!(now - 2 * AN_HOUR));
            set("exp", json!(now - AN_HOUR));
        }
        Misbehaviour::MissingIat => {
            claims.remove("iat");
        }
        Misbehaviour::IatInFuture => {
            set("iat", json!(now + AN_HOUR));
            set("exp", json!(now + AN_HOUR + ID_TOKEN_LIFETIME_SECS));
        }
        Misbehaviour::AtHashMismatch => set("at_hash", json!(at_hash("another-access-token"))),
        Misbehaviour::MultipleAudNoAzp => {
            set("aud", json!([facts.client_id, "other-client"]));
        }
        _ => {}
    }
    claims
}

/// An issuer that is not `issuer` but starts with it.
pub fn impostor_issuer(issuer: &str) -> String {
    format!("{issuer}/impostor")
}

/// `at_hash` (OpenID Connect Core §3.1.3.6): base64url of the left half of SHA-256(token).
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

/// The PKCE S256 challenge of `verifier` (RFC 7636 §4.2).
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn b64_json(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}
