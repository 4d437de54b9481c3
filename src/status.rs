//! Health, readiness and log status routes of the embedded server.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use event_log::EventLog;
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::watch;

#[derive(Clone)]
struct StatusState {
    log: Arc<dyn EventLog>,
    applied: watch::Receiver<Vec<u64>>,
}

pub fn router(log: Arc<dyn EventLog>, applied: watch::Receiver<Vec<u64>>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(ready))
        .route("/v1/status", get(status))
        .with_state(StatusState { log, applied })
}

async fn lag(s: &StatusState) -> Result<(Vec<u64>, Vec<u64>, u64), StatusCode> {
    let end = s
        .log
        .end_offsets()
        .await
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
    let applied = s.applied.borrow().clone();
    let lag = end
        .iter()
        .enumerate()
        .map(|(p, e)| e.saturating_sub(applied.get(p).copied().unwrap_or(0)))
        .sum();
    Ok((end, applied, lag))
}

async fn ready(State(s): State<StatusState>) -> (StatusCode, Json<Value>) {
    match lag(&s).await {
        Ok((_, _, lag)) => (
            StatusCode::OK,
            Json(json!({"status": "ready", "projector_lag_events": lag})),
        ),
        Err(code) => (
            code,
            Json(json!({"error": {"code": "log_unavailable", "message": "event log unavailable"}})),
        ),
    }
}

async fn status(State(s): State<StatusState>) -> (StatusCode, Json<Value>) {
    match lag(&s).await {
        Ok((end, applied, lag)) => (
            StatusCode::OK,
            Json(
                json!({"log_end_offsets": end, "applied_offsets": applied, "projector_lag_events": lag}),
            ),
        ),
        Err(code) => (
            code,
            Json(json!({"error": {"code": "log_unavailable", "message": "event log unavailable"}})),
        ),
    }
}
