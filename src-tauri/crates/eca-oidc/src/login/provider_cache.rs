//! The platform's cache of what IdPs publish for logins: discovery documents (by issuer) and
//! signing keys (by JWKS URI), so that customer logins do not fetch them every time.
//!
//! The desktop's Test Configuration does not use it (its [`super::flow::LoginContext`] has no
//! cache): an admin testing a change must see the IdP as it is now.
//!
//! Invariants:
//! - An entry is served for at most [`CachePolicy::max_age`] after it was fetched (a fixed
//!   bound, like jose's remote key sets: an IdP's `Cache-Control` on its JWKS is often
//!   `no-store` or absent, and honouring it would mean a fetch per login again). A clock that
//!   went backwards makes an entry stale, never fresher.
//! - A refresh for an unknown `kid` fetches at most once per [`CachePolicy::refresh_interval`]
//!   per key (issuer or JWKS URI), counted from the last attempt, failed ones included: a flood
//!   of tokens with random `kid`s cannot make the platform hammer the IdP. Inside the interval
//!   it answers with what is cached, which another login may have refreshed meanwhile.
//! - One fetch per key at a time: concurrent logins on a cold or stale entry wait for the one
//!   fetch in flight and share its answer (no stampede at the IdP).
//! - Failures are not cached: the next login tries again (a failed refresh keeps the entry it
//!   had, still bounded by `max_age`).
//! - Each table holds at most [`CachePolicy::max_entries`] keys; the least recently used goes.
//! - Time is passed in (`now`), from the login's clock.

use super::jwks::{self, JwksError};
use super::verifying_key::KeySet;
use crate::discovery::{self, DiscoveryError, DiscoveryInfo};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use time::{Duration, OffsetDateTime};

/// How long entries live, how often an unknown `kid` may refresh them, how many are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CachePolicy {
    pub max_age: Duration,
    pub refresh_interval: Duration,
    pub max_entries: usize,
}

impl Default for CachePolicy {
    fn default() -> Self {
        Self {
            max_age: Duration::minutes(10),
            refresh_interval: Duration::seconds(30),
            max_entries: 256,
        }
    }
}

/// A value from the cache, and whether it was fetched for this call.
#[derive(Debug)]
pub struct Cached<T> {
    pub value: Arc<T>,
    pub fetched: bool,
}

impl<T> Cached<T> {
    /// A value just fetched, outside any cache.
    pub fn fetched(value: T) -> Self {
        Self {
            value: Arc::new(value),
            fetched: true,
        }
    }
}

/// Discovery and JWKS of the IdPs the platform logs customers in with; shared by all logins.
#[derive(Default)]
pub struct ProviderCache {
    policy: CachePolicy,
    discovery: Table<DiscoveryInfo>,
    jwks: Table<KeySet>,
}

impl ProviderCache {
    pub fn new(policy: CachePolicy) -> Self {
        Self {
            policy,
            discovery: Table::default(),
            jwks: Table::default(),
        }
    }

    /// The discovery document of `issuer`, fetched when `want` says the cached one will not do.
    pub async fn discovery(
        &self,
        http: &crate::http::HttpClient,
        issuer: &str,
        now: OffsetDateTime,
        want: Want,
    ) -> Result<Cached<DiscoveryInfo>, DiscoveryError> {
        let fetch = || discovery::fetch(http, issuer);
        self.discovery
            .get(issuer, now, want, &self.policy, fetch)
            .await
    }

    /// The key set at `uri`, fetched when `want` says the cached one will not do.
    pub async fn jwks(
        &self,
        http: &crate::http::HttpClient,
        uri: &str,
        now: OffsetDateTime,
        want: Want,
    ) -> Result<Cached<KeySet>, JwksError> {
        let fetch = || jwks::fetch(http, uri);
        self.jwks.get(uri, now, want, &self.policy, fetch).await
    }
}

/// What a caller needs of an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    /// One younger than `max_age`.
    Fresh,
    /// A newer one than it has, for a token signed by a key it does not know (rate-limited).
    Refresh,
}

/// One key's state. Its async lock is held across a fetch, which makes fetches single-flight.
struct Slot<T> {
    value: Option<Arc<T>>,
    fetched_at: Option<OffsetDateTime>,
    attempted_at: Option<OffsetDateTime>,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Self {
            value: None,
            fetched_at: None,
            attempted_at: None,
        }
    }
}

