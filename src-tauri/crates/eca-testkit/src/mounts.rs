//! Tests that need a file system that misbehaves (a full disk, a read-only folder): each runs
//! its body again in a private mount namespace (`unshare --mount`), where it may mount a small
//! tmpfs or a read-only bind mount that nobody outside sees and that goes away with it.
//!
//! Invariant: such a test runs whenever it can, that is as root with `unshare` installed (CI
//! runs `make test` as root). It skips only when it cannot, and then says so loudly on stderr;
//! when it could run but the namespace or its body fails, the test fails.

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

/// Set in the re-run: the body runs here.
const INSIDE: &str = "ECA_TESTKIT_PRIVATE_MOUNTS";

/// `true` in the re-run, inside the namespace, where the caller runs its body. Outside it
/// re-runs the test `test` (its full name in the test binary) there, asserts that it passed,
/// and returns `false`; it also returns `false`, after a loud message, when this is not root
/// or `unshare` is missing.
pub fn inside_private_mounts(test: &str) -> bool {
    if std::env::var_os(INSIDE).is_some() {
        return true;
    }
    if let Some(why) = cannot_run() {
        // Straight to the process's stderr: the test harness captures `eprintln!`, and a
        // passing test's captured output is never shown.
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPED {test}: {why}. It mounts a tmpfs or a read-only bind mount in a \
             private mount namespace: run it as root (CI does). ***\n"
        );
        return false;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let out = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "--"])
        .arg(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(INSIDE, "1")
        .output()
        .expect("unshare runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    assert!(
        out.status.success() && text(&out.stdout).contains("1 passed"),
        "{test} failed in its private mount namespace ({}):\n{}\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    false
}

fn cannot_run() -> Option<String> {
    let uid = std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(u32::MAX);
    if uid != 0 {
        return Some(format!("not root (uid {uid})"));
    }
    let found = Command::new("unshare").arg("--version").output();
    match found {
        Ok(out) if out.status.success() => None,
        _ => Some("`unshare` (util-linux) is not installed".into()),
    }
}

/// Runs `mount ARGS`, inside the namespace; panics with its message if it fails.
pub fn mount(args: &[&str], target: &Path) {
    let out = Command::new("mount")
        .args(args)
        .arg(target)
        .output()
        .expect("mount runs");
    assert!(
        out.status.success(),
        "mount {args:?} {}: {}",
        target.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Unmounts `target` (inside the namespace).
pub fn umount(target: &Path) {
    let status = Command::new("umount")
        .arg(target)
        .status()
        .expect("umount runs");
    assert!(status.success(), "umount {}", target.display());
}
