//! `make bench`: `eca sync push` of N changed IdPs to the reference backend on loopback, against
//! a minimal client (plain reqwest, in this process) sending the same N `PUT`s (same bodies and
//! headers, fresh idempotency keys) to the same backend, in the same run. Prints both times,
//! the ratio (target ≤ 1.3×) and the peak RSS of the `eca` process for N = 100 and N = 1,000,
//! to show memory stays flat. Nothing is asserted about time.
//!
//! The API key is read from a real Secret Service: run it through `scripts/with-keyring.sh`
//! (make bench does); without a session bus it says so and skips.

#[path = "../tests/sync_common/mod.rs"]
mod sync_common;

use eca_core::catalog::{Catalog, SaveIdpRequest, SecretChange};
use eca_core::secrets::MemorySecrets;
use eca_model::clock::SystemClock;
use eca_model::idp::IdpId;
use eca_model::wire::WireFields;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use sync_common::{Backend, Eca, API_KEY, WORKSPACE};

/// Timed runs per size (medians are printed).
const RUNS: usize = 3;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Sets every IdP's notes to `notes` through the core (each edit records its outbox row).
fn edit_all(eca: &Eca, ids: &[IdpId], notes: &str) {
    let mut catalog = Catalog::open(
        eca.path(),
        Arc::new(MemorySecrets::new()),
        Arc::new(SystemClock),
    )
    .unwrap();
    for id in ids {
        let mut f = catalog.get(*id).unwrap().fields;
        f.notes = notes.into();
        catalog
            .save(SaveIdpRequest {
                id: Some(*id),
                fields: f,
                secret: SecretChange::Keep,
            })
            .unwrap();
    }
}

/// Runs `eca sync push`; returns how long it took and its peak RSS in KiB.
///
/// The peak is `VmHWM` from `/proc/<pid>/status`, read every 2 ms until the process ends (it
/// only grows, so the last read is the peak, short of the last 2 ms). Not
/// `getrusage`/`wait4`: Linux counts the forked parent's resident set, before `exec`, in the
/// child's `ru_maxrss`, and this parent holds the backend.
fn push(eca: &Eca) -> (Duration, u64) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_eca"))
        .arg("--data-dir")
        .arg(eca.path())
        .args(["sync", "push"])
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("eca starts");
    let status_file = format!("/proc/{}/status", child.id());
    let sampler = std::thread::spawn(move || {
        let mut peak = 0;
        while let Ok(text) = std::fs::read_to_string(&status_file) {
            if text.contains("State:\tZ") {
                break;
            }
            let hwm = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok());
            peak = hwm.unwrap_or(peak);
            std::thread::sleep(Duration::from_millis(2));
        }
        peak
    });
    let status = child.wait().expect("eca ends");
    let took = started.elapsed();
    assert!(status.success(), "eca sync push failed ({status})");
    (took, sampler.join().expect("the sampler ends"))
}

/// The same N `PUT`s the push sent, from a minimal client: body = wire fields + id, `If-Match`
/// the current version, a fresh idempotency key, the API key as Bearer, one connection.
fn minimal(backend: &Backend, eca: &Eca, ids: &[IdpId], notes: &str) -> Duration {
    let local = eca.local_wire();
    let versions = eca.base_versions();
    let requests: Vec<(IdpId, String, String)> = ids
        .iter()
        .map(|id| {
            let mut fields: WireFields = local[id].clone();
            fields.notes = notes.into();
            let mut body = serde_json::to_value(&fields).unwrap();
            body["id"] = serde_json::Value::String(id.to_string());
            (*id, versions[id].clone(), body.to_string())
        })
        .collect();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let base = backend.url();
    let started = Instant::now();
    backend.runtime.block_on(async {
        for (id, version, body) in requests {
            let response = client
                .put(format!("{base}/v1/workspaces/{WORKSPACE}/idps/{id}"))
                .bearer_auth(API_KEY)
                .header("Accept", "application/json")
                .header("Content-Type", "application/json")
                .header("If-Match", format!("\"{version}\""))
                .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
                .body(body)
                .send()
                .await
                .expect("the backend answers");
            let status = response.status().as_u16();
            let _ = response.bytes().await;
            assert_eq!(status, 200, "the minimal client's PUT succeeds");
        }
    });
    started.elapsed()
}

fn run(n: usize) {
    let backend = Backend::start();
    let eca = Eca::new();
    eca.set_backend(&backend.url());
    let ids: Vec<IdpId> = {
        let mut catalog = Catalog::open(
            eca.path(),
            Arc::new(MemorySecrets::new()),
            Arc::new(SystemClock),
        )
        .unwrap();
        (0..n)
            .map(|i| {
                catalog
                    .save(SaveIdpRequest {
                        id: None,
                        fields: eca_testkit::fixtures::okta(&format!("idp-{i:05}")),
                        secret: SecretChange::Keep,
                    })
                    .unwrap()
                    .idp
                    .id
            })
            .collect()
    };
    let (create_time, create_rss) = push(&eca);
    assert_eq!(backend.idps().len(), n, "every IdP was created");

    // Alternating runs, medians: a loopback push that syncs to disk varies from run to run.
    let (mut ecas, mut floors, mut eca_rss) = (Vec::new(), Vec::new(), 0);
    for run in 0..RUNS {
        edit_all(&eca, &ids, &format!("changed for the benchmark, run {run}"));
        let (took, rss) = push(&eca);
        assert_eq!(eca.outbox_len(), 0, "the push emptied the outbox");
        ecas.push(took);
        eca_rss = eca_rss.max(rss);
        // The minimal client leaves the backend ahead of the base: take its versions back.
        floors.push(minimal(
            &backend,
            &eca,
            &ids,
            &format!("minimal client, run {run}"),
        ));
        let pulled = eca.run(&["sync", "pull"]);
        assert_eq!(
            pulled.code, 0,
            "pull after the minimal client: {}",
            pulled.stderr
        );
    }
    let (eca_time, floor) = (median(ecas), median(floors));

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "push {n:>5} IdPs (median of {RUNS})  eca sync push {:>8.1} ms  minimal client {:>8.1} ms  ratio {:.2}x \
         (target <= 1.3x)  | create push {:>8.1} ms | peak RSS of eca: {} KiB (update), {} KiB \
         (create)",
        ms(eca_time),
        ms(floor),
        ms(eca_time) / ms(floor),
        ms(create_time),
        eca_rss,
        create_rss
    );
}

fn main() {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        println!(
            "push bench: skipped: the sync API key needs a real Secret Service; run it through \
             scripts/with-keyring.sh (make bench does)"
        );
        return;
    }
    for n in [100, 1000] {
        run(n);
    }
}
