//! The member view as served: balances, the next expiry dates, position.

use ledger_core::{Decimal, Time};
use projector::views::{ExpiringPoints, MemberView};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// How many upcoming expiry dates the member view lists.
pub const EXPIRING_DATES: usize = 10;

/// `fixed`: the member's points of fixed-expiry lots by date (at least its
/// next [`EXPIRING_DATES`] dates).
pub fn member_json(view: &MemberView, fixed: &[ExpiringPoints]) -> Value {
    json!({
        "member_id": view.member_id,
        "member_type": view.member_type,
        "status": view.status,
        "tier": view.tier,
        "enrolled_at": view.enrolled_at,
        "channel": view.channel,
        "balances": balances_json(view),
        "expiring": expiring(view, fixed),
        "badges": badges_json(view),
        "benefits": view.benefits,
        "vouchers": vouchers_json(view),
        "group": view.group,
        "roster": view.roster,
        "transfers_in_flight": view.transfers_in_flight,
        "position": view.position,
        "sequence": view.sequence,
        "chain_head": view.chain_head,
    })
}

/// Every badge ever awarded, latest award each; `valid_until` tells whether
/// it still holds.
fn badges_json(view: &MemberView) -> Value {
    view.badges
        .iter()
        .map(|(id, b)| {
            json!({
                "badge": id,
                "awarded_at": b.awarded_at,
                "valid_until": b.valid_until,
                "milestone": b.milestone,
                "reason": b.reason,
            })
        })
        .collect()
}

/// Every voucher, in every state.
fn vouchers_json(view: &MemberView) -> Value {
    view.vouchers
        .iter()
        .map(|(id, v)| {
            let mut doc = serde_json::to_value(v).unwrap_or_default();
            doc["voucher_id"] = json!(id);
            doc
        })
        .collect()
}

fn balances_json(view: &MemberView) -> Value {
    let map: serde_json::Map<_, _> = view
        .balances
        .iter()
        .map(|(code, b)| {
            (
                code.clone(),
                json!({
                    "available": b.available.normalize(),
                    "pending": b.pending.normalize(),
                    "earned": b.earned.normalize(),
                    "redeemed": b.redeemed.normalize(),
                    "expired": b.expired.normalize(),
                    "arrears": b.arrears.normalize(),
                    "transferred": b.transferred.normalize(),
                }),
            )
        })
        .collect();
    Value::Object(map)
}

/// The next `dates` expiry dates, soonest first, each with its points per
/// currency (`GET .../members/{member}/expiring?dates=N`).
pub fn expiring_dates(view: &MemberView, fixed: &[ExpiringPoints], dates: usize) -> Vec<Value> {
    let mut by_date: BTreeMap<Time, serde_json::Map<String, Value>> = BTreeMap::new();
    for ((at, currency), points) in due(view, fixed) {
        by_date
            .entry(at)
            .or_default()
            .insert(currency, json!(points.normalize()));
    }
    by_date
        .into_iter()
        .take(dates)
        .map(|(at, points)| json!({"expires_at": at, "points": points}))
        .collect()
}

/// The member view's flat list: the first (date, currency) pairs due.
fn expiring(view: &MemberView, fixed: &[ExpiringPoints]) -> Vec<Value> {
    due(view, fixed)
        .into_iter()
        .take(EXPIRING_DATES)
        .map(|((at, currency), points)| json!({"currency": currency, "points": points.normalize(), "expires_at": at}))
        .collect()
}

/// Points per (expiry date, currency): fixed-expiry lots, and under the
/// activity model the whole balance at its activity deadline.
fn due(view: &MemberView, fixed: &[ExpiringPoints]) -> BTreeMap<(Time, String), Decimal> {
    let mut due: BTreeMap<(Time, String), Decimal> = BTreeMap::new();
    for f in fixed {
        *due.entry((f.expires_at, f.currency.clone())).or_default() += f.points;
    }
    for (code, b) in &view.balances {
        if let Some(at) = b.activity_expires_at {
            if b.available > Decimal::ZERO {
                *due.entry((at, code.clone())).or_default() += b.available;
            }
        }
    }
    due
}
