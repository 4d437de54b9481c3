//! Process plumbing the service binaries share: logging set-up and the
//! liveness route.

use axum::routing::get;
use axum::{Json, Router};

/// Logs to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_tracing() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
}

/// `GET /healthz`: the process is up.
pub fn health_routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route(
        "/healthz",
        get(|| async { Json(serde_json::json!({"status": "ok"})) }),
    )
}

/// `GET /healthz` and `GET /readyz` for a process that is ready once it serves.
pub fn health_and_ready_routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    health_routes().route(
        "/readyz",
        get(|| async { Json(serde_json::json!({"status": "ready"})) }),
    )
}

/// Resolves on SIGTERM or Ctrl-C: the signal to shut down gracefully (a
/// consumer then leaves its group, so its partitions move on at once).
pub async fn terminated() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down");
}
