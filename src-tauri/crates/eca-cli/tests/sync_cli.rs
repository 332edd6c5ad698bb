//! `eca backend` and `eca sync` through the built binary, against the reference backend
//! started in-process on an ephemeral loopback port, each test with its own backend and data
//! folders (so they run in parallel).
//!
//! The API key goes to a real Secret Service: run through `scripts/with-keyring.sh`.

mod sync_common;

use eca_backend::faults::FaultSettings;
use sync_common::{require_session_bus, Backend, Eca, API_KEY, OTHER_KEY};

/// The plan's item for `id` (JSON).
fn plan_item(eca: &Eca, id: &str) -> serde_json::Value {
    let plan = eca.json(&["sync", "plan"]);
    plan["items"]
        .as_array()
        .expect("the plan has items")
        .iter()
        .find(|i| i["idp_id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no plan item for {id}: {plan}"))
}

#[test]
fn backend_settings_never_show_the_key() {
    require_session_bus();
    let eca = Eca::new();
    let r = eca.run(&["backend", "show"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("not set up"), "{}", r.stdout);

    let r = eca.run(&[
        "backend",
        "set",
        "--url",
        "http://127.0.0.1:9",
        "--workspace",
        "alpha",
    ]);
    assert_eq!(r.code, 0, "setting without a key is allowed: {}", r.stderr);

    let r = eca.run(&["backend", "set", "--api-key", API_KEY]);
    assert_eq!(r.code, 2, "a key as a flag value is refused");
    assert!(r.stderr.contains("--api-key-stdin"), "{}", r.stderr);
    assert!(
        !r.stderr.contains(API_KEY),
        "the refusal does not echo the key"
    );

    let r = eca.run(&[
        "backend",
        "set",
        "--url",
        "http://msg.example",
        "--workspace",
        "alpha",
    ]);
    assert_eq!(r.code, 2, "plain http off-host is refused: {}", r.stderr);

    eca.set_backend("http://127.0.0.1:9");
    let show = eca.ok(&["backend", "show"]);
    assert!(
        show.contains("http://127.0.0.1:9") && show.contains("alpha"),
        "{show}"
    );
    assert!(show.contains("stored in the OS keyring"), "{show}");
    assert!(!show.contains(API_KEY), "the key is never printed: {show}");
    let json = eca.json(&["backend", "show"]);
    assert_eq!(json["has_api_key"], true);
    assert_eq!(json["settings"]["workspace_id"], "alpha");
    assert!(!json.to_string().contains(API_KEY));
}

/// On a terminal a push counts its changes on stderr; through a pipe (a script) it does not.
#[test]
fn a_push_on_a_terminal_counts_its_changes() {
    require_session_bus();
    let backend = Backend::start();
    let eca = Eca::new();
    eca.set_backend(&backend.url());
    eca.add("Okta");
    let piped = eca.run(&["sync", "push"]);
    assert_eq!(piped.code, 0, "{}", piped.stderr);
    assert!(!piped.stderr.contains("Pushing"), "{}", piped.stderr);

    eca.add("Azure");
    eca.add("Ping");
    // `script` gives the command a pseudo-terminal and copies what it printed to stdout.
    let command = format!(
        "{} --data-dir {} sync push",
        env!("CARGO_BIN_EXE_eca"),
        eca.path().display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_remove("RUST_LOG")
        .output()
        .expect("script(1) runs");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    assert!(
        shown.contains("\rPushing 1 / 2\rPushing 2 / 2"),
        "{shown:?}"
    );
    assert!(shown.contains("Pushed 2 change(s)."), "{shown:?}");
}

#[test]
fn push_happy_path() {
    require_session_bus();
    let backend = Backend::start();
    let eca = Eca::new();
    eca.set_backend(&backend.url());
    let okta = eca.add("Okta").to_string();
    let azure = eca.add("Azure").to_string();
    let r = eca.run_with_stdin(
        &["idp", "edit", "Okta", "--client-secret-stdin"],
        "okta-secret-value\n",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);

    let status = eca.json(&["sync", "status"]);
    assert_eq!(
        status.as_array().unwrap().len(),
        2,
        "one coalesced change per IdP: {status}"
    );
    assert_eq!(status[0]["state"], "pending");
    let text = eca.ok(&["sync", "status"]);
    assert!(text.contains("Okta") && text.contains("create"), "{text}");

    let item = plan_item(&eca, &okta);
    assert_eq!(item["action"], "create");
    let secret = item["local_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "client_secret")
        .expect("the secret shows as a change");
    assert_eq!(secret["after"], "changed", "secrets only as changed");
    let plan_text = eca.ok(&["sync", "plan"]);
    assert!(!plan_text.contains("okta-secret-value"), "{plan_text}");
    assert!(plan_text.contains("client_secret: changed"), "{plan_text}");

    let r = eca.run(&["sync", "push"]);
    assert_eq!(r.code, 0, "push succeeds: {}", r.stderr);
    assert!(r.stdout.contains("Pushed 2 change(s)."), "{}", r.stdout);

    let remote = backend.idps();
    assert_eq!(remote.len(), 2);
    for (id, fields) in eca.local_wire() {
        assert_eq!(
            remote[&id].fields, fields,
            "the backend holds the local fields"
        );
    }
    assert!(
        remote[&okta.parse().unwrap()].secret_set,
        "the secret was sent"
    );
    assert!(!remote[&azure.parse().unwrap()].secret_set);
    assert_eq!(eca.json(&["sync", "status"]), serde_json::json!([]));
    assert!(eca
        .ok(&["sync", "plan"])
        .contains("Everything is in sync (2 IdP(s))."));

    // Edit, disable and delete, then push again.
    eca.ok(&["idp", "edit", "Okta", "--notes", "second round"]);
    eca.ok(&["idp", "disable", "Okta"]);
    eca.ok(&["idp", "delete", "Azure", "--yes"]);
    let item = plan_item(&eca, &azure);
    assert_eq!(item["action"], "delete");
    let report = eca.json(&["sync", "push"]);
    assert_eq!(report["pushed"].as_array().unwrap().len(), 2, "{report}");
    let remote = backend.idps();
    assert_eq!(remote.len(), 1, "Azure is gone from the backend");
    let okta_remote = &remote[&okta.parse().unwrap()];
    assert_eq!(okta_remote.fields.notes, "second round");
    assert!(!okta_remote.fields.enabled);
    assert!(
        okta_remote.secret_set,
        "the secret stays when it was not edited"
    );
}

#[test]
fn backend_down_then_up() {
    require_session_bus();
    let mut backend = Backend::start();
    let eca = Eca::new();
    eca.set_backend(&backend.url());
    let id = eca.add("Okta");
    let addr = backend.addr();
    backend.stop();

    let r = eca.run(&["sync", "push"]);
    assert_eq!(
        r.code, 3,
        "an unreachable backend leaves the change pending"
    );
    assert_eq!(r.stderr.trim().lines().count(), 1, "one line: {}", r.stderr);
    assert!(r.stderr.contains("cannot be reached"), "{}", r.stderr);
    assert!(
        r.stderr.contains("kept"),
        "it says the changes are kept: {}",
        r.stderr
    );
    let status = eca.json(&["sync", "status"]);
    assert_eq!(
        status.as_array().unwrap().len(),
        1,
        "the change is kept: {status}"
    );
    assert_eq!(status[0]["state"], "pending");
    assert!(
        status[0]["last_error"].as_str().is_some(),
        "the status says what went wrong: {status}"
    );
    let r = eca.run(&["sync", "plan"]);
    assert_eq!(r.code, 1, "the three-way plan needs the backend");

    backend.restart(addr, API_KEY);
    if backend.url() != format!("http://{addr}") {
        eca.set_backend(&backend.url());
    }
    let r = eca.run(&["sync", "push"]);
    assert_eq!(r.code, 0, "the kept change goes out: {}", r.stderr);
    assert!(backend.idps().contains_key(&id));
    assert_eq!(eca.outbox_len(), 0);
}

/// `eca sync retry`: a change the backend refused waits until the admin asks for it again; then
/// it is pending (under a new key) and the next push sends it.
#[test]
fn a_refused_change_is_sent_again_after_retry() {
    use eca_core::store::sync_changes::{self, ChangeState};
    use eca_core::store::sync_envs;
    require_session_bus();
    let backend = Backend::start();
    let eca = Eca::new();
    eca.set_backend(&backend.url());
    let id = eca.add("Okta");
    // As a push leaves a change the backend refused (a 422: sync_refusals.rs in eca-core).
    let db = eca.db();
    let change = &sync_changes::list(&db, sync_envs::current_id(&db).unwrap()).unwrap()[0];
    sync_changes::set_state(
        &db,
        change.seq,
        ChangeState::Failed,
        Some("issuer: not allowed"),
    )
    .unwrap();
    let key_before = change.idempotency_key.clone();

    let r = eca.run(&["sync", "push"]);
    assert_eq!(r.code, 4, "a failed change fails the push: {}", r.stderr);
    assert!(backend.idps().is_empty(), "a failed change is not sent");

    let said = eca.ok(&["sync", "retry", "Okta"]);
    assert!(said.contains("1 refused change(s) of \"Okta\""), "{said}");
    let retried = &sync_changes::list(&db, sync_envs::current_id(&db).unwrap()).unwrap()[0];
    assert_eq!(retried.state, ChangeState::Pending);
    assert_ne!(retried.idempotency_key, key_before, "a new key");
    let again = eca.json(&["sync", "retry", &id.to_string()]);
    assert_eq!(again["retried"], 0, "{again}");

    let r = eca.run(&["sync", "push"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(backend.idps().contains_key(&id));
}

#[test]
fn unauthorized_keeps_everything() {
    require_session_bus();
    // This backend opens the workspace only with another key, so the stored one gets a 401.
    let mut backend = Backend::start_with(OTHER_KEY, FaultSettings::default());
    let eca = Eca::new();
    eca.set_backend(&backend.url());
    eca.add("Okta");
    eca.add("Azure");

    let r = eca.run(&["sync", "push"]);
    assert_eq!(r.code, 1, "a refused key fails the push");
    assert_eq!(r.stderr.trim().lines().count(), 1, "one line: {}", r.stderr);
    assert!(r.stderr.contains("401"), "{}", r.stderr);
    assert!(r.stderr.contains("kept"), "{}", r.stderr);
    assert!(!r.stderr.contains(API_KEY), "the key is never printed");
    let r = eca.run(&["sync", "push", "--json"]);
    let problem: serde_json::Value = serde_json::from_str(r.stderr.trim()).unwrap();
    assert_eq!(problem["code"], "unauthorized");
    assert_eq!(eca.outbox_len(), 2, "both changes are kept");
    assert!(backend.idps().is_empty(), "nothing was written");

    // The backend accepts the stored key again: everything kept goes out.
    let addr = backend.addr();
    backend.restart(addr, API_KEY);
    if backend.url() != format!("http://{addr}") {
        eca.set_backend(&backend.url());
    }
    let r = eca.run(&["sync", "push"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(backend.idps().len(), 2);
}

#[test]
fn a_conflict_from_a_second_data_dir_is_resolved_both_ways() {
    require_session_bus();
    let backend = Backend::start();
    let (mine, theirs) = (Eca::new(), Eca::new());
    mine.set_backend(&backend.url());
    theirs.set_backend(&backend.url());
    let id = mine.add("Okta");
    let other = mine.add("Azure");
    mine.ok(&["sync", "push"]);

    // The second admin takes both (drift: created on the backend).
    let pulled = theirs.json(&["sync", "pull"]);
    assert_eq!(pulled["pulled"].as_array().unwrap().len(), 2, "{pulled}");
    assert_eq!(theirs.local_wire(), mine.local_wire());
    assert_eq!(theirs.outbox_len(), 0, "a pull records nothing to push");

    // Both edit Okta; theirs is pushed first.
    theirs.ok(&["idp", "edit", "Okta", "--notes", "theirs"]);
    theirs.ok(&["sync", "push"]);
    mine.ok(&["idp", "edit", "Okta", "--notes", "mine"]);
    let item = plan_item(&mine, &id.to_string());
    assert_eq!(item["status"], "conflict", "{item}");
    let r = mine.run(&["sync", "push"]);
    assert_eq!(r.code, 4, "a conflict fails the push");
    assert!(
        r.stdout.contains("conflict") && r.stdout.contains("Okta"),
        "{}",
        r.stdout
    );
    assert!(r.stderr.contains("1 conflict(s)"), "{}", r.stderr);
    let r = mine.run(&["sync", "push"]);
    assert_eq!(
        (
            r.code,
            r.stdout.contains("conflict") && r.stdout.contains("Okta")
        ),
        (4, true),
        "a conflict left by an earlier push still fails the next one, named: {}",
        r.stdout
    );
    let status = mine.json(&["sync", "status"]);
    assert_eq!(status[0]["state"], "conflict", "{status}");
    assert!(mine.ok(&["sync", "status"]).contains("last error"));

    // Take theirs.
    mine.ok(&["sync", "resolve", "Okta", "--take-theirs"]);
    assert_eq!(mine.outbox_len(), 0);
    assert_eq!(mine.local_wire()[&id].notes, "theirs");

    // Again, and keep mine this time.
    theirs.ok(&["idp", "edit", "Okta", "--notes", "theirs again"]);
    theirs.ok(&["sync", "push"]);
    mine.ok(&["idp", "edit", "Okta", "--notes", "mine again"]);
    assert_eq!(mine.run(&["sync", "push"]).code, 4);
    let out = mine.ok(&["sync", "resolve", &id.to_string(), "--keep-mine"]);
    assert!(out.contains("Pushed 1 change(s)."), "{out}");
    assert_eq!(backend.idps()[&id].fields.notes, "mine again");
    assert_eq!(mine.outbox_len(), 0);

    // A pull takes drift only: theirs has a pending edit of Okta and drift on Azure.
    mine.ok(&["idp", "edit", "Azure", "--notes", "from mine"]);
    mine.ok(&["sync", "push"]);
    theirs.ok(&["idp", "edit", "Okta", "--notes", "pending here"]);
    let pulled = theirs.json(&["sync", "pull"]);
    assert_eq!(
        pulled["pulled"],
        serde_json::json!([other.to_string()]),
        "{pulled}"
    );
    assert_eq!(theirs.local_wire()[&other].notes, "from mine");
    assert_eq!(
        theirs.local_wire()[&id].notes,
        "pending here",
        "a local pending change is never overwritten by a pull"
    );
    assert_eq!(pulled["conflicts"], serde_json::json!([id.to_string()]));
    assert_eq!(theirs.outbox_len(), 1, "the local edit still waits");
}

/// With every log on, a push writes neither the client secret nor the API key anywhere: not in
/// its output, not in the data folder (the sync tables included).
#[test]
fn secrets_stay_out_of_logs_and_files_while_pushing() {
    require_session_bus();
    let backend = Backend::start();
    let eca = Eca::new();
    eca.set_backend(&backend.url());
    eca.add("Okta");
    let secret = "SYNC-LEAK-CANARY-5f2c9e";
    let r = eca.run_with_stdin(
        &["idp", "edit", "Okta", "--client-secret-stdin"],
        &format!("{secret}\n"),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);

    let out = eca
        .cmd()
        .args(["sync", "push"])
        .env("RUST_LOG", "trace")
        .output()
        .expect("eca runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        printed.contains("TRACE") || printed.contains("DEBUG"),
        "RUST_LOG=trace must turn logging on: {printed}"
    );
    for value in [secret, API_KEY] {
        assert!(
            !printed.contains(value),
            "a secret reached the logs: {value}"
        );
    }
    assert!(
        backend.idps().values().all(|i| i.secret_set),
        "the secret did reach the backend"
    );
    let mut files = 0;
    for entry in std::fs::read_dir(eca.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        files += 1;
        for value in [secret, API_KEY] {
            assert!(
                !bytes.windows(value.len()).any(|w| w == value.as_bytes()),
                "{value} is in {}",
                path.display()
            );
        }
    }
    assert!(files >= 1, "the data folder holds the database");
}

#[test]
fn moving_to_another_backend_needs_its_key_and_a_confirmation_then_starts_afresh() {
    require_session_bus();
    let (old, new) = (Backend::start(), Backend::start());
    let eca = Eca::new();
    eca.set_backend(&old.url());
    let acme = eca.add("Acme");
    eca.ok(&["sync", "push"]);

    let r = eca.run(&["backend", "set", "--url", &new.url()]);
    assert_eq!(
        r.code, 2,
        "a move without the new place's key is refused: {}",
        r.stdout
    );
    assert!(
        r.stderr.contains("API key")
            && r.stderr.contains(&old.url())
            && r.stderr.contains(&new.url()),
        "it asks for a key, naming both places: {}",
        r.stderr
    );
    let key = format!("{API_KEY}\n");
    let move_args = ["backend", "set", "--url", &new.url(), "--api-key-stdin"];
    let r = eca.run_with_stdin(&move_args, &key);
    assert_eq!(r.code, 2, "a move needs a confirmation: {}", r.stdout);
    assert!(
        r.stderr.contains("--start-afresh"),
        "it says how: {}",
        r.stderr
    );
    let show = eca.json(&["backend", "show"]);
    assert_eq!(
        show["settings"]["backend_url"],
        old.url(),
        "nothing moved yet"
    );

    let mut confirmed = move_args.to_vec();
    confirmed.push("--start-afresh");
    let r = eca.run_with_stdin(&confirmed, &key);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        eca.base_versions().is_empty(),
        "the old backend's versions are forgotten"
    );
    let status = eca.json(&["sync", "status"]);
    assert_eq!(status[0]["kind"], "create", "{status}");
    eca.ok(&["sync", "push"]);
    assert!(
        new.idps().contains_key(&acme),
        "the IdP is created on the new backend"
    );
    assert!(
        old.idps().contains_key(&acme),
        "and nothing is deleted on the old one"
    );
}

/// A wait the backend asks for (503 with a long `Retry-After`) leaves the change pending: the
/// push exits with the "left pending" status, and so does the next one while the wait lasts,
/// saying until when; `--help` documents both statuses.
#[test]
fn a_push_that_leaves_changes_pending_exits_3() {
    require_session_bus();
    let backend = Backend::start();
    let eca = Eca::new();
    eca.set_backend(&backend.url());
    eca.add("Okta");
    backend.set_faults(FaultSettings {
        error_503_rate: 1.0,
        retry_after_secs: 600,
        ..FaultSettings::default()
    });
    let r = eca.run(&["sync", "push"]);
    assert_eq!(r.code, 3, "the backend asked to wait: {}", r.stderr);
    backend.set_faults(FaultSettings::default());
    let r = eca.run(&["sync", "push"]);
    assert_eq!(r.code, 3, "the Retry-After still holds: {}", r.stdout);
    assert!(
        r.stdout.contains("waiting") && r.stdout.contains("retry after"),
        "{}",
        r.stdout
    );
    assert_eq!(eca.outbox_len(), 1, "the change is kept");

    let help = eca.ok(&["sync", "push", "--help"]);
    for status in [
        "0  every change",
        "3  changes are left pending",
        "4  changes are left in conflict",
    ] {
        assert!(help.contains(status), "--help documents {status:?}: {help}");
    }
}

/// A flow node and a Chat Desk extension that use an IdP.
fn two_usages() -> Vec<eca_model::usage::IdpUsage> {
    use eca_model::usage::{IdpUsage, UsageKind};
    vec![
        IdpUsage {
            kind: UsageKind::ChatFlowNode,
            id: "node-7".into(),
            name: "Order status".into(),
            node: Some("OAuth Request".into()),
        },
        IdpUsage {
            kind: UsageKind::ChatDeskExtension,
            id: "ext-2".into(),
            name: "CRM".into(),
            node: None,
        },
    ]
}

#[test]
fn disable_and_delete_name_the_flows_that_use_the_idp_and_need_yes() {
    require_session_bus();
    let backend = Backend::start();
    let eca = Eca::new();
    eca.set_backend(&backend.url());
    let okta = eca.add("Okta");
    eca.add("Azure");
    assert_eq!(eca.run(&["sync", "push"]).code, 0);
    backend.seed_usages(okta, &two_usages());
    let used_by = "Used by 1 flow and 1 Chat Desk extension: Order status › OAuth Request, \
                   Chat Desk extension CRM.";

    let refused = eca.run(&["idp", "disable", "Okta"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains(used_by) && refused.stderr.contains("--yes"),
        "the refusal names both usages and how to go ahead: {}",
        refused.stderr
    );
    assert_eq!(refused.stderr.lines().count(), 1, "{}", refused.stderr);
    assert_eq!(
        eca.json(&["idp", "show", "Okta"])["enabled"],
        true,
        "not disabled"
    );

    let r = eca.run(&["idp", "disable", "Azure"]);
    assert_eq!(
        r.code, 0,
        "nothing uses Azure: no --yes needed: {}",
        r.stderr
    );
    assert_eq!(r.stderr, "", "nothing to warn about");

    let r = eca.run(&["idp", "disable", "Okta", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.starts_with("warning: Used by"), "{}", r.stderr);
    assert_eq!(eca.json(&["idp", "show", "Okta"])["enabled"], false);

    let plan_text = eca.ok(&["sync", "plan"]);
    assert!(
        plan_text.contains(&format!("impact: {used_by}")),
        "the plan shows the disable's impact: {plan_text}"
    );
    assert!(
        plan_text.contains("impact: Not used by any flow"),
        "and Azure's: {plan_text}"
    );
    let plan = eca.json(&["sync", "plan"]);
    let impact = plan["impact"]
        .as_array()
        .expect("the JSON plan has the impact");
    let of_okta = impact
        .iter()
        .find(|i| i["idp_id"] == okta.to_string())
        .expect("Okta's disable has its impact");
    assert_eq!(of_okta["check"]["usages"].as_array().unwrap().len(), 2);

    let refused = eca.run(&["idp", "delete", "Okta"]);
    assert_eq!(refused.code, 2);
    assert!(refused.stderr.contains(used_by), "{}", refused.stderr);
    assert_eq!(eca.run(&["idp", "delete", "Okta", "--yes"]).code, 0);
}

#[test]
fn an_unreachable_backend_makes_a_disable_ask_first_and_says_usage_was_not_checked() {
    require_session_bus();
    let mut backend = Backend::start();
    let eca = Eca::new();
    eca.set_backend(&backend.url());
    eca.add("Okta");
    backend.stop();
    let refused = eca.run(&["idp", "disable", "Okta"]);
    assert_eq!(
        refused.code, 2,
        "flows nobody could list may break: {}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains(
            "disabling \"Okta\" stops customer sign-in with it. Couldn't check which flows use \
             it: The backend cannot be reached."
        ) && refused.stderr.contains("Pass --yes to confirm."),
        "{}",
        refused.stderr
    );
    assert_eq!(
        eca.json(&["idp", "show", "Okta"])["enabled"],
        true,
        "nothing changed"
    );

    let r = eca.run(&["idp", "disable", "Okta", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.starts_with(
            "warning: Couldn't check which flows use it: The backend cannot be reached."
        ),
        "{}",
        r.stderr
    );
    assert_eq!(eca.json(&["idp", "show", "Okta"])["enabled"], false);
}
