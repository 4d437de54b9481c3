//! The member view as served: balances, the next expiry dates, position.

use ledger_core::{Decimal, Time};
use projector::views::{
    BadgeView, BalanceView, ExpiringPoints, GroupLinkView, MemberView, RosterView, TransferView,
    VoucherView,
};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// How many upcoming expiry dates the member view lists.
pub const EXPIRING_DATES: usize = 10;

/// The member view as served, borrowed from the stored view: serialized
/// straight to the response, as building a JSON tree first was a quarter
/// of a member read's time.
#[derive(Serialize)]
pub struct MemberBody<'a> {
    member_id: &'a str,
    member_type: &'a str,
    status: &'a str,
    tier: &'a Option<String>,
    enrolled_at: Time,
    channel: &'a str,
    balances: BTreeMap<&'a str, BalanceBody>,
    expiring: Vec<DueBody>,
    badges: Vec<BadgeBody<'a>>,
    benefits: &'a BTreeSet<String>,
    vouchers: Vec<VoucherBody<'a>>,
    group: &'a Option<GroupLinkView>,
    roster: &'a BTreeMap<String, RosterView>,
    transfers_in_flight: &'a BTreeMap<String, TransferView>,
    position: &'a str,
    sequence: u64,
    chain_head: &'a str,
}

/// One currency's balances, normalized (no trailing zeros).
#[derive(Serialize)]
struct BalanceBody {
    available: Decimal,
    pending: Decimal,
    earned: Decimal,
    redeemed: Decimal,
    expired: Decimal,
    arrears: Decimal,
    transferred: Decimal,
}

#[derive(Serialize)]
struct DueBody {
    currency: String,
    points: Decimal,
    expires_at: Time,
}

/// Every badge ever awarded, latest award each; `valid_until` tells whether
/// it still holds.
#[derive(Serialize)]
struct BadgeBody<'a> {
    badge: &'a str,
    #[serde(flatten)]
    award: &'a BadgeView,
}

/// Every voucher, in every state.
#[derive(Serialize)]
struct VoucherBody<'a> {
    voucher_id: &'a str,
    #[serde(flatten)]
    voucher: &'a VoucherView,
}

/// `fixed`: the member's points of fixed-expiry lots by date (at least its
/// next [`EXPIRING_DATES`] dates).
pub fn member_body<'a>(view: &'a MemberView, fixed: &[ExpiringPoints]) -> MemberBody<'a> {
    MemberBody {
        member_id: &view.member_id,
        member_type: &view.member_type,
        status: &view.status,
        tier: &view.tier,
        enrolled_at: view.enrolled_at,
        channel: &view.channel,
        balances: view
            .balances
            .iter()
            .map(|(code, b)| (code.as_str(), balance_body(b)))
            .collect(),
        expiring: expiring(view, fixed),
        badges: view
            .badges
            .iter()
            .map(|(id, award)| BadgeBody { badge: id, award })
            .collect(),
        benefits: &view.benefits,
        vouchers: view
            .vouchers
            .iter()
            .map(|(id, voucher)| VoucherBody {
                voucher_id: id,
                voucher,
            })
            .collect(),
        group: &view.group,
        roster: &view.roster,
        transfers_in_flight: &view.transfers_in_flight,
        position: &view.position,
        sequence: view.sequence,
        chain_head: &view.chain_head,
    }
}

/// The same as a JSON tree, for views that add to it (a view as of a point).
pub fn member_json(view: &MemberView, fixed: &[ExpiringPoints]) -> Value {
    serde_json::to_value(member_body(view, fixed)).unwrap_or_default()
}

fn balance_body(b: &BalanceView) -> BalanceBody {
    BalanceBody {
        available: b.available.normalize(),
        pending: b.pending.normalize(),
        earned: b.earned.normalize(),
        redeemed: b.redeemed.normalize(),
        expired: b.expired.normalize(),
        arrears: b.arrears.normalize(),
        transferred: b.transferred.normalize(),
    }
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
fn expiring(view: &MemberView, fixed: &[ExpiringPoints]) -> Vec<DueBody> {
    due(view, fixed)
        .into_iter()
        .take(EXPIRING_DATES)
        .map(|((expires_at, currency), points)| DueBody {
            currency,
            points: points.normalize(),
            expires_at,
        })
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
