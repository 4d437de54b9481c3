//! What answers when no handler does: an unknown route, and a handler that
//! panicked. Both keep the API's `{"error": {"code", "message"}}` shape, so
//! every entry point serving the query routes (`loyalty serve`, the
//! standalone query service) answers errors alike.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::json;
use std::any::Any;
use tower_http::catch_panic::CatchPanicLayer;

/// The router with the JSON 404 for unknown routes and the JSON 500 for a
/// panic (the connection would otherwise just close). Apply it last, to
/// the whole app, so it covers every route.
pub fn with_json_errors(router: Router) -> Router {
    router
        .fallback(not_found)
        .layer(CatchPanicLayer::custom(panicked))
}

/// 404 `route_not_found`.
pub async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "route_not_found", "no such route")
}

/// 500 `internal`; the panic's message went to the log (panic hook), not
/// to the client.
pub fn panicked(_panic: Box<dyn Any + Send + 'static>) -> Response {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "internal error",
    )
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use serde_json::Value;

    async fn answer(uri: &str) -> (StatusCode, Value) {
        let app = with_json_errors(Router::new().route(
            "/boom",
            get(|| async {
                if true {
                    panic!("a handler bug");
                }
                "unreachable"
            }),
        ));
        crate::test_support::get_json(app, uri).await
    }

    #[tokio::test]
    async fn unknown_routes_and_panics_answer_in_the_error_shape() {
        let (status, body) = answer("/no/such/route").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"]["code"], "route_not_found", "{body}");
        let (status, body) = answer("/boom").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"]["code"], "internal", "{body}");
    }
}
