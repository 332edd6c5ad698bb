//! Opening a SQLite file the one way this project does: the same pragmas on every connection
//! and embedded migrations, refusing a file written by a newer version. The desktop store
//! (`eca-core`) and the reference backend each pass their own migrations.
//!
//! Invariants:
//! - Every connection gets WAL, `synchronous=FULL`, foreign keys, `trusted_schema=OFF` and a
//!   busy timeout, so several processes can use one file at the same time.
//! - A database whose `user_version` is ahead of the migrations is refused and left untouched.
//! - On Unix the folder holding the file is 0700 and the file 0600 before SQLite first opens it
//!   (SQLite gives `-wal` and `-shm` the file's mode): secrets' fingerprints, test history and
//!   customers' sign-ins are nobody else's to read. A shared folder (sticky bit, like `/tmp`)
//!   is left as it is: only the files are made private there.
//! - A reader ([`open_reader`]) is a read-only connection to a file its writer opened and
//!   migrated: with WAL it reads the last commit without waiting for the writer.
//! - Faults of the folder speak plainly: a full disk is [`StoreError::DiskFull`], a read-only
//!   folder [`StoreError::ReadOnly`]. An up-to-date database in a read-only folder is opened
//!   read-only, so it can still be read; every write to it is refused before it changes
//!   anything. A failed write never leaves half of itself behind (SQLite's transactions).

use rusqlite::Connection;
use rusqlite_migration::Migrations;
use std::io::ErrorKind;
use std::path::Path;
use std::time::Duration;

/// How long a writer waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "The database {path} was written by a newer version of ECA Admin. Update the app, or \
         point --data-dir at another folder; nothing was changed."
    )]
    TooNew { path: String },
    #[error("Cannot open the database {path}: {detail}")]
    Open { path: String, detail: String },
    #[error("The database is busy (another ECA Admin window or the CLI is writing). Try again.")]
    Busy,
    #[error("A database error occurred: {0}")]
    Sqlite(String),
    #[error("The database holds a row it cannot read ({0}); it may have been edited by hand.")]
    Corrupt(String),
    #[error(
        "the disk holding {} is full; nothing was saved. Free some space and try again.",
        folder(.dir)
    )]
    DiskFull { dir: Option<String> },
    #[error(
        "{} is read-only; nothing was saved. Listing and showing still work; make the folder \
         writable to change anything.",
        folder(.dir)
    )]
    ReadOnly { dir: Option<String> },
}

/// How a folder fault names its folder: by path once it is known (see [`StoreError::in_folder`]).
fn folder(dir: &Option<String>) -> String {
    match dir {
        Some(dir) => format!("the data folder {dir}"),
        None => "the data folder".to_string(),
    }
}

impl StoreError {
    /// Names `dir` in a fault whose cause is the folder (a full disk, a read-only folder); any
    /// other error is returned as it is. The callers that know the folder (the CLI, the app)
    /// call it where they report the error: SQLite's errors do not say which file they are about.
    pub fn in_folder(self, dir: &Path) -> Self {
        let dir = Some(dir.display().to_string());
        match self {
            StoreError::DiskFull { .. } => StoreError::DiskFull { dir },
            StoreError::ReadOnly { .. } => StoreError::ReadOnly { dir },
            other => other,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                StoreError::Busy
            }
            Some(rusqlite::ErrorCode::DiskFull) => StoreError::DiskFull { dir: None },
            Some(rusqlite::ErrorCode::ReadOnly) => StoreError::ReadOnly { dir: None },
            _ => StoreError::Sqlite(e.to_string()),
        }
    }
}

/// Opens a database file with the pragmas below and `migrations` applied. In a read-only
/// folder, an existing, up-to-date file is opened read-only instead ([`open_read_only`]).
pub fn open_migrated(path: &Path, migrations: &Migrations<'_>) -> Result<Connection, StoreError> {
    let shown = path.display().to_string();
    let in_folder = |e: StoreError| e.in_folder(path.parent().unwrap_or(path));
    match make_private(path) {
        Ok(()) => {}
        Err(e) if is_read_only(&e) && path.is_file() => {
            return open_read_only(path, migrations).map_err(in_folder)
        }
        Err(e) if e.kind() == ErrorKind::StorageFull => {
            return Err(in_folder(StoreError::DiskFull { dir: None }))
        }
        Err(e) => {
            return Err(StoreError::Open {
                path: shown,
                detail: format!("cannot make it private to this user ({e})"),
            })
        }
    }
    let mut conn = Connection::open(path).map_err(|e| StoreError::Open {
        path: shown.clone(),
        detail: e.to_string(),
    })?;
    let opened = configure(&conn).and_then(|()| migrate(&mut conn, migrations, &shown));
    opened.map_err(|e| in_folder(disk_full_as_such(&conn, e)))?;
    Ok(conn)
}

