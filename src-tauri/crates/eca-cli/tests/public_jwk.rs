//! `eca idp show NAME --public-jwk` through the built binary, with the reference backend
//! (in-process harness) as the platform: one JWK Set with this computer's keys, and the
//! platform's once the IdP is pushed; stderr says which it holds, and why the platform's are
//! missing (sync not set up, not pushed, backend down) with what to do. Keys and the API key
//! are in the keyring: run through `scripts/with-keyring.sh`.

mod sync_common;

use serde_json::Value;
use sync_common::{require_session_bus, Backend, Eca};

fn kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .expect("a JWK Set")
        .iter()
        .map(|k| k["kid"].as_str().expect("every key has a kid").to_string())
        .collect()
}

/// Runs `eca idp show Acme --public-jwk`: the printed JWK Set and the note.
fn show(eca: &Eca) -> (Value, String) {
    let r = eca.run(&["idp", "show", "Acme", "--public-jwk"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let jwks = serde_json::from_str(&r.stdout).expect("stdout is one JWK Set");
    (jwks, r.stderr)
}

#[test]
fn the_printed_set_holds_the_platform_keys_once_the_idp_is_pushed() {
    require_session_bus();
    let mut backend = Backend::start();
    let eca = Eca::new();
    let id = eca.add("Acme");
    eca.ok(&[
        "idp",
        "edit",
        "Acme",
        "--client-auth-method",
        "private_key_jwt",
    ]);

    let (computer, note) = show(&eca);
    assert_eq!(kids(&computer).len(), 2, "this computer's RSA and EC keys");
    assert!(
        note.contains("computer's keys only") && note.contains("sync is not set up"),
        "{note}"
    );

    eca.set_backend(&backend.url());
    let (jwks, note) = show(&eca);
    assert_eq!(jwks, computer, "the backend does not have the IdP yet");
    assert!(note.contains("eca sync push"), "{note}");

    eca.ok(&["sync", "push"]);
    let (jwks, note) = show(&eca);
    let platform = backend.platform_jwks(id);
    let mut expected = kids(&computer);
    expected.extend(kids(&platform["jwks"]));
    assert_eq!(
        kids(&jwks),
        expected,
        "this computer's keys, then the platform's"
    );
    assert_eq!(jwks["keys"][2], platform["jwks"]["keys"][0]);
    assert!(note.contains("and the platform's"), "{note}");
    for key in jwks["keys"].as_array().unwrap() {
        assert!(key.get("d").is_none(), "public keys only: {key}");
    }

    backend.stop();
    let (jwks, note) = show(&eca);
    assert_eq!(jwks, computer, "this computer's keys still print");
    assert!(
        note.contains("could not be read") && note.contains("cannot be reached"),
        "{note}"
    );
}
