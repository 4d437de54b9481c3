//! The release run: escrowed credits whose return window has passed become
//! spendable. Released points pay arrears first, like any credit, and a
//! released qualifying credit can lift the tier.

use super::accrue::ensure_activity;
use super::context::{Context, Scratch};
use super::tier::upgrade;
use crate::event::{Event, EventBody, Lot, LotDebit};
use crate::lots::total;
use crate::{Decimal, Time};

pub(crate) fn release(ctx: &Context, as_of: Time) -> Vec<Event> {
    let transaction_id = format!("release:{}", crate::time::format(&as_of));
    let mut scratch = Scratch::default();
    let mut events = Vec::new();
    for (code, held) in &ctx.member.books {
        let released = held.due_pending(as_of);
        if released.is_empty() {
            continue;
        }
        let points = total(&released);
        let book = scratch.book(ctx.member, code);
        let (arrears_settled, _) = book.plan_credit(points);
        let lots_opened = opened(&released, arrears_settled);
        book.debit_pending(&released);
        book.arrears -= arrears_settled;
        for lot in &lots_opened {
            book.open(lot.clone());
        }
        if let Some(currency) = ctx.program.definition.currency(code) {
            ensure_activity(book, currency, as_of);
        }
        events.push(ctx.event(
            &transaction_id,
            as_of,
            EventBody::PointsReleased {
                currency: code.clone(),
                points,
                as_of,
                released,
                arrears_settled,
                lots_opened,
                balances_after: scratch.balances_after(),
            },
        ));
    }
    events.extend(upgrade(ctx, &scratch, &transaction_id, as_of));
    events
}

/// The lots that open once `settle` points of arrears are paid from the
/// released ones, first lots first.
fn opened(released: &[LotDebit], settle: Decimal) -> Vec<Lot> {
    let mut to_settle = settle;
    let mut lots = Vec::new();
    for d in released {
        let paid = to_settle.min(d.points);
        to_settle -= paid;
        if d.points > paid {
            lots.push(Lot {
                lot_id: d.lot_id.clone(),
                currency: d.currency.clone(),
                points: d.points - paid,
                expires_at: d.expires_at,
                partner_id: d.partner_id.clone(),
                earned_at: d.earned_at,
            });
        }
    }
    lots
}
