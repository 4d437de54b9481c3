//! What answers when no handler does: an unknown route, a known route
//! asked with a method it does not serve, and a handler that panicked. All
//! keep the API's `{"error": {"code", "message"}}` shape, so every entry
//! point (`loyalty serve`, the standalone command and query services)
//! answers errors alike.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::json;
use std::any::Any;
use tower_http::catch_panic::CatchPanicLayer;

/// The router with the JSON 404 for unknown routes, the JSON 405 for a
/// method a route does not serve and the JSON 500 for a panic (the
/// connection would otherwise just close). Apply it last, to the whole
/// app, so it covers every route.
pub fn with_json_errors<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(CatchPanicLayer::custom(panicked))
}

/// 404 `route_not_found`.
pub async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "route_not_found", "no such route")
}

/// 405 `method_not_allowed` (axum still sets the `Allow` header).
pub async fn method_not_allowed() -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "the route does not serve this method",
    )
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

    use axum::body::{to_bytes, Body};
    use axum::http::{header, HeaderValue, Request};
    use tower::ServiceExt;

    async fn answer(method: &str, uri: &str) -> (StatusCode, Option<HeaderValue>, Value) {
        let app = with_json_errors(
            Router::new()
                .route("/thing", get(|| async { "thing" }))
                .route(
                    "/boom",
                    get(|| async {
                        if true {
                            panic!("a handler bug");
                        }
                        "unreachable"
                    }),
                ),
        );
        let request = Request::builder().method(method).uri(uri);
        let response = app
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let (status, allow) = (
            response.status(),
            response.headers().get(header::ALLOW).cloned(),
        );
        let bytes = to_bytes(response.into_body(), 1 << 16).await.unwrap();
        (
            status,
            allow,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    #[tokio::test]
    async fn unknown_routes_and_panics_answer_in_the_error_shape() {
        let (status, _, body) = answer("GET", "/no/such/route").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"]["code"], "route_not_found", "{body}");
        let (status, _, body) = answer("GET", "/boom").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"]["code"], "internal", "{body}");
    }

    #[tokio::test]
    async fn a_method_a_route_does_not_serve_answers_405_in_the_error_shape() {
        let (status, allow, body) = answer("DELETE", "/thing").await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(body["error"]["code"], "method_not_allowed", "{body}");
        let allow = allow.expect("an Allow header");
        assert!(allow.to_str().unwrap().contains("GET"), "{allow:?}");
    }
}
