//! A panic inside a login or a sync step, caught where the step runs, so that its caller can
//! report a failed step or a failed change instead of a task that dies in silence (a window
//! waiting forever for its result, a CLI exiting 101 with nothing recorded).
//!
//! Invariants:
//! - The panic's own text goes to the log only, never into a report or the database: it may
//!   quote an answer that held a token.
//! - The caught future is dropped at once, and nothing it was in the middle of is used again
//!   (a transaction it held rolls back on drop); that is why asserting its unwind safety is
//!   sound.

use futures_util::FutureExt;
use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

/// The step's task panicked; what it panicked with is in the log.
#[derive(Debug, PartialEq, Eq)]
pub struct Panicked;

/// Runs `future` to its end, or to a panic; `what` names the step in the log.
pub async fn catch<F: Future>(what: &str, future: F) -> Result<F::Output, Panicked> {
    AssertUnwindSafe(future)
        .catch_unwind()
        .await
        .map_err(|payload| {
            tracing::error!(panic = payload_text(payload.as_ref()), "{what} panicked");
            Panicked
        })
}

fn payload_text(payload: &(dyn Any + Send)) -> &str {
    match (
        payload.downcast_ref::<&str>(),
        payload.downcast_ref::<String>(),
    ) {
        (Some(text), _) => text,
        (_, Some(text)) => text,
        _ => "a panic without a message",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_an_answer() {
        assert_eq!(catch("a step", async { 7 }).await, Ok(7));
        let panicking = async {
            if std::hint::black_box(true) {
                panic!("a hostile answer");
            }
            7
        };
        assert_eq!(catch("a step", panicking).await, Err(Panicked));
    }
}
