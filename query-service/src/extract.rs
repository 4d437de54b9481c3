//! One wrapper for axum's extractors, so their rejections (a query string
//! such as `limit=-1` or a repeated parameter, a path such as `/members/%FF`)
//! are answered in the API's error shape instead of axum's plain text.

use crate::error::QueryError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use std::fmt::Display;

/// `Checked(Query(q))`, `Checked(Path(p))`: the inner extractor, or its
/// rejection as 400 `invalid_request` (500 `internal` where axum itself
/// calls it a server error, e.g. a route whose parameters do not fit).
pub struct Checked<E>(pub E);

impl<S, E> FromRequestParts<S> for Checked<E>
where
    S: Send + Sync,
    E: FromRequestParts<S>,
    E::Rejection: IntoResponse + Display,
{
    type Rejection = QueryError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        E::from_request_parts(parts, state)
            .await
            .map(Checked)
            .map_err(rejected)
    }
}

/// axum's message is kept: it names the parameter and what was wrong.
fn rejected(rejection: impl IntoResponse + Display) -> QueryError {
    let message = rejection.to_string();
    if rejection.into_response().status().is_server_error() {
        QueryError::Internal(message)
    } else {
        QueryError::Invalid(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::HistoryQuery;
    use axum::body::Body;
    use axum::extract::{Path, Query};
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use axum::Router;
    use serde_json::Value;
    use tower::ServiceExt;

    async fn page(
        Checked(Path(member)): Checked<Path<String>>,
        Checked(Query(q)): Checked<Query<HistoryQuery>>,
    ) -> String {
        format!("{member} {:?}", q.limit)
    }

    async fn get_json(uri: &str) -> (StatusCode, Value) {
        let app = Router::new().route("/members/{member}/ledger", get(page));
        crate::test_support::get_json(app, uri).await
    }

    #[tokio::test]
    async fn rejections_are_json_invalid_request() {
        for uri in [
            "/members/ada/ledger?limit=-1",
            "/members/ada/ledger?limit=99999999999999999999",
            "/members/ada/ledger?limit=1&limit=2",
            "/members/%FF/ledger",
        ] {
            let (status, body) = get_json(uri).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
            assert_eq!(body["error"]["code"], "invalid_request", "{uri}: {body}");
            assert!(body["error"]["message"].is_string(), "{uri}: {body}");
        }
        let app = Router::new().route("/members/{member}/ledger", get(page));
        let ok = app
            .oneshot(
                Request::get("/members/ada/ledger?limit=5")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
    }
}
