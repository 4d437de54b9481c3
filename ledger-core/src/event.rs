//! Domain events: facts with their results. Their wire form is the protobuf
//! schema in `proto/` (see [`crate::codec`]).

use crate::member::{MemberStatus, MemberType};
use crate::program::ProgramDefinition;
use crate::voucher::VoucherValue;
use crate::{Decimal, Time};
use serde::Serialize;

/// One event of an account, with what the envelope needs from the domain.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    pub transaction_id: String,
    pub occurred_at: Time,
    pub program_version: u32,
    /// Fingerprint of the command that caused it (empty for runs).
    pub fingerprint: String,
    pub body: EventBody,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum EventBody {
    ProgramDefined {
        version: u32,
        definition: ProgramDefinition,
    },
    MemberEnrolled {
        member_type: MemberType,
        enrolled_at: Time,
        channel: String,
        tier: Option<String>,
        /// Benefits of the starting tier.
        benefits: Vec<String>,
    },
    PointsAccrued {
        amount: Option<Decimal>,
        channel: String,
        product_category: String,
        partner_id: Option<String>,
        credits: Vec<Credit>,
        rules: Vec<RuleContribution>,
        /// Promotion versions that added points.
        promotions: Vec<PromotionContribution>,
        balances_after: Vec<BalanceAfter>,
    },
    PointsRedeemed {
        currency: String,
        points: Decimal,
        partner_id: Option<String>,
        lots_consumed: Vec<LotDebit>,
        /// What no lot covered, within the tier's negative limit: owed.
        arrears_created: Decimal,
        /// On a group account: the member who spent from the pool.
        by_member: Option<String>,
        balances_after: Vec<BalanceAfter>,
    },
    PointsExpired {
        currency: String,
        points: Decimal,
        model: String,
        as_of: Time,
        lots_expired: Vec<LotDebit>,
        balances_after: Vec<BalanceAfter>,
    },
    AccrualCancelled {
        cancels: String,
        reason: String,
        reversals: Vec<CreditReversal>,
        balances_after: Vec<BalanceAfter>,
    },
    RedemptionCancelled {
        cancels: String,
        reason: String,
        currency: String,
        points: Decimal,
        partner_id: Option<String>,
        lots_returned: Vec<LotDebit>,
        arrears_settled: Decimal,
        lots_restored: Vec<Lot>,
        balances_after: Vec<BalanceAfter>,
    },
    TierChanged {
        from_tier: String,
        to_tier: String,
        kind: TierChangeKind,
        reason: String,
        qualifying_points: Decimal,
        period: Option<i32>,
        /// Benefits of the new tier the member did not hold, and held
        /// benefits the new tier does not grant.
        benefits_granted: Vec<String>,
        benefits_revoked: Vec<String>,
    },
    QualifyingReset {
        currency: String,
        points: Decimal,
        period: i32,
        lots_reset: Vec<LotDebit>,
        balances_after: Vec<BalanceAfter>,
    },
    MemberStatusChanged {
        from: MemberStatus,
        to: MemberStatus,
        reason: String,
    },
    /// The open lots an unenrolled member still held, taken out of the
    /// program (breakage, like expiry). Arrears stay owed.
    PointsForfeited {
        currency: String,
        points: Decimal,
        lots_forfeited: Vec<LotDebit>,
        /// Escrowed lots dropped with the account (never issued).
        pending_forfeited: Vec<LotDebit>,
        balances_after: Vec<BalanceAfter>,
    },
    /// A badge awarded by an operator (`milestone` empty) or on a milestone
    /// (`first_redemption`, `tier_reached:<tier>`), valid until `valid_until`.
    BadgeAwarded {
        badge: String,
        reason: String,
        milestone: Option<String>,
        valid_until: Option<Time>,
    },
    /// A release run made escrowed credits of one currency spendable:
    /// `released` are the pending lots (gross, with their partner), which
    /// pay arrears first; `lots_opened` is what opens.
    PointsReleased {
        currency: String,
        points: Decimal,
        as_of: Time,
        released: Vec<LotDebit>,
        arrears_settled: Decimal,
        lots_opened: Vec<Lot>,
        balances_after: Vec<BalanceAfter>,
    },
    /// A voucher issued: by an operator (`manual`), bought with points
    /// (`points`: a `PointsRedeemed` of the same transaction paid for it) or
    /// on an upgrade (`tier:<tier>`).
    VoucherIssued {
        voucher_id: String,
        definition: String,
        value: VoucherValue,
        valid_until: Time,
        source: String,
        reason: String,
    },
    VoucherReserved {
        voucher_id: String,
    },
    /// `amount`: face value spent, or the purchase a percentage applied to;
    /// `remaining`: face value left (none for a percentage voucher).
    VoucherRedeemed {
        voucher_id: String,
        amount: Option<Decimal>,
        remaining: Option<Decimal>,
    },
    VoucherCancelled {
        voucher_id: String,
        reason: String,
    },
    /// Lapsed unused (in an expiry run), with the face value left.
    VoucherExpired {
        voucher_id: String,
        remaining: Option<Decimal>,
    },
    /// A manual credit (arrears first, then a lot) or debit (lots, FIFO).
    PointsAdjusted {
        currency: String,
        points: Decimal,
        actor: String,
        reason: String,
        arrears_settled: Decimal,
        lot: Option<Lot>,
        lots_debited: Vec<LotDebit>,
        balances_after: Vec<BalanceAfter>,
    },
    /// Points leaving for another member (a transfer, or a contribution to
    /// the member's group pool, `pool`), lot by lot. They are in flight
    /// until the receiver's answer settles the transfer.
    PointsTransferredOut {
        transfer_id: String,
        to_member: String,
        currency: String,
        points: Decimal,
        reason: String,
        pool: bool,
        lots_debited: Vec<LotDebit>,
        balances_after: Vec<BalanceAfter>,
    },
    /// A transfer arrived: the sender's lots open here with their expiry,
    /// partner and earning date (arrears are paid first).
    PointsTransferredIn {
        transfer_id: String,
        from_member: String,
        currency: String,
        points: Decimal,
        pool: bool,
        arrears_settled: Decimal,
        lots_opened: Vec<Lot>,
        balances_after: Vec<BalanceAfter>,
    },
    /// The receiver refused a transfer (the account is not active, or a
    /// pool contribution from a member not in the group): nothing opened.
    TransferRefused {
        transfer_id: String,
        from_member: String,
        reason: String,
    },
    /// The transfer's outcome, back on the sender: delivered, or returned
    /// (the lots come back as they left).
    TransferSettled {
        transfer_id: String,
        to_member: String,
        currency: String,
        returned: bool,
        reason: String,
        /// A returned transfer pays the sender's arrears first.
        arrears_settled: Decimal,
        lots_restored: Vec<Lot>,
        balances_after: Vec<BalanceAfter>,
    },
    /// On a group account: a member added (or its terms changed), pending
    /// until the member confirms.
    GroupMemberAdded {
        member_id: String,
        contribution_percent: Decimal,
        may_redeem: bool,
    },
    GroupMemberConfirmed {
        member_id: String,
    },
    GroupMemberRemoved {
        member_id: String,
        reason: String,
    },
    /// On a member: it belongs to a group on these terms.
    GroupJoined {
        group_id: String,
        contribution_percent: Decimal,
        may_redeem: bool,
        /// The group's transaction that added the member (or changed its terms).
        joined: String,
    },
    GroupLeft {
        group_id: String,
        reason: String,
    },
    /// On a member: it spent this from its group's pool (the group's
    /// `PointsRedeemed` of the same redemption moved the points).
    PoolSpent {
        group_id: String,
        currency: String,
        points: Decimal,
    },
}

