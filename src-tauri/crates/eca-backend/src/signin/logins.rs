//! Customer logins at their IdP: opened by a link, waiting for the IdP's redirect to the
//! platform's callback.
//!
//! Invariants:
//! - A login is found by the SHA-256 of its `state`, so the lookup's timing says nothing about
//!   the state; it is removed when found, so a redirect completes a login once.
//! - Entries expire with their request and are dropped whenever the list is touched; the list
//!   holds at most [`MAX_IN_FLIGHT`] logins, and one workspace at most
//!   [`MAX_IN_FLIGHT_PER_WORKSPACE`], so a flood of opened links can neither exhaust memory nor
//!   lock other workspaces' customers out.
//! - Each login is bound to the browser that started it: the callback must bring the cookie
//!   whose hash is [`InFlight::browser`], compared in constant time.
//! - They live in memory only (PKCE verifier, nonce, the decrypted secret): nothing of them is
//!   written anywhere. A restart ends them; their requests then expire.

use super::CALLBACK_PATH;
use crate::workspace::WorkspaceId;
use eca_oidc::login::flow::PendingLogin;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use time::OffsetDateTime;
use uuid::Uuid;

/// The most logins waiting at once, in all and per workspace.
pub const MAX_IN_FLIGHT: usize = 10_000;
pub const MAX_IN_FLIGHT_PER_WORKSPACE: usize = 1_000;

/// A login waiting for the IdP's redirect, and what judging it needs.
pub struct InFlight {
    pub workspace: WorkspaceId,
    pub request_id: Uuid,
    /// E.164, for the channel binding.
    pub customer: String,
    pub return_url: Option<String>,
    pub admin_test: bool,
    /// The request's own expiry: the login cannot outlive it.
    pub expires_at: OffsetDateTime,
    /// SHA-256 of the browser-binding cookie set when the login started.
    pub browser: [u8; 32],
    pub login: PendingLogin,
}

impl InFlight {
    /// Whether `cookie` is the one this login's browser was given.
    pub fn same_browser(&self, cookie: Option<&str>) -> bool {
        use subtle::ConstantTimeEq;
        cookie.is_some_and(|c| {
            let presented: [u8; 32] = Sha256::digest(c.as_bytes()).into();
            bool::from(self.browser.ct_eq(&presented))
        })
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("Too many sign-ins are in progress; try again in a minute.")]
pub struct Full;

#[derive(Default)]
pub struct InFlightLogins {
    entries: Mutex<HashMap<[u8; 32], InFlight>>,
}

fn key(state: &str) -> [u8; 32] {
    Sha256::digest(state.as_bytes()).into()
}

/// The cookie a login's browser must bring back to the callback.
pub struct BrowserCookie {
    pub name: String,
    pub value: String,
    pub max_age: i64,
    pub secure: bool,
}

impl BrowserCookie {
    /// The `Set-Cookie` value: only sent back to the callback, never readable by scripts,
    /// sent on the IdP's top-level redirect (`SameSite=Lax`).
    pub fn header(&self) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!(
            "{}={}; Path={CALLBACK_PATH}; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
            self.name, self.value, self.max_age
        )
    }
}

/// One cookie per login (named after its state), so two links opened in one browser do not
/// overwrite each other's binding.
pub fn cookie_name(state: &str) -> String {
    let digest = Sha256::digest(state.as_bytes());
    format!("eca_signin_{}", hex::encode(&digest[..8]))
}

impl InFlightLogins {
    /// Adds a login, keyed by its state.
    pub fn insert(&self, entry: InFlight, now: OffsetDateTime) -> Result<(), Full> {
        let mut entries = self.lock();
        entries.retain(|_, e| e.expires_at > now);
        let same_workspace = entries
            .values()
            .filter(|e| e.workspace == entry.workspace)
            .count();
        if entries.len() >= MAX_IN_FLIGHT || same_workspace >= MAX_IN_FLIGHT_PER_WORKSPACE {
            return Err(Full);
        }
        entries.insert(key(entry.login.state()), entry);
        Ok(())
    }

    /// Takes the login this `state` belongs to, if it is still waiting.
    pub fn take(&self, state: &str, now: OffsetDateTime) -> Option<InFlight> {
        let mut entries = self.lock();
        let entry = entries.remove(&key(state))?;
        (entry.expires_at > now).then_some(entry)
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], InFlight>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}
