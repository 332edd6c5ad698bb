//! The live step list of one test run: starts and ends steps, times them, and tells an observer
//! (the app's window, the CLI's terminal) after every change.
//!
//! Invariant: a step is ended at most once; ending an unknown step adds it, so the list always
//! shows what happened even when a step was skipped.

use super::report::{Step, StepName, StepStatus, TestError};
use std::sync::Arc;
use std::time::Instant;

/// Called with the whole list after each change.
pub type Observer = Arc<dyn Fn(&[Step]) + Send + Sync>;

pub struct StepLog {
    steps: Vec<Step>,
    started: Option<(StepName, Instant)>,
    observer: Option<Observer>,
}

impl StepLog {
    pub fn new(observer: Option<Observer>) -> Self {
        Self {
            steps: Vec::new(),
            started: None,
            observer,
        }
    }

    /// A log that goes on from `steps`, as an observer last saw them.
    pub fn resume(steps: Vec<Step>) -> Self {
        Self {
            steps,
            started: None,
            observer: None,
        }
    }

    pub fn start(&mut self, name: StepName, detail: impl Into<String>) {
        self.steps.push(Step {
            name,
            status: StepStatus::Running,
            ms: 0,
            detail: detail.into(),
        });
        self.started = Some((name, Instant::now()));
        self.notify();
    }

    pub fn pass(&mut self, name: StepName, detail: impl Into<String>) {
        self.end(name, StepStatus::Passed, detail.into());
    }

    pub fn warn(&mut self, name: StepName, detail: impl Into<String>) {
        self.end(name, StepStatus::Warning, detail.into());
    }

    pub fn skip(&mut self, name: StepName, detail: impl Into<String>) {
        self.end(name, StepStatus::Skipped, detail.into());
    }

    /// Ends `name` as failed with the error's message, and returns the error for chaining.
    pub fn fail(&mut self, name: StepName, error: TestError) -> TestError {
        self.end(name, StepStatus::Failed, error.message.clone());
        error
    }

    fn end(&mut self, name: StepName, status: StepStatus, detail: String) {
        let ms = match self.started.take() {
            Some((started, at)) if started == name => at.elapsed().as_millis() as u64,
            other => {
                self.started = other;
                0
            }
        };
        match self
            .steps
            .iter_mut()
            .rev()
            .find(|s| s.name == name && s.status == StepStatus::Running)
        {
            Some(step) => {
                step.status = status;
                step.ms = ms;
                step.detail = detail;
            }
            None => self.steps.push(Step {
                name,
                status,
                ms,
                detail,
            }),
        }
        self.notify();
    }

    /// Marks every step still running as failed (cancel, timeout).
    pub fn abort_running(&mut self, detail: &str) {
        for step in self
            .steps
            .iter_mut()
            .filter(|s| s.status == StepStatus::Running)
        {
            step.status = StepStatus::Failed;
            step.detail = detail.to_string();
        }
        self.notify();
    }

    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    pub fn into_steps(self) -> Vec<Step> {
        self.steps
    }

    fn notify(&self) {
        if let Some(observer) = &self.observer {
            observer(&self.steps);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn steps_are_timed_and_observed() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let mut log = StepLog::new(Some(Arc::new(move |steps: &[Step]| {
            sink.lock()
                .unwrap()
                .push(steps.iter().map(|s| s.status).collect::<Vec<_>>())
        })));
        log.start(StepName::Discovery, "fetching");
        log.pass(StepName::Discovery, "ok");
        log.skip(StepName::Jwks, "OAuth 2.0");
        assert_eq!(log.steps().len(), 2);
        assert_eq!(log.steps()[0].status, StepStatus::Passed);
        assert_eq!(log.steps()[1].status, StepStatus::Skipped);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3, "one notification per change");
        assert_eq!(seen[0], vec![StepStatus::Running]);
    }

    #[test]
    fn aborting_fails_what_is_running() {
        let mut log = StepLog::new(None);
        log.start(StepName::Authorization, "waiting");
        log.abort_running("Cancelled");
        assert_eq!(log.steps()[0].status, StepStatus::Failed);
        assert_eq!(log.steps()[0].detail, "Cancelled");
    }
}
