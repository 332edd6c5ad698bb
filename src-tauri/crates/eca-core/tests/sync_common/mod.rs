//! Shared support for the sync tests: "admins", a data folder each, with its catalog, its
//! outbox and an in-memory keyring, configured to sync with the reference backend that
//! [`eca_backend::harness`] starts.
//!
//! Waits between retries are recorded and shortened to a millisecond, so tests that honour a
//! `Retry-After` of seconds still run fast; jitter is fixed.

#![allow(dead_code)] // Each test binary uses a different part of this module.

use eca_core::catalog::{Catalog, SaveIdpRequest, SecretChange};
use eca_core::secrets::{MemorySecrets, Secret};
use eca_core::sync::retry::{FixedJitter, Pause, RetryPolicy};
use eca_core::sync::settings::{SaveSettings, SyncSettings};
use eca_core::sync::Outbox;
use eca_model::idp::{IdpConfig, IdpFields, IdpId};
use eca_testkit::clock::TestClock;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tempfile::TempDir;

pub use eca_backend::harness::{TestBackend as Backend, API_KEY, WORKSPACE};
pub use eca_testkit::fixtures::okta;

pub async fn backend() -> Backend {
    Backend::start().await
}

/// Called with the number of waits so far.
pub type PauseHook = Box<dyn FnMut(usize) + Send>;

/// Records every wait and sleeps a millisecond instead; may run a hook on each wait (to
/// switch a fault off after a few tries).
#[derive(Default)]
pub struct RecordingPause {
    pub waits: Mutex<Vec<Duration>>,
    pub on_pause: Mutex<Option<PauseHook>>,
}

impl RecordingPause {
    pub fn waits(&self) -> Vec<Duration> {
        self.waits.lock().unwrap().clone()
    }
    pub fn on_pause(&self, hook: impl FnMut(usize) + Send + 'static) {
        *self.on_pause.lock().unwrap() = Some(Box::new(hook));
    }
}

impl Pause for RecordingPause {
    fn pause(&self, wait: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        let n = {
            let mut waits = self.waits.lock().unwrap();
            waits.push(wait);
            waits.len()
        };
        if let Some(hook) = self.on_pause.lock().unwrap().as_mut() {
            hook(n);
        }
        Box::pin(tokio::time::sleep(Duration::from_millis(1)))
    }
}

pub fn policy() -> RetryPolicy {
    RetryPolicy {
        base: Duration::from_millis(100),
        cap: Duration::from_secs(2),
        max_attempts: 5,
        max_wait: Duration::from_secs(60),
    }
}

/// One admin's data folder, as the app and the CLI would open it.
pub struct Admin {
    pub dir: TempDir,
    pub secrets: Arc<MemorySecrets>,
    pub catalog: Catalog,
    pub outbox: Outbox,
    pub pause: Arc<RecordingPause>,
    /// The app's clock, which the test moves (past a recorded backoff, say).
    pub clock: Arc<TestClock>,
}

impl Admin {
    pub fn new(backend_url: &str) -> Self {
        Self::in_dir(
            tempfile::tempdir().unwrap(),
            Arc::new(MemorySecrets::new()),
            Arc::new(TestClock::now_utc()),
            backend_url,
        )
    }

    /// Opens (again) the data folder `dir`, as after a restart.
    pub fn in_dir(
        dir: TempDir,
        secrets: Arc<MemorySecrets>,
        clock: Arc<TestClock>,
        backend_url: &str,
    ) -> Self {
        let catalog = Catalog::open(dir.path(), secrets.clone(), clock.clone()).unwrap();
        let pause = Arc::new(RecordingPause::default());
        let mut outbox = Outbox::open(dir.path(), secrets.clone(), clock.clone())
            .unwrap()
            .with_retry(policy(), pause.clone(), Arc::new(FixedJitter(0.0)));
        outbox
            .save_settings(SaveSettings {
                settings: SyncSettings {
                    backend_url: backend_url.into(),
                    workspace_id: WORKSPACE.into(),
                },
                api_key: Some(&Secret::new(API_KEY)),
                start_afresh: false,
            })
            .expect("valid sync settings");
        Self {
            dir,
            secrets,
            catalog,
            outbox,
            pause,
            clock,
        }
    }

    /// Reopens the outbox with another retry policy.
    pub fn set_policy(&mut self, policy: RetryPolicy) {
        self.outbox = Outbox::open(self.dir.path(), self.secrets.clone(), self.clock.clone())
            .unwrap()
            .with_retry(policy, self.pause.clone(), Arc::new(FixedJitter(0.0)));
    }

    /// Closes everything and opens the same folder again (a restart of the app).
    pub fn restart(self, backend_url: &str) -> Self {
        let Admin {
            dir,
            secrets,
            clock,
            ..
        } = self;
        Self::in_dir(dir, secrets, clock, backend_url)
    }

    pub fn create(&mut self, fields: IdpFields, secret: Option<&str>) -> IdpConfig {
        let secret = match secret {
            Some(s) => SecretChange::Replace(Secret::new(s)),
            None => SecretChange::Keep,
        };
        let out = self
            .catalog
            .save(SaveIdpRequest {
                id: None,
                fields,
                secret,
            })
            .expect("save should succeed");
        assert_eq!(out.secret_error, None);
        out.idp
    }

    pub fn update(&mut self, id: IdpId, fields: IdpFields, secret: SecretChange) -> IdpConfig {
        self.catalog
            .save(SaveIdpRequest {
                id: Some(id),
                fields,
                secret,
            })
            .expect("save should succeed")
            .idp
    }
}
