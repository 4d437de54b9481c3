//! Commands from the commands topic (protobuf) into core commands. A command
//! that cannot be read is an `invalid_request` rejection like any other.

use crate::command::{
    Accrual, Adjustment, GroupTerms, IncomingTransfer, MemberCommand, Transfer, VoucherAction,
    VoucherUse,
};
use crate::event::LotDebit;
use crate::group::on_member_id;
use crate::member::{MemberStatus, MemberType};
use crate::numbers::parse as parse_dec;
use crate::numbers::text;
use crate::saga::FollowUp;
use crate::time::format;
use crate::time::parse as parse_time;
use crate::transfer::received_id;
use crate::{Decimal, Rejection, Time};
use loyalty_proto::v1::command_envelope::Command as Pb;
use loyalty_proto::v1::{
    ConfirmGroupMember as PbConfirm, JoinGroup as PbJoin, LeaveGroup as PbLeave,
    NotePoolSpending as PbNote, ReceiveTransfer as PbReceive, RemoveGroupMember as PbRemove,
    SettleTransfer as PbSettle, TransferredLot,
};
use loyalty_proto::CommandEnvelope;
use std::collections::BTreeMap;

fn time(field: &str, s: &str) -> Result<Time, Rejection> {
    parse_time(s)
        .ok_or_else(|| Rejection::invalid(format!("{field} must be an RFC 3339 time, got {s:?}")))
}

fn decimal(field: &str, s: &str) -> Result<Decimal, Rejection> {
    match parse_dec(s) {
        Some(d) if !s.is_empty() => Ok(d),
        _ => Err(Rejection::invalid(format!(
            "{field} must be a decimal, got {s:?}"
        ))),
    }
}

