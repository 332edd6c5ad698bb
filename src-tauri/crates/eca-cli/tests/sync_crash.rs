//! The crash test: `eca sync push` killed with SIGKILL at random points, round after round,
//! while the backend adds latency (so kills land mid-request) and drops some connections after
//! committing (so acknowledgements are lost). After each round, pushing again until clean must
//! leave the backend equal to the local state, with nothing applied twice.
//!
//! The edits are made through the core's catalog in this process (each records its outbox
//! row, as the app's and the CLI's edits do); every push is the built `eca` binary. The kill
//! points come from a seeded RNG: `ECA_CRASH_SEED=<n>` replays a run (the seed is printed).
//!
//! The sync API key is read from a real Secret Service: run through `scripts/with-keyring.sh`.

mod sync_common;

use eca_backend::faults::FaultSettings;
use eca_core::catalog::{Catalog, SaveIdpRequest, SecretChange};
use eca_core::secrets::MemorySecrets;
use eca_core::store::sync_changes::{self, ChangeKind};
use eca_core::store::{sync_base, sync_envs};
use eca_model::clock::SystemClock;
use eca_model::idp::IdpId;
use eca_model::wire::WireFields;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use sync_common::{push_and_kill, require_session_bus, seed, Backend, Eca, KillPoint, Rng};

/// Rounds to run, unless the time budget ends first (at least `MIN_ROUNDS` always run).
const ROUNDS: u64 = 20;
const MIN_ROUNDS: u64 = 10;
const BUDGET: Duration = Duration::from_secs(45);

/// The highest revision the backend has handed out to a live IdP (`rN` → N).
fn max_revision(backend: &Backend) -> u64 {
    backend
        .idps()
        .values()
        .map(|i| {
            i.version
                .strip_prefix('r')
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("a version like r12, got {}", i.version))
        })
        .max()
        .unwrap_or(0)
}

/// One round of edits; the last one is always a create, so its row is the last one pushed.
fn edit(catalog: &mut Catalog, rng: &mut Rng, round: u64, initial: usize) {
    let create = |catalog: &mut Catalog, name: String| {
        catalog
            .save(SaveIdpRequest {
                id: None,
                fields: eca_testkit::fixtures::okta(&name),
                secret: SecretChange::Keep,
            })
            .expect("a valid IdP is saved");
    };
    if initial > 0 {
        for n in 0..initial {
            create(catalog, format!("idp-{round}-{n}"));
        }
    } else {
        for n in 0..14 {
            let ids: Vec<IdpId> = catalog.list().unwrap().into_iter().map(|s| s.id).collect();
            let pick = ids[rng.below(ids.len() as u64) as usize];
            match rng.below(20) {
                0..=7 => {
                    let mut f = catalog.get(pick).unwrap().fields;
                    f.notes = format!("edited in round {round}, step {n}");
                    f.client_id = format!("client-{round}-{n}");
                    catalog
                        .save(SaveIdpRequest {
                            id: Some(pick),
                            fields: f,
                            secret: SecretChange::Keep,
                        })
                        .unwrap();
                }
                8..=11 => {
                    let on = catalog.get(pick).unwrap().fields.enabled;
                    catalog.set_enabled(pick, !on).unwrap();
                }
                12..=14 if ids.len() > 20 => catalog.delete(pick).unwrap(),
                _ => create(catalog, format!("idp-{round}-{n}")),
            }
        }
    }
    create(catalog, format!("idp-{round}-last"));
}

