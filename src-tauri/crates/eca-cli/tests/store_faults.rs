//! Store faults through the `eca` binary: a full disk (a small tmpfs) and a read-only data
//! folder (a read-only bind mount). Each fault is reported in plain words, changes nothing, and
//! everything saved before it is still there afterwards.
//!
//! Each test runs its body in a private mount namespace ([`eca_testkit::mounts`]): as root (CI)
//! they always run; otherwise they skip with a loud message.

#![cfg(unix)]

use assert_cmd::Command;
use eca_core::catalog::{Catalog, SaveIdpRequest, SecretChange};
use eca_core::secrets::MemorySecrets;
use eca_model::clock::SystemClock;
use eca_testkit::mounts::{inside_private_mounts, mount, umount};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn eca(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_eca"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("ECA_DATA_DIR")
        .output()
        .expect("eca runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn add(dir: &Path, name: &str) -> Run {
    let host = format!("{}.idp.example", name.to_lowercase());
    let url = |path: &str| format!("https://{host}{path}");
    let (issuer, auth, token, jwks) = (url(""), url("/auth"), url("/token"), url("/jwks"));
    let client = format!("client-of-{host}");
    eca(
        dir,
        &[
            "idp",
            "add",
            "--name",
            name,
            "--issuer",
            &issuer,
            "--authorization-endpoint",
            &auth,
            "--token-endpoint",
            &token,
            "--jwks-uri",
            &jwks,
            "--client-id",
            &client,
            "--no-discover",
        ],
    )
}

/// The names `eca idp list` shows, sorted.
fn names(dir: &Path) -> Vec<String> {
    let r = eca(dir, &["idp", "list", "--json"]);
    assert_eq!(r.code, 0, "idp list: {}", r.stderr);
    let list: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    let mut names: Vec<String> = list
        .as_array()
        .expect("a list")
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

fn integrity(dir: &Path) -> String {
    let conn = rusqlite::Connection::open(dir.join(eca_core::data_dir::DB_FILE)).unwrap();
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

/// Writes to `dir/filler` until the file system has no room left.
fn fill(dir: &Path) {
    let mut file = std::fs::File::create(dir.join("filler")).unwrap();
    let chunk = vec![0u8; 4096];
    loop {
        match file.write_all(&chunk).and_then(|()| file.sync_all()) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::StorageFull => return,
            Err(e) => panic!("filling the disk: {e}"),
        }
    }
}

const SAVED: [&str; 3] = ["Acme", "Beta", "Gamma"];

#[test]
fn a_full_disk_speaks_plainly_and_loses_nothing() {
    if !inside_private_mounts("a_full_disk_speaks_plainly_and_loses_nothing") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    mount(&["-t", "tmpfs", "-o", "size=4m", "tmpfs"], &dir);
    for name in SAVED {
        assert_eq!(
            add(&dir, name).code,
            0,
            "{name} is saved while there is room"
        );
    }
    let full = format!(
        "the disk holding the data folder {} is full; nothing was saved",
        dir.display()
    );

    // The CLI opens the file on the full disk (no connection is open: the last one removed
    // `-wal` and `-shm` when it closed, and there is no room to make them again).
    fill(&dir);
    for args in [vec!["idp", "list"], vec!["idp", "show", "Acme"]] {
        let r = eca(&dir, &args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stdout);
        assert!(r.stderr.contains(&full), "{args:?}: {}", r.stderr);
    }
    let r = add(&dir, "Delta");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains(&full), "{}", r.stderr);
    std::fs::remove_file(dir.join("filler")).unwrap();

    // A write on a connection opened while there was room: its commit meets the full disk.
    let mut catalog =
        Catalog::open(&dir, Arc::new(MemorySecrets::new()), Arc::new(SystemClock)).unwrap();
    fill(&dir);
    let err = catalog
        .save(SaveIdpRequest {
            id: None,
            fields: eca_testkit::fixtures::okta("Epsilon"),
            secret: SecretChange::Keep,
        })
        .expect_err("no room for the write");
    assert!(
        err.in_folder(&dir).to_string().starts_with(&full),
        "the core names the fault"
    );
    drop(catalog);

    std::fs::remove_file(dir.join("filler")).unwrap();
    assert_eq!(
        names(&dir),
        SAVED,
        "every row saved before the fault, and nothing else"
    );
    assert_eq!(integrity(&dir), "ok");
    assert_eq!(add(&dir, "Zeta").code, 0, "with room again, saving works");
    umount(&dir);
}

#[test]
fn a_read_only_folder_is_listed_and_shown_and_writes_are_refused_plainly() {
    if !inside_private_mounts(
        "a_read_only_folder_is_listed_and_shown_and_writes_are_refused_plainly",
    ) {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    for name in SAVED {
        assert_eq!(add(&dir, name).code, 0, "{name} is saved while writable");
    }
    let source = dir.to_str().unwrap();
    mount(&["--bind", source], &dir);
    mount(&["-o", "remount,bind,ro"], &dir);
    assert!(
        std::fs::write(dir.join("probe"), "x").is_err(),
        "the bind mount is read-only, for root too"
    );

    assert_eq!(names(&dir), SAVED, "listing works");
    let r = eca(&dir, &["idp", "show", "Beta", "--json"]);
    assert_eq!(r.code, 0, "showing works: {}", r.stderr);
    assert!(r.stdout.contains("beta.idp.example"), "{}", r.stdout);

    let read_only = format!(
        "the data folder {} is read-only; nothing was saved",
        dir.display()
    );
    for r in [
        add(&dir, "Delta"),
        eca(&dir, &["idp", "disable", "Acme"]),
        eca(&dir, &["idp", "delete", "Gamma", "--yes"]),
    ] {
        assert_eq!(r.code, 1, "{}", r.stdout);
        assert!(r.stderr.contains(&read_only), "{}", r.stderr);
    }

    umount(&dir);
    assert_eq!(names(&dir), SAVED, "nothing was lost or changed");
    assert_eq!(integrity(&dir), "ok");
    let r = eca(&dir, &["idp", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|i| i["enabled"] == true),
        "Acme was not disabled: {list}"
    );
}
