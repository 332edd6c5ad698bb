//! Logins waiting for their callback, keyed by `state`.
//!
//! Invariants:
//! - A callback is matched to a pending login by comparing `state` in constant time against
//!   every pending entry, so the comparison leaks nothing about the secret values by timing.
//! - A pending login is consumed once: taking it removes it, so a replayed callback finds
//!   nothing. Expired logins are dropped when looked at.

use super::flow::PendingLogin;
use std::sync::Mutex;
use time::OffsetDateTime;

#[derive(Default)]
pub struct PendingLogins {
    entries: Mutex<Vec<PendingLogin>>,
}

impl PendingLogins {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&self, login: PendingLogin) {
        self.lock().push(login);
    }

    /// Removes and returns the login whose state equals `state`, unless it has expired.
    pub fn take(&self, state: &str, now: OffsetDateTime) -> Option<PendingLogin> {
        let mut entries = self.lock();
        entries.retain(|e| e.expires_at > now);
        let mut found = None;
        for (i, e) in entries.iter().enumerate() {
            // Every entry is compared (no early exit on a match), each in constant time.
            if e.state_matches(state) && found.is_none() {
                found = Some(i);
            }
        }
        found.map(|i| entries.swap_remove(i))
    }

    /// Drops the login of this run (cancel, timeout). Returns whether it was still pending.
    pub fn cancel(&self, run_id: &str) -> bool {
        let mut entries = self.lock();
        let before = entries.len();
        entries.retain(|e| e.run_id != run_id);
        entries.len() != before
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<PendingLogin>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}
