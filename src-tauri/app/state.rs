//! What the commands share: the catalog (one SQLite connection), the sync outbox (its own
//! connection to the same file), the HTTP client, and the test logins (local and on the
//! platform) in flight.
//!
//! Invariants:
//! - The connection is used by one command at a time (a mutex); other processes, the CLI among
//!   them, may write the same file meanwhile (SQLite WAL + busy timeout).
//! - The outbox is behind an async mutex: a push holds it across network waits, and a second
//!   push, plan or resolution waits its turn instead of interleaving with it.
//! - What only reads (the list's sync badges, pending changes, environments, a promotion's
//!   plan, the impact check, the platform's keys) goes through a second outbox on its own
//!   connection ([`AppState::reads`]), so a running push — which may wait minutes on a busy
//!   backend — never holds it up. SQLite's WAL gives each read a consistent snapshot.
//! - A running test login has exactly one cancel handle here, removed when the run ends.

use eca_core::catalog::{Catalog, CatalogError};
use eca_core::platform_test::return_link::PendingReturns;
use eca_core::secrets::OsKeyring;
use eca_core::sync::{Outbox, SyncError};
use eca_model::clock::SystemClock;
use eca_model::problem::Problem;
use eca_oidc::login::flow::LoginContext;
use eca_oidc::login::pending::PendingCallbacks;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::oneshot;

pub struct AppState {
    catalog: Mutex<Catalog>,
    /// The sync side of the data folder; see [`Self::outbox`].
    outbox: tokio::sync::Mutex<Outbox>,
    /// The same, on its own connection, for reads; see [`Self::reads`].
    reads: tokio::sync::Mutex<Outbox>,
    pub http: eca_oidc::http::HttpClient,
    /// Deep-link callbacks awaited by test logins, matched by `state`.
    pub callbacks: PendingCallbacks,
    /// Return deep links awaited by tests on the platform, matched by test id.
    pub platform_returns: PendingReturns,
    cancels: Mutex<HashMap<String, oneshot::Sender<()>>>,
}

impl AppState {
    pub fn open(data_dir: &Path) -> Result<Self, OpenError> {
        let catalog = Catalog::open(data_dir, Arc::new(OsKeyring::new()), Arc::new(SystemClock))?;
        // After the catalog, which created and migrated the file.
        let outbox = || Outbox::open(data_dir, Arc::new(OsKeyring::new()), Arc::new(SystemClock));
        Ok(Self {
            catalog: Mutex::new(catalog),
            outbox: tokio::sync::Mutex::new(outbox()?),
            reads: tokio::sync::Mutex::new(outbox()?),
            http: eca_oidc::http::client(),
            callbacks: PendingCallbacks::new(),
            platform_returns: PendingReturns::new(),
            cancels: Mutex::default(),
        })
    }

    /// The catalog, for the length of one command.
    pub fn catalog(&self) -> Result<MutexGuard<'_, Catalog>, Problem> {
        // A panic in an earlier command cannot leave a half-done transaction behind (rusqlite
        // rolls back on drop), so a poisoned lock is safe to take over.
        Ok(self.catalog.lock().unwrap_or_else(|poisoned| {
            tracing::warn!("recovering the catalog lock after a panic");
            poisoned.into_inner()
        }))
    }

    /// The outbox, for the length of one command (waits while a push or plan holds it).
    pub async fn outbox(&self) -> tokio::sync::MutexGuard<'_, Outbox> {
        self.outbox.lock().await
    }

    /// The outbox for a command that only reads: never waits on a push (only on another read).
    pub async fn reads(&self) -> tokio::sync::MutexGuard<'_, Outbox> {
        self.reads.lock().await
    }

    pub fn login_context(&self) -> LoginContext {
        LoginContext {
            http: self.http.clone(),
            clock: Arc::new(SystemClock),
            // Test Configuration: discovery and keys fetched fresh for every test.
            provider_cache: None,
        }
    }

    /// Registers a run; the receiver resolves when [`Self::cancel_run`] is called for it.
    pub fn track_run(&self, run_id: &str) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        self.cancels().insert(run_id.to_string(), tx);
        rx
    }

    pub fn cancel_run(&self, run_id: &str) -> bool {
        self.cancels()
            .remove(run_id)
            .is_some_and(|tx| tx.send(()).is_ok())
    }

    pub fn forget_run(&self, run_id: &str) {
        self.cancels().remove(run_id);
    }

    fn cancels(&self) -> MutexGuard<'_, HashMap<String, oneshot::Sender<()>>> {
        self.cancels.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Why the data folder could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Sync(#[from] SyncError),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A push holds the outbox for as long as the backend keeps it waiting: the reads the
    /// screens make meanwhile (badges, pending changes, the impact check) go through their own.
    #[tokio::test]
    async fn reads_never_wait_on_a_running_push() {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::open(dir.path()).unwrap();
        let push = state.outbox().await;
        let reads = state
            .reads
            .try_lock()
            .expect("the reads' outbox is free while a push holds the outbox");
        assert_eq!(reads.sync_states().unwrap(), Vec::new());
        assert_eq!(reads.changes().unwrap(), Vec::new());
        drop((push, reads));
    }
}
