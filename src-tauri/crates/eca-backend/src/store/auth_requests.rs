//! The `auth_request` and `message` tables: customer sign-in requests and what the simulated
//! gateway sent for them.
//!
//! Invariants:
//! - A request row keeps only the SHA-256 of its link's token, and is found by it.
//!   (The simulated gateway's `message` row holds the link until the request's data is erased,
//!   as a carrier would hold an SMS.)
//! - [`use_link`] moves a request from `pending` to `started` in one statement, so a link is
//!   used once however many browsers open it at the same time.
//! - [`finish`] ends only a `started`, unexpired, unerased request, once; the customer's number
//!   is erased then.
//! - [`erase_claims`] rewrites an outcome without the customer's data and drops its message;
//!   reading a result, delivering it and the end of its retention all call it.

use super::StoreError;
use crate::signin::request::{Channel, Kind, Outcome};
use crate::workspace::WorkspaceId;
use rusqlite::{params, Connection, OptionalExtension, Row};
use uuid::Uuid;

/// A stored request, as the status route and the link route need it.
#[derive(Clone, Debug, PartialEq)]
pub struct AuthRequestRow {
    pub id: Uuid,
    pub idp_id: Uuid,
    pub kind: Kind,
    pub channel: Channel,
    /// E.164; `None` once the request finished or expired.
    pub customer: Option<String>,
    pub conversation_id: String,
    pub return_url: Option<String>,
    pub state: RowState,
    pub created_at: String,
    pub expires_unix: i64,
    /// Until when the customer's data may be kept: the expiry, then the result's lifetime.
    pub keep_until_unix: i64,
    pub opened_at: Option<String>,
    pub finished_at: Option<String>,
    pub outcome: Option<Outcome>,
    pub claims_erased: bool,
}

/// The stored lifecycle; `expired` is not stored but derived from the clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowState {
    Pending,
    Started,
    Authenticated,
    Failed,
}

impl RowState {
    fn as_str(self) -> &'static str {
        match self {
            RowState::Pending => "pending",
            RowState::Started => "started",
            RowState::Authenticated => "authenticated",
            RowState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => RowState::Pending,
            "started" => RowState::Started,
            "authenticated" => RowState::Authenticated,
            "failed" => RowState::Failed,
            _ => return None,
        })
    }
}

/// A new request, with its link's hash and the message the gateway sends.
pub struct NewAuthRequest<'a> {
    pub row: &'a AuthRequestRow,
    pub link_hash: &'a str,
    pub message: NewMessage<'a>,
}

pub struct NewMessage<'a> {
    pub id: Uuid,
    pub body: &'a str,
    pub link: &'a str,
}

/// A message as the gateway's outbox shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MessageRow {
    pub id: Uuid,
    pub channel: Channel,
    pub to: String,
    pub body: String,
    pub link: String,
    pub auth_request_id: Uuid,
    pub sent_at: String,
}

const COLUMNS: &str = "id, idp_id, kind, channel, customer, conversation_id, return_url, status, \
                       created_at, expires_unix, opened_at, finished_at, outcome, claims_erased, \
                       keep_until_unix";

/// The index of a column selected right after [`COLUMNS`].
const WORKSPACE_AFTER_COLUMNS: usize = 15;

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("auth request {what} {value:?}"))
}

fn decode(r: &Row<'_>) -> rusqlite::Result<Result<AuthRequestRow, StoreError>> {
    let id: String = r.get(0)?;
    let idp_id: String = r.get(1)?;
    let kind: String = r.get(2)?;
    let channel: String = r.get(3)?;
    let status: String = r.get(7)?;
    let outcome: Option<String> = r.get(12)?;
    let (customer, conversation_id, return_url) = (r.get(4)?, r.get(5)?, r.get(6)?);
    let (created_at, expires_unix, opened_at, finished_at) =
        (r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?);
    let claims_erased: i64 = r.get(13)?;
    let keep_until_unix: i64 = r.get(14)?;
    Ok((|| {
        Ok(AuthRequestRow {
            id: Uuid::parse_str(&id).map_err(|_| corrupt("id", &id))?,
            idp_id: Uuid::parse_str(&idp_id).map_err(|_| corrupt("idp_id", &idp_id))?,
            kind: kind.parse().map_err(|_| corrupt("kind", &kind))?,
            channel: channel.parse().map_err(|_| corrupt("channel", &channel))?,
            customer,
            conversation_id,
            return_url,
            state: RowState::parse(&status).ok_or_else(|| corrupt("status", &status))?,
            created_at,
            expires_unix,
            keep_until_unix,
            opened_at,
            finished_at,
            outcome: outcome
                .map(|o| serde_json::from_str(&o).map_err(|e| corrupt("outcome", &e.to_string())))
                .transpose()?,
            claims_erased: claims_erased != 0,
        })
    })())
}

