//! Commands: what a store, app, partner or operator asks the ledger to do.

use crate::event::LotDebit;
use crate::member::{MemberStatus, MemberType};
use crate::program::ProgramDefinition;
use crate::{Decimal, Time};
use serde::Serialize;
use std::collections::BTreeMap;

/// A command on one member account.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum MemberCommand {
    Enroll {
        member_type: MemberType,
        enrolled_at: Time,
        channel: Option<String>,
    },
    Accrue(Accrual),
    Redeem {
        transaction_id: String,
        occurred_at: Time,
        currency: String,
        points: Decimal,
        partner_id: Option<String>,
        /// On a group account: the member spending from the pool (who must
        /// be allowed to).
        by_member: Option<String>,
    },
    Cancel {
        transaction_id: String,
        cancels: String,
        occurred_at: Time,
        reason: String,
    },
    ChangeTier {
        transaction_id: String,
        tier: String,
        reason: String,
    },
    /// Suspend, reactivate or unenroll (unenrolling forfeits what is left).
    ChangeStatus {
        transaction_id: String,
        status: MemberStatus,
        occurred_at: Time,
        reason: String,
    },
    /// A manual credit (points > 0) or debit (points < 0) by an operator.
    Adjust(Adjustment),
    /// An operator awards a badge.
    AwardBadge {
        transaction_id: String,
        badge: String,
        occurred_at: Time,
        reason: String,
    },
    /// Issue a voucher: an operator's gift, or bought with points (`paid`).
    IssueVoucher {
        transaction_id: String,
        voucher: String,
        occurred_at: Time,
        reason: String,
        paid: bool,
    },
    /// Reserve, redeem or cancel a voucher the member holds.
    UseVoucher(VoucherUse),
    /// Send points to another member of the program.
    Transfer(Transfer),
    /// Another account's transfer (or pool contribution) arriving here: sent
    /// by the ledger itself after the sender's `PointsTransferredOut`.
    ReceiveTransfer(IncomingTransfer),
    /// The receiver's answer, back on the sender: delivered, or returned
    /// with why (`returned`).
    SettleTransfer {
        transfer_id: String,
        returned: Option<String>,
    },
    /// On a group account: add a member (or change its terms).
    AddGroupMember(GroupTerms),
    /// On a group account: take a member out (an operator, or the member's
    /// refusal to join).
    RemoveGroupMember {
        transaction_id: String,
        member_id: String,
        occurred_at: Time,
        reason: String,
    },
    /// On a group account: the member has joined on the terms of `joined`
    /// (the transaction that added it).
    ConfirmGroupMember {
        joined: String,
        member_id: String,
    },
    /// On a member: the group added it (sent by the ledger). `terms` carry
    /// the group's transaction; `transaction_id` is its id on the member.
    JoinGroup {
        transaction_id: String,
        group_id: String,
        terms: GroupTerms,
    },
    /// On a member: it spent from its group's pool (sent by the ledger, so
    /// the member's history shows it too).
    NotePoolSpending {
        transaction_id: String,
        group_id: String,
        occurred_at: Time,
        currency: String,
        points: Decimal,
    },
    /// On a member: the group took it out (sent by the ledger).
    LeaveGroup {
        transaction_id: String,
        group_id: String,
        occurred_at: Time,
        reason: String,
    },
    /// Expire what is due as of a time (one member's part of an expiry run).
    Expire {
        as_of: Time,
    },
    /// Close the tier period ending at or before `as_of` (one member's part of an assessment run).
    AssessTier {
        as_of: Time,
    },
    /// Release escrowed credits due at or before `as_of` (one member's part of a release run).
    Release {
        as_of: Time,
    },
}

/// An accrual: a purchase amount run through the earn rules, explicit points, or both.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Accrual {
    pub transaction_id: String,
    pub occurred_at: Time,
    pub amount: Option<Decimal>,
    pub points: BTreeMap<String, Decimal>,
    pub partner_id: Option<String>,
    pub channel: Option<String>,
    pub product_category: Option<String>,
}

/// A manual adjustment: who made it and why travel with the points.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Adjustment {
    pub transaction_id: String,
    pub occurred_at: Time,
    pub currency: String,
    /// Signed: a credit opens a lot, a debit consumes lots.
    pub points: Decimal,
    pub actor: String,
    pub reason: String,
}

/// A point-to-point transfer as the sender asks for it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Transfer {
    pub transaction_id: String,
    pub to_member: String,
    pub occurred_at: Time,
    pub currency: String,
    pub points: Decimal,
    pub reason: String,
}

/// A transfer arriving at its receiver: the sender's lots, as debited (each
/// keeps its expiry, partner and earning date).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IncomingTransfer {
    /// Its id on the receiver (`transfer::received_id`).
    pub transaction_id: String,
    pub transfer_id: String,
    pub from_member: String,
    pub occurred_at: Time,
    pub currency: String,
    pub lots: Vec<LotDebit>,
    /// A member's contribution to its group's pool (the group checks its roster).
    pub pool: bool,
}

