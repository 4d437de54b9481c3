//! Request bodies and their translation into core commands. Decimals accept
//! JSON strings or numbers (parsed exactly); times are RFC 3339.

use super::error::ApiError;
use ledger_core::command::{Accrual, Adjustment, GroupTerms, Transfer, VoucherAction, VoucherUse};
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
    /// Required for an accrual (the ledger says so when missing); optional
    /// for a simulation.
    #[serde(default)]
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
    /// On a group account: the member spending from the pool.
    pub by_member: Option<String>,
}

#[derive(Deserialize)]
pub struct TransferRequest {
    pub transaction_id: String,
    pub to_member: String,
    pub occurred_at: Time,
    pub currency: String,
    pub points: Decimal,
    #[serde(default)]
    pub reason: String,
}

#[derive(Deserialize)]
pub struct GroupMemberRequest {
    pub transaction_id: String,
    pub member_id: String,
    pub occurred_at: Time,
    pub contribution_percent: Decimal,
    #[serde(default)]
    pub may_redeem: bool,
}

#[derive(Deserialize)]
pub struct GroupRemovalRequest {
    pub transaction_id: String,
    pub occurred_at: Time,
    pub reason: String,
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
pub struct VoucherIssueRequest {
    pub transaction_id: String,
    pub voucher: String,
    pub occurred_at: Time,
    pub reason: String,
    /// Bought with points at the voucher's price.
    #[serde(default)]
    pub paid: bool,
}

/// A reservation, redemption or cancellation of a voucher.
#[derive(Deserialize)]
pub struct VoucherStepRequest {
    pub transaction_id: String,
    pub occurred_at: Time,
    /// Redemption: face value spent, or the purchase a percentage applied to.
    pub amount: Option<Decimal>,
    /// Cancellation: why.
    pub reason: Option<String>,
}

#[derive(Deserialize)]
pub struct RunRequest {
    pub as_of: Time,
}

impl EnrollRequest {
    pub fn into_command(self, now: Time) -> Result<(String, MemberCommand), ApiError> {
        if !ledger_core::ids::valid_member_id(&self.member_id) {
            return Err(ApiError::invalid(format!(
                "member_id must be {}",
                ledger_core::ids::MEMBER_ID_RULE
            )));
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
        MemberCommand::Accrue(r.into())
    }
}

impl From<AccrualRequest> for Accrual {
    fn from(r: AccrualRequest) -> Self {
        Accrual {
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
        }
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
            by_member: r.by_member,
        }
    }
}

impl From<TransferRequest> for MemberCommand {
    fn from(r: TransferRequest) -> Self {
        MemberCommand::Transfer(Transfer {
            transaction_id: r.transaction_id,
            to_member: r.to_member,
            occurred_at: truncate(r.occurred_at),
            currency: r.currency,
            points: r.points.normalize(),
            reason: r.reason,
        })
    }
}

impl From<GroupMemberRequest> for MemberCommand {
    fn from(r: GroupMemberRequest) -> Self {
        MemberCommand::AddGroupMember(GroupTerms {
            transaction_id: r.transaction_id,
            member_id: r.member_id,
            occurred_at: truncate(r.occurred_at),
            contribution_percent: r.contribution_percent.normalize(),
            may_redeem: r.may_redeem,
        })
    }
}

impl GroupRemovalRequest {
    pub fn into_command(self, member_id: String) -> MemberCommand {
        MemberCommand::RemoveGroupMember {
            transaction_id: self.transaction_id,
            member_id,
            occurred_at: truncate(self.occurred_at),
            reason: self.reason,
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

impl From<VoucherIssueRequest> for MemberCommand {
    fn from(r: VoucherIssueRequest) -> Self {
        MemberCommand::IssueVoucher {
            transaction_id: r.transaction_id,
            voucher: r.voucher,
            occurred_at: truncate(r.occurred_at),
            reason: r.reason,
            paid: r.paid,
        }
    }
}

impl VoucherStepRequest {
    pub fn into_command(self, voucher_id: String, action: VoucherAction) -> MemberCommand {
        MemberCommand::UseVoucher(VoucherUse {
            transaction_id: self.transaction_id,
            voucher_id,
            occurred_at: truncate(self.occurred_at),
            action,
        })
    }
}
