//! Static checks of a command against the program: ids, currencies,
//! amounts and their precision. Failures are `invalid_request`.

use crate::command::{Accrual, GroupTerms, MemberCommand, VoucherAction};
use crate::ids::{
    valid_derived_id, valid_member_id, valid_text, valid_transaction_id, valid_voucher_id,
    MEMBER_ID_RULE,
};
use crate::numbers::{positive_with_scale, MAX_QUANTITY};
use crate::program::{CurrencyKind, Program};
use crate::{Datelike, Decimal, Rejection};

/// Runs name their events `<run>:<as_of>`, and the ledger its own
/// follow-ups `transfer:...` and `group:...`; clients may not take those ids.
const RUN_PREFIXES: [&str; 5] = ["expire:", "assess:", "release:", "transfer:", "group:"];

pub(crate) fn command(program: &Program, command: &MemberCommand) -> Result<(), Rejection> {
    if let Some(tx) = command.transaction_id() {
        let valid = if command.is_follow_up() {
            valid_derived_id(tx)
        } else {
            valid_transaction_id(tx)
        };
        if !valid {
            return Err(Rejection::invalid(
                "transaction_id must be 1-128 characters without control characters",
            ));
        }
        if !command.is_follow_up() && RUN_PREFIXES.iter().any(|p| tx.starts_with(p)) {
            return Err(Rejection::invalid(format!(
                "transaction_id may not start with {}",
                RUN_PREFIXES.join(", ")
            )));
        }
    }
    business_time(command)?;
    match command {
        MemberCommand::Enroll { channel, .. } => text("channel", channel.as_deref()),
        MemberCommand::Accrue(a) => accrual(program, a),
        MemberCommand::Redeem {
            currency,
            points,
            partner_id,
            by_member,
            ..
        } => {
            if let Some(by) = by_member {
                member_id("by_member", by)?;
            }
            redeemable(program, currency, "redeemed")?;
            points_amount(program, currency, *points)?;
            partner(program, partner_id.as_deref())
        }
        MemberCommand::Cancel {
            cancels, reason, ..
        } => {
            if !valid_transaction_id(cancels) {
                return Err(Rejection::invalid("cancels must name a transaction id"));
            }
            text("reason", Some(reason))
        }
        MemberCommand::ChangeTier { tier, reason, .. } => {
            if program.definition.tier_index(tier).is_none() {
                return Err(Rejection::invalid(format!("unknown tier {tier}")));
            }
            if reason.trim().is_empty() {
                return Err(Rejection::invalid("a manual tier change needs a reason"));
            }
            text("reason", Some(reason))
        }
        MemberCommand::ChangeStatus { reason, .. } => required_text("reason", reason),
        MemberCommand::AwardBadge { badge, reason, .. } => {
            if program.definition.badge(badge).is_none() {
                return Err(Rejection::invalid(format!("unknown badge {badge}")));
            }
            required_text("reason", reason)
        }
        MemberCommand::IssueVoucher {
            voucher, reason, ..
        } => {
            if program.definition.voucher(voucher).is_none() {
                return Err(Rejection::invalid(format!("unknown voucher {voucher}")));
            }
            required_text("reason", reason)
        }
        MemberCommand::UseVoucher(u) => {
            if !valid_voucher_id(&u.voucher_id) {
                return Err(Rejection::invalid("voucher_id must name a voucher"));
            }
            match &u.action {
                VoucherAction::Reserve => Ok(()),
                VoucherAction::Redeem { amount } => match amount {
                    Some(a) if !positive_with_scale(*a, program.definition.money_decimals()) => {
                        Err(Rejection::invalid(format!(
                            "amount must be > 0 with at most {} decimal places",
                            program.definition.money_decimals()
                        )))
                    }
                    _ => Ok(()),
                },
                VoucherAction::Cancel { reason } => required_text("reason", reason),
            }
        }
        MemberCommand::Adjust(a) => {
            known_currency(program, &a.currency)?;
            points_amount(program, &a.currency, a.points.abs())?;
            required_text("actor", &a.actor)?;
            required_text("reason", &a.reason)
        }
        MemberCommand::Transfer(t) => {
            member_id("to_member", &t.to_member)?;
            redeemable(program, &t.currency, "transferred")?;
            points_amount(program, &t.currency, t.points)?;
            text("reason", Some(&t.reason))
        }
        MemberCommand::ReceiveTransfer(t) => {
            member_id("from_member", &t.from_member)?;
            redeemable(program, &t.currency, "transferred")?;
            let decimals = program.definition.points_decimals;
            let total: Option<Decimal> = t
                .lots
                .iter()
                .try_fold(Decimal::ZERO, |sum, l| sum.checked_add(l.points));
            let consistent = !t.lots.is_empty()
                && t.lots
                    .iter()
                    .all(|l| l.currency == t.currency && positive_with_scale(l.points, decimals))
                && total.is_some_and(|sum| sum <= MAX_QUANTITY);
            if consistent {
                Ok(())
            } else {
                Err(Rejection::invalid(
                    "a transfer carries lots of its currency",
                ))
            }
        }
        MemberCommand::SettleTransfer {
            transfer_id,
            returned,
        } => {
            if !valid_derived_id(transfer_id) {
                return Err(Rejection::invalid("transfer_id must name a transfer"));
            }
            match returned {
                Some(r) if r.chars().any(char::is_control) => {
                    Err(Rejection::invalid("reason without control characters"))
                }
                _ => Ok(()),
            }
        }
        MemberCommand::AddGroupMember(terms) => group_terms(terms),
        MemberCommand::JoinGroup {
            group_id, terms, ..
        } => {
            member_id("group_id", group_id)?;
            group_terms(terms)
        }
        MemberCommand::RemoveGroupMember {
            member_id: m,
            reason,
            ..
        } => {
            member_id("member_id", m)?;
            required_text("reason", reason)
        }
        MemberCommand::ConfirmGroupMember {
            joined,
            member_id: m,
        } => {
            if !valid_derived_id(joined) {
                return Err(Rejection::invalid("joined must name a transaction"));
            }
            member_id("member_id", m)
        }
        MemberCommand::LeaveGroup { group_id, .. } => member_id("group_id", group_id),
        MemberCommand::NotePoolSpending {
            group_id,
            currency,
            points,
            ..
        } => {
            member_id("group_id", group_id)?;
            redeemable(program, currency, "redeemed")?;
            points_amount(program, currency, *points)
        }
        MemberCommand::Expire { .. }
        | MemberCommand::AssessTier { .. }
        | MemberCommand::Release { .. } => Ok(()),
    }
}

