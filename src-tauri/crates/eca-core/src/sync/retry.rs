//! When to retry a write the backend could not take now (429, 503, 5xx, a lost connection):
//! capped exponential backoff with jitter, never sooner than the server's `Retry-After`.
//!
//! Invariants:
//! - [`delay`] is pure; the waiting ([`Pause`]) and the randomness ([`Jitter`]) are passed in,
//!   so tests can make waits instant and jitter fixed.
//! - A `Retry-After` is a floor, never shortened by jitter or the cap.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// How persistent a push is within one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first backoff (before jitter).
    pub base: Duration,
    /// The longest backoff (before a `Retry-After` floor).
    pub cap: Duration,
    /// Tries per change in one push (the first send included); then the push stops and the
    /// change keeps its key for the next push.
    pub max_attempts: u32,
    /// A wait longer than this is not slept through: the push stops and reports when to retry.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
            max_attempts: 5,
            max_wait: Duration::from_secs(60),
        }
    }
}

/// A source of uniform numbers in `[0, 1)` for jitter (not a security value).
pub trait Jitter: Send + Sync {
    fn unit(&self) -> f64;
}

/// Jitter from the OS RNG (through a v4 UUID's random bits, which `uuid` already draws).
#[derive(Clone, Copy, Debug, Default)]
pub struct OsJitter;

impl Jitter for OsJitter {
    fn unit(&self) -> f64 {
        let bits = uuid::Uuid::new_v4().as_u128() as u64;
        (bits >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Always the same jitter (tests).
#[derive(Clone, Copy, Debug)]
pub struct FixedJitter(pub f64);

impl Jitter for FixedJitter {
    fn unit(&self) -> f64 {
        self.0.clamp(0.0, 1.0)
    }
}

/// How a push waits between tries.
pub trait Pause: Send + Sync {
    fn pause(&self, wait: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// Real waiting, on the tokio timer.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioPause;

impl Pause for TokioPause {
    fn pause(&self, wait: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(wait))
    }
}

/// The wait before retry number `attempt` (0 = after the first failure): "equal jitter"
/// (half fixed, half random) of `base · 2^attempt` capped at `cap`, and at least `retry_after`.
pub fn delay(
    policy: &RetryPolicy,
    attempt: u32,
    retry_after: Option<Duration>,
    jitter: f64,
) -> Duration {
    let exponential = policy
        .base
        .saturating_mul(2u32.saturating_pow(attempt.min(30)))
        .min(policy.cap);
    let jittered = exponential.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0));
    jittered.max(retry_after.unwrap_or_default())
}

/// `Retry-After` in whole seconds (the contract's form); an HTTP date is not used by the backend.
pub fn parse_retry_after(value: Option<&str>) -> Option<Duration> {
    value?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(2),
            max_attempts: 5,
            max_wait: Duration::from_secs(60),
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = policy();
        let full: Vec<u128> = (0..7)
            .map(|a| delay(&p, a, None, 1.0).as_millis())
            .collect();
        assert_eq!(full, vec![100, 200, 400, 800, 1600, 2000, 2000]);
        assert_eq!(
            delay(&p, 40, None, 1.0),
            Duration::from_secs(2),
            "no overflow"
        );
    }

    #[test]
    fn jitter_takes_at_most_half_off() {
        let p = policy();
        assert_eq!(delay(&p, 2, None, 0.0), Duration::from_millis(200));
        assert_eq!(delay(&p, 2, None, 0.5), Duration::from_millis(300));
        let j = OsJitter.unit();
        assert!((0.0..1.0).contains(&j));
    }

    #[test]
    fn retry_after_is_a_floor() {
        let p = policy();
        assert_eq!(
            delay(&p, 0, Some(Duration::from_secs(7)), 0.0),
            Duration::from_secs(7),
            "the cap never shortens Retry-After"
        );
        assert_eq!(parse_retry_after(Some(" 3 ")), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(Some("soon")), None);
        assert_eq!(parse_retry_after(None), None);
    }
}
