//! `GET /v1/health`: liveness, without authentication or faults.

use axum::Json;
use serde_json::{json, Value};

pub async fn get() -> Json<Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}
