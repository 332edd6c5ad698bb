//! Customer logins at their IdP: opened by a link, waiting for the IdP's redirect to the
//! platform's callback.
//!
//! Invariants:
//! - A login is found by the SHA-256 of its `state`, so the lookup's timing says nothing about
//!   the state; it is removed when found, so a redirect completes a login once.
//! - Entries expire with their request: an expired one is never returned, and expired ones are
//!   dropped before anyone is refused for lack of room and by [`InFlightLogins::prune`]. The
//!   list holds at most [`MAX_IN_FLIGHT`] logins, and one workspace at most
//!   [`MAX_IN_FLIGHT_PER_WORKSPACE`], so a flood of opened links can neither exhaust memory nor
//!   lock other workspaces' customers out. Each workspace's count is kept as entries come and
//!   go, so adding one costs the same with ten logins waiting or ten thousand.
//! - Each login is bound to the browser that started it: the callback must bring the cookie
//!   whose hash is [`InFlight::browser`], compared in constant time.
//! - They live in memory only (PKCE verifier, nonce, the decrypted secret): nothing of them is
//!   written anywhere. A restart ends them; their requests then expire.

use super::CALLBACK_PATH;
use crate::workspace::WorkspaceId;
use eca_oidc::login::flow::PendingLogin;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use time::OffsetDateTime;
use uuid::Uuid;

/// The most logins waiting at once, in all and per workspace.
pub const MAX_IN_FLIGHT: usize = 10_000;
pub const MAX_IN_FLIGHT_PER_WORKSPACE: usize = 1_000;

/// A login waiting for the IdP's redirect, and what judging it needs.
pub struct InFlight {
    pub workspace: WorkspaceId,
    pub request_id: Uuid,
    /// E.164, for the channel binding.
    pub customer: String,
    pub return_url: Option<String>,
    pub admin_test: bool,
    /// The request's own expiry: the login cannot outlive it.
    pub expires_at: OffsetDateTime,
    /// SHA-256 of the browser-binding cookie set when the login started.
    pub browser: [u8; 32],
    pub login: PendingLogin,
}

impl InFlight {
    /// Whether `cookie` is the one this login's browser was given.
    pub fn same_browser(&self, cookie: Option<&str>) -> bool {
        use subtle::ConstantTimeEq;
        cookie.is_some_and(|c| {
            let presented: [u8; 32] = Sha256::digest(c.as_bytes()).into();
            bool::from(self.browser.ct_eq(&presented))
        })
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("Too many sign-ins are in progress; try again in a minute.")]
pub struct Full;

#[derive(Default)]
pub struct InFlightLogins {
    table: Mutex<Table<InFlight>>,
}

/// What the table needs to know of an entry.
trait Waiting {
    fn workspace(&self) -> &WorkspaceId;
    fn expires_at(&self) -> OffsetDateTime;
}

impl Waiting for InFlight {
    fn workspace(&self) -> &WorkspaceId {
        &self.workspace
    }
    fn expires_at(&self) -> OffsetDateTime {
        self.expires_at
    }
}

/// The logins by the hash of their state, and how many each workspace has.
struct Table<T> {
    entries: HashMap<[u8; 32], T>,
    per_workspace: HashMap<WorkspaceId, usize>,
    max: usize,
    max_per_workspace: usize,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Self {
            entries: HashMap::new(),
            per_workspace: HashMap::new(),
            max: MAX_IN_FLIGHT,
            max_per_workspace: MAX_IN_FLIGHT_PER_WORKSPACE,
        }
    }
}

impl<T: Waiting> Table<T> {
    fn has_room(&self, workspace: &WorkspaceId) -> bool {
        let theirs = self.per_workspace.get(workspace).copied().unwrap_or(0);
        self.entries.len() < self.max && theirs < self.max_per_workspace
    }

    fn insert(&mut self, key: [u8; 32], entry: T, now: OffsetDateTime) -> Result<(), Full> {
        if !self.has_room(entry.workspace()) {
            self.prune(now);
            if !self.has_room(entry.workspace()) {
                return Err(Full);
            }
        }
        *self
            .per_workspace
            .entry(entry.workspace().clone())
            .or_default() += 1;
        if let Some(replaced) = self.entries.insert(key, entry) {
            self.forget(&replaced);
        }
        Ok(())
    }

    fn take(&mut self, key: &[u8; 32], now: OffsetDateTime) -> Option<T> {
        let entry = self.entries.remove(key)?;
        self.forget(&entry);
        (entry.expires_at() > now).then_some(entry)
    }

    fn prune(&mut self, now: OffsetDateTime) {
        let expired: Vec<[u8; 32]> = self
            .entries
            .iter()
            .filter(|(_, e)| e.expires_at() <= now)
            .map(|(k, _)| *k)
            .collect();
        for key in expired {
            if let Some(entry) = self.entries.remove(&key) {
                self.forget(&entry);
            }
        }
    }

