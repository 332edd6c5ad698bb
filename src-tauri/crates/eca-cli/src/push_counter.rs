//! `eca sync push`'s counter: "Pushing 12 / 40", rewritten in place on stderr as the core
//! reports each change dealt with.
//!
//! Invariants:
//! - Shown only when stderr is a terminal and the output is not JSON: a script reading stderr
//!   never gets carriage returns, and stdout (the report) is never touched.
//! - The counter's line is always ended before anything else is printed after the push.

use eca_core::sync::push::PushProgress;
use std::io::{IsTerminal, Write};

pub struct PushCounter<W: Write> {
    out: Option<W>,
    /// Whether the cursor sits at the end of an unfinished counter line.
    open_line: bool,
}

impl PushCounter<std::io::Stderr> {
    /// The counter on stderr, or a silent one (JSON output, or stderr not a terminal).
    pub fn on_stderr(json: bool) -> Self {
        let stderr = std::io::stderr();
        let shown = !json && stderr.is_terminal();
        Self::new(shown.then_some(stderr))
    }
}

impl<W: Write> PushCounter<W> {
    pub fn new(out: Option<W>) -> Self {
        Self {
            out,
            open_line: false,
        }
    }

    /// Shows how far the push has got; nothing for an empty outbox.
    pub fn tell(&mut self, progress: PushProgress) {
        let Some(out) = self.out.as_mut() else { return };
        if progress.total == 0 {
            return;
        }
        let _ = write!(out, "\rPushing {} / {}", progress.done, progress.total);
        let _ = out.flush();
        self.open_line = true;
    }

    /// Ends the counter's line, whether the push finished or stopped early.
    pub fn finish(&mut self) {
        if let (Some(out), true) = (self.out.as_mut(), self.open_line) {
            let _ = writeln!(out);
            let _ = out.flush();
        }
        self.open_line = false;
    }

    #[cfg(test)]
    fn into_inner(self) -> Option<W> {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(done: u32, total: u32) -> PushProgress {
        PushProgress { done, total }
    }

    #[test]
    fn it_rewrites_one_line_and_ends_it() {
        let mut counter = PushCounter::new(Some(Vec::new()));
        for done in 0..=2 {
            counter.tell(progress(done, 2));
        }
        counter.finish();
        let written = String::from_utf8(counter.into_inner().unwrap()).unwrap();
        assert_eq!(written, "\rPushing 0 / 2\rPushing 1 / 2\rPushing 2 / 2\n");
    }

    #[test]
    fn a_push_stopped_early_still_ends_its_line() {
        let mut counter = PushCounter::new(Some(Vec::new()));
        counter.tell(progress(0, 3));
        counter.finish();
        counter.finish();
        let written = String::from_utf8(counter.into_inner().unwrap()).unwrap();
        assert_eq!(
            written, "\rPushing 0 / 3\n",
            "one line end, however often finished"
        );
    }

    #[test]
    fn an_empty_outbox_prints_nothing() {
        let mut counter = PushCounter::new(Some(Vec::new()));
        counter.tell(progress(0, 0));
        counter.finish();
        assert!(counter.into_inner().unwrap().is_empty());
    }
}
