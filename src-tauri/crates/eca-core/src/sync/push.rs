//! Pushing the outbox: each pending change, oldest first, becomes one conditional write.
//!
//! Invariants:
//! - Push decides nothing about what to send: the plan's [`plan::request`] gives the exact
//!   request (method, precondition, body without the secret, what to do with the secret) from
//!   the local IdP and the base, and push freezes it in the row before anything is sent under
//!   the change's idempotency key, in a committed transaction that also re-reads the change
//!   (so no edit can be coalesced into it afterwards). A retry, in this push or after a crash,
//!   resends that frozen request, with the secret value frozen with it ([`secret_copy`]): the
//!   backend never sees one key with two bodies, so the client's own edits (a secret replaced,
//!   an IdP deleted) never turn a retry into a conflict.
//! - Requests are frozen, and acknowledgements recorded, in batches of up to [`BATCH`] changes
//!   per transaction (one sync to disk per batch, not two per change). A batch holds at most
//!   one change per IdP, and an IdP's later change is frozen only after its earlier one's
//!   acknowledgement is recorded, so every request is built from the base it will meet.
//!   Acknowledgements not yet recorded when the process dies are harmless: the changes are
//!   resent under their keys and the backend answers from its record, applying nothing again.
//! - An IdP whose stored secret is set aside (its token endpoint's origin or client id changed
//!   since the secret was entered, [`eca_model::secret_binding`]) is held back whole, its
//!   changes waiting with a note that says why, until the secret is entered again.
//! - A success updates `sync_base` and removes the change in one transaction. A 412 marks the
//!   change `conflict` and keeps it; other refusals mark it `failed`; either way the IdP's
//!   later changes wait. 401/403 and an unreachable backend stop the push and keep everything.
//! - 429, 503, 5xx, 409 (in flight) and lost connections are retried with the same key after
//!   [`retry::delay`], at least the server's `Retry-After`. Only a `Retry-After` defers a change
//!   to a later push (`next_attempt_at`); the client's own backoff never does, so every push the
//!   admin asks for tries every pending change now.
//! - The report names every change left behind, conflicts and failures of earlier pushes
//!   included, so a push that leaves anything is never mistaken for a complete one.
//! - Progress is reported as changes dealt with out of the changes listed when the push
//!   started ([`PushProgress`]): once before the first, after each one (sent, held or left
//!   behind), so a finished push ends at `total / total`; a push stopped early ends short.
//! - A panic while sending a change (reading the backend's answer included) is caught here, the
//!   one place the app and the CLI both push through: the change is marked `failed` with a
//!   message, like a refusal, and the push goes on with the other IdPs.

use crate::secrets::SecretStore;
use crate::store::sync_base::{self, BaseEntry};
use crate::store::sync_changes::{self, ChangeState, SyncChange};
use crate::store::sync_envs::{EnvId, EnvRow};
use crate::store::{self, idps};
use crate::sync::client::{BackendClient, RemoteProblem};
use crate::sync::outbox::Outbox;
use crate::sync::plan::{self, PushRequest, SecretMode};
use crate::sync::retry;
use crate::sync::secret_copy;
use crate::sync::SyncError;
use eca_model::clock::rfc3339;
use eca_model::idp::{FieldError, IdpId};
use eca_model::wire::{RemoteIdp, WireBody};
use eca_oidc::http::{HttpError, HttpResponse};
use eca_oidc::panicked::{self, Panicked};
use rusqlite::{Connection, TransactionBehavior};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// What one push did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, specta::Type)]
pub struct PushReport {
    /// IdPs whose change the backend acknowledged (once per change).
    pub pushed: Vec<IdpId>,
    /// IdPs whose backend copy changed since the base, found by this push or an earlier one:
    /// resolve with keep mine / take theirs.
    pub conflicts: Vec<IdpId>,
    /// IdPs whose change the backend refused, in this push or an earlier one; see the change's
    /// `last_error`.
    pub failed: Vec<IdpId>,
    /// IdPs with changes still pending: held behind a conflict or a failure, or deferred by the
    /// backend's `Retry-After`.
    pub waiting: Vec<IdpId>,
}

