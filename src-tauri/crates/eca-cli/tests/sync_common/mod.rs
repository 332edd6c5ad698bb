//! Shared support for the `eca sync` tests: data folders with the `eca` commands run on them,
//! and reads of the local database. The backend is [`eca_backend::harness::BlockingBackend`].
//!
//! The sync API key lives in the OS keyring under one entry per backend origin and workspace,
//! shared by every data folder that syncs there; every test stores the same key (`API_KEY`),
//! and a test that needs a refused key starts a backend that does not accept it.

#![allow(dead_code)] // Each test binary uses a different part of this module.

use assert_cmd::Command;
use eca_core::store::{self, idps, sync_base, sync_changes, sync_envs};
use eca_model::idp::IdpId;
use eca_model::wire::WireFields;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tempfile::TempDir;

pub use eca_backend::harness::{BlockingBackend as Backend, API_KEY, WORKSPACE};
/// A key the "refusing" backend accepts instead of [`API_KEY`].
pub const OTHER_KEY: &str = "alpha-other-key-0123456789";

pub fn require_session_bus() {
    eca_testkit::keyring::require_session_bus("the sync API key is stored");
}

/// One admin's data folder and the `eca` commands run on it.
pub struct Eca {
    pub dir: TempDir,
}

/// What a finished `eca` run printed.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Eca {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("a temporary data folder"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn cmd(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_eca"));
        cmd.arg("--data-dir")
            .arg(self.path())
            .env_remove("RUST_LOG")
            .env_remove("ECA_DATA_DIR");
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, "")
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let out = self
            .cmd()
            .args(args)
            .write_stdin(stdin.to_string())
            .output()
            .expect("eca runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        }
    }

    /// Runs a command that must succeed; returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert_eq!(r.code, 0, "`eca {}` failed: {}", args.join(" "), r.stderr);
        r.stdout
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut with_json = args.to_vec();
        with_json.push("--json");
        let out = self.ok(&with_json);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {out}"))
    }

    /// `eca backend set` to this URL, with the API key on stdin.
    pub fn set_backend(&self, url: &str) {
        let r = self.run_with_stdin(
            &[
                "backend",
                "set",
                "--url",
                url,
                "--workspace",
                WORKSPACE,
                "--api-key-stdin",
            ],
            &format!("{API_KEY}\n"),
        );
        assert_eq!(r.code, 0, "backend set failed: {}", r.stderr);
    }

    /// Adds an OpenID Connect IdP without discovery; returns its id.
    pub fn add(&self, name: &str) -> IdpId {
        let host = format!("{}.idp.example", name.to_lowercase());
        let out = self.json(&[
            "idp",
            "add",
            "--name",
            name,
            "--issuer",
            &format!("https://{host}"),
            "--authorization-endpoint",
            &format!("https://{host}/auth"),
            "--token-endpoint",
            &format!("https://{host}/token"),
            "--jwks-uri",
            &format!("https://{host}/jwks"),
            "--client-id",
            &format!("client-of-{host}"),
            "--no-discover",
        ]);
        out["id"]
            .as_str()
            .expect("the IdP has an id")
            .parse()
            .unwrap()
    }

    /// The local IdPs as the backend should hold them.
    pub fn local_wire(&self) -> BTreeMap<IdpId, WireFields> {
        let conn = self.db();
        idps::list_full(&conn)
            .unwrap()
            .into_iter()
            .map(|i| (i.id, WireFields::from(&i.fields)))
            .collect()
    }

    /// The last-synced version of every IdP.
    pub fn base_versions(&self) -> BTreeMap<IdpId, String> {
        sync_base::list(&self.db(), sync_envs::current_id(&self.db()).unwrap())
            .unwrap()
            .into_iter()
            .map(|b| (b.idp_id, b.version))
            .collect()
    }

    pub fn outbox_len(&self) -> usize {
        sync_changes::list(&self.db(), sync_envs::current_id(&self.db()).unwrap())
            .unwrap()
            .len()
    }

    pub fn db(&self) -> rusqlite::Connection {
        store::open(&self.path().join(eca_core::data_dir::DB_FILE)).expect("the database opens")
    }
}

/// SplitMix64: a small seeded generator for kill points and edits (never a security value).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A seeded run's seed: `var` if set, else `default`; printed, so a failure can be replayed.
pub fn seed(var: &str, default: u64) -> u64 {
    let seed = std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default);
    println!("seed: {seed} ({var}={seed} replays it)");
    seed
}

/// When [`push_and_kill`] kills the push.
#[derive(Clone, Copy, Debug)]
pub enum KillPoint {
    /// This long after it starts: anywhere in the push, before its first write included.
    After(Duration),
    /// This long after it has frozen its first change of this push (written down the request
    /// it is about to send; changes frozen by an earlier, killed push do not count): between a
    /// write and its acknowledgement, however slow the machine is.
    AfterFrozen(Duration),
}

/// How long [`KillPoint::AfterFrozen`] waits for a frozen change before it kills anyway.
const FREEZE_WITHIN: Duration = Duration::from_secs(20);

/// Starts `eca sync push` and kills it (SIGKILL) at `at`, a kill point, not a wait.
pub fn push_and_kill(eca: &Eca, at: KillPoint) {
    let db = eca.db();
    let env = sync_envs::current_id(&db).unwrap();
    let frozen = |db: &rusqlite::Connection| -> Vec<String> {
        let changes = sync_changes::list(db, env).unwrap();
        changes
            .into_iter()
            .filter(|c| c.request.is_some())
            .map(|c| c.idempotency_key)
            .collect()
    };
    let frozen_before = frozen(&db);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_eca"))
        .arg("--data-dir")
        .arg(eca.path())
        .args(["sync", "push"])
        .env_remove("RUST_LOG")
        .env_remove("ECA_DATA_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("eca starts");
    match at {
        KillPoint::After(after) => std::thread::sleep(after),
        KillPoint::AfterFrozen(after) => {
            let started = std::time::Instant::now();
            while started.elapsed() < FREEZE_WITHIN && matches!(child.try_wait(), Ok(None)) {
                if frozen(&db).iter().any(|key| !frozen_before.contains(key)) {
                    std::thread::sleep(after);
                    break;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }
    // SIGKILL on Unix; an error only means it had already finished.
    let _ = child.kill();
    let _ = child.wait();
}
