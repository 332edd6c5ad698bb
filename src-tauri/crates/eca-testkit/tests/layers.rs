//! The crates form layers, and each may depend only on the layers below it:
//!
//! ```text
//! eca-model, eca-sqlite           (no HTTP in the model; no project crate below either)
//! eca-oidc                        the relying-party engine: the model, no SQLite, no keyring
//! eca-core                        store, secrets, catalog, sync
//! eca-cli, eca-admin, eca-backend the binaries; the backend never reaches eca-core or a keyring
//! ```
//!
//! Read from `cargo metadata`, so a new edge in any Cargo.toml fails here until this table
//! allows it.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Which project crates each crate may depend on, as a normal or build dependency.
const ALLOWED: &[(&str, &[&str])] = &[
    ("eca-model", &[]),
    ("eca-sqlite", &[]),
    ("eca-oidc", &["eca-model"]),
    ("eca-core", &["eca-model", "eca-sqlite", "eca-oidc"]),
    ("eca-backend", &["eca-model", "eca-sqlite", "eca-oidc"]),
    ("eca-cli", &["eca-model", "eca-oidc", "eca-core"]),
    ("eca-admin", &["eca-model", "eca-oidc", "eca-core"]),
    ("eca-testkit", &["eca-model"]),
];

/// Crates that a crate may use in its tests only, beyond its normal dependencies.
const ALLOWED_DEV: &[(&str, &[&str])] = &[
    ("eca-core", &["eca-backend", "eca-testkit"]),
    ("eca-cli", &["eca-backend", "eca-testkit"]),
    ("eca-oidc", &["eca-testkit"]),
    ("eca-backend", &["eca-testkit"]),
    ("eca-sqlite", &["eca-testkit"]),
    ("eca-model", &["eca-testkit"]),
    ("eca-admin", &["eca-testkit"]),
];

/// Third-party crates that must never be in a crate's (non-dev) dependency tree.
const FORBIDDEN_BELOW: &[(&str, &[&str])] = &[
    (
        "eca-model",
        &["reqwest", "rusqlite", "keyring", "tauri", "tokio"],
    ),
    ("eca-sqlite", &["reqwest", "keyring", "tauri"]),
    ("eca-oidc", &["rusqlite", "keyring", "tauri"]),
    ("eca-core", &["tauri"]),
    ("eca-cli", &["tauri"]),
    ("eca-backend", &["keyring", "tauri", "eca-core"]),
];

struct Workspace {
    /// Package id → name, for every package in the build.
    names: BTreeMap<String, String>,
    /// Workspace member name → (dependency name, kind) for its direct dependencies.
    direct: BTreeMap<String, Vec<(String, Option<String>)>>,
    /// Package id → the ids of its normal and build dependencies (resolved, every target).
    resolved: BTreeMap<String, Vec<String>>,
    members: BTreeMap<String, String>,
}

fn workspace() -> Workspace {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON");
    let member_ids: BTreeSet<&str> = meta["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    let mut ws = Workspace {
        names: BTreeMap::new(),
        direct: BTreeMap::new(),
        resolved: BTreeMap::new(),
        members: BTreeMap::new(),
    };
    for pkg in meta["packages"].as_array().unwrap() {
        let id = pkg["id"].as_str().unwrap().to_string();
        let name = pkg["name"].as_str().unwrap().to_string();
        ws.names.insert(id.clone(), name.clone());
        if member_ids.contains(id.as_str()) {
            let deps = pkg["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| {
                    (
                        d["name"].as_str().unwrap().to_string(),
                        d["kind"].as_str().map(str::to_string),
                    )
                })
                .collect();
            ws.direct.insert(name.clone(), deps);
            ws.members.insert(name, id);
        }
    }
    for node in meta["resolve"]["nodes"].as_array().unwrap() {
        let id = node["id"].as_str().unwrap().to_string();
        let deps = node["deps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| {
                d["dep_kinds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|k| k["kind"].as_str() != Some("dev"))
            })
            .map(|d| d["pkg"].as_str().unwrap().to_string())
            .collect();
        ws.resolved.insert(id, deps);
    }
    ws
}

impl Workspace {
    /// The ids of `root` and everything it needs to build and run (not its tests).
    fn closure(&self, root: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![root.to_string()];
        while let Some(id) = todo.pop() {
            if seen.insert(id.clone()) {
                todo.extend(self.resolved.get(&id).into_iter().flatten().cloned());
            }
        }
        seen
    }
}

fn allowed(table: &[(&str, &'static [&'static str])], krate: &str) -> &'static [&'static str] {
    table
        .iter()
        .find(|(name, _)| *name == krate)
        .map(|(_, list)| *list)
        .unwrap_or(&[])
}

#[test]
fn every_crate_is_in_the_table() {
    let ws = workspace();
    for member in ws.members.keys() {
        assert!(
            ALLOWED.iter().any(|(name, _)| name == member),
            "{member} is a new crate: give it its layer in ALLOWED"
        );
    }
}

#[test]
fn crates_depend_only_on_the_layers_below() {
    let ws = workspace();
    let project: BTreeSet<&String> = ws.members.keys().collect();
    let mut wrong = Vec::new();
    for (krate, deps) in &ws.direct {
        for (dep, kind) in deps {
            if !project.contains(dep) {
                continue;
            }
            let ok = match kind.as_deref() {
                Some("dev") => {
                    allowed(ALLOWED, krate).contains(&dep.as_str())
                        || allowed(ALLOWED_DEV, krate).contains(&dep.as_str())
                }
                _ => allowed(ALLOWED, krate).contains(&dep.as_str()),
            };
            if !ok {
                wrong.push(format!(
                    "{krate} → {dep} ({})",
                    kind.as_deref().unwrap_or("normal")
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "edges the layers do not allow: {wrong:?}");
}

#[test]
fn nothing_but_tests_depends_on_the_testkit() {
    let ws = workspace();
    for (krate, deps) in &ws.direct {
        for (dep, kind) in deps {
            assert!(
                dep != "eca-testkit" || kind.as_deref() == Some("dev"),
                "{krate} depends on eca-testkit outside its tests"
            );
        }
    }
}

#[test]
fn lower_layers_do_not_pull_in_what_they_must_not_touch() {
    let ws = workspace();
    for (krate, forbidden) in FORBIDDEN_BELOW {
        let seen = ws.closure(&ws.members[*krate]);
        let names: BTreeSet<&str> = seen.iter().map(|id| ws.names[id].as_str()).collect();
        for name in *forbidden {
            assert!(
                !names.contains(name),
                "{krate} must not depend on {name}, even indirectly"
            );
        }
    }
}

#[test]
fn no_crate_reaches_itself_through_its_tests() {
    // A dev-dependency on a crate that depends back builds the crate twice, with two sets of
    // types: the core ↔ backend cycle this replaced.
    let ws = workspace();
    for (krate, deps) in &ws.direct {
        for (dep, kind) in deps {
            let Some(dep_id) = ws.members.get(dep) else {
                continue;
            };
            if kind.as_deref() != Some("dev") {
                continue;
            }
            assert!(
                !ws.closure(dep_id).contains(&ws.members[krate]),
                "{krate}'s tests use {dep}, which depends on {krate}: a cycle"
            );
        }
    }
}
