//! Logins waiting for their deep-link callback, keyed by `state`.
//!
//! Deep links reach the app from the OS, shared by every login in flight, and any local process
//! can forge one. So:
//! - a callback is matched to a pending login by comparing `state` in constant time against
//!   every entry, so the comparison leaks nothing by its timing;
//! - a pending login is consumed once: delivering removes it, so a replayed callback finds
//!   nothing; expired entries are dropped when the list is looked at;
//! - a callback that matches nothing is refused with a reason, never a panic.

use super::callback::{self, CallbackError, CallbackParams};
use std::sync::Mutex;
use time::OffsetDateTime;
use tokio::sync::oneshot;

struct Entry {
    run_id: String,
    state: String,
    expires_at: OffsetDateTime,
    waiter: oneshot::Sender<CallbackParams>,
}

#[derive(Default)]
pub struct PendingCallbacks {
    entries: Mutex<Vec<Entry>>,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("{0}")]
    Malformed(#[from] CallbackError),
    #[error("the callback has no state parameter")]
    NoState,
    #[error("no test login is waiting for this callback (unknown, finished or replayed state)")]
    NoPendingLogin,
}

impl PendingCallbacks {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a login; the receiver gets its callback.
    pub fn register(
        &self,
        run_id: &str,
        state: &str,
        expires_at: OffsetDateTime,
    ) -> oneshot::Receiver<CallbackParams> {
        let (waiter, receiver) = oneshot::channel();
        self.lock().push(Entry {
            run_id: run_id.into(),
            state: state.into(),
            expires_at,
            waiter,
        });
        receiver
    }

    /// Parses `url` as a callback to `redirect_uri` and hands it to the login whose state it
    /// carries. Returns the run it went to.
    pub fn deliver(
        &self,
        url: &str,
        redirect_uri: &str,
        now: OffsetDateTime,
    ) -> Result<String, Refused> {
        let params = callback::parse(url, redirect_uri)?;
        let state = params.state.clone().ok_or(Refused::NoState)?;
        let mut entries = self.lock();
        entries.retain(|e| e.expires_at > now && !e.waiter.is_closed());
        let mut found = None;
        for (i, e) in entries.iter().enumerate() {
            // Every entry is compared in full (no early exit), each in constant time.
            if callback::same_state(&e.state, &state) && found.is_none() {
                found = Some(i);
            }
        }
        let entry = entries.swap_remove(found.ok_or(Refused::NoPendingLogin)?);
        let run_id = entry.run_id.clone();
        // The run may have just been cancelled; the callback is consumed either way.
        let _ = entry.waiter.send(params);
        Ok(run_id)
    }

    /// Drops a run's entry (cancel, timeout). Returns whether it was still pending.
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

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEEP: &str = "com.ecaadmin.desktop:/oauth/callback";

    fn later() -> OffsetDateTime {
        OffsetDateTime::now_utc() + time::Duration::minutes(5)
    }

    #[tokio::test]
    async fn a_callback_reaches_its_login_once() {
        let pending = PendingCallbacks::new();
        let rx_a = pending.register("run-a", "state-a", later());
        let _rx_b = pending.register("run-b", "state-b", later());
        let url = format!("{DEEP}?code=c&state=state-a");
        let now = OffsetDateTime::now_utc();
        assert_eq!(pending.deliver(&url, DEEP, now), Ok("run-a".into()));
        assert_eq!(rx_a.await.unwrap().code.as_deref(), Some("c"));
        assert_eq!(
            pending.deliver(&url, DEEP, now),
            Err(Refused::NoPendingLogin),
            "replayed"
        );
        assert_eq!(pending.len(), 1, "the other login still waits");
    }

    #[test]
    fn forged_and_malformed_callbacks_are_refused() {
        let pending = PendingCallbacks::new();
        let _rx = pending.register("run", "the-state", later());
        let now = OffsetDateTime::now_utc();
        assert_eq!(
            pending.deliver(&format!("{DEEP}?code=c&state=guess"), DEEP, now),
            Err(Refused::NoPendingLogin)
        );
        assert_eq!(
            pending.deliver(&format!("{DEEP}?code=c"), DEEP, now),
            Err(Refused::NoState)
        );
        assert!(matches!(
            pending.deliver(&format!("{DEEP}?state=a&state=b"), DEEP, now),
            Err(Refused::Malformed(_))
        ));
        assert_eq!(pending.len(), 1, "refusals consume nothing");
    }

    #[tokio::test]
    async fn a_callback_reaches_the_login_it_names_among_several() {
        let pending = PendingCallbacks::new();
        let _rx_a = pending.register("run-a", "state-a", later());
        let rx_b = pending.register("run-b", "state-b", later());
        let _rx_c = pending.register("run-c", "state-c", later());
        let now = OffsetDateTime::now_utc();
        let url = format!("{DEEP}?code=for-b&state=state-b");
        assert_eq!(pending.deliver(&url, DEEP, now), Ok("run-b".into()));
        assert_eq!(rx_b.await.unwrap().code.as_deref(), Some("for-b"));
        assert_eq!(pending.len(), 2);
    }

    #[test]
    fn a_login_expires_at_its_deadline_exactly() {
        let pending = PendingCallbacks::new();
        let deadline = OffsetDateTime::now_utc();
        let _rx = pending.register("run", "s", deadline);
        let url = format!("{DEEP}?code=c&state=s");
        let just_before = deadline - time::Duration::nanoseconds(1);
        assert_eq!(pending.deliver(&url, DEEP, just_before), Ok("run".into()));
        let _rx = pending.register("run", "s", deadline);
        assert_eq!(
            pending.deliver(&url, DEEP, deadline),
            Err(Refused::NoPendingLogin)
        );
        assert!(pending.is_empty(), "the expired entry was dropped");
    }

    #[test]
    fn a_login_nobody_waits_for_any_more_matches_nothing() {
        let pending = PendingCallbacks::new();
        drop(pending.register("run", "s", later()));
        assert!(!pending.is_empty());
        let now = OffsetDateTime::now_utc();
        assert_eq!(
            pending.deliver(&format!("{DEEP}?code=c&state=s"), DEEP, now),
            Err(Refused::NoPendingLogin)
        );
        assert_eq!(pending.len(), 0);
    }

    #[test]
    fn cancelling_says_whether_the_login_was_pending() {
        let pending = PendingCallbacks::new();
        let _rx = pending.register("run", "s", later());
        assert!(!pending.cancel("another-run"));
        assert_eq!(pending.len(), 1);
        assert!(pending.cancel("run"));
        assert!(!pending.cancel("run"), "only once");
    }

    #[test]
    fn expired_and_cancelled_logins_match_nothing() {
        let pending = PendingCallbacks::new();
        let past = OffsetDateTime::now_utc() - time::Duration::seconds(1);
        let _rx = pending.register("old", "s1", past);
        let _rx2 = pending.register("gone", "s2", later());
        assert!(pending.cancel("gone"));
        let now = OffsetDateTime::now_utc();
        assert_eq!(
            pending.deliver(&format!("{DEEP}?code=c&state=s1"), DEEP, now),
            Err(Refused::NoPendingLogin)
        );
        assert_eq!(
            pending.deliver(&format!("{DEEP}?code=c&state=s2"), DEEP, now),
            Err(Refused::NoPendingLogin)
        );
    }
}
