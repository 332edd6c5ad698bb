//! `make bench`: the automated loopback login round trip through `eca idp test` against a minimal
//! openidconnect-only client (examples/minimal_login.rs) doing the same flow against the same
//! provider, in the same run, with the same scripted browser. Prints both medians and the ratio
//! (target ≤ 1.10×); nothing is asserted about time.
//!
//! Needs `cargo build --release -p eca-cli --example minimal_login` first (make bench does).

use eca_testkit::node_server::{workspace_root, NodeServer};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 15;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn timed(cmd: &mut Command) -> Duration {
    let t = Instant::now();
    let out = cmd.output().expect("run");
    let took = t.elapsed();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn main() {
    let eca = PathBuf::from(env!("CARGO_BIN_EXE_eca"));
    let minimal = eca.parent().unwrap().join("examples/minimal_login");
    assert!(
        minimal.exists(),
        "build the floor first: cargo build --release -p eca-cli --example minimal_login"
    );
    let browser = format!(
        "node {}",
        workspace_root().join("tests/oidc/browser.mjs").display()
    );
    let op = NodeServer::start("provider.mjs", &[]);
    let dir = tempfile::tempdir().unwrap();
    let add = Command::new(&eca)
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "idp",
            "add",
            "--name",
            "Bench",
            "--issuer",
            &op.url,
            "--client-id",
            "eca-public",
        ])
        .args(["--client-auth-method", "none", "--scopes", "openid email"])
        .output()
        .unwrap();
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );

    let mut ours = Vec::new();
    let mut floor = Vec::new();
    for _ in 0..RUNS {
        ours.push(timed(
            Command::new(&eca)
                .arg("--data-dir")
                .arg(dir.path())
                .args(["idp", "test", "Bench", "--json"])
                .env("BROWSER", &browser),
        ));
        floor.push(timed(
            Command::new(&minimal)
                .arg(&op.url)
                .arg("eca-public")
                .env("BROWSER", &browser),
        ));
    }
    let (ours, floor) = (median(ours), median(floor));
    let ratio = ours.as_secs_f64() / floor.as_secs_f64();
    println!("ECA Admin login benchmark (medians of {RUNS} full loopback logins, scripted browser included)");
    println!(
        "{:<28} eca idp test {ours:>10.1?}   minimal openidconnect client {floor:>10.1?}   ratio {ratio:.2}x (target <= 1.10x)",
        "loopback login round trip"
    );
}
