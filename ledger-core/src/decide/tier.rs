//! Tiers: automatic upgrade when qualifying points cross a level, manual
//! change with a reason, and the assessment that closes a calendar-year
//! period: downgrade to the level the period's points reach, then reset them.

use super::context::{Context, Scratch};
use crate::event::{Event, EventBody, LotDebit, TierChangeKind};
use crate::lots::total;
use crate::time::year_start;
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
        EventBody::TierChanged {
            from_tier: ctx.member.tier.clone().unwrap_or_default(),
            to_tier: reached.name.clone(),
            kind: TierChangeKind::Qualified,
            reason: format!("{} {} reached", points.normalize(), tiers.currency),
            qualifying_points: points,
            period: None,
        },
    ))
}

pub(crate) fn change(ctx: &Context, transaction_id: &str, tier: &str, reason: &str) -> Vec<Event> {
    let points = qualifying_points(ctx);
    vec![ctx.event(
        transaction_id,
        ctx.now,
        EventBody::TierChanged {
            from_tier: ctx.member.tier.clone().unwrap_or_default(),
            to_tier: tier.to_string(),
            kind: TierChangeKind::Manual,
            reason: reason.to_string(),
            qualifying_points: points,
            period: None,
        },
    )]
}

/// Closes the calendar year that ended at or before `as_of`, once per member.
pub(crate) fn assess(ctx: &Context, as_of: Time) -> Vec<Event> {
    let def = &ctx.program.definition;
    let Some(tiers) = def.tiers.as_ref() else {
        return Vec::new();
    };
    let period = as_of.year() - 1;
    let period_end = year_start(as_of.year());
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
            events.push(ctx.event(
                &tx,
                period_end,
                EventBody::TierChanged {
                    from_tier: ctx.member.tier.clone().unwrap_or_default(),
                    to_tier: to,
                    kind: TierChangeKind::Assessment,
                    reason: if kept > points {
                        format!("{} {} after {period}", kept.normalize(), tiers.currency)
                    } else {
                        format!("{} {} in {period}", points.normalize(), tiers.currency)
                    },
                    qualifying_points: deciding,
                    period: Some(period),
                },
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

fn qualifying_points(ctx: &Context) -> Decimal {
    ctx.program
        .definition
        .tiers
        .as_ref()
        .and_then(|t| ctx.member.book(&t.currency))
        .map(|b| b.available())
        .unwrap_or_default()
}
