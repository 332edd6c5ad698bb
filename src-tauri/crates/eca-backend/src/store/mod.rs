//! The backend's SQLite file: opening it, its pragmas, its embedded migrations, and the one
//! connection every request shares.
//!
//! Invariants:
//! - The file is opened by [`eca_sqlite`], like the desktop's: the same pragmas on every
//!   connection, and a database from a newer version refused, never downgraded. Migrations are
//!   embedded and immutable.
//! - One repository module per table; multi-row work happens in one transaction opened by the
//!   caller ([`crate::writes`]).
//! - Every write goes through [`Database::run`], on a blocking thread, one closure at a time. A
//!   closure that started runs to its end even when the request that asked for it is gone, so
//!   a transaction is never cut in half by a client hanging up.
//! - [`Database::lookup`] is for the customer's routes only: a read by key on one of a few
//!   read-only connections (WAL: it sees the last commit and never waits for the writer), run
//!   in place, because it takes microseconds and a hop to a blocking thread takes longer.

pub mod api_keys;
pub mod auth_requests;
pub mod idempotency;
pub mod idps;
pub mod webhooks;
pub mod workspaces;

use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "The database {path} was written by a newer version of eca-backend. Use that version, \
         or another --data-dir; nothing was changed."
    )]
    TooNew { path: String },
    #[error("Cannot open the database {path}: {detail}")]
    Open { path: String, detail: String },
    #[error("The database is busy (another process is writing to it). Try again.")]
    Busy,
    #[error("A database error occurred: {0}")]
    Sqlite(String),
    #[error("The database holds a row it cannot read ({0}); it may have been edited by hand.")]
    Corrupt(String),
    #[error("This API key already opens workspace \"{0}\"; a key opens one workspace only.")]
    KeyInUse(String),
    #[error("{0}")]
    Crypto(#[from] crate::crypto::CryptoError),
    #[error("A database task stopped unexpectedly.")]
    TaskFailed,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        // One reading of SQLite's errors (busy or not), eca-sqlite's.
        eca_sqlite::StoreError::from(e).into()
    }
}

/// The schema's history. Index + 1 is the `user_version` after each step.
pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("migrations/0001_sync.sql")),
        M::up(include_str!("migrations/0002_claim_mapping.sql")),
        M::up(include_str!("migrations/0003_signin.sql")),
    ])
}

/// Opens (creating if needed) and migrates the database file, with the same pragmas as the
/// desktop app's database ([`eca_sqlite::open_migrated`]).
pub fn open(path: &Path) -> Result<Connection, StoreError> {
    Ok(eca_sqlite::open_migrated(path, &migrations())?)
}

/// A private in-memory database, migrated.
pub fn open_in_memory() -> Result<Connection, StoreError> {
    Ok(eca_sqlite::open_in_memory_migrated(&migrations())?)
}

impl From<eca_sqlite::StoreError> for StoreError {
    fn from(e: eca_sqlite::StoreError) -> Self {
        use eca_sqlite::StoreError as Core;
        match e {
            Core::TooNew { path } => StoreError::TooNew { path },
            Core::Open { path, detail } => StoreError::Open { path, detail },
            Core::Busy => StoreError::Busy,
            Core::Sqlite(detail) => StoreError::Sqlite(detail),
            Core::Corrupt(detail) => StoreError::Corrupt(detail),
        }
    }
}

/// The shared writer connection, used one closure at a time on a blocking thread, and the
/// readers of the same file.
#[derive(Clone)]
pub struct Database {
    conn: Arc<Mutex<Connection>>,
    /// Read-only connections to the file; none for an in-memory database, whose lookups use
    /// the writer.
    readers: Arc<[Mutex<Connection>]>,
    next_reader: Arc<AtomicUsize>,
}

/// How many read-only connections a file-backed database gets.
const READERS: usize = 4;

impl Database {
    /// A database with its writer only (an in-memory one).
    pub fn new(conn: Connection) -> Self {
        Self {
            conn: Arc::new(Mutex::new(conn)),
            readers: Arc::from(Vec::new()),
            next_reader: Arc::default(),
        }
    }

    /// The database at `path`, whose writer `conn` opened and migrated, with its readers.
    pub fn with_readers(conn: Connection, path: &Path) -> Result<Self, StoreError> {
        let readers = (0..READERS)
            .map(|_| eca_sqlite::open_reader(path).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            readers: Arc::from(readers),
            ..Self::new(conn)
        })
    }

    /// Runs `work` with the connection. It runs to completion even if the caller is dropped.
    pub async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            // A panic inside a closure rolls its transaction back; the connection stays usable.
            let mut conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            work(&mut conn)
        })
        .await
        .map_err(|_| StoreError::TaskFailed)?
    }

    /// The same, for startup code that is not async.
    pub fn run_now<T>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        work(&mut conn)
    }

    /// A read by key, in place, in one snapshot, on the next reader (the writer when there are
    /// none). Never for scans or writes: see the module's invariants.
    pub fn lookup<T>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if self.readers.is_empty() {
            return self.run_now(|conn| work(conn));
        }
        let first = self.next_reader.fetch_add(1, Ordering::Relaxed);
        // The first reader free from there on; if all are busy, wait for the next in turn.
        let reader = (0..self.readers.len())
            .find_map(|i| {
                self.readers[(first + i) % self.readers.len()]
                    .try_lock()
                    .ok()
            })
            .unwrap_or_else(|| {
                let turn = &self.readers[first % self.readers.len()];
                turn.lock().unwrap_or_else(PoisonError::into_inner)
            });
        // One snapshot for the whole read.
        let tx = reader.unchecked_transaction()?;
        let read = work(&tx)?;
        tx.finish()?;
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_lookup_reads_the_last_commit_on_a_reader() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite3");
        let db = Database::with_readers(open(&path).unwrap(), &path).unwrap();
        let ws: crate::workspace::WorkspaceId = "a".parse().unwrap();
        let created = ws.clone();
        db.run(move |conn| workspaces::ensure(conn, &created, "t"))
            .await
            .unwrap();
        let found = db.lookup(workspaces::all).unwrap();
        assert!(
            found.iter().any(|w| w.id == ws),
            "the committed workspace is seen"
        );
        let written = db.lookup(|conn| Ok(conn.execute("DELETE FROM workspace", [])?));
        assert!(written.is_err(), "a lookup cannot write");
    }

    #[test]
    fn migrations_are_valid() {
        migrations()
            .validate()
            .expect("the embedded migrations must apply cleanly");
    }
}