impl PushReport {
    /// Notes a change this push did not send: in conflict or failed (in an earlier push too),
    /// else waiting (held behind another change of its IdP, or deferred by a `Retry-After`).
    fn left_behind(&mut self, change: &SyncChange, id: IdpId) {
        let list = match change.state {
            ChangeState::Conflict => &mut self.conflicts,
            ChangeState::Failed => &mut self.failed,
            ChangeState::Pending => &mut self.waiting,
        };
        if !list.contains(&id) {
            list.push(id);
        }
    }
}

/// How far a push has got: `done` of the `total` changes it started with have been dealt with
/// (sent, or left behind). The UI's determinate bar and the CLI's counter show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct PushProgress {
    pub done: u32,
    pub total: u32,
}

/// Told each [`PushProgress`] of a push; `Send`, since the app's push runs on its runtime.
pub type ProgressObserver<'a> = &'a mut (dyn FnMut(PushProgress) + Send);

/// How one change ended in this push.
enum Settled {
    Done,
    Conflict,
    Failed,
}

impl Outbox {
    // Every async method takes `&mut self`: a future holding `&Outbox` (whose connection is not
    // `Sync`) could not be sent between threads, and the app's runtime needs that.

    /// Sends every pending change, oldest first. Stops early (keeping everything) when the
    /// backend is unreachable, refuses the API key, or stays busy.
    pub async fn push(&mut self) -> Result<PushReport, SyncError> {
        self.push_observed(&mut |_| {}).await
    }

    /// [`Outbox::push`], telling `progress` how far it has got.
    pub async fn push_observed(
        &mut self,
        progress: ProgressObserver<'_>,
    ) -> Result<PushReport, SyncError> {
        let env = self.current_env()?;
        let client = self.client_for(&env)?;
        self.push_to(&client, &env, progress).await
    }

    /// Pushes the outbox of environment `env` (the current one, or a promotion's target) with
    /// `client`, that environment's.
    pub(crate) async fn push_to(
        &mut self,
        client: &BackendClient,
        env: &EnvRow,
        progress: ProgressObserver<'_>,
    ) -> Result<PushReport, SyncError> {
        let workspace = env.workspace_id.clone();
        secret_copy::discard_settled(&self.conn, self.secrets.as_ref());
        let mut acks = Vec::new();
        let result = self
            .push_all(client, env.id, &workspace, &mut acks, progress)
            .await;
        // Whatever ended the push, the acknowledgements received are recorded.
        let recorded = self.record_acks(env.id, &mut acks);
        secret_copy::discard_settled(&self.conn, self.secrets.as_ref());
        let report = result?;
        recorded?;
        Ok(report)
    }

