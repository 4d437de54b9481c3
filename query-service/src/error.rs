//! Query errors as HTTP `{"error": {"code", "message"}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use projector::StoreError;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("{0}")]
    Invalid(String),
    #[error("{what} {id} not found")]
    NotFound {
        code: &'static str,
        what: &'static str,
        id: String,
    },
    #[error("the read models have not reached position {0} yet")]
    PositionNotReached(String),
    #[error("read model store: {0}")]
    Store(#[from] StoreError),
    #[error("internal: {0}")]
    Internal(String),
}

impl QueryError {
    pub fn program(id: &str) -> Self {
        QueryError::NotFound {
            code: "program_not_found",
            what: "program",
            id: id.into(),
        }
    }

    pub fn member(id: &str) -> Self {
        QueryError::NotFound {
            code: "member_not_found",
            what: "member",
            id: id.into(),
        }
    }

    pub fn partner(id: &str) -> Self {
        QueryError::NotFound {
            code: "partner_not_found",
            what: "partner",
            id: id.into(),
        }
    }
}

impl IntoResponse for QueryError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            QueryError::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            QueryError::NotFound { code, .. } => (StatusCode::NOT_FOUND, *code),
            QueryError::PositionNotReached(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "position_not_reached")
            }
            QueryError::Internal(e) => {
                tracing::error!(error = %e, "query failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
            QueryError::Store(e) => {
                tracing::error!(error = %e, "read model store failed");
                (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable")
            }
        };
        let body = json!({"error": {"code": code, "message": self.to_string()}});
        (status, Json(body)).into_response()
    }
}
