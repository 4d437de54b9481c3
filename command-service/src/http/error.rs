//! Errors as HTTP: `{"error": {"code", "message"}}` with a 4xx for anything
//! the client can fix, 503 when the log is unavailable.

use crate::error::CommandError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use ledger_core::Rejection;
use serde_json::json;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        let status = match &r {
            Rejection::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            Rejection::ProgramNotFound(_)
            | Rejection::MemberNotFound(_)
            | Rejection::TransactionNotFound(_)
            | Rejection::VoucherNotFound(_)
            | Rejection::PromotionNotFound(_)
            | Rejection::NotInGroup { .. } => StatusCode::NOT_FOUND,
            Rejection::MemberExists(_)
            | Rejection::AlreadyCancelled(_)
            | Rejection::TransactionConflict(_)
            | Rejection::BadgeHeld(_)
            | Rejection::VoucherUnavailable { .. }
            | Rejection::InAnotherGroup { .. } => StatusCode::CONFLICT,
            Rejection::PoolNotAllowed { .. } => StatusCode::FORBIDDEN,
            Rejection::InsufficientPoints { .. }
            | Rejection::MemberInactive { .. }
            | Rejection::InvalidStatusChange { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError::new(status, r.code(), r.to_string())
    }
}

impl From<CommandError> for ApiError {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::Rejected(r) => r.into(),
            e @ CommandError::NotOwner { .. } => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not_owner",
                format!("{e}; retry (partitions are moving between instances)"),
            ),
            e @ CommandError::Contended { .. } => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "contended", e.to_string())
            }
            other => {
                tracing::error!(error = %other, "command failed on infrastructure");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "log_unavailable",
                    other.to_string(),
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        (self.status, Json(body)).into_response()
    }
}
