//! Fault injection for client tests: added latency, dropped connections after a commit, and
//! injected 500/503/429 answers.
//!
//! Invariants:
//! - Injected errors are decided before a request is processed: a client that gets one knows
//!   nothing was applied or recorded. A dropped connection is decided after the commit: the
//!   write is applied and its response recorded, the client just never hears it.
//! - Rates come from a seeded RNG (ChaCha8), so a test that sends the same requests in the
//!   same order sees the same faults. Replacing the settings reseeds it. The seed is a test
//!   input, never a security value.
//! - With the default settings nothing is injected and no random number is drawn.

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::watch;

/// The longest latency that can be injected, so a mistaken setting cannot hang a test run.
pub const MAX_LATENCY_MS: u64 = 60_000;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FaultError {
    #[error("{name} must be a rate between 0 and 1 (got {value})")]
    RateOutOfRange { name: &'static str, value: f64 },
    #[error(
        "error_500_rate + error_503_rate + error_429_rate must be at most 1 (got {0}): one draw \
         decides which error, if any, a request gets"
    )]
    RatesAboveOne(f64),
    #[error("latency_ms must be at most {MAX_LATENCY_MS} (got {0})")]
    LatencyTooLong(u64),
    #[error("retry_after_secs must be between 0 and 3600 (got {0})")]
    RetryAfterOutOfRange(u32),
}

/// What to inject. Every field has a default, so a partial JSON object is a valid setting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultSettings {
    /// Added to every API request (after a write has claimed its idempotency key).
    pub latency_ms: u64,
    /// Share of processed writes whose connection is dropped after the commit, with no answer.
    pub drop_after_commit_rate: f64,
    pub error_500_rate: f64,
    /// Answered with `Retry-After: retry_after_secs`.
    pub error_503_rate: f64,
    /// Answered with `Retry-After: retry_after_secs`.
    pub error_429_rate: f64,
    pub retry_after_secs: u32,
    pub seed: u64,
}

impl Default for FaultSettings {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            drop_after_commit_rate: 0.0,
            error_500_rate: 0.0,
            error_503_rate: 0.0,
            error_429_rate: 0.0,
            retry_after_secs: 1,
            seed: 0,
        }
    }
}

impl FaultSettings {
    pub fn check(&self) -> Result<(), FaultError> {
        for (name, value) in [
            ("drop_after_commit_rate", self.drop_after_commit_rate),
            ("error_500_rate", self.error_500_rate),
            ("error_503_rate", self.error_503_rate),
            ("error_429_rate", self.error_429_rate),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(FaultError::RateOutOfRange { name, value });
            }
        }
        let errors = self.error_rate_total();
        if errors > 1.0 + f64::EPSILON {
            return Err(FaultError::RatesAboveOne(errors));
        }
        if self.latency_ms > MAX_LATENCY_MS {
            return Err(FaultError::LatencyTooLong(self.latency_ms));
        }
        if self.retry_after_secs > 3600 {
            return Err(FaultError::RetryAfterOutOfRange(self.retry_after_secs));
        }
        Ok(())
    }

    fn error_rate_total(&self) -> f64 {
        self.error_500_rate + self.error_503_rate + self.error_429_rate
    }
}

/// An injected error answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InjectedError {
    Internal,
    Unavailable { retry_after_secs: u32 },
    RateLimited { retry_after_secs: u32 },
}

/// The live fault switches of one backend, changeable while it runs.
pub struct Faults {
    state: Mutex<(FaultSettings, ChaCha8Rng)>,
    /// How many requests the injected latency is holding right now.
    held: watch::Sender<usize>,
}

impl Faults {
    pub fn new(settings: FaultSettings) -> Result<Self, FaultError> {
        settings.check()?;
        let rng = ChaCha8Rng::seed_from_u64(settings.seed);
        Ok(Self {
            state: Mutex::new((settings, rng)),
            held: watch::Sender::new(0),
        })
    }

    pub fn settings(&self) -> FaultSettings {
        self.lock().0.clone()
    }

    /// Replaces every setting and reseeds the RNG with the new seed.
    pub fn replace(&self, settings: FaultSettings) -> Result<(), FaultError> {
        settings.check()?;
        let rng = ChaCha8Rng::seed_from_u64(settings.seed);
        *self.lock() = (settings, rng);
        Ok(())
    }

    /// Whether this request gets an injected error instead of being processed.
    pub fn draw_error(&self) -> Option<InjectedError> {
        let mut state = self.lock();
        let (settings, rng) = &mut *state;
        if settings.error_rate_total() <= 0.0 {
            return None;
        }
        let u = unit(rng);
        let retry_after_secs = settings.retry_after_secs;
        let mut edge = settings.error_500_rate;
        if u < edge {
            return Some(InjectedError::Internal);
        }
        edge += settings.error_503_rate;
        if u < edge {
            return Some(InjectedError::Unavailable { retry_after_secs });
        }
        edge += settings.error_429_rate;
        if u < edge {
            return Some(InjectedError::RateLimited { retry_after_secs });
        }
        None
    }

