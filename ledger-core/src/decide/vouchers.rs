//! Vouchers: issued by an operator, bought with points (a redemption of the
//! price in the same transaction), or on an upgrade into a tier; then
//! reserved, redeemed (a face value in parts), cancelled, or expired by the
//! expiry run.

use super::context::Context;
use super::expire::run_transaction;
use super::redeem::{redeem, Redemption};
use crate::command::{VoucherAction, VoucherUse};
use crate::event::{Event, EventBody};
use crate::member::Member;
use crate::voucher::{voucher_id, Voucher, VoucherDef, VoucherStatus, VoucherValue};
use crate::{Rejection, Time};

pub(crate) fn issue(
    ctx: &Context,
    transaction_id: &str,
    voucher: &str,
    occurred_at: Time,
    reason: &str,
    paid: bool,
) -> Result<Vec<Event>, Rejection> {
    let def = ctx
        .program
        .definition
        .voucher(voucher)
        .ok_or_else(|| Rejection::invalid(format!("unknown voucher {voucher}")))?;
    let mut events = Vec::new();
    if paid {
        let price = def
            .price
            .as_ref()
            .ok_or_else(|| Rejection::invalid(format!("voucher {voucher} has no price")))?;
        events = redeem(
            ctx,
            Redemption {
                transaction_id,
                occurred_at,
                currency: &price.currency,
                points: price.points,
                partner_id: None,
                by_member: None,
            },
        )?;
    }
    let source = if paid { "points" } else { "manual" };
    events.push(issued(
        ctx,
        def,
        transaction_id,
        occurred_at,
        source,
        reason,
    ));
    Ok(events)
}

pub(crate) fn act(ctx: &Context, u: &VoucherUse) -> Result<Vec<Event>, Rejection> {
    let voucher = open_voucher(ctx.member, &u.voucher_id)?;
    let unavailable = |why: String| Rejection::VoucherUnavailable {
        voucher: u.voucher_id.clone(),
        why,
    };
    let usable = || {
        if u.occurred_at >= voucher.valid_until {
            Err(unavailable(format!(
                "it lapsed at {}",
                crate::time::format(&voucher.valid_until)
            )))
        } else {
            Ok(())
        }
    };
    let id = u.voucher_id.clone();
    let body = match &u.action {
        VoucherAction::Reserve => {
            usable()?;
            if voucher.status == VoucherStatus::Reserved {
                return Err(unavailable("it is already reserved".into()));
            }
            EventBody::VoucherReserved { voucher_id: id }
        }
        VoucherAction::Redeem { amount } => {
            usable()?;
            let remaining = match (&voucher.value, voucher.remaining, amount) {
                (VoucherValue::FaceValue { .. }, Some(left), Some(spent)) => {
                    if *spent > left {
                        return Err(unavailable(format!("only {} left", left.normalize())));
                    }
                    Some(left - spent)
                }
                (VoucherValue::FaceValue { .. }, _, _) => {
                    return Err(Rejection::invalid(
                        "redeeming a face-value voucher needs the amount spent",
                    ))
                }
                (VoucherValue::Percent { .. }, _, _) => None,
            };
            EventBody::VoucherRedeemed {
                voucher_id: id,
                amount: *amount,
                remaining,
            }
        }
        VoucherAction::Cancel { reason } => EventBody::VoucherCancelled {
            voucher_id: id,
            reason: reason.clone(),
        },
    };
    Ok(vec![ctx.event(&u.transaction_id, u.occurred_at, body)])
}

/// Cancelling the purchase of vouchers bought by `cancels`: they go too,
/// and only while unused.
pub(crate) fn cancel_purchase(
    ctx: &Context,
    transaction_id: &str,
    cancels: &str,
    occurred_at: Time,
    reason: &str,
) -> Result<Vec<Event>, Rejection> {
    let bought = ctx
        .member
        .vouchers
        .values()
        .filter(|v| v.issued_by == cancels);
    let mut events = Vec::new();
    for v in bought {
        if !v.unused() {
            return Err(Rejection::VoucherUnavailable {
                voucher: v.voucher_id.clone(),
                why: format!(
                    "it is {} or partly used, so its purchase stands",
                    v.status.as_str()
                ),
            });
        }
        events.push(ctx.event(
            transaction_id,
            occurred_at,
            EventBody::VoucherCancelled {
                voucher_id: v.voucher_id.clone(),
                reason: reason.to_string(),
            },
        ));
    }
    Ok(events)
}

/// Open vouchers whose validity ended at or before `as_of`.
pub(crate) fn expire(ctx: &Context, as_of: Time) -> Vec<Event> {
    ctx.member
        .vouchers
        .values()
        .filter(|v| v.status.is_open() && v.valid_until <= as_of)
        .map(|v| {
            ctx.event(
                &run_transaction(as_of),
                as_of,
                EventBody::VoucherExpired {
                    voucher_id: v.voucher_id.clone(),
                    remaining: v.remaining,
                },
            )
        })
        .collect()
}

/// Vouchers earned by upgrades among `events` (one command's), to append.
pub(crate) fn on_upgrade(ctx: &Context, events: &[Event]) -> Vec<Event> {
    let def = &ctx.program.definition;
    let mut out = Vec::new();
    for e in events {
        let EventBody::TierChanged {
            from_tier, to_tier, ..
        } = &e.body
        else {
            continue;
        };
        let rank = |t: &str| def.tier_index(t);
        if rank(to_tier) <= rank(from_tier) {
            continue;
        }
        for v in def
            .vouchers
            .iter()
            .filter(|v| v.issue_on_tier.as_deref() == Some(to_tier.as_str()))
        {
            out.push(issued(
                ctx,
                v,
                &e.transaction_id,
                e.occurred_at,
                &format!("tier:{to_tier}"),
                &format!("upgrade to {to_tier}"),
            ));
        }
    }
    out
}

fn issued(
    ctx: &Context,
    def: &VoucherDef,
    transaction_id: &str,
    at: Time,
    source: &str,
    reason: &str,
) -> Event {
    ctx.event(
        transaction_id,
        at,
        EventBody::VoucherIssued {
            voucher_id: voucher_id(transaction_id, &def.id),
            definition: def.id.clone(),
            value: def.value.clone(),
            valid_until: at + chrono::Duration::days(i64::from(def.valid_days)),
            source: source.to_string(),
            reason: reason.to_string(),
        },
    )
}

fn open_voucher<'m>(member: &'m Member, id: &str) -> Result<&'m Voucher, Rejection> {
    let v = member
        .vouchers
        .get(id)
        .ok_or_else(|| Rejection::VoucherNotFound(id.to_string()))?;
    if !v.status.is_open() {
        return Err(Rejection::VoucherUnavailable {
            voucher: id.to_string(),
            why: format!("it is {}", v.status.as_str()),
        });
    }
    Ok(v)
}
