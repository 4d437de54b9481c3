//! Cancelling an earlier accrual or redemption with a new reversing event.
//!
//! - An accrual is reversed from its own lot first, then other open lots
//!   (FIFO); what the member already spent becomes arrears. Points of its lot
//!   that already expired stay expired and are not reversed.
//! - A redemption gives its consumed lots back with their original id,
//!   expiry and partner, paying arrears first (its own overdraft first);
//!   overdraft already paid off by later credits comes back as a new lot;
//!   vouchers it bought are cancelled with it, and only while unused.

use super::accrue::new_lot;
use super::context::{Context, Scratch};
use super::vouchers::cancel_purchase;
use crate::event::{CreditReversal, Event, EventBody, Lot};
use crate::lots::{lot_id, total};
use crate::member::JournalKind;
use crate::{Decimal, Rejection, Time};

pub(crate) fn cancel(
    ctx: &Context,
    transaction_id: &str,
    cancels: &str,
    occurred_at: Time,
    reason: &str,
) -> Result<Vec<Event>, Rejection> {
    let journal = ctx
        .member
        .journals
        .get(cancels)
        .ok_or_else(|| Rejection::TransactionNotFound(cancels.to_string()))?;
    if journal.cancelled {
        return Err(Rejection::AlreadyCancelled(cancels.to_string()));
    }
    let body = match &journal.kind {
        JournalKind::Accrual {
            partner_id,
            credited,
            expired,
        } => {
            let mut scratch = Scratch::default();
            let mut reversals = Vec::new();
            for (code, gross) in credited {
                let lapsed = expired.get(code).copied().unwrap_or_default();
                let points = (*gross - lapsed).max(Decimal::ZERO);
                if points.is_zero() {
                    continue;
                }
                let book = scratch.book(ctx.member, code);
                let own = lot_id(cancels, code);
                // A credit still in escrow is simply withdrawn.
                let pending = book.pending_in(&own).min(points);
                let (lots_debited, arrears_created) = book.plan_debit(points - pending, Some(&own));
                book.debit(&lots_debited);
                book.arrears += arrears_created;
                book.withdraw_pending(&own, pending);
                reversals.push(CreditReversal {
                    currency: code.clone(),
                    points,
                    lots_debited,
                    arrears_created,
                    partner_id: partner_id.clone(),
                    pending_reversed: pending,
                });
            }
            EventBody::AccrualCancelled {
                cancels: cancels.to_string(),
                reason: reason.to_string(),
                reversals,
                balances_after: scratch.balances_after(),
            }
        }
        JournalKind::Redemption {
            currency,
            points,
            partner_id,
            lots_consumed,
        } => {
            let mut scratch = Scratch::default();
            let book = scratch.book(ctx.member, currency);
            let (arrears_settled, _) = book.plan_credit(*points);
            // A redemption below zero owes its overdraft: arrears are settled
            // from that part first, then from the consumed lots.
            let overdraft = *points - total(lots_consumed);
            let mut to_settle = (arrears_settled - overdraft).max(Decimal::ZERO);
            let mut lots_restored = Vec::new();
            for d in lots_consumed {
                let settle = to_settle.min(d.points);
                to_settle -= settle;
                let back = d.points - settle;
                if back > Decimal::ZERO {
                    lots_restored.push(Lot {
                        lot_id: d.lot_id.clone(),
                        currency: d.currency.clone(),
                        points: back,
                        expires_at: d.expires_at,
                        partner_id: d.partner_id.clone(),
                        earned_at: d.earned_at,
                    });
                }
            }
            // Overdraft later credits already paid off comes back as a new lot.
            let repaid = (overdraft - arrears_settled).max(Decimal::ZERO);
            if let (true, Some(def)) = (
                repaid > Decimal::ZERO,
                ctx.program.definition.currency(currency),
            ) {
                lots_restored.push(new_lot(def, transaction_id, occurred_at, repaid, None));
            }
            book.arrears -= arrears_settled;
            for lot in &lots_restored {
                book.open(lot.clone());
            }
            EventBody::RedemptionCancelled {
                cancels: cancels.to_string(),
                reason: reason.to_string(),
                currency: currency.clone(),
                points: *points,
                partner_id: partner_id.clone(),
                lots_returned: lots_consumed.clone(),
                arrears_settled,
                lots_restored,
                balances_after: scratch.balances_after(),
            }
        }
        JournalKind::Cancellation
        | JournalKind::TierChange
        | JournalKind::StatusChange
        | JournalKind::Adjustment
        | JournalKind::BadgeAward
        | JournalKind::VoucherIssue
        | JournalKind::VoucherUse
        | JournalKind::Transfer
        | JournalKind::TransferIn { .. }
        | JournalKind::GroupChange => {
            return Err(Rejection::invalid(format!(
                "transaction {cancels} is not an accrual or a redemption"
            )))
        }
    };
    let refunded = matches!(body, EventBody::RedemptionCancelled { .. });
    let mut events = vec![ctx.event(transaction_id, occurred_at, body)];
    if refunded {
        events.extend(cancel_purchase(
            ctx,
            transaction_id,
            cancels,
            occurred_at,
            reason,
        )?);
    }
    Ok(events)
}
