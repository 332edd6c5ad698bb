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
//! - [`Database::idps_version`] changes after every write transaction that changed the `idp`
//!   table, whatever wrote it (an SQLite update hook on the writer, the only connection that
//!   writes), and only once that transaction has ended: a copy of an IdP read under version `v`
//!   is current while the version is still `v`.

pub mod api_keys;
pub mod auth_requests;
pub mod idempotency;
pub mod idps;
pub mod platform_keys;
pub mod usages;
pub mod webhooks;
pub mod workspaces;

use rusqlite::hooks::Action;
use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
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
        M::up(include_str!("migrations/0004_id_token_signing_algs.sql")),
        M::up(include_str!("migrations/0005_credential_expires_on.sql")),
        M::up(include_str!("migrations/0006_platform_key.sql")),
        M::up(include_str!("migrations/0007_idp_usages.sql")),
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
            // The server's operator reads these in its log, in eca-sqlite's plain words.
            e @ (Core::DiskFull { .. } | Core::ReadOnly { .. }) => {
                StoreError::Sqlite(e.to_string())
            }
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
    idps: Arc<IdpsVersion>,
}

/// The `idp` table's version: bumped after each transaction of the writer that touched it.
#[derive(Default)]
struct IdpsVersion {
    /// Set by the update hook while a transaction changes the table.
    touched: Arc<AtomicBool>,
    version: AtomicU64,
}

impl IdpsVersion {
    /// After the writer's work: a change to the table is now committed (or rolled back, which
    /// costs a needless re-read, nothing more).
    fn settle(&self) {
        if self.touched.swap(false, Ordering::AcqRel) {
            self.version.fetch_add(1, Ordering::AcqRel);
        }
    }
}

/// How many read-only connections a file-backed database gets.
const READERS: usize = 4;

impl Database {
    /// A database with its writer only (an in-memory one).
    pub fn new(conn: Connection) -> Self {
        let idps = Arc::new(IdpsVersion::default());
        let touched = Arc::clone(&idps.touched);
        let hook = move |_: Action, _: &str, table: &str, _: i64| {
            if table == "idp" {
                touched.store(true, Ordering::Release);
            }
        };
        // Only fails on a connection borrowed from elsewhere, which this one is not.
        let _ = conn.update_hook(Some(hook));
        Self {
            conn: Arc::new(Mutex::new(conn)),
            readers: Arc::from(Vec::new()),
            next_reader: Arc::default(),
            idps,
        }
    }

    /// The `idp` table's version (see the module's invariants).
    pub fn idps_version(&self) -> u64 {
        self.idps.version.load(Ordering::Acquire)
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
        let (conn, idps) = (Arc::clone(&self.conn), Arc::clone(&self.idps));
        tokio::task::spawn_blocking(move || {
            // A panic inside a closure rolls its transaction back; the connection stays usable.
            let mut conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            let done = work(&mut conn);
            idps.settle();
            done
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
        let done = work(&mut conn);
        self.idps.settle();
        done
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

    #[tokio::test]
    async fn the_idps_version_moves_after_a_write_to_the_idp_table_only() {
        let db = Database::new(open_in_memory().unwrap());
        let ws: crate::workspace::WorkspaceId = "a".parse().unwrap();
        let before = db.idps_version();
        db.run(move |conn| workspaces::ensure(conn, &ws, "t").map(drop))
            .await
            .unwrap();
        assert_eq!(db.idps_version(), before, "another table");
        db.run(|conn| {
            let doc = r#"{"name": "x"}"#;
            conn.execute(
                "INSERT INTO idp (workspace_id, id, revision, document, created_at, updated_at)
                 VALUES ('a', ?1, 1, ?2, 't', 't')",
                [&uuid::Uuid::nil().to_string(), doc],
            )?;
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(db.idps_version(), before + 1, "a write to the idp table");
    }

    #[test]
    fn migrations_are_valid() {
        migrations()
            .validate()
            .expect("the embedded migrations must apply cleanly");
    }
}
