//! Looking for a secret where it must never be: in the files of a data folder (the SQLite
//! file and its -wal/-shm, logs, exports) and in the cells of database tables.
//!
//! Invariant: the scans read raw bytes, so a secret is found whatever the encoding around it;
//! a [`canary`] is unique per call, so a hit cannot come from another test.

use std::path::{Path, PathBuf};

/// The desktop database's tables of sync state, where no secret may ever be written.
pub const SYNC_TABLES: &[&str] = &[
    "sync_change",
    "sync_base",
    "sync_env",
    "platform_test_run",
    "sync_secret_discard",
];

/// A value no run could print by chance, different in every call.
pub fn canary(label: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_nanos();
    format!("{label}-CANARY-{nanos:x}-{:x}", std::process::id())
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("the folder can be read") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Whether `needle` occurs in `haystack`, byte for byte.
pub fn contains(haystack: &[u8], needle: &str) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
}

/// The files under `dir` that contain `needle`.
pub fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|f| contains(&std::fs::read(f).unwrap_or_default(), needle))
        .collect()
}

/// Every text cell of `tables`, one per line (to look for a leaked secret).
pub fn text_cells(conn: &rusqlite::Connection, tables: &[&str]) -> String {
    let mut out = String::new();
    for table in tables {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table}"))
            .expect("the table exists");
        let n = stmt.column_count();
        let mut rows = stmt.query([]).expect("the table can be read");
        while let Some(r) = rows.next().expect("a row") {
            for i in 0..n {
                if let Ok(s) = r.get::<_, String>(i) {
                    out.push_str(&s);
                    out.push('\n');
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_needle_in_a_nested_file_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("clean"), b"nothing here").unwrap();
        std::fs::write(dir.path().join("sub/dirty"), b"\x00\x01secret-123\x02").unwrap();
        let hits = files_containing(dir.path(), "secret-123");
        assert_eq!(hits, vec![dir.path().join("sub/dirty")]);
        assert!(files_containing(dir.path(), "absent").is_empty());
    }

    #[test]
    fn canaries_differ() {
        assert_ne!(canary("a"), canary("a"));
    }

    #[test]
    fn reads_every_text_cell() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (a TEXT, b INTEGER); INSERT INTO t VALUES ('x', 1);")
            .unwrap();
        assert_eq!(text_cells(&conn, &["t"]), "x\n");
    }
}