fn member_id(field: &str, id: &str) -> Result<(), Rejection> {
    if valid_member_id(id) {
        Ok(())
    } else {
        Err(Rejection::invalid(format!(
            "{field} must be {MEMBER_ID_RULE}"
        )))
    }
}

/// A currency points can leave a member in (not a qualifying one).
fn redeemable(program: &Program, currency: &str, what: &str) -> Result<(), Rejection> {
    let def = known_currency(program, currency)?;
    if def.kind == CurrencyKind::Qualifying {
        return Err(Rejection::invalid(format!(
            "{currency} is a qualifying currency and cannot be {what}"
        )));
    }
    Ok(())
}

fn group_terms(terms: &GroupTerms) -> Result<(), Rejection> {
    member_id("member_id", &terms.member_id)?;
    let pct = terms.contribution_percent;
    if pct < Decimal::ZERO || pct > Decimal::ONE_HUNDRED || pct.normalize().scale() > 2 {
        return Err(Rejection::invalid(
            "contribution_percent must be 0-100 with at most 2 decimal places",
        ));
    }
    Ok(())
}

fn accrual(program: &Program, a: &Accrual) -> Result<(), Rejection> {
    if a.amount.is_none() && a.points.is_empty() {
        return Err(Rejection::invalid("an accrual needs an amount or points"));
    }
    if let Some(amount) = a.amount {
        let decimals = program.definition.money_decimals();
        if !positive_with_scale(amount, decimals) {
            return Err(Rejection::invalid(format!(
                "amount must be > 0 and <= 10^12 with at most {decimals} decimal places"
            )));
        }
    }
    for (currency, points) in &a.points {
        known_currency(program, currency)?;
        points_amount(program, currency, *points)?;
    }
    partner(program, a.partner_id.as_deref())?;
    text("channel", a.channel.as_deref())?;
    text("product_category", a.product_category.as_deref())
}

fn known_currency<'p>(
    program: &'p Program,
    code: &str,
) -> Result<&'p crate::program::CurrencyDef, Rejection> {
    program
        .definition
        .currency(code)
        .ok_or_else(|| Rejection::invalid(format!("unknown currency {code}")))
}

fn points_amount(program: &Program, currency: &str, points: Decimal) -> Result<(), Rejection> {
    let decimals = program.definition.points_decimals;
    if positive_with_scale(points, decimals) {
        Ok(())
    } else {
        Err(Rejection::invalid(format!(
            "{currency} points must be > 0 and <= 10^12 with at most {decimals} decimal places"
        )))
    }
}

fn partner(program: &Program, partner_id: Option<&str>) -> Result<(), Rejection> {
    match partner_id {
        Some(id) if program.definition.partner(id).is_none() => {
            Err(Rejection::invalid(format!("unknown partner {id}")))
        }
        _ => Ok(()),
    }
}

/// Business times stay within years 1970-9000, so every date derived from
/// them (expiry, escrow, badge validity) stays within the log's text form.
fn business_time(command: &MemberCommand) -> Result<(), Rejection> {
    let Some(at) = command.business_time() else {
        return Ok(());
    };
    if (1970..=9000).contains(&at.year()) {
        Ok(())
    } else {
        Err(Rejection::invalid(
            "times must be within the years 1970-9000",
        ))
    }
}

/// Non-blank text (who did it, and why).
fn required_text(field: &str, value: &str) -> Result<(), Rejection> {
    if value.trim().is_empty() {
        return Err(Rejection::invalid(format!("{field} is required")));
    }
    text(field, Some(value))
}

fn text(field: &str, value: Option<&str>) -> Result<(), Rejection> {
    match value {
        Some(v) if !valid_text(v) => Err(Rejection::invalid(format!(
            "{field} must be at most 256 characters without control characters"
        ))),
        _ => Ok(()),
    }
}