    /// Whether the connection of this just-committed write is dropped.
    pub fn draw_drop_after_commit(&self) -> bool {
        let mut state = self.lock();
        let (settings, rng) = &mut *state;
        settings.drop_after_commit_rate > 0.0 && unit(rng) < settings.drop_after_commit_rate
    }

    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.lock().0.latency_ms)
    }

    /// Waits for the configured latency, if any, counted in [`Faults::held`] meanwhile.
    pub async fn delay(&self) {
        let latency = self.latency();
        if !latency.is_zero() {
            self.held.send_modify(|n| *n += 1);
            let _released = Released(&self.held);
            tokio::time::sleep(latency).await;
        }
    }

    /// Waits until the injected latency holds at least `count` requests: a test's "the first
    /// request is in the handler now", without guessing a sleep.
    pub async fn held(&self, count: usize) {
        let mut held = self.held.subscribe();
        // Err: the sender is gone with the backend; there is nothing more to wait for.
        let _ = held.wait_for(|n| *n >= count).await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (FaultSettings, ChaCha8Rng)> {
        // The state is always whole (replaced in one assignment), so a poisoned lock is usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Counts a held request out when its wait ends, or when the request is dropped mid-wait.
struct Released<'a>(&'a watch::Sender<usize>);

impl Drop for Released<'_> {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n -= 1);
    }
}

/// A uniform number in [0, 1) from the top 53 bits of one draw.
fn unit(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mixed(seed: u64) -> FaultSettings {
        FaultSettings {
            error_500_rate: 0.2,
            error_503_rate: 0.2,
            error_429_rate: 0.2,
            retry_after_secs: 7,
            seed,
            ..FaultSettings::default()
        }
    }

    fn sequence(faults: &Faults, n: usize) -> Vec<Option<InjectedError>> {
        (0..n).map(|_| faults.draw_error()).collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_faults() {
        let a = sequence(&Faults::new(mixed(42)).unwrap(), 200);
        let b = sequence(&Faults::new(mixed(42)).unwrap(), 200);
        let c = sequence(&Faults::new(mixed(43)).unwrap(), 200);
        assert_eq!(a, b, "one seed must give one sequence");
        assert_ne!(a, c, "another seed should give another sequence");
    }

    #[test]
    fn rates_are_roughly_honoured_and_carry_retry_after() {
        let draws = sequence(&Faults::new(mixed(1)).unwrap(), 5000);
        let count =
            |f: &dyn Fn(&InjectedError) -> bool| draws.iter().flatten().filter(|e| f(e)).count();
        let internal = count(&|e| *e == InjectedError::Internal);
        let unavailable = count(&|e| {
            *e == InjectedError::Unavailable {
                retry_after_secs: 7,
            }
        });
        let limited = count(&|e| {
            *e == InjectedError::RateLimited {
                retry_after_secs: 7,
            }
        });
        for (name, n) in [("500", internal), ("503", unavailable), ("429", limited)] {
            assert!(
                (800..1200).contains(&n),
                "{name}: {n} of 5000 draws, expected about 1000"
            );
        }
        assert_eq!(
            internal + unavailable + limited + draws.iter().filter(|d| d.is_none()).count(),
            5000
        );
    }

    #[test]
    fn rate_one_always_fires_and_defaults_never_do() {
        let always = Faults::new(FaultSettings {
            error_503_rate: 1.0,
            ..FaultSettings::default()
        })
        .unwrap();
        assert!(sequence(&always, 100).iter().all(|d| *d
            == Some(InjectedError::Unavailable {
                retry_after_secs: 1
            })));
        let never = Faults::new(FaultSettings::default()).unwrap();
        assert!(sequence(&never, 100).iter().all(Option::is_none));
        assert!(!never.draw_drop_after_commit());
    }

    #[test]
    fn bad_settings_are_refused_and_replace_reseeds() {
        let bad_rate = FaultSettings {
            error_429_rate: 1.5,
            ..FaultSettings::default()
        };
        assert!(matches!(
            bad_rate.check(),
            Err(FaultError::RateOutOfRange { .. })
        ));
        let too_many = FaultSettings {
            error_500_rate: 0.6,
            error_503_rate: 0.6,
            ..FaultSettings::default()
        };
        assert!(matches!(
            too_many.check(),
            Err(FaultError::RatesAboveOne(_))
        ));

        let faults = Faults::new(mixed(9)).unwrap();
        let first = sequence(&faults, 50);
        faults.replace(mixed(9)).unwrap();
        assert_eq!(first, sequence(&faults, 50), "replace must reseed the RNG");
        assert!(faults.replace(bad_rate).is_err());
        assert_eq!(
            faults.settings(),
            mixed(9),
            "a refused setting must leave the old one"
        );
    }
}
