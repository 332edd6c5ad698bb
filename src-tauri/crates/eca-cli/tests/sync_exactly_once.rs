//! The exactly-once run (issue 12): rounds of random edits (creates with and without a secret,
//! field edits, secret rotations and removals, toggles, deletes), each round followed by a
//! `eca sync push` that is killed (SIGKILL) at a seeded point (a time after its start, or after
//! its first freeze) or left to finish, while the backend drops some connections after
//! committing. So edits keep landing between a write whose outcome is unknown and its retry: a
//! secret replaced, or an IdP deleted, after its create or update was applied but not
//! acknowledged.
//!
//! No change may ever become a conflict or fail (the client's own edits never conflict), and
//! after one final push the backend must equal the local state: the same IdPs (nothing lost,
//! no delete left behind, nothing doubled), the same fields, the same secrets (by fingerprint),
//! the base at the backend's versions, and no frozen secret copy left in the keyring.
//!
//! The edits are made through the core's catalog in this process, on the OS keyring the `eca`
//! binary reads too: run through `scripts/with-keyring.sh`. `ECA_EXACTLY_ONCE_SEED=<n>` replays
//! a run (the seed is printed).

mod sync_common;

use eca_backend::faults::FaultSettings;
use eca_core::catalog::{Catalog, SaveIdpRequest, SecretChange};
use eca_core::secrets::{OsKeyring, Secret, SecretKey, SecretStore};
use eca_core::store::sync_changes::ChangeState;
use eca_core::store::{idps, sync_changes, sync_envs, sync_secret_discard};
use eca_model::clock::SystemClock;
use eca_model::idp::IdpId;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use sync_common::{push_and_kill, require_session_bus, seed, Backend, Eca, KillPoint, Rng};

/// Rounds to run, unless the time budget ends first (at least `MIN_ROUNDS` always run).
const ROUNDS: u64 = 40;
const MIN_ROUNDS: u64 = 12;
const BUDGET: Duration = Duration::from_secs(25);
/// The IdPs a run keeps at most (deletes take over above it).
const MAX_IDPS: usize = 12;

/// One admin's edits, on the data folder and the keyring `eca` uses.
struct Editor {
    catalog: Catalog,
    rng: Rng,
    /// Numbers each secret and name, so every value is new.
    counter: u64,
    seed: u64,
}

impl Editor {
    fn fresh(&mut self, what: &str) -> String {
        self.counter += 1;
        format!("{what}-{:x}-{}", self.seed, self.counter)
    }

    fn save(&mut self, id: Option<IdpId>, fields: eca_model::idp::IdpFields, secret: SecretChange) {
        let request = SaveIdpRequest { id, fields, secret };
        let outcome = self.catalog.save(request).expect("a valid IdP is saved");
        assert_eq!(outcome.secret_error, None, "the keyring takes the secret");
    }

    fn create(&mut self) {
        let name = self.fresh("idp");
        let secret = match self.rng.below(10) < 6 {
            true => SecretChange::Replace(Secret::new(self.fresh("secret"))),
            false => SecretChange::Keep,
        };
        self.save(None, eca_testkit::fixtures::okta(&name), secret);
    }

    /// One random edit of a random IdP (or a create).
    fn edit(&mut self) {
        let ids: Vec<IdpId> = self.catalog.list().unwrap().iter().map(|s| s.id).collect();
        if ids.is_empty() {
            return self.create();
        }
        let pick = ids[self.rng.below(ids.len() as u64) as usize];
        let fields = self.catalog.get(pick).unwrap().fields;
        match self.rng.below(15) {
            0..=2 if ids.len() < MAX_IDPS => self.create(),
            3..=5 => {
                let notes = self.fresh("notes");
                let edited = eca_model::idp::IdpFields { notes, ..fields };
                self.save(Some(pick), edited, SecretChange::Keep);
            }
            6..=8 => {
                let secret = Secret::new(self.fresh("rotated-secret"));
                self.save(Some(pick), fields, SecretChange::Replace(secret));
            }
            9 => self.save(Some(pick), fields, SecretChange::Clear),
            10..=11 => drop(self.catalog.set_enabled(pick, !fields.enabled).unwrap()),
            _ => self.catalog.delete(pick).unwrap(),
        }
    }
}

/// Checks, after a push or a kill, that no change is in conflict or failed; adds the keys of
/// the changes frozen now to `frozen` (their secret copies must be gone at the end). Returns
/// whether any is frozen: a write whose outcome is unknown, which the next edits land behind.
fn no_false_conflict(eca: &Eca, round: u64, seed: u64, frozen: &mut BTreeSet<String>) -> bool {
    let mut in_doubt = false;
    for change in sync_changes::list(&eca.db(), sync_envs::current_id(&eca.db()).unwrap()).unwrap()
    {
        assert_eq!(
            change.state,
            ChangeState::Pending,
            "round {round} (seed {seed}): the client's own edits made a change {:?}: {:?}",
            change.state,
            change.last_error
        );
        if change.request.is_some() {
            frozen.insert(change.idempotency_key);
            in_doubt = true;
        }
    }
    in_doubt
}