/// A credit of one currency: an open lot with its own expiry and issuer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Lot {
    pub lot_id: String,
    pub currency: String,
    pub points: Decimal,
    pub expires_at: Option<Time>,
    pub partner_id: Option<String>,
    pub earned_at: Time,
}

/// Points taken out of one lot (by a redemption, expiry, reversal or reset).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LotDebit {
    pub lot_id: String,
    pub currency: String,
    pub points: Decimal,
    pub partner_id: Option<String>,
    pub expires_at: Option<Time>,
    pub earned_at: Time,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleContribution {
    pub rule_id: String,
    pub currency: String,
    pub points: Decimal,
}

/// Points one version of a promotion added to an accrual.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PromotionContribution {
    pub promotion_id: String,
    pub version: u32,
    pub currency: String,
    pub points: Decimal,
}

/// One currency's credit from an accrual: arrears are paid first, the rest
/// opens a lot. An escrowed credit (`pending_until` set) holds all its points
/// in `lot`, pending until a release run (which pays arrears then).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Credit {
    pub currency: String,
    pub points: Decimal,
    pub arrears_settled: Decimal,
    pub lot: Option<Lot>,
    pub partner_id: Option<String>,
    pub pending_until: Option<Time>,
}

/// Reversal of one currency of a cancelled accrual.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CreditReversal {
    pub currency: String,
    pub points: Decimal,
    pub lots_debited: Vec<LotDebit>,
    pub arrears_created: Decimal,
    pub partner_id: Option<String>,
    /// Taken from the accrual's still-pending lot (never released, so never
    /// issued).
    pub pending_reversed: Decimal,
}

