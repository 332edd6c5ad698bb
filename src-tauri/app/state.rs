//! What the commands share: the catalog (one SQLite connection) and the HTTP client.
//!
//! Invariant: the connection is used by one command at a time (a mutex); other processes, the
//! CLI among them, may write the same file meanwhile (SQLite WAL + busy timeout).

use eca_core::catalog::{Catalog, CatalogError};
use eca_core::clock::SystemClock;
use eca_core::problem::Problem;
use eca_core::secrets::OsKeyring;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

pub struct AppState {
    catalog: Mutex<Catalog>,
    pub http: reqwest::Client,
}

impl AppState {
    pub fn open(data_dir: &Path) -> Result<Self, CatalogError> {
        let catalog = Catalog::open(data_dir, Arc::new(OsKeyring::new()), Arc::new(SystemClock))?;
        Ok(Self {
            catalog: Mutex::new(catalog),
            http: eca_core::http::client(),
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
}
