//! Manual adjustments by an operator, with actor and reason: a credit pays
//! arrears first and opens a lot (expiring as its currency says, and able
//! to lift the tier); a debit consumes lots oldest-expiring first and may
//! not take more than is available.

use super::accrue::{ensure_activity, new_lot};
use super::context::{Context, Scratch};
use super::tier::upgrade;
use crate::command::Adjustment;
use crate::event::{Event, EventBody};
use crate::{Decimal, Rejection};

pub(crate) fn adjust(ctx: &Context, a: &Adjustment) -> Result<Vec<Event>, Rejection> {
    let Some(currency) = ctx.program.definition.currency(&a.currency) else {
        return Err(Rejection::invalid(format!(
            "unknown currency {}",
            a.currency
        )));
    };
    let mut scratch = Scratch::default();
    let book = scratch.book(ctx.member, &a.currency);
    let (arrears_settled, lot, lots_debited) = if a.points > Decimal::ZERO {
        let (settled, rest) = book.plan_credit(a.points);
        let lot = (rest > Decimal::ZERO)
            .then(|| new_lot(currency, &a.transaction_id, a.occurred_at, rest, None));
        book.arrears -= settled;
        if let Some(lot) = &lot {
            book.open(lot.clone());
        }
        ensure_activity(book, currency, a.occurred_at);
        (settled, lot, Vec::new())
    } else {
        let wanted = -a.points;
        let available = book.available();
        if available < wanted {
            return Err(Rejection::InsufficientPoints {
                currency: a.currency.clone(),
                available: available.max(Decimal::ZERO),
                requested: wanted,
            });
        }
        let (debits, _) = book.plan_debit(wanted, None);
        book.debit(&debits);
        (Decimal::ZERO, None, debits)
    };
    let mut events = vec![ctx.event(
        &a.transaction_id,
        a.occurred_at,
        EventBody::PointsAdjusted {
            currency: a.currency.clone(),
            points: a.points,
            actor: a.actor.clone(),
            reason: a.reason.clone(),
            arrears_settled,
            lot,
            lots_debited,
            balances_after: scratch.balances_after(),
        },
    )];
    events.extend(upgrade(ctx, &scratch, &a.transaction_id, a.occurred_at));
    Ok(events)
}
