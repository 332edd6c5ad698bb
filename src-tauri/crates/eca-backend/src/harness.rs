//! The reference backend for the tests of its clients (the core's sync, the CLI, benchmarks),
//! behind the `harness` feature that only their dev-dependencies turn on:
//! started in-process on an ephemeral loopback port over a temporary folder, with workspace
//! [`WORKSPACE`] opened by [`API_KEY`].
//!
//! - [`TestBackend`] for async tests, on the test's own runtime;
//! - [`BlockingBackend`] on a runtime of its own, for tests that stay synchronous and run the
//!   built `eca` binary as an admin would.
//!
//! Invariant: every test starts its own backend over its own folder, so tests share nothing.

use crate::faults::FaultSettings;
use crate::{BackendConfig, RunningBackend, StartError, Storage};
use eca_model::idp::IdpId;
use eca_model::wire::RemoteIdp;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use tempfile::TempDir;

pub const WORKSPACE: &str = "alpha";
pub const API_KEY: &str = "alpha-key-0123456789abcdef";

/// Starts a backend over `dir` (which may hold an earlier backend's data) that opens
/// [`WORKSPACE`] with `key` only; on `listen` if given, else on a free port.
pub async fn start_in(
    dir: &Path,
    key: &str,
    faults: FaultSettings,
    listen: Option<SocketAddr>,
) -> Result<RunningBackend, StartError> {
    let mut config = BackendConfig::new(Storage::Dir(dir.to_path_buf()));
    if let Some(addr) = listen {
        config.listen = addr;
    }
    config.api_keys = vec![format!("{WORKSPACE}:{key}")
        .parse()
        .expect("a valid workspace:key grant")];
    config.faults = faults;
    // The tests' IdPs and webhook receivers are on this machine.
    config.reach = eca_oidc::reach::Reach::Anywhere;
    crate::start(config).await
}

/// Stores `usages` of IdP `idp` in [`WORKSPACE`] of the backend over `dir`, as `--seed-usages`
/// does (the workspace exists once the backend has started).
pub fn seed_usages(dir: &Path, idp: IdpId, usages: &[eca_model::usage::IdpUsage]) {
    let conn = crate::store::open(&dir.join(crate::config::DATABASE_FILE))
        .expect("the backend's database opens");
    let workspace: crate::workspace::WorkspaceId = WORKSPACE.parse().expect("a valid workspace");
    for usage in usages {
        let row = crate::store::usages::UsageRow {
            workspace: workspace.clone(),
            idp_id: idp.0,
            usage: usage.clone(),
        };
        crate::store::usages::upsert(&conn, &row).expect("the usage is stored");
    }
}

fn set_faults(running: &RunningBackend, faults: FaultSettings) {
    running
        .faults()
        .replace(faults)
        .expect("valid fault settings");
}

/// A backend on the test's own runtime.
pub struct TestBackend {
    pub running: RunningBackend,
    pub dir: TempDir,
}

impl TestBackend {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let running = start_in(dir.path(), API_KEY, FaultSettings::default(), None)
            .await
            .expect("the backend starts on loopback");
        Self { running, dir }
    }

    pub fn url(&self) -> String {
        self.running.url()
    }

    pub fn set_faults(&self, faults: FaultSettings) {
        set_faults(&self.running, faults);
    }

    /// See [`seed_usages`].
    pub fn seed_usages(&self, idp: IdpId, usages: &[eca_model::usage::IdpUsage]) {
        seed_usages(self.dir.path(), idp, usages);
    }
}

/// A backend on a runtime of its own, so the test itself stays synchronous.
pub struct BlockingBackend {
    pub runtime: tokio::runtime::Runtime,
    pub running: Option<RunningBackend>,
    pub dir: TempDir,
    pub accepted_key: &'static str,
    http: reqwest::Client,
}

impl BlockingBackend {
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
        let running = runtime
            .block_on(start_in(dir.path(), accepted_key, faults, None))
            .expect("the backend starts on loopback");
        Self {
            runtime,
            running: Some(running),
            dir,
            accepted_key,
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
        }
    }

    fn running(&self) -> &RunningBackend {
        self.running.as_ref().expect("the backend runs")
    }

    pub fn url(&self) -> String {
        self.running().url()
    }

    pub fn addr(&self) -> SocketAddr {
        self.running().addr()
    }

    pub fn set_faults(&self, faults: FaultSettings) {
        set_faults(self.running(), faults);
    }

    /// See [`seed_usages`].
    pub fn seed_usages(&self, idp: IdpId, usages: &[eca_model::usage::IdpUsage]) {
        seed_usages(self.dir.path(), idp, usages);
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
        let dir = self.dir.path();
        let running = self
            .runtime
            .block_on(start_in(dir, key, FaultSettings::default(), Some(addr)))
            .or_else(|_| {
                self.runtime
                    .block_on(start_in(dir, key, FaultSettings::default(), None))
            })
            .expect("the backend starts again");
        self.running = Some(running);
    }

    /// The fingerprint the backend shows for `secret` in [`WORKSPACE`] (once the workspace
    /// exists): tells a test which secret value the backend holds, without reading it.
    pub fn secret_fingerprint(&self, secret: &str) -> String {
        let conn = crate::store::open(&self.dir.path().join(crate::config::DATABASE_FILE))
            .expect("the backend's database opens");
        let workspace = WORKSPACE.parse().expect("a valid workspace id");
        let found = crate::store::workspaces::get(&conn, &workspace)
            .expect("the workspace can be read")
            .expect("the workspace exists");
        crate::crypto::fingerprint(&found.fingerprint_salt, secret)
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

    /// `GET …/idps/{id}/platform-jwks`'s body: the platform's public keys for the IdP.
    pub fn platform_jwks(&self, id: IdpId) -> serde_json::Value {
        let url = format!(
            "{}/v1/workspaces/{WORKSPACE}/idps/{id}/platform-jwks",
            self.url()
        );
        let request = self.http.get(url).bearer_auth(self.accepted_key);
        self.runtime.block_on(async {
            let response = request.send().await.expect("the backend answers");
            assert_eq!(
                response.status().as_u16(),
                200,
                "GET platform-jwks succeeds"
            );
            response.json().await.expect("a JSON body")
        })
    }
}
