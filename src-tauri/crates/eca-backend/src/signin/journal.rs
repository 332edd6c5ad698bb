//! The sign-in's writes on the customer's routes (a link used, a login finished), committed off
//! the customer's response: one writer task takes them in the order they were queued and
//! commits each batch in one transaction, so a customer never waits on the disk and a busy
//! minute costs a few fsyncs instead of one per write.
//!
//! Invariants:
//! - Writes are committed in the order they were queued, each batch in one transaction.
//! - A link is used once: [`Journal::claim_link`] holds it in memory from the click until its
//!   `started` is committed, so a second click sees it taken even before the commit.
//! - [`Journal::settled`] returns once every write queued before the call is committed: a read
//!   of an auth request waits on it first, so a flow sees what its customer was shown.
//! - A finished request whose write changed it (its first outcome, before expiry) is handed to
//!   the `finished` callback after the commit: the webhook delivers only what is stored.
//! - A process that dies loses the writes not committed yet, at most the last batch: a link
//!   used then can be used again after a restart (the login it started died with the process),
//!   and a result not committed is never read (its request ends `expired`).

use super::request::Outcome;
use crate::store::{auth_requests, Database, StoreError};
use crate::workspace::WorkspaceId;
use rusqlite::Transaction;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::{mpsc, watch};
use uuid::Uuid;

/// The most writes committed in one transaction.
const MAX_BATCH: usize = 1_000;

/// When a write happened: unix seconds and RFC 3339.
pub type At = (i64, String);

/// What the customer's routes write.
pub enum Write {
    /// A link was used: its request becomes `started` ([`auth_requests::use_link`]).
    LinkUsed { claim: LinkClaim, at: At },
    /// A login ended ([`auth_requests::finish`]).
    Finished {
        workspace: WorkspaceId,
        id: Uuid,
        outcome: Box<Outcome>,
        at: At,
        keep_until_unix: i64,
    },
}

/// Called with each request a committed [`Write::Finished`] changed.
pub type OnFinished = Box<dyn Fn(WorkspaceId, Uuid) + Send + Sync>;

pub struct Journal {
    /// The queue and the number of writes queued so far, under one lock so both agree.
    queue: Mutex<(u64, mpsc::UnboundedSender<(u64, Write)>)>,
    committed: watch::Receiver<u64>,
    claimed: Arc<Mutex<HashSet<String>>>,
}

/// A link held by one click until its use is committed (or, dropped unused, released).
pub struct LinkClaim {
    hash: String,
    claimed: Arc<Mutex<HashSet<String>>>,
}

impl LinkClaim {
    pub fn hash(&self) -> &str {
        &self.hash
    }
}

impl Drop for LinkClaim {
    fn drop(&mut self) {
        lock(&self.claimed).remove(&self.hash);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Journal {
    /// Starts the writer task on the current runtime; it ends when the journal is dropped.
    pub fn start(db: Database, finished: OnFinished) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        let (committed_tx, committed) = watch::channel(0);
        tokio::spawn(write_batches(db, receiver, committed_tx, finished));
        Self {
            queue: Mutex::new((0, sender)),
            committed,
            claimed: Arc::default(),
        }
    }

    /// Holds the link with this hash for one click; `None` when another click holds it.
    pub fn claim_link(&self, hash: String) -> Option<LinkClaim> {
        lock(&self.claimed).insert(hash.clone()).then(|| LinkClaim {
            hash,
            claimed: Arc::clone(&self.claimed),
        })
    }

    /// Whether a click holds the link with this hash.
    pub fn is_claimed(&self, hash: &str) -> bool {
        lock(&self.claimed).contains(hash)
    }

    /// Queues `write`; it is committed soon after, in order.
    pub fn push(&self, write: Write) {
        let mut queue = lock(&self.queue);
        queue.0 += 1;
        let seq = queue.0;
        if queue.1.send((seq, write)).is_err() {
            tracing::error!("the sign-in's writer has stopped; a write was dropped");
        }
    }

    /// Waits until every write queued before this call is committed.
    pub async fn settled(&self) {
        let target = lock(&self.queue).0;
        let mut committed = self.committed.clone();
        // Err: the writer is gone, and nothing more will be committed.
        let _ = committed.wait_for(|done| *done >= target).await;
    }
}

async fn write_batches(
    db: Database,
    mut queue: mpsc::UnboundedReceiver<(u64, Write)>,
    committed: watch::Sender<u64>,
    finished: OnFinished,
) {
    let mut batch = Vec::new();
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let last = batch.last().map_or(0, |(seq, _)| *seq);
        let writes: Vec<Write> = batch.drain(..).map(|(_, write)| write).collect();
        let changed = db
            .run(move |conn| {
                let tx = conn.transaction()?;
                let changed = apply(&tx, &writes)?;
                tx.commit()?;
                // The claims are released once their use is committed (dropped here).
                drop(writes);
                Ok(changed)
            })
            .await;
        match changed {
            Ok(changed) => changed.into_iter().for_each(|(ws, id)| finished(ws, id)),
            Err(e) => tracing::error!(error = %e, "committing the sign-in's writes failed"),
        }
        committed.send_replace(last);
    }
}

