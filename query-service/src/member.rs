//! The member view as served: balances, the next expiry dates, position.

use ledger_core::{Decimal, Time};
use projector::views::{LotView, MemberView};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// How many upcoming expiry dates the member view lists.
pub const EXPIRING_DATES: usize = 10;

pub fn member_json(view: &MemberView, lots: &[LotView]) -> Value {
    json!({
        "member_id": view.member_id,
        "member_type": view.member_type,
        "status": view.status,
        "tier": view.tier,
        "enrolled_at": view.enrolled_at,
        "channel": view.channel,
        "balances": balances_json(view),
        "expiring": expiring(view, lots),
        "position": view.position,
    })
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
                }),
            )
        })
        .collect();
    Value::Object(map)
}

/// Points per (expiry date, currency), soonest first: fixed-expiry lots, and
/// under the activity model the whole balance at its activity deadline.
fn expiring(view: &MemberView, lots: &[LotView]) -> Vec<Value> {
    let mut due: BTreeMap<(Time, String), Decimal> = BTreeMap::new();
    for lot in lots {
        if let Some(at) = lot.expires_at {
            *due.entry((at, lot.currency.clone())).or_default() += lot.points;
        }
    }
    for (code, b) in &view.balances {
        if let Some(at) = b.activity_expires_at {
            if b.available > Decimal::ZERO {
                *due.entry((at, code.clone())).or_default() += b.available;
            }
        }
    }
    due.into_iter()
        .take(EXPIRING_DATES)
        .map(|((at, currency), points)| json!({"currency": currency, "points": points.normalize(), "expires_at": at}))
        .collect()
}