fn query_one(
    conn: &Connection,
    condition: &str,
    params: impl rusqlite::Params,
) -> Result<Option<AuthRequestRow>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM auth_request WHERE {condition}"
    ))?
    .query_row(params, decode)
    .optional()?
    .transpose()
}

/// Records a new request and the message that carries its link.
pub fn insert(
    conn: &Connection,
    workspace: &WorkspaceId,
    new: &NewAuthRequest<'_>,
) -> Result<(), StoreError> {
    let row = new.row;
    conn.execute(
        "INSERT INTO auth_request (workspace_id, id, idp_id, kind, channel, customer,
             conversation_id, return_url, link_hash, status, created_at, expires_unix,
             keep_until_unix)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending', ?10, ?11, ?11)",
        params![
            workspace.as_str(),
            row.id.hyphenated().to_string(),
            row.idp_id.hyphenated().to_string(),
            row.kind.as_str(),
            row.channel.as_str(),
            row.customer,
            row.conversation_id,
            row.return_url,
            new.link_hash,
            row.created_at,
            row.expires_unix,
        ],
    )?;
    conn.execute(
        "INSERT INTO message (workspace_id, id, seq, channel, recipient, body, link,
             auth_request_id, sent_at)
         VALUES (?1, ?2, (SELECT coalesce(max(seq), 0) + 1 FROM message WHERE workspace_id = ?1),
                 ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            workspace.as_str(),
            new.message.id.hyphenated().to_string(),
            row.channel.as_str(),
            row.customer,
            new.message.body,
            new.message.link,
            row.id.hyphenated().to_string(),
            row.created_at,
        ],
    )?;
    Ok(())
}

pub fn get(
    conn: &Connection,
    workspace: &WorkspaceId,
    id: Uuid,
) -> Result<Option<AuthRequestRow>, StoreError> {
    query_one(
        conn,
        "workspace_id = ?1 AND id = ?2",
        params![workspace.as_str(), id.hyphenated().to_string()],
    )
}

/// Why a link does not start a login.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkRefused {
    Unknown,
    Used,
    Expired,
}

/// The `pending`, unexpired request a link belongs to, and its workspace; nothing changes.
pub fn find_link(
    conn: &Connection,
    link_hash: &str,
    now_unix: i64,
) -> Result<Result<(WorkspaceId, AuthRequestRow), LinkRefused>, StoreError> {
    let found = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS}, workspace_id FROM auth_request WHERE link_hash = ?1"
        ))?
        .query_row([link_hash], |r| {
            // The workspace follows the row's columns.
            let workspace: String = r.get(WORKSPACE_AFTER_COLUMNS)?;
            Ok((workspace, decode(r)?))
        })
        .optional()?;
    let Some((workspace, row)) = found else {
        return Ok(Err(LinkRefused::Unknown));
    };
    let workspace: WorkspaceId = workspace
        .parse()
        .map_err(|_| corrupt("workspace", &workspace))?;
    let row = row?;
    match refusal(&row, now_unix) {
        Some(refused) => Ok(Err(refused)),
        None => Ok(Ok((workspace, row))),
    }
}

/// Why the link of `row` does not start a login at `now_unix`, if it does not.
pub fn refusal(row: &AuthRequestRow, now_unix: i64) -> Option<LinkRefused> {
    if row.state != RowState::Pending {
        Some(LinkRefused::Used)
    } else if row.expires_unix <= now_unix {
        Some(LinkRefused::Expired)
    } else {
        None
    }
}

/// Uses the link: the `pending` request it belongs to becomes `started`, once, in one
/// statement. Returns the request and its workspace.
pub fn use_link(
    conn: &Connection,
    link_hash: &str,
    now_unix: i64,
    now: &str,
) -> Result<Result<(WorkspaceId, AuthRequestRow), LinkRefused>, StoreError> {
    let (workspace, mut row) = match find_link(conn, link_hash, now_unix)? {
        Ok(found) => found,
        Err(refused) => return Ok(Err(refused)),
    };
    let changed = conn.execute(
        "UPDATE auth_request SET status = 'started', opened_at = ?2
         WHERE link_hash = ?1 AND status = 'pending'",
        params![link_hash, now],
    )?;
    if changed != 1 {
        return Ok(Err(LinkRefused::Used));
    }
    row.state = RowState::Started;
    row.opened_at = Some(now.to_string());
    Ok(Ok((workspace, row)))
}

