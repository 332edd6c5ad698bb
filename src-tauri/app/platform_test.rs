//! Runs "Test on the platform" for the window: the core starts the test and reads its outcome
//! ([`eca_core::platform_test`]); this module only waits for the app's return deep link, the
//! timeout or the admin's cancel.
//!
//! Invariants:
//! - The return link and the cancel are registered before the platform hears of the test, and
//!   removed however the test ends ([`Registration`]'s drop), so a late or replayed link finds
//!   nothing.
//! - The outbox is held only while the test starts, never during the wait.

use crate::state::AppState;
use eca_core::platform_test::return_link;
use eca_core::platform_test::{
    PlatformTestReport, PlatformTestRequest, Waited, DEFAULT_TIMEOUT, TEST_CUSTOMER,
};
use eca_model::idp::IdpId;
use eca_model::problem::Problem;
use eca_oidc::login::browser::SystemBrowser;
use uuid::Uuid;

/// The cancel handle's name for the IdP's test on the platform (one at a time per IdP).
pub fn run_key(id: IdpId) -> String {
    format!("platform-test:{id}")
}

/// Runs a test on the platform of a saved, pushed IdP to its end.
pub async fn run(state: &AppState, id: IdpId) -> Result<PlatformTestReport, Problem> {
    let local = state
        .catalog()?
        .test_history(id)?
        .first()
        .map(|r| r.outcome);
    let mut registration = Registration::new(state, id);
    let request = PlatformTestRequest {
        test_id: registration.test_id,
        idp_id: id,
        customer: TEST_CUSTOMER.to_string(),
        return_url: return_link::deep_link(registration.test_id),
    };
    let started = state.outbox().await.start_platform_test(request).await?;
    let (returned, cancelled) = (&mut registration.returned, &mut registration.cancelled);
    let wait = async {
        tokio::select! {
            came_back = tokio::time::timeout(DEFAULT_TIMEOUT, returned) => match came_back {
                Ok(Ok(())) => Waited::CameBack,
                _ => Waited::TimedOut,
            },
            Ok(()) = cancelled => Waited::Cancelled,
        }
    };
    let tested = started.tested();
    let report = started.run(&SystemBrowser, wait, local).await?;
    state
        .outbox()
        .await
        .record_platform_test(&tested, &report)?;
    Ok(report)
}

/// The test's return link and cancel handle, removed when dropped.
struct Registration<'a> {
    state: &'a AppState,
    id: IdpId,
    test_id: Uuid,
    returned: tokio::sync::oneshot::Receiver<()>,
    cancelled: tokio::sync::oneshot::Receiver<()>,
}

impl<'a> Registration<'a> {
    fn new(state: &'a AppState, id: IdpId) -> Self {
        let test_id = Uuid::new_v4();
        Self {
            state,
            id,
            test_id,
            returned: state.platform_returns.register(test_id),
            cancelled: state.track_run(&run_key(id)),
        }
    }
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.state.platform_returns.forget(self.test_id);
        self.state.forget_run(&run_key(self.id));
    }
}