/// A folder this process may not change: a read-only mount, or one it cannot make private.
fn is_read_only(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ReadOnlyFilesystem | ErrorKind::PermissionDenied
    )
}

/// SQLite reports a full disk met while it sets up the WAL index (`-shm`) as a plain I/O error;
/// the OS error behind it tells the two apart.
fn disk_full_as_such(conn: &Connection, e: StoreError) -> StoreError {
    // SAFETY: the handle is the open connection's own; sqlite3_system_errno only reads it.
    let errno = unsafe { rusqlite::ffi::sqlite3_system_errno(conn.handle()) };
    match e {
        StoreError::Sqlite(_)
            if std::io::Error::from_raw_os_error(errno).kind() == ErrorKind::StorageFull =>
        {
            StoreError::DiskFull { dir: None }
        }
        other => other,
    }
}

/// `path` in a folder that cannot be written: read-only, with the same pragmas where they
/// apply. A WAL file is read through its `-shm` if that exists; without one (the last writer
/// closed cleanly, so everything is in the file) it is opened as immutable. A file whose
/// migrations are not all applied cannot be upgraded here, and is refused.
fn open_read_only(path: &Path, migrations: &Migrations<'_>) -> Result<Connection, StoreError> {
    use rusqlite::OpenFlags;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let shown = path.display().to_string();
    let open = |uri: String| -> Result<Connection, StoreError> {
        let conn = Connection::open_with_flags(uri, flags)?;
        // Opening is lazy: the first read is what finds a missing `-shm`.
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))?;
        Ok(conn)
    };
    let uri = format!("file:{}", uri_path(path));
    let conn = open(format!("{uri}?mode=ro")).or_else(|_| open(format!("{uri}?immutable=1")))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.execute_batch(
        "PRAGMA query_only = ON; PRAGMA foreign_keys = ON; PRAGMA trusted_schema = OFF;",
    )?;
    match migrations.pending_migrations(&conn) {
        Ok(0) => Ok(conn),
        Ok(_) => Err(StoreError::ReadOnly { dir: None }),
        Err(rusqlite_migration::Error::MigrationDefinition(
            rusqlite_migration::MigrationDefinitionError::DatabaseTooFarAhead,
        )) => Err(StoreError::TooNew { path: shown }),
        Err(e) => Err(StoreError::Open {
            path: shown,
            detail: e.to_string(),
        }),
    }
}

/// `path` as the path of a `file:` URI: the characters a URI gives a meaning escaped.
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3f"),
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
    out
}

/// Makes the folder of `path` 0700 and the file (created empty if missing) 0600, with the
/// `-wal` and `-shm` files already there.
#[cfg(unix)]
fn make_private(path: &Path) -> std::io::Result<()> {
    use std::fs::{set_permissions, OpenOptions, Permissions};
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let shared = std::fs::metadata(dir)?.permissions().mode() & 0o1000 != 0;
        if !shared {
            set_permissions(dir, Permissions::from_mode(0o700))?;
        }
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    set_permissions(path, Permissions::from_mode(0o600))?;
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        match set_permissions(&side, Permissions::from_mode(0o600)) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    Ok(())
}

/// Elsewhere the folder's ACL, which the OS gives the user's app-data folder, protects it.
#[cfg(not(unix))]
fn make_private(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// A read-only connection to `path`, which [`open_migrated`] already opened: it cannot write,
/// even by mistake, and reads without waiting for the writer.
pub fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    use rusqlite::OpenFlags;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| StoreError::Open {
        path: path.display().to_string(),
        detail: e.to_string(),
    })?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.execute_batch("PRAGMA query_only = ON; PRAGMA trusted_schema = OFF;")?;
    Ok(conn)
}

/// [`open_migrated`] for a private in-memory database.
pub fn open_in_memory_migrated(migrations: &Migrations<'_>) -> Result<Connection, StoreError> {
    let mut conn = Connection::open_in_memory()?;
    configure(&conn)?;
    migrate(&mut conn, migrations, ":memory:")?;
    Ok(conn)
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // journal_mode answers with a row, so it is read rather than executed.
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    conn.execute_batch(
        "PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA trusted_schema = OFF;",
    )?;
    Ok(())
}

