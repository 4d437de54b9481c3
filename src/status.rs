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
    /// The log's end when the server started: ready once the read models reach it.
    startup_end: Arc<Vec<u64>>,
}

pub fn router(
    log: Arc<dyn EventLog>,
    applied: watch::Receiver<Vec<u64>>,
    startup_end: Vec<u64>,
) -> Router {
    Router::new()
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(ready))
        .route("/v1/status", get(status))
        .with_state(StatusState {
            log,
            applied,
            startup_end: Arc::new(startup_end),
        })
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

/// Ready once the read models have caught up with what the log held at start.
async fn ready(State(s): State<StatusState>) -> (StatusCode, Json<Value>) {
    let caught_up = {
        let applied = s.applied.borrow();
        s.startup_end
            .iter()
            .enumerate()
            .all(|(p, end)| applied.get(p).copied().unwrap_or(0) >= *end)
    };
    if !caught_up {
        let body = json!({"error": {"code": "catching_up", "message": "the read models are catching up with the log"}});
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body));
    }
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