#[test]
fn pushes_killed_at_random_points_converge_without_applying_anything_twice() {
    require_session_bus();
    let seed = seed("ECA_CRASH_SEED", 0x5EED_ECA0);
    let mut rng = Rng(seed);
    let started = Instant::now();

    let backend = Backend::start();
    let eca = Eca::new();
    eca.set_backend(&backend.url());
    let mut kills = 0;
    let mut mid_flight = 0;
    let mut rounds = 0;
    for round in 0..ROUNDS {
        if round >= MIN_ROUNDS && started.elapsed() > BUDGET {
            break;
        }
        {
            let mut catalog = Catalog::open(
                eca.path(),
                Arc::new(MemorySecrets::new()),
                Arc::new(SystemClock),
            )
            .unwrap();
            edit(
                &mut catalog,
                &mut rng,
                round,
                if round == 0 { 40 } else { 0 },
            );
        }
        // The writes that change something: a toggle and its undo within one round coalesce
        // into a PUT of what the backend already has, which keeps its version.
        let rows =
            sync_changes::list(&eca.db(), sync_envs::current_id(&eca.db()).unwrap()).unwrap();
        let base: HashMap<IdpId, WireFields> =
            sync_base::list(&eca.db(), sync_envs::current_id(&eca.db()).unwrap())
                .unwrap()
                .into_iter()
                .map(|b| (b.idp_id, b.fields))
                .collect();
        let local = eca.local_wire();
        let puts = rows
            .iter()
            .filter(|c| c.kind != ChangeKind::Delete && base.get(&c.idp_id) != local.get(&c.idp_id))
            .count() as u64;
        let revision_before = max_revision(&backend);

        backend.set_faults(FaultSettings {
            latency_ms: 2 + rng.below(6),
            drop_after_commit_rate: 0.05,
            seed: rng.next(),
            ..FaultSettings::default()
        });
        for _ in 0..1 + rng.below(3) {
            push_and_kill(
                &eca,
                KillPoint::After(Duration::from_millis(5 + rng.below(150))),
            );
            kills += 1;
            let left =
                sync_changes::list(&eca.db(), sync_envs::current_id(&eca.db()).unwrap()).unwrap();
            if left.iter().any(|c| c.request.is_some()) {
                // Killed between freezing a request and recording its acknowledgement.
                mid_flight += 1;
            }
        }
        let mut clean = false;
        let mut last = String::new();
        for _ in 0..10 {
            let out = eca.cmd().args(["sync", "push"]).output().expect("eca runs");
            last = String::from_utf8_lossy(&out.stderr).into_owned();
            if out.status.success() && eca.outbox_len() == 0 {
                clean = true;
                break;
            }
        }
        assert!(
            clean,
            "round {round} (seed {seed}): the outbox never emptied; last error: {last}"
        );
        backend.set_faults(FaultSettings::default());

        let remote = backend.idps();
        let local = eca.local_wire();
        assert_eq!(
            remote.len(),
            local.len(),
            "round {round} (seed {seed}): as many IdPs on the backend as here (no duplicate \
             creates, no lost deletes)"
        );
        for (id, fields) in &local {
            let theirs = remote
                .get(id)
                .unwrap_or_else(|| panic!("round {round}: {id} is missing on the backend"));
            assert_eq!(
                &theirs.fields, fields,
                "round {round} (seed {seed}): the backend's copy of {id} equals the local one"
            );
        }
        let base = eca.base_versions();
        for (id, r) in &remote {
            assert_eq!(
                base.get(id),
                Some(&r.version),
                "round {round}: the base holds the version the backend acknowledged for {id}"
            );
        }
        assert_eq!(
            max_revision(&backend) - revision_before,
            puts,
            "round {round} (seed {seed}): each of the {puts} writes took exactly one revision \
             (a write applied twice would take two, or be refused as a conflict)"
        );
        rounds += 1;
    }
    assert!(
        mid_flight * 4 >= kills,
        "seed {seed}: only {mid_flight} of {kills} kills landed mid-flight; the test no longer \
         tests what it says (tune the kill offsets or the latency)"
    );
    println!(
        "crash test: {rounds} rounds, {kills} kills ({mid_flight} mid-flight), {} IdPs at the \
         end, {:.1} s",
        eca.local_wire().len(),
        started.elapsed().as_secs_f64()
    );
}
