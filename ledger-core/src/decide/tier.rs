//! Tiers: automatic upgrade when qualifying points cross a level, manual
//! change with a reason, and the assessment that closes a period (a calendar
//! year, or the member's year from enrollment): downgrade to the level the
//! period's points reach, then reset them. Every change grants the new
//! level's benefits and revokes the ones it lacks.

use super::context::{Context, Scratch};
use crate::event::{Event, EventBody, LotDebit, TierChangeKind};
use crate::lots::total;
use crate::program::TierPeriod;
use crate::time::{add_months, year_start};
use crate::{Datelike, Decimal, Time};

/// A `TierChanged` event if the qualifying balance in `scratch` reaches a higher level.
pub(crate) fn upgrade(
    ctx: &Context,
    scratch: &Scratch,
    transaction_id: &str,
    occurred_at: Time,
) -> Option<Event> {
    let def = &ctx.program.definition;
    let tiers = def.tiers.as_ref()?;
    let points = scratch.books.get(&tiers.currency)?.available();
    let reached = def.tier_reached(points)?;
    let current = ctx.member.tier.as_deref().and_then(|t| def.tier_index(t));
    let target = def.tier_index(&reached.name)?;
    if current.is_some_and(|c| c >= target) {
        return None;
    }
    Some(ctx.event(
        transaction_id,
        occurred_at,
        tier_changed(
            ctx,
            &reached.name,
            TierChangeKind::Qualified,
            format!("{} {} reached", points.normalize(), tiers.currency),
            points,
            None,
        ),
    ))
}

/// A `TierChanged` body from the member's tier to `to`, with the benefits
/// that come and go.
fn tier_changed(
    ctx: &Context,
    to: &str,
    kind: TierChangeKind,
    reason: String,
    qualifying_points: Decimal,
    period: Option<i32>,
) -> EventBody {
    let granting = ctx.program.definition.tier_benefits(Some(to));
    let held = &ctx.member.benefits;
    EventBody::TierChanged {
        from_tier: ctx.member.tier.clone().unwrap_or_default(),
        to_tier: to.to_string(),
        kind,
        reason,
        qualifying_points,
        period,
        benefits_granted: granting
            .iter()
            .filter(|b| !held.contains(*b))
            .cloned()
            .collect(),
        benefits_revoked: held
            .iter()
            .filter(|b| !granting.contains(b))
            .cloned()
            .collect(),
    }
}

pub(crate) fn change(ctx: &Context, transaction_id: &str, tier: &str, reason: &str) -> Vec<Event> {
    let points = qualifying_points(ctx);
    vec![ctx.event(
        transaction_id,
        ctx.now,
        tier_changed(
            ctx,
            tier,
            TierChangeKind::Manual,
            reason.to_string(),
            points,
            None,
        ),
    )]
}

/// Closes the period that ended at or before `as_of`, once per member.
pub(crate) fn assess(ctx: &Context, as_of: Time) -> Vec<Event> {
    let def = &ctx.program.definition;
    let Some(tiers) = def.tiers.as_ref() else {
        return Vec::new();
    };
    let Some((period, period_end)) = closing_period(tiers.period, ctx.member.enrolled_at, as_of)
    else {
        return Vec::new();
    };
    if ctx.member.last_assessed_period.is_some_and(|p| p >= period)
        || ctx.member.enrolled_at >= period_end
    {
        return Vec::new();
    }
    let closing: Vec<LotDebit> = ctx
        .member
        .book(&tiers.currency)
        .map(|b| b.all_lots())
        .unwrap_or_default()
        .into_iter()
        .filter(|l| l.earned_at < period_end)
        .collect();
    let points = total(&closing);
    let tx = format!("assess:{period}");
    let mut events = Vec::new();
    // Points earned since the period end stay, and already count toward the
    // new period's tier: never assess below the level they reach.
    let kept = qualifying_points(ctx) - points;
    let deciding = points.max(kept);
    let reached = def.tier_reached(deciding).map(|l| l.name.clone());
    let (current, target) = (
        ctx.member.tier.as_deref().and_then(|t| def.tier_index(t)),
        reached.as_deref().and_then(|t| def.tier_index(t)),
    );
    if let (Some(c), Some(t), Some(to)) = (current, target, reached.clone()) {
        if t < c {
            let reason = if kept > points {
                format!("{} {} after {period}", kept.normalize(), tiers.currency)
            } else {
                format!("{} {} in {period}", points.normalize(), tiers.currency)
            };
            events.push(ctx.event(
                &tx,
                period_end,
                tier_changed(
                    ctx,
                    &to,
                    TierChangeKind::Assessment,
                    reason,
                    deciding,
                    Some(period),
                ),
            ));
        }
    }
    if points > Decimal::ZERO {
        let mut scratch = Scratch::default();
        scratch.book(ctx.member, &tiers.currency).debit(&closing);
        events.push(ctx.event(
            &tx,
            period_end,
            EventBody::QualifyingReset {
                currency: tiers.currency.clone(),
                points,
                period,
                lots_reset: closing,
                balances_after: scratch.balances_after(),
            },
        ));
    }
    events
}

/// The last period that ended at or before `as_of`: its name (the year it
/// began) and its end.
fn closing_period(period: TierPeriod, enrolled_at: Time, as_of: Time) -> Option<(i32, Time)> {
    match period {
        TierPeriod::CalendarYear => Some((as_of.year() - 1, year_start(as_of.year()))),
        TierPeriod::Anniversary => {
            let mut years = as_of.year() - enrolled_at.year();
            if years > 0 && anniversary(enrolled_at, years) > as_of {
                years -= 1;
            }
            (years > 0).then(|| {
                (
                    enrolled_at.year() + years - 1,
                    anniversary(enrolled_at, years),
                )
            })
        }
    }
}

fn anniversary(enrolled_at: Time, years: i32) -> Time {
    add_months(enrolled_at, u32::try_from(years * 12).unwrap_or(0))
}

fn qualifying_points(ctx: &Context) -> Decimal {
    ctx.program
        .definition
        .tiers
        .as_ref()
        .and_then(|t| ctx.member.book(&t.currency))
        .map(|b| b.available())
        .unwrap_or_default()
}
