//! The local SQLite database: its embedded migrations and one repository module per table.
//! Opening, pragmas and refusing a newer file are [`eca_sqlite`]'s, shared with the backend.
//!
//! Invariants:
//! - Migrations are embedded and immutable: append new ones, never edit old ones.
//! - One repository module per table ([`idps`], [`audit`], [`test_runs`], [`sync_changes`],
//!   [`sync_base`], [`sync_envs`], [`platform_test_runs`], [`sync_secret_discard`],
//!   [`update_settings`]); multi-row work happens in one transaction opened by the caller.

pub mod audit;
pub mod idps;
pub mod platform_test_runs;
pub mod sync_base;
pub mod sync_changes;
pub mod sync_envs;
pub mod sync_secret_discard;
pub mod test_runs;
pub mod update_settings;

pub use eca_sqlite::StoreError;
use eca_sqlite::{open_in_memory_migrated, open_migrated};
use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};
use std::path::Path;

/// The schema's history. Index + 1 is the `user_version` after each step.
pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("migrations/0001_idps.sql")),
        M::up(include_str!("migrations/0002_test_runs.sql")),
        M::up(include_str!("migrations/0003_sync.sql")),
        M::up(include_str!("migrations/0004_claim_mapping.sql")),
        M::up(include_str!("migrations/0005_loopback_port.sql")),
        M::up(include_str!("migrations/0006_secret_binding.sql")),
        M::up(include_str!("migrations/0007_id_token_signing_algs.sql")),
        M::up(include_str!("migrations/0008_sync_secret_copies.sql")),
        M::up(include_str!("migrations/0009_credential_expires_on.sql")),
        M::up(include_str!("migrations/0010_private_key_jwt.sql")),
        M::up(include_str!("migrations/0011_update_settings.sql")),
        M::up(include_str!("migrations/0012_sync_environments.sql")),
    ])
}

/// Opens (creating if needed) and migrates the database file.
pub fn open(path: &Path) -> Result<Connection, StoreError> {
    open_migrated(path, &migrations())
}

/// A private in-memory database, migrated (unit tests and benchmarks).
pub fn open_in_memory() -> Result<Connection, StoreError> {
    open_in_memory_migrated(&migrations())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        migrations()
            .validate()
            .expect("the embedded migrations must apply cleanly");
    }

    fn migrations_count() -> usize {
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/src/store/migrations"))
            .unwrap()
            .count()
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
        assert_eq!(
            v as usize,
            migrations_count(),
            "user_version follows the number of migrations"
        );
    }
}
