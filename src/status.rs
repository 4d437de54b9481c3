//! Health, readiness and log status routes of the embedded server.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use event_log::{fallback, EventLog};
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::watch;
use tower_http::catch_panic::CatchPanicLayer;

#[derive(Clone)]
pub struct StatusState {
    log: Arc<dyn EventLog>,
    applied: watch::Receiver<Vec<u64>>,
    /// The log's end when the server started: ready once the read models reach it.
    startup_end: Arc<Vec<u64>>,
}

impl StatusState {
    pub fn new(
        log: Arc<dyn EventLog>,
        applied: watch::Receiver<Vec<u64>>,
        startup_end: Vec<u64>,
    ) -> Self {
        StatusState {
            log,
            applied,
            startup_end: Arc::new(startup_end),
        }
    }
}

/// `/v1/status`: log ends, applied offsets and the projector's lag.
pub fn router(state: StatusState) -> Router {
    Router::new()
        .route("/v1/status", get(status))
        .with_state(state)
}

/// `/healthz` and `/readyz`, for probes: served outside the request trace,
/// since a probe polls them and "not ready yet" is an expected 503, not a
/// failure to log.
pub fn probes(state: StatusState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(ready))
        .method_not_allowed_fallback(fallback::method_not_allowed)
        .layer(CatchPanicLayer::custom(fallback::panicked))
        .with_state(state)
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

#[cfg(test)]
mod tests {
    use super::*;
    use event_log::{Durability, EmbeddedLog};
    use serde_json::Value;

    /// Serves the probes over HTTP, of an empty embedded log and a server
    /// that must reach offset 3 of its one partition to be ready.
    async fn serve(applied: watch::Receiver<Vec<u64>>) -> (String, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let log = EmbeddedLog::open(dir.path(), 1, Durability::Buffered).unwrap();
        let app = probes(StatusState::new(log, applied, vec![3]));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (base, dir)
    }

    async fn ask(method: reqwest::Method, url: String) -> (u16, Value) {
        let r = reqwest::Client::new()
            .request(method, url)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    #[tokio::test]
    async fn readyz_answers_catching_up_then_ready_and_a_wrong_method_in_json() {
        let (applied, seen) = watch::channel(vec![1]);
        let (base, _dir) = serve(seen).await;
        let (status, body) = ask(reqwest::Method::GET, format!("{base}/readyz")).await;
        assert_eq!(
            (status, &body["error"]["code"]),
            (503, &json!("catching_up"))
        );
        applied.send(vec![3]).unwrap();
        let (status, body) = ask(reqwest::Method::GET, format!("{base}/readyz")).await;
        assert_eq!((status, &body["status"]), (200, &json!("ready")));
        let (status, body) = ask(reqwest::Method::POST, format!("{base}/healthz")).await;
        assert_eq!(
            (status, &body["error"]["code"]),
            (405, &json!("method_not_allowed"))
        );
    }
}
