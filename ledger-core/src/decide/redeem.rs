//! Redeeming points: lots are consumed oldest-expiring first; only the
//! member's tier may allow going below zero (its negative limit), and that
//! shortfall becomes arrears.

use super::accrue::extend_activity;
use super::context::{Context, Scratch};
use crate::event::{Event, EventBody};
use crate::{Decimal, Rejection, Time};

/// A redemption as asked for.
pub(crate) struct Redemption<'a> {
    pub transaction_id: &'a str,
    pub occurred_at: Time,
    pub currency: &'a str,
    pub points: Decimal,
    pub partner_id: Option<&'a str>,
    pub by_member: Option<&'a str>,
}

pub(crate) fn redeem(ctx: &Context, r: Redemption) -> Result<Vec<Event>, Rejection> {
    let Redemption {
        transaction_id,
        occurred_at,
        currency,
        points,
        partner_id,
        by_member,
    } = r;
    let mut scratch = Scratch::default();
    let book = scratch.book(ctx.member, currency);
    let limit = ctx
        .program
        .definition
        .negative_limit(ctx.member.tier.as_deref(), currency);
    let spendable = book.available() + limit;
    if spendable < points {
        return Err(Rejection::InsufficientPoints {
            currency: currency.to_string(),
            available: spendable.max(Decimal::ZERO),
            requested: points,
        });
    }
    let (lots_consumed, arrears_created) = book.plan_debit(points, None);
    book.debit(&lots_consumed);
    book.arrears += arrears_created;
    if let Some(def) = ctx.program.definition.currency(currency) {
        extend_activity(book, def, occurred_at);
    }
    Ok(vec![ctx.event(
        transaction_id,
        occurred_at,
        EventBody::PointsRedeemed {
            currency: currency.to_string(),
            points,
            partner_id: partner_id.map(str::to_string),
            lots_consumed,
            arrears_created,
            by_member: by_member.map(str::to_string),
            balances_after: scratch.balances_after(),
        },
    )])
}