    async fn push_all(
        &mut self,
        client: &BackendClient,
        env: EnvId,
        workspace: &str,
        acks: &mut Vec<Ack>,
        progress: ProgressObserver<'_>,
    ) -> Result<PushReport, SyncError> {
        let mut report = PushReport::default();
        // An IdP whose secret needs re-entry is held back whole: its new settings would take
        // the backend's copy of the secret to where it was not entered for.
        let set_aside: HashMap<IdpId, FieldError> =
            idps::secrets_set_aside(&self.conn)?.into_iter().collect();
        let mut held: HashSet<IdpId> = set_aside.keys().copied().collect();
        // Requests frozen by a batch, not sent yet.
        let mut ready: HashMap<i64, PushRequest> = HashMap::new();
        let now = rfc3339(self.clock.now());
        let changes = sync_changes::list(&self.conn, Some(env))?;
        let total = u32::try_from(changes.len()).unwrap_or(u32::MAX);
        for (i, change) in changes.iter().enumerate() {
            progress(PushProgress {
                done: u32::try_from(i).unwrap_or(u32::MAX),
                total,
            });
            let id = change.idp_id;
            if let Some(why) = set_aside.get(&id) {
                let note = format!("Held back: the client secret {}", why.message);
                sync_changes::note(&self.conn, change.seq, &note)?;
            }
            if held.contains(&id) || !sendable(change, &now) {
                held.insert(id);
                report.left_behind(change, id);
                continue;
            }
            if change.request.is_none() && !ready.contains_key(&change.seq) {
                // The batch is frozen from the bases as acknowledged so far.
                self.record_acks(env, acks)?;
                let batch = freeze_batch(&changes[i..], &held);
                ready.extend(self.freeze_all(env, &batch)?);
            }
            let request = match ready.remove(&change.seq) {
                Some(request) => request,
                None => match self.freeze(env, change.seq)? {
                    Some(request) => request,
                    None => continue,
                },
            };
            let sent = self.send(client, workspace, change, &request, acks);
            let settled = match panicked::catch("sending a sync change", sent).await {
                Ok(settled) => settled?,
                Err(Panicked) => self.crashed(change.seq)?,
            };
            match settled {
                Settled::Done => {
                    report.pushed.push(id);
                    if acks.len() >= BATCH {
                        self.record_acks(env, acks)?;
                    }
                }
                Settled::Conflict => {
                    held.insert(id);
                    report.conflicts.push(id);
                }
                Settled::Failed => {
                    held.insert(id);
                    report.failed.push(id);
                }
            }
        }
        progress(PushProgress { done: total, total });
        Ok(report)
    }

