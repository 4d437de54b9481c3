//! Member status: suspend (no accrual or redemption), reactivate, and
//! unenroll, which is final and forfeits the open lots by explicit events.

use super::context::{Context, Scratch};
use crate::event::{Event, EventBody};
use crate::lots::total;
use crate::member::MemberStatus;
use crate::{Decimal, Rejection, Time};

pub(crate) fn change(
    ctx: &Context,
    transaction_id: &str,
    to: MemberStatus,
    occurred_at: Time,
    reason: &str,
) -> Result<Vec<Event>, Rejection> {
    let from = ctx.member.status;
    if from == to || from == MemberStatus::Unenrolled {
        return Err(Rejection::InvalidStatusChange {
            member: ctx.member.id.clone(),
            from,
            to,
        });
    }
    // The status change comes first: it records the transaction's journal,
    // which a retry's receipt reads the whole group by.
    let mut events = vec![ctx.event(
        transaction_id,
        occurred_at,
        EventBody::MemberStatusChanged {
            from,
            to,
            reason: reason.to_string(),
        },
    )];
    if to == MemberStatus::Unenrolled {
        events.extend(forfeit(ctx, transaction_id, occurred_at));
    }
    Ok(events)
}

/// One `PointsForfeited` per currency that still has open lots.
fn forfeit(ctx: &Context, transaction_id: &str, occurred_at: Time) -> Vec<Event> {
    let mut events = Vec::new();
    for (code, held) in &ctx.member.books {
        let lots = held.all_lots();
        let pending = held.all_pending();
        let points = total(&lots);
        if points <= Decimal::ZERO && pending.is_empty() {
            continue;
        }
        let mut scratch = Scratch::default();
        let book = scratch.book(ctx.member, code);
        book.debit(&lots);
        book.debit_pending(&pending);
        events.push(ctx.event(
            transaction_id,
            occurred_at,
            EventBody::PointsForfeited {
                currency: code.clone(),
                points,
                lots_forfeited: lots,
                pending_forfeited: pending,
                balances_after: scratch.balances_after(),
            },
        ));
    }
    events
}
