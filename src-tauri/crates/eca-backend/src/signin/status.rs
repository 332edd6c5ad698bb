//! Where a request stands, as a flow reads it (`GET …/auth-requests/{id}`, and the webhook's
//! body), and the erasure of the customer's data.
//!
//! Invariants:
//! - `started` is still `pending` to a flow, and an unfinished request past its expiry is
//!   `expired`; nothing else derives a status.
//! - The first read of a finished request hands out the customer's data and erases it, in the
//!   same transaction; [`SignIn::erase_due`] erases what was never read once its retention ends.

use super::request::{self, Failure, Kind, Outcome};
use super::{SignIn, KEEP_ERASED_ROWS};
use crate::problem::ApiError;
use crate::store::auth_requests::{self, AuthRequestRow, RowState};
use crate::store::{Database, StoreError};
use crate::workspace::WorkspaceId;
use eca_model::clock::rfc3339;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

/// `GET …/auth-requests/{id}`.
#[derive(Debug, Serialize)]
pub struct AuthRequestView {
    pub id: Uuid,
    pub idp_id: Uuid,
    pub kind: Kind,
    pub channel: request::Channel,
    pub conversation_id: String,
    pub status: &'static str,
    pub created_at: String,
    pub expires_at: String,
    pub opened_at: Option<String>,
    pub finished_at: Option<String>,
    pub result: Option<request::Verified>,
    pub error: Option<Failure>,
    pub steps: Option<Vec<eca_oidc::login::report::Step>>,
}

impl SignIn {
    /// A request as the flow reads it. The first read of a result hands out the customer's
    /// data and erases it; past its retention, the data is erased before it is read.
    pub async fn read(
        &self,
        db: &Database,
        workspace: WorkspaceId,
        id: Uuid,
    ) -> Result<AuthRequestView, ApiError> {
        self.settled().await;
        let now = self.now();
        let now_unix = now.unix_timestamp();
        let ws = workspace.clone();
        let row = db
            .run(move |conn| {
                let tx = conn.transaction()?;
                let Some(mut row) = auth_requests::get(&tx, &ws, id)? else {
                    return Ok(None);
                };
                let erased = row.outcome.as_ref().map(Outcome::erased);
                let past_retention = row.keep_until_unix <= now_unix;
                if !row.claims_erased && (erased.is_some() || past_retention) {
                    auth_requests::erase_claims(&tx, &ws, id, erased.as_ref())?;
                    if past_retention {
                        row.outcome = erased;
                    }
                }
                tx.commit()?;
                Ok(Some(row))
            })
            .await?
            .ok_or_else(|| ApiError::AuthRequestNotFound {
                workspace: workspace.to_string(),
                id: id.to_string(),
            })?;
        Ok(view(row, now))
    }

    /// Erases the customer's data of every request whose retention has ended (and forgets the
    /// expired links and logins kept in memory).
    pub async fn erase_due(&self, db: &Database) -> Result<usize, StoreError> {
        let now_unix = self.now().unix_timestamp();
        self.open_links.prune(now_unix);
        self.logins.prune(self.now());
        db.run(move |conn| {
            let tx = conn.transaction()?;
            let due = auth_requests::due_for_erasure(&tx, now_unix)?;
            for (ws, row) in &due {
                let erased = row.outcome.as_ref().map(Outcome::erased);
                auth_requests::erase_claims(&tx, ws, row.id, erased.as_ref())?;
            }
            auth_requests::delete_old(&tx, now_unix - KEEP_ERASED_ROWS.whole_seconds())?;
            tx.commit()?;
            Ok(due.len())
        })
        .await
    }
}

/// The status a flow sees: `started` is still `pending` to it, and an unfinished request past
/// its expiry is `expired`.
pub(super) fn view(row: AuthRequestRow, now: OffsetDateTime) -> AuthRequestView {
    let expired = now.unix_timestamp() >= row.expires_unix;
    let status = match row.state {
        RowState::Authenticated => "authenticated",
        RowState::Failed => "failed",
        RowState::Pending | RowState::Started if expired => "expired",
        RowState::Pending | RowState::Started => "pending",
    };
    let expires_at = OffsetDateTime::from_unix_timestamp(row.expires_unix)
        .map(rfc3339)
        .unwrap_or_default();
    let (result, error, steps) = match row.outcome {
        Some(o) => (o.result, o.error, o.steps),
        None => (None, None, None),
    };
    AuthRequestView {
        id: row.id,
        idp_id: row.idp_id,
        kind: row.kind,
        channel: row.channel,
        conversation_id: row.conversation_id,
        status,
        created_at: row.created_at,
        expires_at,
        opened_at: row.opened_at,
        finished_at: row.finished_at,
        result,
        error,
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::auth_requests::tests::setup;

    /// The status a flow reads of a request in `state` expiring at 1,000, at unix second `now`.
    fn status(state: RowState, now: i64) -> &'static str {
        let (_, _, mut row) = setup();
        row.state = state;
        view(row, OffsetDateTime::from_unix_timestamp(now).unwrap()).status
    }

    #[test]
    fn an_unfinished_request_is_pending_until_its_expiry_then_expired() {
        assert_eq!(status(RowState::Pending, 999), "pending");
        assert_eq!(
            status(RowState::Started, 999),
            "pending",
            "started is still pending to a flow"
        );
        assert_eq!(
            status(RowState::Pending, 1_000),
            "expired",
            "expired from the expiry second on"
        );
        assert_eq!(status(RowState::Started, 1_000), "expired");
    }

    #[test]
    fn a_finished_request_keeps_its_status_past_the_expiry() {
        assert_eq!(status(RowState::Authenticated, 1_000), "authenticated");
        assert_eq!(status(RowState::Failed, 2_000), "failed");
    }
}
