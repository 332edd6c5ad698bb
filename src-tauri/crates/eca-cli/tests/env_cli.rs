//! `eca env`: named sync environments, each with its own key and outbox, through the built
//! binary against two real reference backends (each accepting only its own key).

#[path = "sync_common/mod.rs"]
mod sync_common;

use eca_backend::faults::FaultSettings;
use sync_common::{require_session_bus, Backend, Eca, API_KEY, WORKSPACE};

const PRODUCTION_KEY: &str = "production-key-0123456789abcdef";

fn add_env(eca: &Eca, name: &str, url: &str, key: &str) {
    let r = eca.run_with_stdin(
        &[
            "env",
            "add",
            name,
            "--url",
            url,
            "--workspace",
            WORKSPACE,
            "--api-key-stdin",
        ],
        &format!("{key}\n"),
    );
    assert_eq!(r.code, 0, "env add {name}: {}", r.stderr);
}

#[test]
fn each_environment_syncs_with_its_own_key_and_outbox() {
    require_session_bus();
    let sandbox = Backend::start();
    let production = Backend::start_with(PRODUCTION_KEY, FaultSettings::default());
    let eca = Eca::new();
    add_env(&eca, "sandbox", &sandbox.url(), API_KEY);
    add_env(&eca, "production", &production.url(), PRODUCTION_KEY);
    let list = eca.json(&["env", "list"]);
    let names: Vec<(&str, bool, bool)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap(),
                e["current"].as_bool().unwrap(),
                e["has_api_key"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [("sandbox", true, true), ("production", false, true)],
        "in promotion order, the first current"
    );
    let text = eca.ok(&["env", "list"]);
    assert!(
        !text.contains(API_KEY) && !text.contains(PRODUCTION_KEY),
        "{text}"
    );

    let id = eca.add("Acme");
    eca.ok(&["env", "use", "production"]);
    let r = eca.run(&["sync", "push"]);
    assert_eq!(r.code, 0, "production's outbox is empty: {}", r.stderr);
    assert!(
        production.idps().is_empty(),
        "nothing edited on sandbox went to production"
    );

    eca.ok(&["env", "use", "sandbox"]);
    let r = eca.run(&["sync", "push"]);
    assert_eq!(r.code, 0, "sandbox pushes with its own key: {}", r.stderr);
    assert!(sandbox.idps().contains_key(&id));
}

#[test]
fn refusals_name_the_field_or_the_environment() {
    require_session_bus();
    let eca = Eca::new();
    let r = eca.run(&[
        "env",
        "add",
        "Sandbox",
        "--url",
        "http://127.0.0.1:9",
        "--workspace",
        "dev",
    ]);
    assert_eq!(r.code, 2, "bad input: {}", r.stderr);
    assert!(
        r.stderr.contains("Environment name") || r.stderr.contains("lowercase"),
        "{}",
        r.stderr
    );

    eca.ok(&[
        "env",
        "add",
        "sandbox",
        "--url",
        "http://127.0.0.1:9",
        "--workspace",
        "dev",
    ]);
    eca.ok(&[
        "env",
        "add",
        "production",
        "--url",
        "http://127.0.0.1:10",
        "--workspace",
        "dev",
    ]);
    let r = eca.run(&["env", "remove", "sandbox"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("current"), "{}", r.stderr);
    let r = eca.run(&["env", "use", "staging"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("\"staging\""), "{}", r.stderr);
    eca.ok(&["env", "remove", "production"]);
    assert_eq!(eca.json(&["env", "list"]).as_array().unwrap().len(), 1);
}

/// `eca env add|edit` take an API key the way `eca backend set` does: from stdin only. A key
/// given as a flag value is refused with the reason, never echoed, and nothing is stored.
#[test]
fn an_environments_api_key_is_never_taken_as_a_flag_value() {
    let eca = Eca::new();
    let add = [
        "env",
        "add",
        "sandbox",
        "--url",
        "http://127.0.0.1:9",
        "--workspace",
        WORKSPACE,
        "--api-key",
        API_KEY,
    ];
    let edit = ["env", "edit", "sandbox", "--api-key", API_KEY];
    for args in [&add[..], &edit[..]] {
        let r = eca.run(args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("never taken as a flag value")
                && r.stderr.contains("--api-key-stdin"),
            "{args:?}: {}",
            r.stderr
        );
        assert!(
            !r.stderr.contains(API_KEY),
            "the refusal does not echo the key"
        );
    }
    let listed = eca.run(&["env", "list"]);
    assert!(
        !listed.stdout.contains("sandbox"),
        "nothing was added: {}",
        listed.stdout
    );
}