/// Ends a `started` request with its outcome, kept until `keep_until_unix` at most. False when
/// it is not `started` any more, has expired by `now_unix`, or had its data erased: nothing
/// changes then (the request stays `expired`; a late result is not kept).
pub fn finish(
    conn: &Connection,
    workspace: &WorkspaceId,
    id: Uuid,
    outcome: &Outcome,
    (now_unix, now): (i64, &str),
    keep_until_unix: i64,
) -> Result<bool, StoreError> {
    let state = if outcome.result.is_some() {
        RowState::Authenticated
    } else {
        RowState::Failed
    };
    let json = serde_json::to_string(outcome).map_err(|e| StoreError::Sqlite(e.to_string()))?;
    Ok(conn.execute(
        "UPDATE auth_request SET status = ?3, finished_at = ?4, outcome = ?5, customer = NULL,
             keep_until_unix = ?6
         WHERE workspace_id = ?1 AND id = ?2 AND status = 'started' AND claims_erased = 0
               AND expires_unix > ?7",
        params![
            workspace.as_str(),
            id.hyphenated().to_string(),
            state.as_str(),
            now,
            json,
            keep_until_unix,
            now_unix
        ],
    )? == 1)
}

/// Replaces a request's outcome by `erased` (the same without the customer's data), and
/// removes the gateway's copy of its message (the number and the link).
pub fn erase_claims(
    conn: &Connection,
    workspace: &WorkspaceId,
    id: Uuid,
    erased: Option<&Outcome>,
) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM message WHERE workspace_id = ?1 AND auth_request_id = ?2",
        params![workspace.as_str(), id.hyphenated().to_string()],
    )?;
    let json = erased
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::Sqlite(e.to_string()))?;
    conn.execute(
        "UPDATE auth_request SET outcome = ?3, claims_erased = 1, customer = NULL
         WHERE workspace_id = ?1 AND id = ?2",
        params![workspace.as_str(), id.hyphenated().to_string(), json],
    )?;
    Ok(())
}

/// Deletes the requests whose retention ended before `before_unix` (their data is long
/// erased); how many.
pub fn delete_old(conn: &Connection, before_unix: i64) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "DELETE FROM auth_request WHERE claims_erased = 1 AND keep_until_unix < ?1",
        [before_unix],
    )?)
}

/// Requests kept past their retention at `now_unix` that still hold customer data.
pub fn due_for_erasure(
    conn: &Connection,
    now_unix: i64,
) -> Result<Vec<(WorkspaceId, AuthRequestRow)>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT workspace_id, id FROM auth_request
         WHERE claims_erased = 0 AND keep_until_unix <= ?1 LIMIT 1000",
    )?;
    let keys = stmt
        .query_map([now_unix], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut due = Vec::with_capacity(keys.len());
    for (workspace, id) in keys {
        let workspace: WorkspaceId = workspace
            .parse()
            .map_err(|_| corrupt("workspace", &workspace))?;
        let id = Uuid::parse_str(&id).map_err(|_| corrupt("id", &id))?;
        if let Some(row) = get(conn, &workspace, id)? {
            due.push((workspace, row));
        }
    }
    Ok(due)
}

