//! Point-to-point transfers between two accounts of a program. Each account
//! is decided on its own, so a transfer is a short conversation the ledger
//! carries on by itself (see [`crate::saga`]): the sender's
//! `PointsTransferredOut` puts the lots in flight; the receiver opens them
//! (`PointsTransferredIn`) or refuses; the sender's `TransferSettled`
//! closes the transfer, giving the lots back when it was refused.

use crate::event::{Event, EventBody, Lot, LotDebit};
use crate::{Decimal, Time};
use serde::Serialize;

/// A transfer the sender has not heard back about.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TransferOut {
    pub to_member: String,
    pub currency: String,
    pub points: Decimal,
    pub pool: bool,
    pub occurred_at: Time,
    pub lots: Vec<LotDebit>,
}

impl TransferOut {
    /// The transfer a `PointsTransferredOut` puts in flight, with its id.
    pub fn sent_by(event: &Event) -> Option<(&str, TransferOut)> {
        let EventBody::PointsTransferredOut {
            transfer_id,
            to_member,
            currency,
            points,
            pool,
            lots_debited,
            ..
        } = &event.body
        else {
            return None;
        };
        let sent = TransferOut {
            to_member: to_member.clone(),
            currency: currency.clone(),
            points: *points,
            pool: *pool,
            occurred_at: event.occurred_at,
            lots: lots_debited.clone(),
        };
        Some((transfer_id, sent))
    }
}

/// The transaction a transfer has on its receiver's account (ids of the
/// ledger's own start with `transfer:`; member ids hold no '/').
pub fn received_id(from_member: &str, transfer_id: &str) -> String {
    format!("transfer:{from_member}/{transfer_id}")
}

/// The transaction of a transfer's settlement on its sender.
pub fn settled_id(transfer_id: &str) -> String {
    format!("transfer:settled/{transfer_id}")
}

/// The lot a transferred lot opens at its receiver: its own id (the
/// transfer's id there and the sender's lot), the sender's expiry, partner
/// and date.
pub fn received_lot(received_id: &str, debit: &LotDebit, points: Decimal) -> Lot {
    Lot {
        lot_id: format!("{received_id}>{}", debit.lot_id),
        currency: debit.currency.clone(),
        points,
        expires_at: debit.expires_at,
        partner_id: debit.partner_id.clone(),
        earned_at: debit.earned_at,
    }
}

/// A lot given back to its sender as it left (`points` of it: arrears may
/// take the rest).
pub fn returned_lot(debit: &LotDebit, points: Decimal) -> Lot {
    Lot {
        lot_id: debit.lot_id.clone(),
        currency: debit.currency.clone(),
        points,
        expires_at: debit.expires_at,
        partner_id: debit.partner_id.clone(),
        earned_at: debit.earned_at,
    }
}
