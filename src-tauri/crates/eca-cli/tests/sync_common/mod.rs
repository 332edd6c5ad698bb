//! Shared support for the `eca sync` tests: the reference backend started in-process (on its
//! own tokio runtime, so the tests themselves stay synchronous and run the built `eca` binary
//! as an admin would), data folders, and reads of the backend and of the local database.
//!
//! The sync API key lives in the OS keyring under one entry for every data folder, so every
//! test stores the same key (`API_KEY`); a test that needs a refused key starts a backend that
//! does not accept it rather than storing another one, which would race with parallel tests.

#![allow(dead_code)] // Each test binary uses a different part of this module.

use assert_cmd::Command;
use eca_backend::faults::FaultSettings;
use eca_backend::{BackendConfig, RunningBackend, Storage};
use eca_core::store::{self, idps, sync_base, sync_changes};
use eca_model::idp::IdpId;
use eca_model::wire::{RemoteIdp, WireFields};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use tempfile::TempDir;

pub const WORKSPACE: &str = "alpha";
pub const API_KEY: &str = "alpha-key-0123456789abcdef";
/// A key the "refusing" backend accepts instead of [`API_KEY`].
pub const OTHER_KEY: &str = "alpha-other-key-0123456789";

pub fn require_session_bus() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "the sync API key is stored in a real Secret Service: run these tests through \
         scripts/with-keyring.sh (e.g. `scripts/with-keyring.sh cargo test -p eca-cli`; make \
         test does)"
    );
}

/// The reference backend over a temporary folder, on its own runtime.
pub struct Backend {
    pub runtime: tokio::runtime::Runtime,
    pub running: Option<RunningBackend>,
    pub dir: TempDir,
    pub accepted_key: &'static str,
    pub http: reqwest::Client,
}

impl Backend {
    pub fn start() -> Self {
        Self::start_with(API_KEY, FaultSettings::default())
    }

    /// A backend whose workspace opens only with `accepted_key`.
    pub fn start_with(accepted_key: &'static str, faults: FaultSettings) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime for the backend");
        let dir = tempfile::tempdir().expect("a temporary folder for the backend");
        let mut backend = Self {
            runtime,
            running: None,
            dir,
            accepted_key,
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
        };
        backend.running = Some(
            backend
                .launch(None, faults, accepted_key)
                .expect("the backend starts on loopback"),
        );
        backend
    }

    fn launch(
        &self,
        listen: Option<SocketAddr>,
        faults: FaultSettings,
        key: &str,
    ) -> Result<RunningBackend, eca_backend::StartError> {
        let mut config = BackendConfig::new(Storage::Dir(self.dir.path().to_path_buf()));
        if let Some(addr) = listen {
            config.listen = addr;
        }
        config.api_keys = vec![format!("{WORKSPACE}:{key}").parse().unwrap()];
        config.faults = faults;
        self.runtime.block_on(eca_backend::start(config))
    }

    pub fn url(&self) -> String {
        self.running.as_ref().expect("the backend runs").url()
    }

    /// Stops the backend (its data stays): the next requests find nothing listening.
    pub fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            self.runtime.block_on(running.stop());
        }
    }

    /// Starts it again over the same data, on `addr` if that port is still free (else on a
    /// new port: the caller compares URLs), now accepting `key`.
    pub fn restart(&mut self, addr: SocketAddr, key: &'static str) {
        self.stop();
        self.accepted_key = key;
        let running = self
            .launch(Some(addr), FaultSettings::default(), key)
            .or_else(|_| self.launch(None, FaultSettings::default(), key))
            .expect("the backend starts again");
        self.running = Some(running);
    }

    pub fn addr(&self) -> SocketAddr {
        self.running.as_ref().expect("the backend runs").addr()
    }

    pub fn set_faults(&self, faults: FaultSettings) {
        self.running
            .as_ref()
            .expect("the backend runs")
            .faults()
            .replace(faults)
            .expect("valid fault settings");
    }

    /// Every IdP the backend holds, by id (read with the key it accepts).
    pub fn idps(&self) -> BTreeMap<IdpId, RemoteIdp> {
        let url = format!("{}/v1/workspaces/{WORKSPACE}/idps", self.url());
        let request = self.http.get(url).bearer_auth(self.accepted_key);
        let body: serde_json::Value = self.runtime.block_on(async {
            let response = request.send().await.expect("the backend answers");
            assert_eq!(response.status().as_u16(), 200, "GET /idps succeeds");
            response.json().await.expect("a JSON list")
        });
        let items: Vec<RemoteIdp> =
            serde_json::from_value(body["items"].clone()).expect("the list matches the contract");
        let count = items.len();
        let map: BTreeMap<IdpId, RemoteIdp> = items.into_iter().map(|i| (i.id, i)).collect();
        assert_eq!(map.len(), count, "the backend lists each IdP once");
        map
    }
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
        sync_base::list(&self.db())
            .unwrap()
            .into_iter()
            .map(|b| (b.idp_id, b.version))
            .collect()
    }

    pub fn outbox_len(&self) -> usize {
        sync_changes::list(&self.db()).unwrap().len()
    }

    pub fn db(&self) -> rusqlite::Connection {
        store::open(&self.path().join(eca_core::data_dir::DB_FILE)).expect("the database opens")
    }
}
