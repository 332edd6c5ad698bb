//! `make bench`: the store against raw rusqlite running the same SQL, in the same run.
//!
//! Prints the median of each side and their ratio (target ≤ 1.5×). The floor is measured here,
//! on this machine, now, so the ratio means something on any machine; no timing is asserted.

use eca_core::catalog::{Catalog, SaveIdpRequest, SecretChange};
use eca_core::secrets::MemorySecrets;
use eca_core::store::{self, idps};
use eca_core::transfer;
use eca_model::clock::{rfc3339, SystemClock};
use eca_model::idp::{IdpFields, IdpId};
use eca_model::validation::{issuer_key, name_key};
use rusqlite::{params, TransactionBehavior};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SAVES: usize = 300;
const LIST_ROWS: usize = 10_000;
const LISTS: usize = 40;

fn fields(i: usize) -> IdpFields {
    let issuer = format!("https://idp{i}.example.com/oauth2/default");
    eca_testkit::fixtures::okta_at(&format!("IdP number {i}"), &issuer)
}

fn catalog(dir: &std::path::Path) -> Catalog {
    Catalog::open(dir, Arc::new(MemorySecrets::new()), Arc::new(SystemClock)).expect("open")
}

/// A list row as raw rusqlite reads it: the same columns, no mapping.
type RawSummary = (
    String,
    String,
    String,
    Option<String>,
    String,
    bool,
    bool,
    String,
);

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn report(what: &str, ours: Duration, raw: Duration) {
    let ratio = ours.as_secs_f64() / raw.as_secs_f64();
    println!("{what:<28} eca-core {ours:>12.3?}   raw rusqlite {raw:>12.3?}   ratio {ratio:.2}x (target <= 1.50x)");
}

/// One save through the catalog: validation, uniqueness, row and audit in one transaction.
fn bench_save_ours() -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let mut c = catalog(dir.path());
    let times = (0..SAVES)
        .map(|i| {
            let req = SaveIdpRequest {
                id: None,
                fields: fields(i),
                secret: SecretChange::Keep,
            };
            let t = Instant::now();
            c.save(req).expect("save");
            t.elapsed()
        })
        .collect();
    median(times)
}

/// The same statements, by hand: BEGIN IMMEDIATE, two uniqueness look-ups, the insert, the
/// audit row, the outbox entry, COMMIT.
fn bench_save_raw() -> Duration {
    let dir = tempfile::tempdir().unwrap();
    drop(catalog(dir.path())); // create the schema
    let mut conn = store::open(&dir.path().join(eca_core::data_dir::DB_FILE)).unwrap();
    let times = (0..SAVES)
        .map(|i| {
            let f = fields(i);
            let t = Instant::now();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).unwrap();
            let nk = name_key(&f.name);
            let ik = issuer_key(f.issuer.as_deref().unwrap());
            let _: Option<String> = tx
                .prepare_cached("SELECT id FROM idp WHERE name_key = ?1")
                .unwrap()
                .query_row([&nk], |r| r.get(0))
                .ok();
            let _: Option<String> = tx
                .prepare_cached("SELECT id FROM idp WHERE issuer_key = ?1")
                .unwrap()
                .query_row([&ik], |r| r.get(0))
                .ok();
            let now = rfc3339(time::OffsetDateTime::now_utc());
            let id = IdpId::new().to_string();
            tx.prepare_cached(idps::INSERT_SQL)
                .unwrap()
                .execute(params![
                    id, f.name, nk, "oidc", f.issuer, ik, f.authorization_endpoint, f.token_endpoint,
                    f.userinfo_endpoint, f.jwks_uri, f.client_id, "client_secret_basic", f.scopes.join(" "),
                    "[]", serde_json::to_string(&f.redirect_uris).unwrap(), f.customer_id_claim, true, false,
                    f.notes, now, now, "deep_link", "[]", false, Option::<u16>::None, "[]",
                    Option::<String>::None, Option::<String>::None, Option::<String>::None
                ])
                .unwrap();
            tx.prepare_cached("INSERT INTO idp_audit (idp_id, at, action, changes) VALUES (?1, ?2, 'create', '[]')")
                .unwrap()
                .execute(params![id, now])
                .unwrap();
            // The sync outbox entry every edit records (look for one to coalesce with, then add).
            let _: Option<i64> = tx
                .prepare_cached("SELECT seq FROM sync_change WHERE idp_id = ?1 ORDER BY seq DESC LIMIT 1")
                .unwrap()
                .query_row([&id], |r| r.get(0))
                .ok();
            tx.prepare_cached(
                "INSERT INTO sync_change (idp_id, kind, secret_changed, created_at, idempotency_key) \
                 VALUES (?1, 'create', 0, ?2, ?3)",
            )
            .unwrap()
            .execute(params![id, now, uuid::Uuid::new_v4().to_string()])
            .unwrap();
            tx.commit().unwrap();
            t.elapsed()
        })
        .collect();
    median(times)
}

/// A catalog holding `LIST_ROWS` IdPs, written by one import (one transaction).
fn filled_catalog(dir: &std::path::Path) -> Catalog {
    let mut c = catalog(dir);
    let idps: Vec<serde_json::Value> = (0..LIST_ROWS)
        .map(|i| {
            let mut v = serde_json::to_value(fields(i)).unwrap();
            v["id"] = serde_json::json!(IdpId::new());
            v
        })
        .collect();
    let doc = serde_json::json!({"format": transfer::FORMAT, "version": transfer::VERSION, "exported_at": "", "idps": idps});
    transfer::import(&mut c, &doc.to_string()).expect("fill");
    c
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument is a filter we do not need.
    println!(
        "ECA Admin store benchmark (medians; {SAVES} saves, {LISTS} lists of {LIST_ROWS} IdPs)"
    );
    report("save one IdP", bench_save_ours(), bench_save_raw());

    let dir = tempfile::tempdir().unwrap();
    let c = filled_catalog(dir.path());
    let raw = store::open(&dir.path().join(eca_core::data_dir::DB_FILE)).unwrap();
    let mut ours = Vec::new();
    let mut floor = Vec::new();
    for _ in 0..LISTS {
        let t = Instant::now();
        let rows = c.list().unwrap();
        ours.push(t.elapsed());
        assert_eq!(rows.len(), LIST_ROWS);

        let t = Instant::now();
        let mut stmt = raw.prepare_cached(idps::LIST_SUMMARIES_SQL).unwrap();
        let rows: Vec<RawSummary> = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        floor.push(t.elapsed());
        assert_eq!(rows.len(), LIST_ROWS);
    }
    report("list 10,000 IdPs", median(ours), median(floor));
}
