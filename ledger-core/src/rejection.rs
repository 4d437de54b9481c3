//! Business rejections: values, not errors. Each has a stable machine code.

use crate::member::MemberStatus;
use crate::Decimal;

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Rejection {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("program {0} not found")]
    ProgramNotFound(String),
    #[error("member {0} not found")]
    MemberNotFound(String),
    #[error("transaction {0} not found for this member")]
    TransactionNotFound(String),
    #[error("member {0} already exists")]
    MemberExists(String),
    #[error("transaction {0} is already cancelled")]
    AlreadyCancelled(String),
    #[error("transaction {0} was already used with a different request")]
    TransactionConflict(String),
    #[error("insufficient {currency}: {available} available, {requested} requested")]
    InsufficientPoints {
        currency: String,
        available: Decimal,
        requested: Decimal,
    },
    #[error("member {member} is {}: {what} not allowed", status.as_str())]
    MemberInactive {
        member: String,
        status: MemberStatus,
        what: &'static str,
    },
    #[error("promotion {0} not found in the program")]
    PromotionNotFound(String),
    #[error("voucher {0} not found for this member")]
    VoucherNotFound(String),
    #[error("voucher {voucher} is not available: {why}")]
    VoucherUnavailable { voucher: String, why: String },
    #[error("the member already holds badge {0}")]
    BadgeHeld(String),
    #[error("member {member} is not in group {group}")]
    NotInGroup { member: String, group: String },
    #[error("member {member} may not spend from group {group}'s pool")]
    PoolNotAllowed { member: String, group: String },
    #[error("member {member} already belongs to group {group}")]
    InAnotherGroup { member: String, group: String },
    #[error("member {member} cannot go from {} to {}", from.as_str(), to.as_str())]
    InvalidStatusChange {
        member: String,
        from: MemberStatus,
        to: MemberStatus,
    },
}

impl Rejection {
    /// The machine-readable code of the HTTP API and the rejections topic.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::InvalidRequest(_) => "invalid_request",
            Rejection::ProgramNotFound(_) => "program_not_found",
            Rejection::MemberNotFound(_) => "member_not_found",
            Rejection::TransactionNotFound(_) => "transaction_not_found",
            Rejection::MemberExists(_) => "member_exists",
            Rejection::AlreadyCancelled(_) => "already_cancelled",
            Rejection::TransactionConflict(_) => "transaction_conflict",
            Rejection::InsufficientPoints { .. } => "insufficient_points",
            Rejection::MemberInactive { .. } => "member_inactive",
            Rejection::InvalidStatusChange { .. } => "invalid_status_change",
            Rejection::BadgeHeld(_) => "badge_held",
            Rejection::VoucherNotFound(_) => "voucher_not_found",
            Rejection::PromotionNotFound(_) => "promotion_not_found",
            Rejection::VoucherUnavailable { .. } => "voucher_unavailable",
            Rejection::NotInGroup { .. } => "not_in_group",
            Rejection::PoolNotAllowed { .. } => "pool_not_allowed",
            Rejection::InAnotherGroup { .. } => "in_another_group",
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Rejection::InvalidRequest(message.into())
    }
}