/// Applies `writes` in order; the requests a finish changed.
fn apply(tx: &Transaction<'_>, writes: &[Write]) -> Result<Vec<(WorkspaceId, Uuid)>, StoreError> {
    let mut changed = Vec::new();
    for write in writes {
        match write {
            Write::LinkUsed { claim, at } => {
                // Refused only if the link expired since the click: the login's finish is then
                // refused too, and the request ends `expired`.
                let _ = auth_requests::use_link(tx, claim.hash(), at.0, &at.1)?;
            }
            Write::Finished {
                workspace,
                id,
                outcome,
                at,
                keep_until_unix,
            } => {
                let now = (at.0, at.1.as_str());
                if auth_requests::finish(tx, workspace, *id, outcome, now, *keep_until_unix)? {
                    changed.push((workspace.clone(), *id));
                }
            }
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::auth_requests::tests::{setup, verified};
    use crate::store::auth_requests::RowState;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn journal() -> (Journal, Database, WorkspaceId, Uuid, Arc<AtomicUsize>) {
        let (conn, ws, row) = setup();
        let db = Database::new(conn);
        let delivered = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&delivered);
        let finished: OnFinished = Box::new(move |_, _| {
            counted.fetch_add(1, Ordering::SeqCst);
        });
        (
            Journal::start(db.clone(), finished),
            db,
            ws,
            row.id,
            delivered,
        )
    }

    fn state(db: &Database, ws: &WorkspaceId, id: Uuid) -> RowState {
        let row = db.lookup(|conn| auth_requests::get(conn, ws, id)).unwrap();
        row.unwrap().state
    }

    fn finished(ws: &WorkspaceId, id: Uuid, at: i64) -> Write {
        Write::Finished {
            workspace: ws.clone(),
            id,
            outcome: Box::new(verified()),
            at: (at, "t".into()),
            keep_until_unix: 2_000,
        }
    }

    #[tokio::test]
    async fn a_link_is_held_by_one_click_until_its_use_is_committed() {
        let (journal, db, ws, id, _) = journal();
        let hash = "h".repeat(64);
        let claim = journal
            .claim_link(hash.clone())
            .expect("the first click holds it");
        assert!(journal.claim_link(hash.clone()).is_none(), "a second click");
        assert!(journal.is_claimed(&hash));
        journal.push(Write::LinkUsed {
            claim,
            at: (10, "t".into()),
        });
        journal.settled().await;
        assert_eq!(state(&db, &ws, id), RowState::Started);
        assert!(!journal.is_claimed(&hash), "released once committed");
    }

    #[tokio::test]
    async fn a_claim_dropped_unused_releases_the_link() {
        let (journal, ..) = journal();
        drop(journal.claim_link("x".into()));
        assert!(journal.claim_link("x".into()).is_some());
    }

    #[tokio::test]
    async fn settled_waits_for_every_write_queued_before_and_only_changes_are_delivered() {
        let (journal, db, ws, id, delivered) = journal();
        let claim = journal.claim_link("h".repeat(64)).unwrap();
        journal.push(Write::LinkUsed {
            claim,
            at: (10, "t".into()),
        });
        journal.push(finished(&ws, id, 11));
        // A second outcome for the same request changes nothing and is not delivered.
        journal.push(finished(&ws, id, 12));
        journal.settled().await;
        assert_eq!(state(&db, &ws, id), RowState::Authenticated);
        assert_eq!(delivered.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_result_after_expiry_is_not_kept_nor_delivered() {
        let (journal, db, ws, id, delivered) = journal();
        let claim = journal.claim_link("h".repeat(64)).unwrap();
        journal.push(Write::LinkUsed {
            claim,
            at: (10, "t".into()),
        });
        journal.push(finished(&ws, id, 1_000));
        journal.settled().await;
        assert_eq!(state(&db, &ws, id), RowState::Started);
        assert_eq!(delivered.load(Ordering::SeqCst), 0);
    }
}