    /// Records acknowledged changes: each one's new base, and the change removed, all in one
    /// transaction (one sync to disk for the batch rather than one per change).
    fn record_acks(&mut self, env: EnvId, acks: &mut Vec<Ack>) -> Result<(), SyncError> {
        if acks.is_empty() {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for ack in acks.iter() {
            match &ack.base {
                Some(base) => sync_base::upsert(&tx, env, base)?,
                None => sync_base::delete(&tx, env, ack.id)?,
            }
            sync_changes::delete(&tx, ack.seq)?;
        }
        tx.commit()?;
        acks.clear();
        Ok(())
    }

    /// Freezes these changes' requests in one committed transaction (see [`freeze_batch`]).
    /// A change the batch dropped (nothing to send) has no entry; the loop finds it gone.
    fn freeze_all(
        &mut self,
        env: EnvId,
        seqs: &[i64],
    ) -> Result<HashMap<i64, PushRequest>, SyncError> {
        let secrets = self.secrets.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut frozen = HashMap::new();
        for seq in seqs {
            if let Some(request) = freeze_in(&tx, secrets.as_ref(), env, *seq)? {
                frozen.insert(*seq, request);
            }
        }
        tx.commit()?;
        Ok(frozen)
    }

    /// The request to send for change `seq`: the frozen one, or the plan's for it (from the
    /// local IdP and the base), frozen now. `None` when there is nothing to send (the change is
    /// dropped: e.g. an IdP deleted before the backend ever had it).
    fn freeze(&mut self, env: EnvId, seq: i64) -> Result<Option<PushRequest>, SyncError> {
        let secrets = self.secrets.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let request = freeze_in(&tx, secrets.as_ref(), env, seq)?;
        tx.commit()?;
        Ok(request)
    }

    /// Sends one frozen request, retrying what may be retried with the same key.
    async fn send(
        &mut self,
        client: &BackendClient,
        workspace: &str,
        change: &SyncChange,
        request: &PushRequest,
        acks: &mut Vec<Ack>,
    ) -> Result<Settled, SyncError> {
        let id = change.idp_id;
        let key = change.idempotency_key.as_str();
        let mut attempt = 0u32;
        loop {
            let result = match request {
                PushRequest::Put {
                    precondition,
                    body,
                    secret,
                } => {
                    let body = self.with_secret(change, body, *secret)?;
                    client.put(id, precondition, key, &body).await
                }
                PushRequest::Delete { version } => client.delete(id, version, key).await,
            };
            let (detail, retry_after) = match result {
                Err(
                    e @ (HttpError::Connect { .. }
                    | HttpError::Dns { .. }
                    | HttpError::Tls { .. }
                    | HttpError::InvalidUrl { .. }),
                ) => {
                    sync_changes::record_attempt(&self.conn, change.seq, &e.to_string(), None)?;
                    return Err(SyncError::Unreachable(e));
                }
                // The request may have been applied: only resending under the same key tells.
                Err(e @ (HttpError::Timeout { .. } | HttpError::Transport { .. })) => {
                    (e.to_string(), None)
                }
                Err(e) => {
                    sync_changes::record_attempt(&self.conn, change.seq, &e.to_string(), None)?;
                    return Err(SyncError::Protocol(e.to_string()));
                }
                Ok(response) => match response.meta.status {
                    status @ (409 | 429 | 500..=599) => (
                        RemoteProblem::parse(&response).describe(status),
                        retry::parse_retry_after(
                            response
                                .meta
                                .headers
                                .get("retry-after")
                                .and_then(|v| v.to_str().ok()),
                        ),
                    ),
                    _ => return self.settle(workspace, change, request, &response, acks),
                },
            };
            let wait = retry::delay(&self.retry, attempt, retry_after, self.jitter.unit());
            attempt += 1;
            if attempt >= self.retry.max_attempts || wait > self.retry.max_wait {
                let retry_at = rfc3339(self.clock.now() + wait);
                // Only the server's Retry-After defers the next push; the client's own backoff
                // is for retries within one push, and an explicit push tries again at once.
                let deferred = retry_after.map(|after| rfc3339(self.clock.now() + after));
                sync_changes::record_attempt(&self.conn, change.seq, &detail, deferred.as_deref())?;
                return Err(SyncError::Busy { detail, retry_at });
            }
            sync_changes::record_attempt(&self.conn, change.seq, &detail, None)?;
            tracing::info!(%id, attempt, ?wait, "sync write will be retried");
            self.pause.pause(wait).await;
        }
    }

    /// The body with the secret as the frozen request says: the value frozen with it.
    fn with_secret(
        &self,
        change: &SyncChange,
        body: &WireBody,
        mode: SecretMode,
    ) -> Result<serde_json::Value, SyncError> {
        let mut body =
            serde_json::to_value(body).map_err(|e| SyncError::Protocol(e.to_string()))?;
        match mode {
            SecretMode::Keep => {}
            SecretMode::Clear => body["client_secret"] = serde_json::Value::Null,
            SecretMode::Set => {
                let (id, key) = (change.idp_id, &change.idempotency_key);
                match secret_copy::read(self.secrets.as_ref(), id, key)? {
                    Some(secret) => {
                        body["client_secret"] =
                            serde_json::Value::String(secret.expose().to_string())
                    }
                    None => tracing::warn!(
                        %id,
                        "the keyring has no secret to send; the backend keeps its own"
                    ),
                }
            }
        }
        Ok(body)
    }

    /// Marks a change whose sending panicked as failed, with a message saying it was a bug. Its
    /// outcome at the backend is unknown, so its frozen request stays for a retry under its key.
    fn crashed(&mut self, seq: i64) -> Result<Settled, SyncError> {
        let message = "ECA Admin stopped sending this change on an internal error (a bug), not \
                       because of the backend's answer. Retry it; if it happens again, report \
                       it with the app's log.";
        sync_changes::set_state(&self.conn, seq, ChangeState::Failed, Some(message))?;
        Ok(Settled::Failed)
    }

    /// A write the backend answered with something that cannot be trusted. Sent again, it would
    /// be answered the same: the change fails, once, clearly.
    fn untrusted(&mut self, seq: i64, why: &str) -> Result<Settled, SyncError> {
        let message = format!(
            "The backend accepted this change, but its answer cannot be trusted ({why}), so \
             nothing of it was recorded. Check the backend, then retry the change."
        );
        sync_changes::set_state(&self.conn, seq, ChangeState::Failed, Some(&message))?;
        Ok(Settled::Failed)
    }

    /// Records the backend's final answer to one change.
    fn settle(
        &mut self,
        workspace: &str,
        change: &SyncChange,
        request: &PushRequest,
        response: &HttpResponse,
        acks: &mut Vec<Ack>,
    ) -> Result<Settled, SyncError> {
        let status = response.meta.status;
        let now = rfc3339(self.clock.now());
        let problem = || RemoteProblem::parse(response);
        match (request, status) {
            (PushRequest::Put { .. }, 200 | 201) => match trusted(response, change.idp_id) {
                Ok(remote) => {
                    acks.push(Ack {
                        seq: change.seq,
                        id: change.idp_id,
                        base: Some(BaseEntry::from_remote(&remote, &now)),
                    });
                    Ok(Settled::Done)
                }
                Err(why) => self.untrusted(change.seq, &why),
            },
            // Deleted, or already gone: either way the backend no longer has it.
            (PushRequest::Delete { .. }, 204 | 404) => {
                acks.push(Ack {
                    seq: change.seq,
                    id: change.idp_id,
                    base: None,
                });
                Ok(Settled::Done)
            }
            (_, 401) => Err(SyncError::Unauthorized),
            (_, 403) => Err(SyncError::Forbidden(workspace.to_string())),
            (_, 412) => {
                let message = "The backend's copy changed since the last sync (another admin, or \
                               another computer). Review the differences, then keep yours or \
                               take theirs.";
                sync_changes::set_state(
                    &self.conn,
                    change.seq,
                    ChangeState::Conflict,
                    Some(message),
                )?;
                Ok(Settled::Conflict)
            }
            (_, 422) if problem().kind == "urn:eca:problem:idempotency-key-reused" => {
                // A change is sent with one frozen body (its secret included, see
                // `secret_copy`), so the client's own edits never cause this: it is not another
                // admin's change, and not a conflict. What the backend holds is unknown.
                let message = "The backend has this change's key with another body (the keyring \
                               lost the secret it was first sent with?). Check the backend's \
                               copy with `eca sync plan`, then retry the change.";
                sync_changes::set_state(
                    &self.conn,
                    change.seq,
                    ChangeState::Failed,
                    Some(message),
                )?;
                Ok(Settled::Failed)
            }
            _ => {
                let message = problem().describe(status);
                sync_changes::set_state(
                    &self.conn,
                    change.seq,
                    ChangeState::Failed,
                    Some(&message),
                )?;
                Ok(Settled::Failed)
            }
        }
    }
}

/// How many changes are frozen, and acknowledgements recorded, per transaction.
const BATCH: usize = 64;

/// The IdP a successful write answered with, if it is the one written and keeps the contract.
fn trusted(response: &HttpResponse, written: IdpId) -> Result<RemoteIdp, String> {
    let remote: RemoteIdp = response
        .json()
        .map_err(|e| format!("it is not an IdP: {e}"))?;
    if remote.id != written {
        return Err(format!(
            "it is IdP {} where {written} was written",
            remote.id
        ));
    }
    remote.check()?;
    Ok(remote)
}

/// An acknowledged change whose new base is not recorded yet.
struct Ack {
    seq: i64,
    id: IdpId,
    /// The backend's copy now; `None` when it no longer has the IdP.
    base: Option<BaseEntry>,
}

/// Whether `change` may be sent now (pending, and not deferred by a `Retry-After`).
fn sendable(change: &SyncChange, now: &str) -> bool {
    let deferred = change.next_attempt_at.as_deref().is_some_and(|at| at > now);
    change.state == ChangeState::Pending && !deferred
}

/// The changes to freeze together, from `upcoming[0]` on: sendable, not yet frozen, and each
/// the first remaining change of its IdP (so the base it is frozen from cannot move before it
/// is sent: an IdP's later change is frozen only after its earlier one is acknowledged).
fn freeze_batch(upcoming: &[SyncChange], held: &HashSet<IdpId>) -> Vec<i64> {
    let mut seen: HashSet<IdpId> = held.clone();
    let mut batch = Vec::new();
    for change in upcoming {
        if batch.len() >= BATCH {
            break;
        }
        let first_of_idp = seen.insert(change.idp_id);
        let eligible = change.state == ChangeState::Pending
            && change.next_attempt_at.is_none()
            && change.request.is_none();
        // upcoming[0] is the change about to be sent, checked by the caller.
        if first_of_idp && (eligible || batch.is_empty()) {
            batch.push(change.seq);
        }
    }
    batch
}

/// Freezes change `seq`: the request the plan makes of it now (see [`plan::request`]), unless
/// one is frozen already, with a copy of the secret it sends (see [`secret_copy`]; with no
/// secret in the keyring it sends none, and says so). Drops the change when there is nothing
/// to send.
fn freeze_in(
    tx: &Connection,
    secrets: &dyn SecretStore,
    env: EnvId,
    seq: i64,
) -> Result<Option<PushRequest>, SyncError> {
    let Some(change) = sync_changes::get(tx, seq)? else {
        return Ok(None);
    };
    if let Some(frozen) = &change.request {
        return serde_json::from_str(frozen).map(Some).map_err(|e| {
            SyncError::Store(store::StoreError::Corrupt(format!("sync request: {e}")))
        });
    }
    let local = idps::get(tx, change.idp_id)?;
    let base = sync_base::get(tx, Some(env), change.idp_id)?;
    let Some(mut request) = plan::request(local.as_ref(), base.as_ref(), change.secret_changed)
    else {
        sync_changes::delete(tx, seq)?;
        return Ok(None);
    };
    if let PushRequest::Put { secret, .. } = &mut request {
        let (id, key) = (change.idp_id, &change.idempotency_key);
        if *secret == SecretMode::Set && !secret_copy::take(secrets, id, key)? {
            tracing::warn!(%id, "the keyring has no secret to send; the backend keeps its own");
            *secret = SecretMode::Keep;
        }
    }
    let json = serde_json::to_string(&request).map_err(|e| SyncError::Protocol(e.to_string()))?;
    sync_changes::freeze(tx, seq, &json)?;
    Ok(Some(request))
}

pub(crate) fn client_workspace(outbox: &Outbox) -> Result<String, SyncError> {
    Ok(outbox
        .settings()?
        .ok_or(SyncError::NotConfigured)?
        .workspace_id)
}

/// A read's answer when it is 2xx; the errors every read shares otherwise.
pub(crate) fn read_ok(
    result: Result<HttpResponse, HttpError>,
    workspace: &str,
) -> Result<HttpResponse, SyncError> {
    let response = match result {
        Ok(r) => r,
        Err(
            e @ (HttpError::Connect { .. }
            | HttpError::Dns { .. }
            | HttpError::Tls { .. }
            | HttpError::Timeout { .. }
            | HttpError::Transport { .. }),
        ) => return Err(SyncError::Unreachable(e)),
        Err(e) => return Err(SyncError::Protocol(e.to_string())),
    };
    match response.meta.status {
        200..=299 => Ok(response),
        401 => Err(SyncError::Unauthorized),
        403 => Err(SyncError::Forbidden(workspace.to_string())),
        status @ (429 | 500..=599) => {
            let wait = retry::parse_retry_after(
                response
                    .meta
                    .headers
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok()),
            )
            .unwrap_or(Duration::from_secs(1));
            Err(SyncError::Busy {
                detail: RemoteProblem::parse(&response).describe(status),
                retry_at: format!("{} s", wait.as_secs()),
            })
        }
        status => Err(SyncError::Protocol(
            RemoteProblem::parse(&response).describe(status),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::{MemorySecrets, Secret};
    use crate::store::sync_base::BaseEntry;
    use eca_model::clock::SystemClock;
    use std::sync::Arc;

    fn assert_send<T: Send>(_: &T) {}

    fn change(seq: i64, id: IdpId, frozen: bool, state: ChangeState) -> SyncChange {
        SyncChange {
            seq,
            idp_id: id,
            kind: crate::store::sync_changes::ChangeKind::Update,
            secret_changed: false,
            created_at: "t".into(),
            idempotency_key: format!("k{seq}"),
            attempts: 0,
            last_error: None,
            next_attempt_at: None,
            state,
            request: frozen.then(|| "{}".to_string()),
        }
    }

    #[test]
    fn a_freeze_batch_takes_only_the_first_change_of_each_idp() {
        let (x, y, z, w, h) = (
            IdpId::new(),
            IdpId::new(),
            IdpId::new(),
            IdpId::new(),
            IdpId::new(),
        );
        let upcoming = vec![
            change(1, x, false, ChangeState::Pending),
            change(2, y, false, ChangeState::Pending),
            change(3, x, false, ChangeState::Pending),
            change(4, z, true, ChangeState::Pending),
            change(5, z, false, ChangeState::Pending),
            change(6, w, false, ChangeState::Conflict),
            change(7, w, false, ChangeState::Pending),
            change(8, h, false, ChangeState::Pending),
        ];
        let held = HashSet::from([h]);
        assert_eq!(
            freeze_batch(&upcoming, &held),
            vec![1, 2],
            "a later change of an IdP waits until its earlier one is acknowledged, so it is \
             frozen from the base it will meet; held IdPs and blocked ones are left out"
        );
        let many: Vec<SyncChange> = (0..200)
            .map(|i| change(i, IdpId::new(), false, ChangeState::Pending))
            .collect();
        assert_eq!(freeze_batch(&many, &HashSet::new()).len(), BATCH);
    }

    fn oidc(name: &str) -> eca_model::idp::IdpFields {
        let issuer = format!("https://{}.example", name.to_lowercase());
        eca_model::idp::IdpFields {
            name: name.into(),
            issuer: Some(issuer.clone()),
            authorization_endpoint: format!("{issuer}/authorize"),
            token_endpoint: format!("{issuer}/token"),
            jwks_uri: Some(format!("{issuer}/keys")),
            client_id: "client".into(),
            ..eca_model::idp::IdpFields::blank(eca_model::idp::Protocol::Oidc)
        }
    }

    /// Makes `id` synced as it is now (base "r1"), with nothing left in the outbox.
    fn mark_synced(outbox: &Outbox, id: IdpId) {
        let local = idps::get(&outbox.conn, id).unwrap().unwrap();
        let base = BaseEntry {
            idp_id: id,
            fields: eca_model::wire::WireFields::from(&local.fields),
            version: "r1".into(),
            secret_set: local.has_secret,
            secret_fingerprint: local.has_secret.then(|| "0123456789abcdef".into()),
            synced_at: "t".into(),
        };
        let env = outbox.scope().unwrap();
        sync_base::upsert(&outbox.conn, env.expect("an environment"), &base).unwrap();
        sync_changes::delete_for_idp(&outbox.conn, env, id).unwrap();
    }

    #[test]
    fn the_plans_request_is_what_push_freezes() {
        use crate::catalog::{Catalog, SaveIdpRequest, SecretChange};
        use crate::sync::client::Precondition;
        let dir = tempfile::tempdir().unwrap();
        let secrets: Arc<MemorySecrets> = Arc::new(MemorySecrets::new());
        let clock = Arc::new(SystemClock);
        let mut catalog = Catalog::open(dir.path(), secrets.clone(), clock.clone()).unwrap();
        let mut outbox = Outbox::open(dir.path(), secrets, clock).unwrap();
        crate::store::sync_envs::insert(&outbox.conn, "sandbox", "http://127.0.0.1:1", "dev")
            .unwrap();
        let mut save = |id: Option<IdpId>, fields, secret| {
            let request = SaveIdpRequest { id, fields, secret };
            catalog.save(request).unwrap().idp
        };
        let secret = || SecretChange::Replace(Secret::new("a-long-enough-secret"));
        let new = save(None, oidc("New"), secret());
        let edited = save(None, oidc("Edited"), SecretChange::Keep);
        let rekeyed = save(None, oidc("Rekeyed"), secret());
        let toggled = save(None, oidc("Toggled"), SecretChange::Keep);
        let deleted = save(None, oidc("Deleted"), SecretChange::Keep);
        for id in [edited.id, rekeyed.id, toggled.id, deleted.id] {
            mark_synced(&outbox, id);
        }
        let notes = eca_model::idp::IdpFields {
            notes: "edited".into(),
            ..oidc("Edited")
        };
        save(Some(edited.id), notes, SecretChange::Keep);
        save(Some(rekeyed.id), oidc("Rekeyed"), secret());
        catalog.set_enabled(toggled.id, false).unwrap();
        catalog.delete(deleted.id).unwrap();

        let plan = outbox.local_plan().unwrap();
        let planned = |id: IdpId| plan.item(id).and_then(|i| i.request.clone());
        let put = |id: IdpId| match planned(id) {
            Some(PushRequest::Put {
                precondition,
                secret,
                body,
            }) => (precondition, secret, body.fields.enabled),
            other => panic!("a PUT is planned for {id}: {other:?}"),
        };
        let r1 = Precondition::Version("r1".into());
        assert_eq!(put(new.id), (Precondition::Absent, SecretMode::Set, true));
        assert_eq!(put(edited.id), (r1.clone(), SecretMode::Keep, true));
        assert_eq!(put(rekeyed.id), (r1.clone(), SecretMode::Set, true));
        assert_eq!(put(toggled.id), (r1, SecretMode::Keep, false));
        assert_eq!(
            planned(deleted.id),
            Some(PushRequest::Delete {
                version: "r1".into()
            })
        );

        let changes = outbox.changes().unwrap();
        assert_eq!(changes.len(), 5);
        let env = outbox.current_env().unwrap().id;
        for change in changes {
            let frozen = outbox.freeze(env, change.seq).unwrap();
            assert_eq!(
                frozen,
                planned(change.idp_id),
                "push freezes exactly the plan's request"
            );
            let stored = sync_changes::get(&outbox.conn, change.seq)
                .unwrap()
                .unwrap();
            let stored: PushRequest = serde_json::from_str(&stored.request.unwrap()).unwrap();
            assert_eq!(Some(stored), frozen, "and stores it as is");
        }
    }

    #[test]
    fn a_frozen_request_keeps_its_serialised_shape() {
        // Rows written by earlier versions hold this shape; they must still be read and sent.
        let id = IdpId::new();
        let fields = eca_model::wire::WireFields::from(&oidc("A"));
        let mut body = serde_json::to_value(&fields).unwrap();
        body["id"] = serde_json::Value::String(id.to_string());
        let stored = serde_json::json!({
            "method": "put",
            "precondition": {"kind": "version", "version": "r1"},
            "body": body,
            "secret": "set",
        });
        let read: PushRequest = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(
            read,
            PushRequest::Put {
                precondition: crate::sync::client::Precondition::Version("r1".into()),
                body: Box::new(WireBody { id, fields }),
                secret: SecretMode::Set,
            }
        );
        assert_eq!(serde_json::to_value(&read).unwrap(), stored);
        let PushRequest::Put { body: typed, .. } = &read else {
            unreachable!()
        };
        assert_eq!(
            serde_json::to_value(typed).unwrap().to_string(),
            body.to_string(),
            "the body is sent byte for byte as before"
        );
        let delete = serde_json::json!({"method": "delete", "version": "r2"});
        let read: PushRequest = serde_json::from_value(delete.clone()).unwrap();
        assert_eq!(serde_json::to_value(&read).unwrap(), delete);
    }

    #[test]
    fn sync_futures_can_run_on_a_multi_threaded_runtime() {
        // The app runs commands on tokio's multi-threaded runtime, which needs Send futures.
        let mut outbox = Outbox::with_connection(
            store::open_in_memory().unwrap(),
            Arc::new(MemorySecrets::new()),
            Arc::new(SystemClock),
        );
        let id = IdpId::new();
        assert_send(&outbox.push());
        assert_send(&outbox.plan());
        assert_send(&outbox.keep_mine(id));
        assert_send(&outbox.take_theirs(id));
        assert_send(&outbox.promote(None, &[]));
    }
}