/// The gateway's outbox for a workspace, newest first.
pub fn messages(conn: &Connection, workspace: &WorkspaceId) -> Result<Vec<MessageRow>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT id, channel, recipient, body, link, auth_request_id, sent_at FROM message
         WHERE workspace_id = ?1 ORDER BY seq DESC LIMIT 1000",
    )?;
    let rows = stmt.query_map([workspace.as_str()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
        ))
    })?;
    rows.map(|row| {
        let (id, channel, to, body, link, request, sent_at) = row?;
        Ok(MessageRow {
            id: Uuid::parse_str(&id).map_err(|_| corrupt("message id", &id))?,
            channel: channel.parse().map_err(|_| corrupt("channel", &channel))?,
            to,
            body,
            link,
            auth_request_id: Uuid::parse_str(&request).map_err(|_| corrupt("id", &request))?,
            sent_at,
        })
    })
    .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::signin::request::{Failure, IdpRef, Verified};
    use crate::store::workspaces;
    use eca_oidc::login::report::TestErrorCode;
    use serde_json::Map;

    /// A migrated in-memory database with one pending request whose link hash is `h` × 64,
    /// expiring at unix second 1,000.
    pub(crate) fn setup() -> (Connection, WorkspaceId, AuthRequestRow) {
        let conn = crate::store::open_in_memory().unwrap();
        let ws: WorkspaceId = "a".parse().unwrap();
        workspaces::ensure(&conn, &ws, "t").unwrap();
        let row = AuthRequestRow {
            id: Uuid::new_v4(),
            idp_id: Uuid::new_v4(),
            kind: Kind::Customer,
            channel: Channel::Sms,
            customer: Some("+27825550100".into()),
            conversation_id: "c".into(),
            return_url: None,
            state: RowState::Pending,
            created_at: "t0".into(),
            expires_unix: 1_000,
            keep_until_unix: 1_000,
            opened_at: None,
            finished_at: None,
            outcome: None,
            claims_erased: false,
        };
        let new = NewAuthRequest {
            row: &row,
            link_hash: &"h".repeat(64),
            message: NewMessage {
                id: Uuid::new_v4(),
                body: "b",
                link: "http://p/l/x",
            },
        };
        insert(&conn, &ws, &new).unwrap();
        (conn, ws, row)
    }

    pub(crate) fn verified() -> Outcome {
        Outcome {
            result: Some(Verified {
                idp: IdpRef {
                    id: Uuid::nil(),
                    name: "n".into(),
                },
                customer_id: Some("alice".into()),
                claims: Map::new(),
                auth_time: None,
                claims_erased: false,
            }),
            error: None,
            steps: None,
        }
    }

    #[test]
    fn a_link_is_used_once_and_refused_after_expiry() {
        let (conn, _, _) = setup();
        let hash = "h".repeat(64);
        assert!(
            find_link(&conn, &hash, 999).unwrap().is_ok(),
            "peeking uses nothing"
        );
        assert!(use_link(&conn, &hash, 999, "t1").unwrap().is_ok());
        assert_eq!(
            use_link(&conn, &hash, 999, "t1").unwrap().unwrap_err(),
            LinkRefused::Used
        );
        let (conn, _, _) = setup();
        assert_eq!(
            use_link(&conn, &hash, 1_000, "t1").unwrap().unwrap_err(),
            LinkRefused::Expired
        );
        assert_eq!(
            find_link(&conn, &"0".repeat(64), 1).unwrap().unwrap_err(),
            LinkRefused::Unknown
        );
    }

    #[test]
    fn a_result_arriving_after_erasure_or_expiry_is_not_kept() {
        let (conn, ws, row) = setup();
        use_link(&conn, &"h".repeat(64), 500, "t1")
            .unwrap()
            .unwrap();
        // The retention ended while the login was at the IdP: its data was erased.
        assert_eq!(due_for_erasure(&conn, 1_000).unwrap().len(), 1);
        erase_claims(&conn, &ws, row.id, None).unwrap();
        assert!(!finish(&conn, &ws, row.id, &verified(), (900, "t2"), 2_000).unwrap());
        let kept = get(&conn, &ws, row.id).unwrap().unwrap();
        assert_eq!(kept.outcome, None, "the late result is not stored");
        assert_eq!(kept.customer, None);
        assert!(
            messages(&conn, &ws).unwrap().is_empty(),
            "the message went with it"
        );

        let (conn, ws, row) = setup();
        use_link(&conn, &"h".repeat(64), 500, "t1")
            .unwrap()
            .unwrap();
        assert!(!finish(&conn, &ws, row.id, &verified(), (1_000, "t2"), 2_000).unwrap());
        assert!(finish(&conn, &ws, row.id, &verified(), (999, "t2"), 2_000).unwrap());
        let failed = Outcome {
            result: None,
            error: Some(Failure {
                step: None,
                code: TestErrorCode::Timeout,
                message: String::new(),
                fix: String::new(),
            }),
            steps: None,
        };
        assert!(
            !finish(&conn, &ws, row.id, &failed, (999, "t3"), 2_000).unwrap(),
            "a request finishes once"
        );
    }

    #[test]
    fn erased_rows_are_deleted_after_their_grace() {
        let (conn, ws, row) = setup();
        erase_claims(&conn, &ws, row.id, None).unwrap();
        assert_eq!(
            delete_old(&conn, 1_000).unwrap(),
            0,
            "kept until the grace ends"
        );
        assert_eq!(delete_old(&conn, 1_001).unwrap(), 1);
        assert_eq!(get(&conn, &ws, row.id).unwrap(), None);
    }
}
