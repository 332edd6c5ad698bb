//! The links this process created and nobody used yet, in memory: a click finds its request
//! here without reading the database.
//!
//! Invariants:
//! - A link is here only after its request was committed, and leaves when a click takes it
//!   (the click holds it through the journal's claim first, so two clicks never both take it).
//! - A miss proves nothing: the link may be older than this process, or was left out because the
//!   table was full; the caller then reads the database, which stays the authority.
//! - At most [`MAX_OPEN_LINKS`] entries; expired ones are dropped by [`OpenLinks::prune`].

use crate::store::auth_requests::AuthRequestRow;
use crate::workspace::WorkspaceId;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The most links kept; past it, new links are found in the database.
pub const MAX_OPEN_LINKS: usize = 10_000;

/// A link's request, as it was created.
#[derive(Clone)]
pub struct OpenLink {
    pub workspace: WorkspaceId,
    pub row: AuthRequestRow,
}

#[derive(Default)]
pub struct OpenLinks {
    /// By the link's hash.
    entries: Mutex<HashMap<String, OpenLink>>,
}

impl OpenLinks {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, OpenLink>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps a link just committed, unless the table is full.
    pub fn insert(&self, hash: String, link: OpenLink) {
        let mut entries = self.lock();
        if entries.len() < MAX_OPEN_LINKS {
            entries.insert(hash, link);
        }
    }

    /// Takes the link out, for the click that holds it.
    pub fn take(&self, hash: &str) -> Option<OpenLink> {
        self.lock().remove(hash)
    }

    /// A copy, for a page that only shows it.
    pub fn get(&self, hash: &str) -> Option<OpenLink> {
        self.lock().get(hash).cloned()
    }

    /// Drops the links expired at `now_unix`.
    pub fn prune(&self, now_unix: i64) {
        self.lock()
            .retain(|_, link| link.row.expires_unix > now_unix);
    }
}
