//! Transfers between members, each side decided on its own account: the
//! sender's lots leave as they are (expiry, partner, earning date) and are
//! in flight until the receiver opens or refuses them; the answer settles
//! the transfer on the sender, a refused one giving the lots back.

use super::accrue::{ensure_activity, extend_activity};
use super::context::{Context, Scratch};
use crate::command::{IncomingTransfer, Transfer};
use crate::event::{Event, EventBody, Lot, LotDebit};
use crate::group::GroupLink;
use crate::lots::total;
use crate::member::{MemberStatus, MemberType};
use crate::transfer::{received_lot, returned_lot, settled_id};
use crate::{Decimal, Rejection, Time};

/// Why a group returns a contribution from a member not on its roster (the
/// member then leaves the group).
pub const NOT_IN_GROUP: &str = "not a member of the group";

pub(crate) fn send(ctx: &Context, t: &Transfer) -> Result<Vec<Event>, Rejection> {
    if t.to_member == ctx.member.id {
        return Err(Rejection::invalid("a member cannot transfer to itself"));
    }
    let mut scratch = Scratch::default();
    let book = scratch.book(ctx.member, &t.currency);
    let available = book.available();
    if available < t.points {
        return Err(Rejection::InsufficientPoints {
            currency: t.currency.clone(),
            available: available.max(Decimal::ZERO),
            requested: t.points,
        });
    }
    let (lots_debited, _) = book.plan_debit(t.points, None);
    book.debit(&lots_debited);
    if let Some(def) = ctx.program.definition.currency(&t.currency) {
        extend_activity(book, def, t.occurred_at);
    }
    Ok(vec![out(
        ctx,
        &scratch,
        &t.transaction_id,
        t.occurred_at,
        Outgoing {
            transfer_id: &t.transaction_id,
            to_member: &t.to_member,
            reason: &t.reason,
            pool: false,
            lots_debited,
        },
    )])
}

/// A transfer leaving the account, as recorded.
pub(super) struct Outgoing<'a> {
    pub transfer_id: &'a str,
    pub to_member: &'a str,
    pub reason: &'a str,
    pub pool: bool,
    pub lots_debited: Vec<LotDebit>,
}

/// The `PointsTransferredOut` of lots already debited in `scratch`.
pub(super) fn out(
    ctx: &Context,
    scratch: &Scratch,
    transaction_id: &str,
    at: Time,
    o: Outgoing,
) -> Event {
    let currency = o
        .lots_debited
        .first()
        .map(|d| d.currency.clone())
        .unwrap_or_default();
    ctx.event(
        transaction_id,
        at,
        EventBody::PointsTransferredOut {
            transfer_id: o.transfer_id.to_string(),
            to_member: o.to_member.to_string(),
            currency,
            points: total(&o.lots_debited),
            reason: o.reason.to_string(),
            pool: o.pool,
            lots_debited: o.lots_debited,
            balances_after: scratch.balances_after(),
        },
    )
}

/// Opens an arriving transfer, or records why this account refuses it.
pub(crate) fn receive(ctx: &Context, t: &IncomingTransfer) -> Vec<Event> {
    if let Some(reason) = refusal(ctx, t) {
        return vec![ctx.event(
            &t.transaction_id,
            t.occurred_at,
            EventBody::TransferRefused {
                transfer_id: t.transfer_id.clone(),
                from_member: t.from_member.clone(),
                reason,
            },
        )];
    }
    let mut scratch = Scratch::default();
    let book = scratch.book(ctx.member, &t.currency);
    let points = total(&t.lots);
    let (arrears_settled, _) = book.plan_credit(points);
    let lots_opened = open_net(&t.lots, arrears_settled, |d, points| {
        received_lot(&t.transaction_id, d, points)
    });
    book.arrears -= arrears_settled;
    for lot in &lots_opened {
        book.open(lot.clone());
    }
    if let Some(def) = ctx.program.definition.currency(&t.currency) {
        ensure_activity(book, def, t.occurred_at);
    }
    vec![ctx.event(
        &t.transaction_id,
        t.occurred_at,
        EventBody::PointsTransferredIn {
            transfer_id: t.transfer_id.clone(),
            from_member: t.from_member.clone(),
            currency: t.currency.clone(),
            points,
            pool: t.pool,
            arrears_settled,
            lots_opened,
            balances_after: scratch.balances_after(),
        },
    )]
}

/// Why the account cannot take the transfer, if it cannot.
fn refusal(ctx: &Context, t: &IncomingTransfer) -> Option<String> {
    let member = ctx.member;
    if member.status != MemberStatus::Active {
        return Some(format!(
            "member {} is {}",
            member.id,
            member.status.as_str()
        ));
    }
    if t.pool
        && (member.member_type != MemberType::Group || !member.roster.contains_key(&t.from_member))
    {
        return Some(NOT_IN_GROUP.to_string());
    }
    None
}

/// The lots a credit of `lots` opens: arrears are paid out of the first
/// lots in consumption order, the rest opens (as `lot` makes it).
fn open_net(
    lots: &[LotDebit],
    arrears: Decimal,
    lot: impl Fn(&LotDebit, Decimal) -> Lot,
) -> Vec<Lot> {
    let mut owed = arrears;
    let mut opened = Vec::new();
    for debit in lots {
        let paid = owed.min(debit.points);
        owed -= paid;
        if debit.points > paid {
            opened.push(lot(debit, debit.points - paid));
        }
    }
    opened
}

/// The receiver's answer on the sender: nothing for a transfer settled
/// already (a repeated answer). It happens at the transfer's business time
/// (the receiver's side does too), not when the answer arrives, so views as
/// of a time see the transfer whole.
pub(crate) fn settle(ctx: &Context, transfer_id: &str, returned: Option<&str>) -> Vec<Event> {
    let Some(sent) = ctx.member.transfers_out.get(transfer_id) else {
        return Vec::new();
    };
    let mut scratch = Scratch::default();
    let book = scratch.book(ctx.member, &sent.currency);
    // Given back like any credit: the sender's arrears first.
    let (arrears_settled, lots_restored) = match returned {
        Some(_) => {
            let (settled, _) = book.plan_credit(total(&sent.lots));
            (settled, open_net(&sent.lots, settled, returned_lot))
        }
        None => (Decimal::ZERO, Vec::new()),
    };
    book.arrears -= arrears_settled;
    for lot in &lots_restored {
        book.open(lot.clone());
    }
    let tx = settled_id(transfer_id);
    let mut events = vec![ctx.event(
        &tx,
        sent.occurred_at,
        EventBody::TransferSettled {
            transfer_id: transfer_id.to_string(),
            to_member: sent.to_member.clone(),
            currency: sent.currency.clone(),
            returned: returned.is_some(),
            reason: returned.unwrap_or_default().to_string(),
            arrears_settled,
            lots_restored,
            balances_after: scratch.balances_after(),
        },
    )];
    let left = ctx.member.group.as_ref().filter(|g: &&GroupLink| {
        sent.pool && returned == Some(NOT_IN_GROUP) && g.group_id == sent.to_member
    });
    if let Some(group) = left {
        events.push(ctx.event(
            &tx,
            sent.occurred_at,
            EventBody::GroupLeft {
                group_id: group.group_id.clone(),
                reason: NOT_IN_GROUP.to_string(),
            },
        ));
    }
    events
}
