//! A [`Clock`] the test moves: for link expiry, token lifetimes and cache ages.

use eca_model::clock::Clock;
use std::sync::Mutex;
use time::{Duration, OffsetDateTime};

pub struct TestClock(Mutex<OffsetDateTime>);

impl TestClock {
    /// A clock at the real time now (so tokens a real provider issues are current).
    pub fn now_utc() -> Self {
        Self(Mutex::new(OffsetDateTime::now_utc()))
    }

    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
