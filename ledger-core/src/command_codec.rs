//! Commands from the commands topic (protobuf) into core commands. A command
//! that cannot be read is an `invalid_request` rejection like any other.

use crate::command::{Accrual, Adjustment, MemberCommand, VoucherAction, VoucherUse};
use crate::member::{MemberStatus, MemberType};
use crate::numbers::parse as parse_dec;
use crate::time::parse as parse_time;
use crate::{Decimal, Rejection, Time};
use loyalty_proto::v1::command_envelope::Command as Pb;
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
                    "member_type must be individual or corporate, got {:?}",
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