    /// Counts `entry`, which just left, out of its workspace.
    fn forget(&mut self, entry: &T) {
        if let Some(count) = self.per_workspace.get_mut(entry.workspace()) {
            *count -= 1;
            if *count == 0 {
                self.per_workspace.remove(entry.workspace());
            }
        }
    }
}

fn key(state: &str) -> [u8; 32] {
    Sha256::digest(state.as_bytes()).into()
}

/// The cookie a login's browser must bring back to the callback.
pub struct BrowserCookie {
    pub name: String,
    pub value: String,
    pub max_age: i64,
    pub secure: bool,
}

impl BrowserCookie {
    /// The `Set-Cookie` value: only sent back to the callback, never readable by scripts,
    /// sent on the IdP's top-level redirect (`SameSite=Lax`).
    pub fn header(&self) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!(
            "{}={}; Path={CALLBACK_PATH}; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
            self.name, self.value, self.max_age
        )
    }
}

/// One cookie per login (named after its state), so two links opened in one browser do not
/// overwrite each other's binding.
pub fn cookie_name(state: &str) -> String {
    let digest = Sha256::digest(state.as_bytes());
    format!("eca_signin_{}", hex::encode(&digest[..8]))
}

impl InFlightLogins {
    /// Adds a login, keyed by its state.
    pub fn insert(&self, entry: InFlight, now: OffsetDateTime) -> Result<(), Full> {
        let key = key(entry.login.state());
        self.lock().insert(key, entry, now)
    }

    /// Takes the login this `state` belongs to, if it is still waiting.
    pub fn take(&self, state: &str, now: OffsetDateTime) -> Option<InFlight> {
        self.lock().take(&key(state), now)
    }

    /// Drops the logins expired at `now`.
    pub fn prune(&self, now: OffsetDateTime) {
        self.lock().prune(now);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table<InFlight>> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Entry(WorkspaceId, OffsetDateTime);

    impl Waiting for Entry {
        fn workspace(&self) -> &WorkspaceId {
            &self.0
        }
        fn expires_at(&self) -> OffsetDateTime {
            self.1
        }
    }

    const NOW: OffsetDateTime = time::macros::datetime!(2026-11-30 12:00 UTC);

    fn table(max: usize, max_per_workspace: usize) -> Table<Entry> {
        Table {
            max,
            max_per_workspace,
            ..Table::default()
        }
    }

    fn ws(name: &str) -> WorkspaceId {
        name.parse().unwrap()
    }

    fn k(n: u8) -> [u8; 32] {
        [n; 32]
    }

    #[test]
    fn a_workspace_cannot_take_the_others_room_and_the_whole_is_capped() {
        let later = NOW + time::Duration::minutes(10);
        let mut t = table(3, 2);
        for n in 0..2 {
            assert_eq!(t.insert(k(n), Entry(ws("a"), later), NOW), Ok(()));
        }
        assert_eq!(
            t.insert(k(2), Entry(ws("a"), later), NOW),
            Err(Full),
            "a's share"
        );
        assert_eq!(
            t.insert(k(3), Entry(ws("b"), later), NOW),
            Ok(()),
            "b has room"
        );
        assert_eq!(
            t.insert(k(4), Entry(ws("c"), later), NOW),
            Err(Full),
            "all full"
        );
        // A login taken gives its room back to its workspace.
        assert!(t.take(&k(0), NOW).is_some());
        assert_eq!(t.insert(k(5), Entry(ws("a"), later), NOW), Ok(()));
    }

    #[test]
    fn expired_logins_are_never_returned_and_make_room_before_a_refusal() {
        let (soon, later) = (
            NOW + time::Duration::seconds(1),
            NOW + time::Duration::hours(1),
        );
        let mut t = table(2, 2);
        t.insert(k(0), Entry(ws("a"), soon), NOW).unwrap();
        t.insert(k(1), Entry(ws("a"), soon), NOW).unwrap();
        let past = soon + time::Duration::seconds(1);
        assert_eq!(
            t.insert(k(2), Entry(ws("a"), later), past),
            Ok(()),
            "room made"
        );
        assert_eq!(t.entries.len(), 1, "both expired ones dropped");
        assert_eq!(t.per_workspace[&ws("a")], 1);
        t.insert(k(3), Entry(ws("b"), soon), NOW).unwrap();
        assert!(t.take(&k(3), past).is_none(), "expired: not returned");
        assert!(!t.per_workspace.contains_key(&ws("b")), "and counted out");
    }

    #[test]
    fn pruning_counts_the_dropped_out_of_their_workspace() {
        let (soon, later) = (
            NOW + time::Duration::seconds(1),
            NOW + time::Duration::hours(1),
        );
        let mut t = table(10, 10);
        t.insert(k(0), Entry(ws("a"), soon), NOW).unwrap();
        t.insert(k(1), Entry(ws("a"), later), NOW).unwrap();
        t.prune(soon);
        assert_eq!(t.entries.len(), 1);
        assert_eq!(t.per_workspace[&ws("a")], 1);
    }
}