fn optional(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// The member command a protobuf command envelope carries.
pub fn member_command(env: &CommandEnvelope, now: Time) -> Result<MemberCommand, Rejection> {
    let command = env
        .command
        .as_ref()
        .ok_or_else(|| Rejection::invalid("the command envelope has no command"))?;
    Ok(match command {
        Pb::Enroll(e) => MemberCommand::Enroll {
            member_type: MemberType::parse(&e.member_type).ok_or_else(|| {
                Rejection::invalid(format!(
                    "member_type must be individual, corporate or group, got {:?}",
                    e.member_type
                ))
            })?,
            enrolled_at: if e.enrolled_at.is_empty() {
                now
            } else {
                time("enrolled_at", &e.enrolled_at)?
            },
            channel: optional(&e.channel),
        },
        Pb::Accrue(a) => MemberCommand::Accrue(Accrual {
            transaction_id: a.transaction_id.clone(),
            occurred_at: time("occurred_at", &a.occurred_at)?,
            amount: if a.amount.is_empty() {
                None
            } else {
                Some(decimal("amount", &a.amount)?)
            },
            points: a
                .points
                .iter()
                .map(|(code, p)| Ok((code.clone(), decimal("points", p)?)))
                .collect::<Result<BTreeMap<_, _>, Rejection>>()?,
            partner_id: optional(&a.partner_id),
            channel: optional(&a.channel),
            product_category: optional(&a.product_category),
        }),
        Pb::Redeem(r) => MemberCommand::Redeem {
            transaction_id: r.transaction_id.clone(),
            occurred_at: time("occurred_at", &r.occurred_at)?,
            currency: r.currency.clone(),
            points: decimal("points", &r.points)?,
            partner_id: optional(&r.partner_id),
            by_member: optional(&r.by_member),
        },
        Pb::Cancel(c) => MemberCommand::Cancel {
            transaction_id: c.transaction_id.clone(),
            cancels: c.cancels.clone(),
            occurred_at: time("occurred_at", &c.occurred_at)?,
            reason: c.reason.clone(),
        },
        Pb::ChangeTier(t) => MemberCommand::ChangeTier {
            transaction_id: t.transaction_id.clone(),
            tier: t.tier.clone(),
            reason: t.reason.clone(),
        },
        Pb::ChangeStatus(c) => MemberCommand::ChangeStatus {
            transaction_id: c.transaction_id.clone(),
            status: MemberStatus::parse(&c.status).ok_or_else(|| {
                Rejection::invalid(format!(
                    "status must be active, suspended or unenrolled, got {:?}",
                    c.status
                ))
            })?,
            occurred_at: time("occurred_at", &c.occurred_at)?,
            reason: c.reason.clone(),
        },
        Pb::AwardBadge(b) => MemberCommand::AwardBadge {
            transaction_id: b.transaction_id.clone(),
            badge: b.badge.clone(),
            occurred_at: time("occurred_at", &b.occurred_at)?,
            reason: b.reason.clone(),
        },
        Pb::IssueVoucher(v) => MemberCommand::IssueVoucher {
            transaction_id: v.transaction_id.clone(),
            voucher: v.voucher.clone(),
            occurred_at: time("occurred_at", &v.occurred_at)?,
            reason: v.reason.clone(),
            paid: v.paid,
        },
        Pb::UseVoucher(u) => MemberCommand::UseVoucher(VoucherUse {
            transaction_id: u.transaction_id.clone(),
            voucher_id: u.voucher_id.clone(),
            occurred_at: time("occurred_at", &u.occurred_at)?,
            action: match u.action.as_str() {
                "reserve" => VoucherAction::Reserve,
                "redeem" => VoucherAction::Redeem {
                    amount: if u.amount.is_empty() {
                        None
                    } else {
                        Some(decimal("amount", &u.amount)?)
                    },
                },
                "cancel" => VoucherAction::Cancel {
                    reason: u.reason.clone(),
                },
                other => {
                    return Err(Rejection::invalid(format!(
                        "action must be reserve, redeem or cancel, got {other:?}"
                    )))
                }
            },
        }),
        Pb::Transfer(t) => MemberCommand::Transfer(Transfer {
            transaction_id: t.transaction_id.clone(),
            to_member: t.to_member.clone(),
            occurred_at: time("occurred_at", &t.occurred_at)?,
            currency: t.currency.clone(),
            points: decimal("points", &t.points)?,
            reason: t.reason.clone(),
        }),
        Pb::AddGroupMember(g) => MemberCommand::AddGroupMember(GroupTerms {
            transaction_id: g.transaction_id.clone(),
            member_id: g.member_id.clone(),
            occurred_at: time("occurred_at", &g.occurred_at)?,
            contribution_percent: decimal("contribution_percent", &g.contribution_percent)?,
            may_redeem: g.may_redeem,
        }),
        Pb::RemoveGroupMember(g) => MemberCommand::RemoveGroupMember {
            transaction_id: g.transaction_id.clone(),
            member_id: g.member_id.clone(),
            occurred_at: time("occurred_at", &g.occurred_at)?,
            reason: g.reason.clone(),
        },
        Pb::ReceiveTransfer(t) => MemberCommand::ReceiveTransfer(IncomingTransfer {
            transaction_id: received_id(&t.from_member, &t.transfer_id),
            transfer_id: t.transfer_id.clone(),
            from_member: t.from_member.clone(),
            occurred_at: time("occurred_at", &t.occurred_at)?,
            currency: t.currency.clone(),
            lots: t
                .lots
                .iter()
                .map(|l| lot_from(&t.currency, l))
                .collect::<Result<_, _>>()?,
            pool: t.pool,
        }),
        Pb::SettleTransfer(t) => MemberCommand::SettleTransfer {
            transfer_id: t.transfer_id.clone(),
            returned: t.returned.then(|| t.reason.clone()),
        },
        Pb::ConfirmGroupMember(c) => MemberCommand::ConfirmGroupMember {
            joined: c.joined.clone(),
            member_id: c.member_id.clone(),
        },
        Pb::JoinGroup(j) => MemberCommand::JoinGroup {
            transaction_id: on_member_id(&j.group_id, &j.transaction_id),
            group_id: j.group_id.clone(),
            terms: GroupTerms {
                transaction_id: j.transaction_id.clone(),
                member_id: env.member_id.clone(),
                occurred_at: time("occurred_at", &j.occurred_at)?,
                contribution_percent: decimal("contribution_percent", &j.contribution_percent)?,
                may_redeem: j.may_redeem,
            },
        },
        Pb::NotePoolSpending(n) => MemberCommand::NotePoolSpending {
            transaction_id: n.transaction_id.clone(),
            group_id: n.group_id.clone(),
            occurred_at: time("occurred_at", &n.occurred_at)?,
            currency: n.currency.clone(),
            points: decimal("points", &n.points)?,
        },
        Pb::LeaveGroup(l) => MemberCommand::LeaveGroup {
            transaction_id: l.transaction_id.clone(),
            group_id: l.group_id.clone(),
            occurred_at: time("occurred_at", &l.occurred_at)?,
            reason: l.reason.clone(),
        },
        Pb::Adjust(a) => MemberCommand::Adjust(Adjustment {
            transaction_id: a.transaction_id.clone(),
            occurred_at: time("occurred_at", &a.occurred_at)?,
            currency: a.currency.clone(),
            points: decimal("points", &a.points)?,
            actor: a.actor.clone(),
            reason: a.reason.clone(),
        }),
    })
}

fn lot_from(currency: &str, l: &TransferredLot) -> Result<LotDebit, Rejection> {
    Ok(LotDebit {
        lot_id: l.lot_id.clone(),
        currency: currency.to_string(),
        points: decimal("lots.points", &l.points)?,
        partner_id: optional(&l.partner_id),
        expires_at: if l.expires_at.is_empty() {
            None
        } else {
            Some(time("lots.expires_at", &l.expires_at)?)
        },
        earned_at: time("lots.earned_at", &l.earned_at)?,
    })
}

fn lot_to(d: &LotDebit) -> TransferredLot {
    TransferredLot {
        lot_id: d.lot_id.clone(),
        points: text(d.points),
        partner_id: d.partner_id.clone().unwrap_or_default(),
        expires_at: d.expires_at.as_ref().map(format).unwrap_or_default(),
        earned_at: format(&d.earned_at),
    }
}

/// The commands topic form of one of the ledger's own follow-ups (none for
/// a command the ledger never sends itself).
pub fn follow_up_envelope(program_id: &str, f: &FollowUp) -> Option<CommandEnvelope> {
    let command = match &f.command {
        MemberCommand::ReceiveTransfer(t) => Pb::ReceiveTransfer(PbReceive {
            transfer_id: t.transfer_id.clone(),
            from_member: t.from_member.clone(),
            occurred_at: format(&t.occurred_at),
            currency: t.currency.clone(),
            lots: t.lots.iter().map(lot_to).collect(),
            pool: t.pool,
        }),
        MemberCommand::SettleTransfer {
            transfer_id,
            returned,
        } => Pb::SettleTransfer(PbSettle {
            transfer_id: transfer_id.clone(),
            returned: returned.is_some(),
            reason: returned.clone().unwrap_or_default(),
        }),
        MemberCommand::ConfirmGroupMember { joined, member_id } => {
            Pb::ConfirmGroupMember(PbConfirm {
                joined: joined.clone(),
                member_id: member_id.clone(),
            })
        }
        MemberCommand::JoinGroup {
            group_id, terms, ..
        } => Pb::JoinGroup(PbJoin {
            group_id: group_id.clone(),
            transaction_id: terms.transaction_id.clone(),
            occurred_at: format(&terms.occurred_at),
            contribution_percent: text(terms.contribution_percent),
            may_redeem: terms.may_redeem,
        }),
        MemberCommand::LeaveGroup {
            transaction_id,
            group_id,
            occurred_at,
            reason,
        } => Pb::LeaveGroup(PbLeave {
            transaction_id: transaction_id.clone(),
            group_id: group_id.clone(),
            occurred_at: format(occurred_at),
            reason: reason.clone(),
        }),
        MemberCommand::NotePoolSpending {
            transaction_id,
            group_id,
            occurred_at,
            currency,
            points,
        } => Pb::NotePoolSpending(PbNote {
            transaction_id: transaction_id.clone(),
            group_id: group_id.clone(),
            occurred_at: format(occurred_at),
            currency: currency.clone(),
            points: text(*points),
        }),
        MemberCommand::RemoveGroupMember {
            transaction_id,
            member_id,
            occurred_at,
            reason,
        } => Pb::RemoveGroupMember(PbRemove {
            transaction_id: transaction_id.clone(),
            member_id: member_id.clone(),
            occurred_at: format(occurred_at),
            reason: reason.clone(),
        }),
        _ => return None,
    };
    Some(CommandEnvelope {
        command_id: String::new(),
        program_id: program_id.to_string(),
        member_id: f.member_id.clone(),
        command: Some(command),
    })
}
