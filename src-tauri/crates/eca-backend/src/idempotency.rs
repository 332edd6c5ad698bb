//! Idempotency keys: what makes two requests "the same", and which keys are in flight.
//!
//! Invariants:
//! - A request's [`RequestFingerprint`] covers the method, the path, the `If-Match` and
//!   `If-None-Match` headers and the body as canonical JSON (members sorted, no whitespace), so
//!   member order and formatting never turn a retry into a "different request". It is a hash
//!   salted per workspace: the body may hold a client secret, and only the hash is stored.
//! - [`InFlight`] holds the keys whose request is being processed in this process. A claim is
//!   released when its [`InFlightClaim`] is dropped, which the write pipeline does only after
//!   its transaction has finished, so a retry never races the original past the store.
//! - Records are kept for [`RETENTION`] (the contract promises at least 24 hours).

use crate::workspace::WorkspaceId;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// How long a recorded outcome is kept.
pub const RETENTION: Duration = Duration::from_secs(24 * 60 * 60);
pub const MAX_KEY_LEN: usize = 255;

/// The value of an `Idempotency-Key` header: 1 to 255 visible ASCII characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Option<Self> {
        let ok =
            (1..=MAX_KEY_LEN).contains(&raw.len()) && raw.chars().all(|c| c.is_ascii_graphic());
        ok.then(|| Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What identifies a request for idempotency (hex SHA-256).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestFingerprint(String);

/// The parts of a write request that must match for a replay.
pub struct RequestParts<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub if_match: Option<&'a str>,
    pub if_none_match: Option<&'a str>,
    pub body: Option<&'a Value>,
}

impl RequestFingerprint {
    pub fn new(salt: &[u8], parts: &RequestParts<'_>) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"eca-backend/request/v1\0");
        hasher.update(salt);
        // Each part is length-prefixed so no two different requests hash the same input.
        for part in [
            Some(parts.method.to_string()),
            Some(parts.path.to_string()),
            parts.if_match.map(str::to_string),
            parts.if_none_match.map(str::to_string),
            parts.body.map(canonical_json),
        ] {
            match part {
                None => hasher.update(b"-"),
                Some(text) => {
                    hasher.update(b"+");
                    hasher.update((text.len() as u64).to_be_bytes());
                    hasher.update(text.as_bytes());
                }
            }
        }
        Self(hex::encode(hasher.finalize()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// JSON with object members sorted by name at every level and no whitespace.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (name, member)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(name.clone()).to_string());
                out.push(':');
                write_canonical(member, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The idempotency keys being processed right now, per workspace.
#[derive(Default)]
pub struct InFlight {
    keys: Mutex<HashSet<(WorkspaceId, IdempotencyKey)>>,
}

impl InFlight {
    /// Claims a key, or `None` when a request with it is already being processed.
    pub fn claim(
        self: &Arc<Self>,
        workspace: &WorkspaceId,
        key: &IdempotencyKey,
    ) -> Option<InFlightClaim> {
        let entry = (workspace.clone(), key.clone());
        let inserted = self.lock().insert(entry.clone());
        inserted.then(|| InFlightClaim {
            registry: Arc::clone(self),
            entry,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<(WorkspaceId, IdempotencyKey)>> {
        // A set of keys is always consistent; a poisoned lock is still usable.
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A claimed key; dropping it releases the key.
pub struct InFlightClaim {
    registry: Arc<InFlight>,
    entry: (WorkspaceId, IdempotencyKey),
}

impl Drop for InFlightClaim {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parts<'a>(body: &'a Value, if_match: Option<&'a str>) -> RequestParts<'a> {
        RequestParts {
            method: "PUT",
            path: "/v1/workspaces/dev/idps/x",
            if_match,
            if_none_match: None,
            body: Some(body),
        }
    }

    #[test]
    fn member_order_and_whitespace_do_not_change_the_fingerprint() {
        let a: Value = serde_json::from_str(r#"{"b": 1, "a": {"y": [1, 2], "x": null}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":{"x":null,"y":[1,2]},"b":1}"#).unwrap();
        assert_eq!(canonical_json(&a), r#"{"a":{"x":null,"y":[1,2]},"b":1}"#);
        assert_eq!(
            RequestFingerprint::new(b"salt", &parts(&a, None)),
            RequestFingerprint::new(b"salt", &parts(&b, None))
        );
    }

    #[test]
    fn every_part_of_the_request_counts() {
        let body = json!({"name": "Acme"});
        let base = RequestFingerprint::new(b"salt", &parts(&body, Some("\"r1\"")));
        let other_body = json!({"name": "Acme2"});
        assert_ne!(
            base,
            RequestFingerprint::new(b"salt", &parts(&other_body, Some("\"r1\"")))
        );
        assert_ne!(
            base,
            RequestFingerprint::new(b"salt", &parts(&body, Some("\"r2\"")))
        );
        assert_ne!(base, RequestFingerprint::new(b"salt", &parts(&body, None)));
        assert_ne!(
            base,
            RequestFingerprint::new(b"pepper", &parts(&body, Some("\"r1\"")))
        );
        let mut delete = parts(&body, Some("\"r1\""));
        delete.method = "DELETE";
        assert_ne!(base, RequestFingerprint::new(b"salt", &delete));
    }

    #[test]
    fn keys_are_visible_ascii_up_to_255() {
        assert!(IdempotencyKey::parse("6f1c2b0e-8a4d-4c1e-9b7a-2d5e3f4a1b6c").is_some());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_some());
        for bad in ["", "has space", "tab\t", "é", &"k".repeat(256)] {
            assert!(
                IdempotencyKey::parse(bad).is_none(),
                "{bad:?} must be refused"
            );
        }
    }

    #[test]
    fn a_claim_blocks_the_same_key_until_dropped() {
        let in_flight = Arc::new(InFlight::default());
        let dev: WorkspaceId = "dev".parse().unwrap();
        let other: WorkspaceId = "other".parse().unwrap();
        let key = IdempotencyKey::parse("k1").unwrap();
        let claim = in_flight
            .claim(&dev, &key)
            .expect("the first claim succeeds");
        assert!(
            in_flight.claim(&dev, &key).is_none(),
            "a second claim must fail while in flight"
        );
        assert!(
            in_flight.claim(&other, &key).is_some(),
            "keys are scoped to the workspace"
        );
        drop(claim);
        assert!(
            in_flight.claim(&dev, &key).is_some(),
            "the key must be free after the drop"
        );
    }
}