/// The backend equals the local state: IdPs, fields, secrets (by fingerprint), base versions.
fn backend_equals_local(backend: &Backend, eca: &Eca, seed: u64) {
    let remote = backend.idps();
    let local = idps::list_full(&eca.db()).unwrap();
    let ids = |ids: Vec<IdpId>| ids.into_iter().collect::<BTreeSet<_>>();
    assert_eq!(
        ids(remote.keys().copied().collect()),
        ids(local.iter().map(|l| l.id).collect()),
        "seed {seed}: the backend holds exactly the local IdPs (nothing lost, no orphan)"
    );
    let keyring = OsKeyring::new();
    let base = eca.base_versions();
    for idp in &local {
        let theirs = &remote[&idp.id];
        let name = &idp.fields.name;
        assert_eq!(
            theirs.fields,
            eca_model::wire::WireFields::from(&idp.fields),
            "seed {seed}: {name}'s fields"
        );
        let secret = keyring.get(SecretKey::IdpClientSecret(idp.id)).unwrap();
        let expected = secret.map(|s| backend.secret_fingerprint(s.expose()));
        assert_eq!(
            theirs.secret_fingerprint, expected,
            "seed {seed}: the backend holds {name}'s newest secret"
        );
        assert_eq!(
            base.get(&idp.id),
            Some(&theirs.version),
            "seed {seed}: {name}'s base"
        );
    }
}

#[test]
fn random_edits_kills_and_lost_replies_end_with_the_backend_equal_to_the_local_state() {
    require_session_bus();
    let seed = seed("ECA_EXACTLY_ONCE_SEED", 0x00E0_CE12);
    let started = Instant::now();
    let backend = Backend::start();
    let eca = Eca::new();
    eca.set_backend(&backend.url());
    let keyring: Arc<OsKeyring> = Arc::new(OsKeyring::new());
    let mut editor = Editor {
        catalog: Catalog::open(eca.path(), keyring.clone(), Arc::new(SystemClock)).unwrap(),
        rng: Rng(seed),
        counter: 0,
        seed,
    };
    let mut frozen = BTreeSet::new();
    let (mut kills, mut rounds, mut in_doubt) = (0, 0, 0);
    for round in 0..ROUNDS {
        if round >= MIN_ROUNDS && started.elapsed() > BUDGET {
            break;
        }
        for _ in 0..2 + editor.rng.below(4) {
            editor.edit();
        }
        backend.set_faults(FaultSettings {
            // Slow enough that a kill often lands between a write and its acknowledgement.
            latency_ms: 20 + editor.rng.below(60),
            drop_after_commit_rate: 0.3,
            seed: editor.rng.next(),
            ..FaultSettings::default()
        });
        if editor.rng.below(4) == 0 {
            let r = eca.run(&["sync", "push"]);
            assert!(
                [0, 3].contains(&r.code),
                "round {round} (seed {seed}): a push ends done or pending, got {}: {}{}",
                r.code,
                r.stdout,
                r.stderr
            );
        } else {
            // Half the kills land anywhere in the push (`eca` needs about 0.1 s before its
            // first request, and the keyring as long to copy each secret it freezes); the
            // other half within a round trip after its first freeze, so that writes are left
            // in doubt however slow a loaded machine makes the start.
            let at = match editor.rng.below(2) {
                0 => KillPoint::After(Duration::from_millis(100 + editor.rng.below(1200))),
                _ => KillPoint::AfterFrozen(Duration::from_millis(editor.rng.below(100))),
            };
            push_and_kill(&eca, at);
            kills += 1;
        }
        if no_false_conflict(&eca, round, seed, &mut frozen) {
            in_doubt += 1;
        }
        rounds += 1;
    }
    assert!(
        in_doubt * 4 >= rounds,
        "seed {seed}: only {in_doubt} of {rounds} rounds left a write in doubt for the next \
         edits; the test no longer tests what it says (tune the kill points or the faults)"
    );

    backend.set_faults(FaultSettings::default());
    let r = eca.run(&["sync", "push"]);
    assert_eq!(
        r.code, 0,
        "seed {seed}: the final push completes: {}{}",
        r.stdout, r.stderr
    );
    assert_eq!(eca.outbox_len(), 0, "seed {seed}: nothing is left");
    backend_equals_local(&backend, &eca, seed);
    for key in &frozen {
        let copy = SecretKey::FrozenClientSecret(key.parse().unwrap());
        assert!(
            keyring.get(copy).unwrap().is_none(),
            "seed {seed}: the secret copy of settled change {key} is still in the keyring"
        );
    }
    assert!(
        sync_secret_discard::list(&eca.db()).unwrap().is_empty(),
        "seed {seed}: no copy is left to delete"
    );
    println!(
        "exactly-once run: {rounds} rounds, {kills} kills, {in_doubt} left in doubt, {} frozen \
         changes, {} IdPs, {:.1} s",
        frozen.len(),
        eca.local_wire().len(),
        started.elapsed().as_secs_f64()
    );
}
