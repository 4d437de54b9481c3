//! Request bodies and their translation into core commands. Decimals accept
//! JSON strings or numbers (parsed exactly); times are RFC 3339.

use super::error::ApiError;
use ledger_core::command::{Accrual, Adjustment};
use ledger_core::member::{MemberStatus, MemberType};
use ledger_core::time::truncate;
use ledger_core::{Decimal, MemberCommand, Time};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
pub struct EnrollRequest {
    pub member_id: String,
    pub member_type: MemberType,
    pub enrolled_at: Option<Time>,
    pub channel: Option<String>,
}

#[derive(Deserialize)]
pub struct AccrualRequest {
    pub transaction_id: String,
    pub occurred_at: Time,
    pub amount: Option<Decimal>,
    pub points: Option<BTreeMap<String, Decimal>>,
    pub partner_id: Option<String>,
    pub channel: Option<String>,
    pub product_category: Option<String>,
}

#[derive(Deserialize)]
pub struct RedemptionRequest {
    pub transaction_id: String,
    pub occurred_at: Time,
    pub currency: String,
    pub points: Decimal,
    pub partner_id: Option<String>,
}

#[derive(Deserialize)]
pub struct CancellationRequest {
    pub transaction_id: String,
    pub cancels: String,
    pub occurred_at: Time,
    pub reason: String,
}

#[derive(Deserialize)]
pub struct TierChangeRequest {
    pub transaction_id: String,
    pub tier: String,
    pub reason: String,
}

#[derive(Deserialize)]
pub struct StatusChangeRequest {
    pub transaction_id: String,
    pub status: MemberStatus,
    pub occurred_at: Time,
    pub reason: String,
}

#[derive(Deserialize)]
pub struct AdjustmentRequest {
    pub transaction_id: String,
    pub occurred_at: Time,
    pub currency: String,
    /// Signed: negative debits.
    pub points: Decimal,
    pub actor: String,
    pub reason: String,
}

#[derive(Deserialize)]
pub struct BadgeRequest {
    pub transaction_id: String,
    pub badge: String,
    pub occurred_at: Time,
    pub reason: String,
}

#[derive(Deserialize)]
pub struct RunRequest {
    pub as_of: Time,
}

impl EnrollRequest {
    pub fn into_command(self, now: Time) -> Result<(String, MemberCommand), ApiError> {
        if !ledger_core::ids::valid_id(&self.member_id) {
            return Err(ApiError::invalid(
                "member_id must be 1-128 of A-Z a-z 0-9 . _ - : @",
            ));
        }
        Ok((
            self.member_id,
            MemberCommand::Enroll {
                member_type: self.member_type,
                enrolled_at: truncate(self.enrolled_at.unwrap_or(now)),
                channel: self.channel,
            },
        ))
    }
}

impl From<AccrualRequest> for MemberCommand {
    fn from(r: AccrualRequest) -> Self {
        MemberCommand::Accrue(Accrual {
            transaction_id: r.transaction_id,
            occurred_at: truncate(r.occurred_at),
            amount: r.amount.map(|a| a.normalize()),
            points: r
                .points
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, v.normalize()))
                .collect(),
            partner_id: r.partner_id,
            channel: r.channel,
            product_category: r.product_category,
        })
    }
}

impl From<RedemptionRequest> for MemberCommand {
    fn from(r: RedemptionRequest) -> Self {
        MemberCommand::Redeem {
            transaction_id: r.transaction_id,
            occurred_at: truncate(r.occurred_at),
            currency: r.currency,
            points: r.points.normalize(),
            partner_id: r.partner_id,
        }
    }
}

impl From<CancellationRequest> for MemberCommand {
    fn from(r: CancellationRequest) -> Self {
        MemberCommand::Cancel {
            transaction_id: r.transaction_id,
            cancels: r.cancels,
            occurred_at: truncate(r.occurred_at),
            reason: r.reason,
        }
    }
}

impl From<TierChangeRequest> for MemberCommand {
    fn from(r: TierChangeRequest) -> Self {
        MemberCommand::ChangeTier {
            transaction_id: r.transaction_id,
            tier: r.tier,
            reason: r.reason,
        }
    }
}

impl From<StatusChangeRequest> for MemberCommand {
    fn from(r: StatusChangeRequest) -> Self {
        MemberCommand::ChangeStatus {
            transaction_id: r.transaction_id,
            status: r.status,
            occurred_at: truncate(r.occurred_at),
            reason: r.reason,
        }
    }
}

impl From<AdjustmentRequest> for MemberCommand {
    fn from(r: AdjustmentRequest) -> Self {
        MemberCommand::Adjust(Adjustment {
            transaction_id: r.transaction_id,
            occurred_at: truncate(r.occurred_at),
            currency: r.currency,
            points: r.points.normalize(),
            actor: r.actor,
            reason: r.reason,
        })
    }
}

impl From<BadgeRequest> for MemberCommand {
    fn from(r: BadgeRequest) -> Self {
        MemberCommand::AwardBadge {
            transaction_id: r.transaction_id,
            badge: r.badge,
            occurred_at: truncate(r.occurred_at),
            reason: r.reason,
        }
    }
}