fn migrate(
    conn: &mut Connection,
    migrations: &Migrations<'_>,
    shown: &str,
) -> Result<(), StoreError> {
    use rusqlite_migration::{Error as MigError, MigrationDefinitionError};
    migrations.to_latest(conn).map_err(|e| match e {
        MigError::MigrationDefinition(MigrationDefinitionError::DatabaseTooFarAhead) => {
            StoreError::TooNew {
                path: shown.to_string(),
            }
        }
        MigError::RusqliteError { err, .. } => StoreError::from(err),
        other => StoreError::Open {
            path: shown.to_string(),
            detail: other.to_string(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite_migration::M;

    fn migrations() -> Migrations<'static> {
        Migrations::new(vec![
            M::up("CREATE TABLE a (x INTEGER);"),
            M::up("CREATE TABLE b (y INTEGER);"),
        ])
    }

    fn open(path: &Path) -> Result<Connection, StoreError> {
        open_migrated(path, &migrations())
    }

    #[test]
    fn every_connection_gets_the_pragmas() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(&dir.path().join("db.sqlite3")).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        let sync: i64 = conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        let fk: i64 = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        let busy: i64 = conn
            .query_row("PRAGMA busy_timeout", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(sync, 2, "synchronous must be FULL (2)");
        assert_eq!(fk, 1);
        assert_eq!(busy, 5000);
    }

    #[test]
    fn a_newer_database_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite3");
        drop(open(&path).unwrap());
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", 99).unwrap();
        }
        let err = open(&path).expect_err("a database from the future must be refused");
        assert!(matches!(err, StoreError::TooNew { .. }), "{err:?}");
        assert!(err.to_string().contains("newer version"));
        let conn = Connection::open(&path).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 99, "refusing must not touch the file");
    }

    #[test]
    fn reopening_keeps_the_schema_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite3");
        drop(open(&path).unwrap());
        let conn = open(&path).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 2, "user_version follows the number of migrations");
    }

    #[test]
    fn a_reader_sees_the_writers_commits_and_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite3");
        let writer = open(&path).unwrap();
        let reader = open_reader(&path).unwrap();
        writer.execute("INSERT INTO a (x) VALUES (7)", []).unwrap();
        let x: i64 = reader
            .query_row("SELECT x FROM a", [], |r| r.get(0))
            .unwrap();
        assert_eq!(x, 7);
        let refused = reader.execute("INSERT INTO a (x) VALUES (8)", []);
        assert!(
            matches!(
                refused.as_ref().map_err(|e| e.sqlite_error_code()),
                Err(Some(rusqlite::ErrorCode::ReadOnly))
            ),
            "{refused:?}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_folder_and_every_database_file_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("data");
        std::fs::create_dir(&folder).unwrap();
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = folder.join("db.sqlite3");
        let conn = open(&path).unwrap();
        conn.execute("INSERT INTO a (x) VALUES (1)", []).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&folder), 0o700);
        for file in ["db.sqlite3", "db.sqlite3-wal", "db.sqlite3-shm"] {
            assert_eq!(mode(&folder.join(file)), 0o600, "{file}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_shared_folder_is_left_as_it_is_and_only_the_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
        let path = dir.path().join("db.sqlite3");
        drop(open(&path).unwrap());
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode(dir.path()), 0o1777, "like /tmp, still shared");
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn a_busy_error_is_told_apart() {
        let busy = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            None,
        );
        assert!(matches!(StoreError::from(busy), StoreError::Busy));
    }

    #[test]
    fn a_full_disk_and_a_read_only_folder_speak_plainly() {
        let failure = |code| {
            StoreError::from(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(code),
                None,
            ))
        };
        let dir = Path::new("/srv/eca");
        let full = failure(rusqlite::ffi::SQLITE_FULL).in_folder(dir);
        assert!(matches!(full, StoreError::DiskFull { .. }), "{full:?}");
        assert!(
            full.to_string().starts_with(
                "the disk holding the data folder /srv/eca is full; nothing was saved"
            ),
            "{full}"
        );
        let read_only = failure(rusqlite::ffi::SQLITE_READONLY).in_folder(dir);
        assert!(
            read_only
                .to_string()
                .starts_with("the data folder /srv/eca is read-only; nothing was saved"),
            "{read_only}"
        );
        let busy = failure(rusqlite::ffi::SQLITE_BUSY).in_folder(dir);
        assert!(
            matches!(busy, StoreError::Busy),
            "other errors are left as they are"
        );
    }

    #[test]
    fn a_uri_path_keeps_its_meaning() {
        assert_eq!(uri_path(Path::new("/a b/50%?#.db")), "/a b/50%25%3f%23.db");
    }
}