/// The age of `then` at `now`; `None` when `then` is missing or in the future.
fn age(then: Option<OffsetDateTime>, now: OffsetDateTime) -> Option<Duration> {
    then.map(|then| now - then).filter(|age| !age.is_negative())
}

impl<T> Slot<T> {
    /// The cached value to answer with, or `None` when the caller must fetch.
    fn answer(&self, want: Want, now: OffsetDateTime, policy: &CachePolicy) -> Option<Arc<T>> {
        let value = self.value.as_ref()?;
        let fresh = age(self.fetched_at, now).is_some_and(|a| a < policy.max_age);
        let serve = match want {
            Want::Fresh => fresh,
            Want::Refresh => {
                fresh && age(self.attempted_at, now).is_some_and(|a| a < policy.refresh_interval)
            }
        };
        serve.then(|| Arc::clone(value))
    }
}

type SlotRef<T> = Arc<tokio::sync::Mutex<Slot<T>>>;

/// The slots of one kind of document, by key, with their last use for eviction.
struct Table<T> {
    slots: Mutex<HashMap<String, (SlotRef<T>, OffsetDateTime)>>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Self {
            slots: Mutex::default(),
        }
    }
}

impl<T> Table<T> {
    async fn get<E, F, Fut>(
        &self,
        key: &str,
        now: OffsetDateTime,
        want: Want,
        policy: &CachePolicy,
        fetch: F,
    ) -> Result<Cached<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let slot = self.slot(key, now, policy.max_entries);
        let mut slot = slot.lock().await;
        if let Some(value) = slot.answer(want, now, policy) {
            return Ok(Cached {
                value,
                fetched: false,
            });
        }
        slot.attempted_at = Some(now);
        let value = Arc::new(fetch().await?);
        slot.value = Some(Arc::clone(&value));
        slot.fetched_at = Some(now);
        Ok(Cached {
            value,
            fetched: true,
        })
    }

    /// The slot of `key`, created when missing (evicting the least recently used when full).
    fn slot(&self, key: &str, now: OffsetDateTime, max_entries: usize) -> SlotRef<T> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((slot, used)) = slots.get_mut(key) {
            *used = now;
            return Arc::clone(slot);
        }
        while slots.len() >= max_entries.max(1) {
            let oldest = slots
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => slots.remove(&k),
                None => break,
            };
        }
        let slot = SlotRef::default();
        slots.insert(key.to_string(), (Arc::clone(&slot), now));
        slot
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.slots.lock().unwrap().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-01-01 12:00 UTC);

    /// A fetch that counts its calls and answers with the call's number.
    #[derive(Default)]
    struct Source {
        calls: AtomicUsize,
    }

    impl Source {
        async fn fetch(&self) -> Result<usize, &'static str> {
            Ok(self.calls.fetch_add(1, Ordering::SeqCst) + 1)
        }

        async fn fail(&self) -> Result<usize, &'static str> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            Err("down")
        }

        fn calls(&self) -> usize {
            self.calls.load(Ordering::SeqCst)
        }
    }

    async fn get(table: &Table<usize>, src: &Source, at: OffsetDateTime, want: Want) -> usize {
        let policy = CachePolicy::default();
        *table
            .get("k", at, want, &policy, || src.fetch())
            .await
            .unwrap()
            .value
    }

    #[tokio::test]
    async fn a_fresh_entry_is_served_without_a_fetch() {
        let (table, src) = (Table::default(), Source::default());
        let policy = CachePolicy::default();
        let first = table
            .get("k", T0, Want::Fresh, &policy, || src.fetch())
            .await
            .unwrap();
        assert!(first.fetched);
        let later = T0 + policy.max_age - Duration::seconds(1);
        let hit = table
            .get("k", later, Want::Fresh, &policy, || src.fetch())
            .await
            .unwrap();
        assert!(!hit.fetched, "a hit is not a fetch");
        assert_eq!(
            (*hit.value, src.calls()),
            (1, 1),
            "one fetch for two logins"
        );
    }

    #[tokio::test]
    async fn an_entry_expires_after_max_age_and_when_the_clock_goes_back() {
        let (table, src) = (Table::default(), Source::default());
        let max_age = CachePolicy::default().max_age;
        assert_eq!(get(&table, &src, T0, Want::Fresh).await, 1);
        assert_eq!(get(&table, &src, T0 + max_age, Want::Fresh).await, 2);
        let back = T0 + max_age - Duration::seconds(1);
        assert_eq!(
            get(&table, &src, back, Want::Fresh).await,
            3,
            "clock went back"
        );
    }

    #[tokio::test]
    async fn an_unknown_kid_refreshes_once_per_interval() {
        let (table, src) = (Table::default(), Source::default());
        let interval = CachePolicy::default().refresh_interval;
        assert_eq!(get(&table, &src, T0, Want::Fresh).await, 1);
        // Fetched just now: a flood of unknown kids is answered from the cache.
        for s in [0, 1, 29] {
            let at = T0 + Duration::seconds(s);
            assert_eq!(get(&table, &src, at, Want::Refresh).await, 1, "at +{s}s");
        }
        assert_eq!(src.calls(), 1, "rate-limited");
        let at = T0 + interval;
        assert_eq!(get(&table, &src, at, Want::Refresh).await, 2, "refreshed");
        assert_eq!(get(&table, &src, at, Want::Refresh).await, 2, "not again");
        assert_eq!(get(&table, &src, at, Want::Fresh).await, 2, "others see it");
    }

    #[tokio::test]
    async fn a_failed_refresh_counts_and_keeps_the_entry() {
        let (table, src) = (Table::default(), Source::default());
        let policy = CachePolicy::default();
        assert_eq!(get(&table, &src, T0, Want::Fresh).await, 1);
        let at = T0 + policy.refresh_interval;
        let failed = table
            .get("k", at, Want::Refresh, &policy, || src.fail())
            .await;
        assert_eq!(failed.unwrap_err(), "down");
        let soon = at + Duration::seconds(1);
        assert_eq!(
            get(&table, &src, soon, Want::Refresh).await,
            1,
            "no retry yet"
        );
        assert_eq!(
            get(&table, &src, soon, Want::Fresh).await,
            1,
            "still cached"
        );
        assert_eq!(src.calls(), 2);
    }

    #[tokio::test]
    async fn a_failed_fetch_is_not_cached() {
        let (table, src) = (Table::default(), Source::default());
        let policy = CachePolicy::default();
        let failed = table
            .get("k", T0, Want::Fresh, &policy, || src.fail())
            .await;
        assert!(failed.is_err());
        assert_eq!(get(&table, &src, T0, Want::Fresh).await, 2, "tried again");
    }

    #[tokio::test]
    async fn concurrent_misses_share_one_fetch() {
        let (table, src) = (Table::default(), Source::default());
        let gate = tokio::sync::Notify::new();
        let policy = CachePolicy::default();
        let (gate_ref, src_ref) = (&gate, &src);
        let slow = move || async move {
            gate_ref.notified().await;
            src_ref.fetch().await
        };
        let logins = three_at_once(&table, &policy, slow, &gate).await;
        assert_eq!(logins, vec![1, 1, 1]);
        assert_eq!(src.calls(), 1, "one fetch for three waiting logins");
    }

    /// Three gets of a cold key at once; the fetch is released once all three are waiting.
    async fn three_at_once<F, Fut>(
        table: &Table<usize>,
        policy: &CachePolicy,
        fetch: F,
        gate: &tokio::sync::Notify,
    ) -> Vec<usize>
    where
        F: Fn() -> Fut + Copy,
        Fut: Future<Output = Result<usize, &'static str>>,
    {
        let one = || async move {
            *table
                .get("k", T0, Want::Fresh, policy, fetch)
                .await
                .unwrap()
                .value
        };
        let release = async {
            for _ in 0..10 {
                tokio::task::yield_now().await;
            }
            gate.notify_one();
        };
        let (a, b, c, ()) = tokio::join!(one(), one(), one(), release);
        vec![a, b, c]
    }

    #[tokio::test]
    async fn the_least_recently_used_key_is_evicted_when_full() {
        let src = Source::default();
        let table = Table::default();
        let policy = CachePolicy {
            max_entries: 2,
            ..CachePolicy::default()
        };
        for (key, at) in [("a", 0), ("b", 1), ("a", 2), ("c", 3)] {
            let at = T0 + Duration::seconds(at);
            table
                .get(key, at, Want::Fresh, &policy, || src.fetch())
                .await
                .unwrap();
        }
        assert_eq!(table.len(), 2);
        assert_eq!(src.calls(), 3, "a was a hit");
        let at = T0 + Duration::seconds(4);
        let a = table.get("a", at, Want::Fresh, &policy, || src.fetch());
        assert!(!a.await.unwrap().fetched, "a was used recently: kept");
        let b = table.get("b", at, Want::Fresh, &policy, || src.fetch());
        assert!(
            b.await.unwrap().fetched,
            "b was the least recently used: evicted"
        );
    }
}
