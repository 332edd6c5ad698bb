//! The IdPs customers sign in at, as last read, so that a click does not read the database:
//! each copy is tagged with the `idp` table's version it was read under, and used only while
//! that version is current ([`Database::idps_version`]).
//!
//! Invariants:
//! - The version is taken before the read: a copy read while a write was committing is tagged
//!   with the version before that write, so the write's bump retires it.
//! - A deleted IdP is remembered as absent, under the same rule.
//! - At most [`MAX_SIGNING_IDPS`] copies; a full table starts afresh.

use crate::store::idps::{self, IdpRow};
use crate::store::{Database, StoreError};
use crate::workspace::WorkspaceId;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use uuid::Uuid;

/// The most IdPs kept.
pub const MAX_SIGNING_IDPS: usize = 1_024;

/// By workspace and IdP id: the version read under, and the row then.
type Copies = HashMap<(WorkspaceId, Uuid), (u64, Option<IdpRow>)>;

#[derive(Default)]
pub struct SigningIdps {
    copies: Mutex<Copies>,
}

impl SigningIdps {
    /// The IdP as stored now (`None`: there is none).
    pub fn get(
        &self,
        db: &Database,
        workspace: &WorkspaceId,
        id: Uuid,
    ) -> Result<Option<IdpRow>, StoreError> {
        let version = db.idps_version();
        let key = (workspace.clone(), id);
        if let Some((_, row)) = self.lock().get(&key).filter(|(v, _)| *v == version) {
            return Ok(row.clone());
        }
        let row = db.lookup(|conn| idps::get(conn, workspace, id))?;
        let mut copies = self.lock();
        if copies.len() >= MAX_SIGNING_IDPS {
            copies.clear();
        }
        copies.insert(key, (version, row.clone()));
        Ok(row)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Copies> {
        self.copies.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