/// A member's place in a group: the share of its accruals that goes to the
/// pool and whether it may spend from the pool.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupTerms {
    pub transaction_id: String,
    pub member_id: String,
    pub occurred_at: Time,
    /// Percent of each accrual credited to the pool (0-100).
    pub contribution_percent: Decimal,
    pub may_redeem: bool,
}

/// One step in a voucher's life.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VoucherUse {
    pub transaction_id: String,
    pub voucher_id: String,
    pub occurred_at: Time,
    pub action: VoucherAction,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum VoucherAction {
    /// Hold it for a checkout in progress.
    Reserve,
    /// Use it: `amount` is the face value spent (required for a face-value
    /// voucher) or the purchase amount a percentage applied to.
    Redeem {
        amount: Option<Decimal>,
    },
    Cancel {
        reason: String,
    },
}

/// A command on a program.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    DefineProgram(ProgramDefinition),
    Member(MemberCommand),
}

impl MemberCommand {
    /// The external transaction id that makes a retry idempotent, if the command has one.
    pub fn transaction_id(&self) -> Option<&str> {
        match self {
            MemberCommand::Accrue(a) => Some(&a.transaction_id),
            MemberCommand::Redeem { transaction_id, .. }
            | MemberCommand::Cancel { transaction_id, .. }
            | MemberCommand::ChangeTier { transaction_id, .. }
            | MemberCommand::ChangeStatus { transaction_id, .. }
            | MemberCommand::AwardBadge { transaction_id, .. }
            | MemberCommand::IssueVoucher { transaction_id, .. } => Some(transaction_id),
            MemberCommand::Adjust(a) => Some(&a.transaction_id),
            MemberCommand::UseVoucher(u) => Some(&u.transaction_id),
            MemberCommand::Transfer(t) => Some(&t.transaction_id),
            MemberCommand::ReceiveTransfer(t) => Some(&t.transaction_id),
            MemberCommand::AddGroupMember(t) => Some(&t.transaction_id),
            MemberCommand::JoinGroup { transaction_id, .. }
            | MemberCommand::RemoveGroupMember { transaction_id, .. }
            | MemberCommand::LeaveGroup { transaction_id, .. }
            | MemberCommand::NotePoolSpending { transaction_id, .. } => Some(transaction_id),
            // Answers have no id of their own: they are decided against the
            // state of what they answer.
            MemberCommand::SettleTransfer { .. } | MemberCommand::ConfirmGroupMember { .. } => None,
            MemberCommand::Enroll { .. }
            | MemberCommand::Expire { .. }
            | MemberCommand::AssessTier { .. }
            | MemberCommand::Release { .. } => None,
        }
    }

    /// Whether the ledger sends this command itself (a follow-up): a repeat
    /// of its id is the same follow-up again, whatever its exact form.
    pub fn is_follow_up(&self) -> bool {
        matches!(
            self,
            MemberCommand::ReceiveTransfer(_)
                | MemberCommand::JoinGroup { .. }
                | MemberCommand::LeaveGroup { .. }
                | MemberCommand::NotePoolSpending { .. }
        ) || matches!(self, MemberCommand::RemoveGroupMember { transaction_id, .. } if transaction_id.starts_with("group:"))
    }

    /// The business time the command is about (none for a manual tier
    /// change, which takes effect when decided).
    pub fn business_time(&self) -> Option<Time> {
        match self {
            MemberCommand::Enroll { enrolled_at, .. } => Some(*enrolled_at),
            MemberCommand::Accrue(a) => Some(a.occurred_at),
            MemberCommand::Adjust(a) => Some(a.occurred_at),
            MemberCommand::UseVoucher(u) => Some(u.occurred_at),
            MemberCommand::Transfer(t) => Some(t.occurred_at),
            MemberCommand::ReceiveTransfer(t) => Some(t.occurred_at),
            MemberCommand::AddGroupMember(t) | MemberCommand::JoinGroup { terms: t, .. } => {
                Some(t.occurred_at)
            }
            MemberCommand::RemoveGroupMember { occurred_at, .. }
            | MemberCommand::LeaveGroup { occurred_at, .. }
            | MemberCommand::NotePoolSpending { occurred_at, .. } => Some(*occurred_at),
            MemberCommand::SettleTransfer { .. } | MemberCommand::ConfirmGroupMember { .. } => None,
            MemberCommand::Redeem { occurred_at, .. }
            | MemberCommand::Cancel { occurred_at, .. }
            | MemberCommand::ChangeStatus { occurred_at, .. }
            | MemberCommand::AwardBadge { occurred_at, .. }
            | MemberCommand::IssueVoucher { occurred_at, .. } => Some(*occurred_at),
            MemberCommand::Expire { as_of }
            | MemberCommand::AssessTier { as_of }
            | MemberCommand::Release { as_of } => Some(*as_of),
            MemberCommand::ChangeTier { .. } => None,
        }
    }
}
