//! Badges: awarded by an operator, or automatically when a command's events
//! reach a milestone (the first redemption, an upgrade to or past a tier). An
//! award lasts `valid_months` (forever when absent); a badge still held is
//! not awarded again.

use super::context::Context;
use crate::event::{Event, EventBody};
use crate::program::{BadgeDef, Milestone};
use crate::time::add_months;
use crate::{Rejection, Time};

pub(crate) fn award(
    ctx: &Context,
    transaction_id: &str,
    badge: &str,
    occurred_at: Time,
    reason: &str,
) -> Result<Vec<Event>, Rejection> {
    let Some(def) = ctx.program.definition.badge(badge) else {
        return Err(Rejection::invalid(format!("unknown badge {badge}")));
    };
    if ctx.member.holds_badge(badge, occurred_at) || ctx.member.holds_badge(badge, ctx.now) {
        return Err(Rejection::BadgeHeld(badge.to_string()));
    }
    Ok(vec![awarded(
        ctx,
        def,
        transaction_id,
        occurred_at,
        reason,
        None,
    )])
}

/// Badges earned by `events` (one command's), to append to them.
pub(crate) fn milestones(ctx: &Context, events: &[Event]) -> Vec<Event> {
    let def = &ctx.program.definition;
    let mut out = Vec::new();
    for badge in &def.badges {
        let Some(milestone) = &badge.award_on else {
            continue;
        };
        let Some(trigger) = events.iter().find(|e| reaches(ctx, milestone, e)) else {
            continue;
        };
        if ctx.member.holds_badge(&badge.id, trigger.occurred_at) {
            continue;
        }
        out.push(awarded(
            ctx,
            badge,
            &trigger.transaction_id,
            trigger.occurred_at,
            &badge.name,
            Some(milestone.describe()),
        ));
    }
    out
}

fn reaches(ctx: &Context, milestone: &Milestone, event: &Event) -> bool {
    let def = &ctx.program.definition;
    match (milestone, &event.body) {
        (Milestone::FirstRedemption, EventBody::PointsRedeemed { .. }) => {
            ctx.member.redemptions == 0
        }
        (
            Milestone::TierReached { tier },
            EventBody::TierChanged {
                from_tier, to_tier, ..
            },
        ) => {
            // Reached when passed too: Bronze straight to Gold reaches Silver.
            let rank = |t: &str| def.tier_index(t);
            let goal = rank(tier);
            rank(from_tier) < goal && rank(to_tier) >= goal
        }
        _ => false,
    }
}

fn awarded(
    ctx: &Context,
    def: &BadgeDef,
    transaction_id: &str,
    at: Time,
    reason: &str,
    milestone: Option<String>,
) -> Event {
    ctx.event(
        transaction_id,
        at,
        EventBody::BadgeAwarded {
            badge: def.id.clone(),
            reason: reason.to_string(),
            milestone,
            valid_until: def.valid_months.map(|m| add_months(at, m)),
        },
    )
}
