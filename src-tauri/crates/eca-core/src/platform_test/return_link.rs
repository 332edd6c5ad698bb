//! How the browser tells a test on the platform that it came back: the platform's page links
//! "Back to the chat" to the test's return URL. For the app that is its deep link
//! `com.ecaadmin.desktop:/platform-test/done?request=<test id>`; for the CLI, a one-shot
//! loopback listener at [`RETURN_PATH`] ([`eca_oidc::login::loopback`]).
//!
//! The `request` parameter is the test's own id, which this app chose before creating the auth
//! request (the platform's id is not known until then); the conversation id carries it too.
//!
//! Invariants:
//! - A deep link is untrusted input (any local process can open one): it is parsed strictly
//!   (this exact target, exactly one `request` parameter, a lower-case hyphenated UUID, no
//!   fragment, bounded length) and must name a test this app started and still waits for;
//!   it is consumed once.
//! - A return only ends the wait: the outcome is then read from the platform with the API key,
//!   so the worst a forged link can do is end a wait early (the report then says the platform
//!   has no result yet). That is why a plain map lookup is enough here, unlike `state`.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use tokio::sync::oneshot;
use uuid::Uuid;

/// The return path, on the deep link and on the CLI's loopback listener.
pub const RETURN_PATH: &str = "/platform-test/done";
/// The app's return deep link without its query (the platform accepts exactly this target).
pub const DEEP_LINK_RETURN: &str = "com.ecaadmin.desktop:/platform-test/done";
/// The longest return link accepted; a real one is 79 bytes.
pub const MAX_RETURN_BYTES: usize = 256;

/// The app's return URL for one test.
pub fn deep_link(test_id: Uuid) -> String {
    format!("{DEEP_LINK_RETURN}?request={}", test_id.hyphenated())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReturnRefused {
    #[error(
        "the link is not a test-on-the-platform return (expected {DEEP_LINK_RETURN}?request=<id>)"
    )]
    Malformed,
    #[error("no test on the platform is waiting for this return (unknown, finished or replayed)")]
    NoTest,
}

/// The test id a return link carries.
pub fn parse(url: &str) -> Result<Uuid, ReturnRefused> {
    if url.len() > MAX_RETURN_BYTES || url.contains('#') {
        return Err(ReturnRefused::Malformed);
    }
    let (target, query) = url.split_once('?').ok_or(ReturnRefused::Malformed)?;
    if target != DEEP_LINK_RETURN {
        return Err(ReturnRefused::Malformed);
    }
    let value = query
        .strip_prefix("request=")
        .ok_or(ReturnRefused::Malformed)?;
    Uuid::try_parse(value)
        .ok()
        .filter(|id| id.hyphenated().to_string() == value)
        .ok_or(ReturnRefused::Malformed)
}

/// The tests on the platform this app started and still waits for, by test id.
#[derive(Default)]
pub struct PendingReturns {
    waiting: Mutex<HashMap<Uuid, oneshot::Sender<()>>>,
}

impl PendingReturns {
    pub fn new() -> Self {
        Self::default()
    }

    /// Waits for `test_id`'s return; the receiver resolves when it arrives.
    pub fn register(&self, test_id: Uuid) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        self.lock().insert(test_id, tx);
        rx
    }

    /// Hands a return link to the test it names; returns that test's id.
    pub fn deliver(&self, url: &str) -> Result<Uuid, ReturnRefused> {
        let id = parse(url)?;
        let waiter = self.lock().remove(&id).ok_or(ReturnRefused::NoTest)?;
        waiter.send(()).map_err(|()| ReturnRefused::NoTest)?;
        Ok(id)
    }

    /// Stops waiting for `test_id` (the test ended another way).
    pub fn forget(&self, test_id: Uuid) {
        self.lock().remove(&test_id);
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Uuid, oneshot::Sender<()>>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_return_link_round_trips() {
        let id = Uuid::new_v4();
        let link = deep_link(id);
        assert!(link.len() <= MAX_RETURN_BYTES);
        assert_eq!(parse(&link), Ok(id));
    }

    #[test]
    fn anything_but_the_exact_shape_is_refused() {
        let id = Uuid::new_v4();
        let upper = id.hyphenated().to_string().to_uppercase();
        let simple = id.simple().to_string();
        for bad in [
            format!("com.ecaadmin.desktop:/platform-test/done?request={id}&request={id}"),
            format!("com.ecaadmin.desktop:/platform-test/done?request={id}&x=1"),
            format!("com.ecaadmin.desktop:/platform-test/done?x=1&request={id}"),
            format!("com.ecaadmin.desktop:/platform-test/done?request={id}#f"),
            format!("com.ecaadmin.desktop:/platform-test/donex?request={id}"),
            format!("com.ecaadmin.desktop:/oauth/callback?request={id}"),
            format!("com.ecaadmin.desktop://host/platform-test/done?request={id}"),
            format!("other.scheme:/platform-test/done?request={id}"),
            format!("com.ecaadmin.desktop:/platform-test/done?request={upper}"),
            format!("com.ecaadmin.desktop:/platform-test/done?request={simple}"),
            format!("com.ecaadmin.desktop:/platform-test/done?request=%7B{id}%7D"),
            "com.ecaadmin.desktop:/platform-test/done".to_string(),
            "com.ecaadmin.desktop:/platform-test/done?request=".to_string(),
            format!(
                "com.ecaadmin.desktop:/platform-test/done?request={id}{}",
                "0".repeat(300)
            ),
        ] {
            assert_eq!(parse(&bad), Err(ReturnRefused::Malformed), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_return_ends_only_its_own_test_and_only_once() {
        let returns = PendingReturns::new();
        let (mine, other) = (Uuid::new_v4(), Uuid::new_v4());
        let waiting = returns.register(mine);
        let _other = returns.register(other);
        assert_eq!(
            returns.deliver(&deep_link(Uuid::new_v4())),
            Err(ReturnRefused::NoTest),
            "a test this app did not start"
        );
        assert_eq!(returns.deliver(&deep_link(mine)), Ok(mine));
        assert!(waiting.await.is_ok(), "the test's wait ends");
        assert_eq!(
            returns.deliver(&deep_link(mine)),
            Err(ReturnRefused::NoTest),
            "a replayed return finds nothing"
        );
        returns.forget(other);
        assert_eq!(
            returns.deliver(&deep_link(other)),
            Err(ReturnRefused::NoTest)
        );
    }
}
