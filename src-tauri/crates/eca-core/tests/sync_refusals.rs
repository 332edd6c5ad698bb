//! Refusals the reference backend does not produce for validated configurations, from a tiny
//! scripted server on loopback: a 422 marks the change failed, holds the IdP's later changes,
//! and `retry_failed` sends it again under a new key; a 201 whose IdP is another one, or breaks
//! the contract, fails the change once, with nothing of it recorded.

#[path = "sync_common/mod.rs"]
mod sync_common;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::put;
use axum::Router;
use eca_core::store::sync_changes::ChangeState;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use sync_common::{okta, Admin};

#[derive(Default)]
struct Script {
    /// Answer 422 while true, else 201 with the body echoed as an IdP.
    refuse: bool,
    /// The 422 says the key is held with another body, not that a field is invalid.
    key_reused: bool,
    keys: Vec<String>,
    /// Alters the echoed IdP before it is answered (a backend that lies).
    tamper: Option<Tamper>,
}

type Tamper = fn(&mut serde_json::Map<String, Value>);

async fn put_idp(
    State(script): State<Arc<Mutex<Script>>>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> impl IntoResponse {
    let mut script = script.lock().unwrap();
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    script.keys.push(key);
    if script.refuse && script.key_reused {
        let problem = json!({
            "type": "urn:eca:problem:idempotency-key-reused",
            "title": "Idempotency key reused",
            "status": 422,
            "detail": "This Idempotency-Key was used with another request body."
        });
        return (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(problem)).into_response();
    }
    if script.refuse {
        let problem = json!({
            "type": "urn:eca:problem:validation",
            "title": "Validation failed",
            "status": 422,
            "detail": "The IdP has invalid fields.",
            "errors": [{"field": "issuer", "message": "is not allowed in this workspace"}]
        });
        return (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(problem)).into_response();
    }
    let mut idp = body;
    if let Some(o) = idp.as_object_mut() {
        o.remove("client_secret");
        o.insert("version".into(), json!("r1"));
        o.insert("secret_set".into(), json!(false));
        o.insert("secret_fingerprint".into(), Value::Null);
        o.insert("created_at".into(), json!("2026-11-24T12:00:00Z"));
        o.insert("updated_at".into(), json!("2026-11-24T12:00:00Z"));
        if let Some(tamper) = script.tamper {
            tamper(o);
        }
    }
    (StatusCode::CREATED, axum::Json(idp)).into_response()
}

async fn scripted() -> (String, Arc<Mutex<Script>>) {
    let script = Arc::new(Mutex::new(Script {
        refuse: true,
        ..Script::default()
    }));
    let app = Router::new()
        .route("/v1/workspaces/{ws}/idps/{id}", put(put_idp))
        .with_state(script.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, script)
}

#[tokio::test]
async fn a_refused_change_fails_holds_later_ones_and_can_be_retried() {
    let (url, script) = scripted().await;
    let mut admin = Admin::new(&url);
    let acme = admin.create(okta("Acme"), None);
    let beta = admin.create(okta("Beta"), None);
    let report = admin.outbox.push().await.unwrap();
    assert_eq!(report.failed, vec![acme.id, beta.id], "{report:?}");
    let changes = admin.outbox.changes().unwrap();
    assert!(changes.iter().all(|c| c.state == ChangeState::Failed));
    let error = changes[0].last_error.clone().unwrap_or_default();
    assert!(
        error.contains("issuer: is not allowed"),
        "the backend's field errors are kept for the admin: {error}"
    );

    // A later edit of Acme waits behind the failed change.
    admin.catalog.set_enabled(acme.id, false).unwrap();
    let sent_before = script.lock().unwrap().keys.len();
    let report = admin.outbox.push().await.unwrap();
    assert!(report.pushed.is_empty());
    assert!(report.waiting.contains(&acme.id));
    assert_eq!(
        script.lock().unwrap().keys.len(),
        sent_before,
        "nothing was sent"
    );

    // Once the admin retries, Acme's changes go out, the first under a new key.
    script.lock().unwrap().refuse = false;
    let old_key = changes[0].idempotency_key.clone();
    admin.outbox.retry_failed(acme.id).unwrap();
    let report = admin.outbox.push().await.unwrap();
    assert_eq!(report.pushed, vec![acme.id, acme.id], "{report:?}");
    assert_eq!(
        (report.failed, report.waiting),
        (vec![beta.id], vec![]),
        "Beta's failure is still reported: it waits for its own retry"
    );
    let keys = script.lock().unwrap().keys.clone();
    assert!(
        !keys[sent_before..].contains(&old_key),
        "a retried change gets a new key"
    );
}

/// The backend holds the change's key with another body: neither a conflict with another
/// admin nor a field error, but a failure that says so and what to check.
#[tokio::test]
async fn a_key_held_with_another_body_fails_the_change_and_says_so() {
    let (url, script) = scripted().await;
    script.lock().unwrap().key_reused = true;
    let mut admin = Admin::new(&url);
    let acme = admin.create(okta("Acme"), None);
    let report = admin.outbox.push().await.unwrap();
    assert_eq!(
        (report.failed, report.conflicts),
        (vec![acme.id], vec![]),
        "failed, not a conflict"
    );
    let change = &admin.outbox.changes().unwrap()[0];
    assert_eq!(change.state, ChangeState::Failed);
    let error = change.last_error.clone().unwrap_or_default();
    assert!(
        error.contains("The backend has this change's key with another body"),
        "{error}"
    );
}

#[tokio::test]
async fn an_answer_that_cannot_be_trusted_fails_the_change_once_and_records_nothing() {
    let lies: [(Tamper, &str); 3] = [
        (
            |o| {
                o.insert("id".into(), json!(uuid::Uuid::new_v4()));
            },
            "where",
        ),
        (
            |o| {
                o.insert("secret_set".into(), json!(true));
            },
            "fingerprint",
        ),
        (
            |o| {
                o.insert("version".into(), json!("r\"1"));
            },
            "entity tag",
        ),
    ];
    for (tamper, said) in lies {
        let (url, script) = scripted().await;
        {
            let mut script = script.lock().unwrap();
            script.refuse = false;
            script.tamper = Some(tamper);
        }
        let mut admin = Admin::new(&url);
        let acme = admin.create(okta("Acme"), None);
        let report = admin.outbox.push().await.unwrap();
        assert_eq!(report.failed, vec![acme.id], "{said}: {report:?}");
        let change = &admin.outbox.changes().unwrap()[0];
        assert_eq!(change.state, ChangeState::Failed);
        let error = change.last_error.clone().unwrap_or_default();
        assert!(
            error.contains("cannot be trusted") && error.contains(said),
            "{error}"
        );
        assert!(admin.outbox.base().unwrap().is_empty(), "no base recorded");
        // Not sent again by itself: the next push leaves it to the admin.
        let sent = script.lock().unwrap().keys.len();
        admin.outbox.push().await.unwrap();
        assert_eq!(
            script.lock().unwrap().keys.len(),
            sent,
            "{said}: not resent"
        );
    }
}