/// Running balance of a currency after an event.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BalanceAfter {
    pub currency: String,
    pub available: Decimal,
    /// Escrowed: visible, not spendable.
    pub pending: Decimal,
    pub arrears: Decimal,
    pub activity_expires_at: Option<Time>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TierChangeKind {
    Qualified,
    Manual,
    Assessment,
}

impl TierChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TierChangeKind::Qualified => "qualified",
            TierChangeKind::Manual => "manual",
            TierChangeKind::Assessment => "assessment",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "qualified" => Some(TierChangeKind::Qualified),
            "manual" => Some(TierChangeKind::Manual),
            "assessment" => Some(TierChangeKind::Assessment),
            _ => None,
        }
    }
}

impl EventBody {
    /// Short name, as in the log's `event-type` header.
    pub fn name(&self) -> &'static str {
        match self {
            EventBody::ProgramDefined { .. } => "ProgramDefined",
            EventBody::MemberEnrolled { .. } => "MemberEnrolled",
            EventBody::PointsAccrued { .. } => "PointsAccrued",
            EventBody::PointsRedeemed { .. } => "PointsRedeemed",
            EventBody::PointsExpired { .. } => "PointsExpired",
            EventBody::AccrualCancelled { .. } => "AccrualCancelled",
            EventBody::RedemptionCancelled { .. } => "RedemptionCancelled",
            EventBody::TierChanged { .. } => "TierChanged",
            EventBody::QualifyingReset { .. } => "QualifyingReset",
            EventBody::MemberStatusChanged { .. } => "MemberStatusChanged",
            EventBody::PointsForfeited { .. } => "PointsForfeited",
            EventBody::PointsAdjusted { .. } => "PointsAdjusted",
            EventBody::BadgeAwarded { .. } => "BadgeAwarded",
            EventBody::PointsReleased { .. } => "PointsReleased",
            EventBody::VoucherIssued { .. } => "VoucherIssued",
            EventBody::VoucherReserved { .. } => "VoucherReserved",
            EventBody::VoucherRedeemed { .. } => "VoucherRedeemed",
            EventBody::VoucherCancelled { .. } => "VoucherCancelled",
            EventBody::VoucherExpired { .. } => "VoucherExpired",
            EventBody::PointsTransferredOut { .. } => "PointsTransferredOut",
            EventBody::PointsTransferredIn { .. } => "PointsTransferredIn",
            EventBody::TransferRefused { .. } => "TransferRefused",
            EventBody::TransferSettled { .. } => "TransferSettled",
            EventBody::GroupMemberAdded { .. } => "GroupMemberAdded",
            EventBody::GroupMemberConfirmed { .. } => "GroupMemberConfirmed",
            EventBody::GroupMemberRemoved { .. } => "GroupMemberRemoved",
            EventBody::GroupJoined { .. } => "GroupJoined",
            EventBody::GroupLeft { .. } => "GroupLeft",
            EventBody::PoolSpent { .. } => "PoolSpent",
        }
    }

    /// Running balances the event records, if any.
    pub fn balances_after(&self) -> &[BalanceAfter] {
        match self {
            EventBody::PointsAccrued { balances_after, .. }
            | EventBody::PointsRedeemed { balances_after, .. }
            | EventBody::PointsExpired { balances_after, .. }
            | EventBody::AccrualCancelled { balances_after, .. }
            | EventBody::RedemptionCancelled { balances_after, .. }
            | EventBody::QualifyingReset { balances_after, .. }
            | EventBody::PointsForfeited { balances_after, .. }
            | EventBody::PointsAdjusted { balances_after, .. }
            | EventBody::PointsReleased { balances_after, .. }
            | EventBody::PointsTransferredOut { balances_after, .. }
            | EventBody::PointsTransferredIn { balances_after, .. }
            | EventBody::TransferSettled { balances_after, .. } => balances_after,
            _ => &[],
        }
    }
}
