//! Generated protobuf types of the loyalty event log (`loyalty.v1`).
//!
//! The schema lives in `proto/loyalty/v1/events.proto`; it is the contract
//! with every consumer of the log (projector, analytics, exports).

/// Version written into `EventEnvelope::schema_version`.
pub const SCHEMA_VERSION: u32 = 1;

#[allow(clippy::all, missing_docs)]
pub mod v1 {
    include!(concat!(env!("OUT_DIR"), "/loyalty.v1.rs"));
}

pub use prost::Message;
pub use v1::event_envelope::Body;
pub use v1::{CommandEnvelope, CommandRejected, EventEnvelope};

/// Short name of an event kind, used as the log record's `event-type` header.
pub fn event_type(body: &Body) -> &'static str {
    match body {
        Body::ProgramDefined(_) => "ProgramDefined",
        Body::MemberEnrolled(_) => "MemberEnrolled",
        Body::PointsAccrued(_) => "PointsAccrued",
        Body::PointsRedeemed(_) => "PointsRedeemed",
        Body::PointsExpired(_) => "PointsExpired",
        Body::AccrualCancelled(_) => "AccrualCancelled",
        Body::RedemptionCancelled(_) => "RedemptionCancelled",
        Body::TierChanged(_) => "TierChanged",
        Body::QualifyingReset(_) => "QualifyingReset",
        Body::MemberStatusChanged(_) => "MemberStatusChanged",
        Body::PointsForfeited(_) => "PointsForfeited",
        Body::PointsAdjusted(_) => "PointsAdjusted",
        Body::BadgeAwarded(_) => "BadgeAwarded",
        Body::PointsReleased(_) => "PointsReleased",
        Body::VoucherIssued(_) => "VoucherIssued",
        Body::VoucherReserved(_) => "VoucherReserved",
        Body::VoucherRedeemed(_) => "VoucherRedeemed",
        Body::VoucherCancelled(_) => "VoucherCancelled",
        Body::VoucherExpired(_) => "VoucherExpired",
        Body::PointsTransferredOut(_) => "PointsTransferredOut",
        Body::PointsTransferredIn(_) => "PointsTransferredIn",
        Body::TransferRefused(_) => "TransferRefused",
        Body::TransferSettled(_) => "TransferSettled",
        Body::GroupMemberAdded(_) => "GroupMemberAdded",
        Body::GroupMemberConfirmed(_) => "GroupMemberConfirmed",
        Body::GroupMemberRemoved(_) => "GroupMemberRemoved",
        Body::GroupJoined(_) => "GroupJoined",
        Body::GroupLeft(_) => "GroupLeft",
        Body::PoolSpent(_) => "PoolSpent",
    }
}
