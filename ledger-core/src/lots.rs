//! A member's book in one currency: open lots in consumption order, arrears,
//! and lifetime figures. Debits consume lots oldest-expiring first, lots that
//! never expire last; credits pay arrears before opening a lot.

use crate::event::{BalanceAfter, Lot, LotDebit};
use crate::open_lots::OpenLots;
use crate::{Decimal, Time};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct CurrencyBook {
    /// Open lots, in the order debits consume them.
    pub lots: OpenLots,
    /// Escrowed lots, in the order they were credited: not spendable until
    /// released.
    pub pending: Vec<PendingLot>,
    /// Points owed after a reversal of points already spent.
    pub arrears: Decimal,
    /// Credited, net of cancelled accruals and of manual adjustments.
    pub earned: Decimal,
    /// Redeemed, net of cancelled redemptions.
    pub redeemed: Decimal,
    /// Expired, forfeited on unenrollment, and reset qualifying points.
    pub expired: Decimal,
    /// Received from other members less sent to them (returned transfers
    /// come back here).
    pub transferred: Decimal,
    /// Activity expiry model: when the whole balance lapses.
    pub activity_expires_at: Option<Time>,
}

/// An escrowed credit and when a release run may make it spendable.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingLot {
    pub lot: Lot,
    pub release_at: Time,
}

/// The lot id of an accrual's credit: `<transaction id>/<currency>`.
pub fn lot_id(transaction_id: &str, currency: &str) -> String {
    format!("{transaction_id}/{currency}")
}

/// The accrual transaction a lot came from (currency codes hold no '/').
pub fn lot_origin(lot_id: &str) -> &str {
    lot_id.rsplit_once('/').map(|(tx, _)| tx).unwrap_or(lot_id)
}

impl CurrencyBook {
    pub fn lots_total(&self) -> Decimal {
        self.lots.total()
    }

    /// Spendable points: open lots minus arrears.
    pub fn available(&self) -> Decimal {
        self.lots_total() - self.arrears
    }

    pub fn pending_total(&self) -> Decimal {
        self.pending.iter().map(|p| p.lot.points).sum()
    }

    /// Escrowed lots a release run at `as_of` makes spendable.
    pub fn due_pending(&self, as_of: Time) -> Vec<LotDebit> {
        self.pending
            .iter()
            .filter(|p| p.release_at <= as_of)
            .map(|p| debit_of(&p.lot, p.lot.points))
            .collect()
    }

    /// Every escrowed lot in full.
    pub fn all_pending(&self) -> Vec<LotDebit> {
        self.pending
            .iter()
            .map(|p| debit_of(&p.lot, p.lot.points))
            .collect()
    }

    /// Points still escrowed in lot `lot_id`.
    pub fn pending_in(&self, lot_id: &str) -> Decimal {
        self.pending
            .iter()
            .filter(|p| p.lot.lot_id == lot_id)
            .map(|p| p.lot.points)
            .sum()
    }

    /// Takes `points` out of escrowed lot `lot_id`; an emptied lot goes.
    pub fn withdraw_pending(&mut self, lot_id: &str, points: Decimal) {
        if let Some(p) = self.pending.iter_mut().find(|p| p.lot.lot_id == lot_id) {
            p.lot.points -= points;
        }
        self.pending.retain(|p| p.lot.points > Decimal::ZERO);
    }

    /// Takes recorded debits out of the escrowed lots.
    pub fn debit_pending(&mut self, debits: &[LotDebit]) {
        for d in debits {
            self.withdraw_pending(&d.lot_id, d.points);
        }
    }

    /// Splits a credit into (arrears settled, rest for a lot).
    pub fn plan_credit(&self, points: Decimal) -> (Decimal, Decimal) {
        let settled = points.min(self.arrears).max(Decimal::ZERO);
        (settled, points - settled)
    }

    /// Plans taking `amount` from the lots: lot `first` before the usual order.
    /// Returns the debits and the part no lot could cover.
    pub fn plan_debit(&self, amount: Decimal, first: Option<&str>) -> (Vec<LotDebit>, Decimal) {
        let preferred = first.and_then(|id| self.lots.get(id));
        let others = self
            .lots
            .iter()
            .filter(|l| Some(l.lot_id.as_str()) != first);
        let mut left = amount;
        let mut debits = Vec::new();
        for lot in preferred.into_iter().chain(others) {
            if left <= Decimal::ZERO {
                break;
            }
            let take = lot.points.min(left);
            if take > Decimal::ZERO {
                debits.push(debit_of(lot, take));
                left -= take;
            }
        }
        (debits, left.max(Decimal::ZERO))
    }

    /// Lots whose fixed expiry is at or before `as_of`: the first ones in
    /// consumption order.
    pub fn due_lots(&self, as_of: Time) -> Vec<LotDebit> {
        self.lots
            .iter()
            .take_while(|l| l.expires_at.is_some_and(|e| e <= as_of))
            .map(|l| debit_of(l, l.points))
            .collect()
    }

    /// Every open lot in full.
    pub fn all_lots(&self) -> Vec<LotDebit> {
        self.lots.iter().map(|l| debit_of(l, l.points)).collect()
    }

    /// Takes recorded debits out of the lots; emptied lots close.
    pub fn debit(&mut self, debits: &[LotDebit]) {
        for d in debits {
            self.lots.take(&d.lot_id, d.points);
        }
    }

    /// Opens a lot, or adds to the open lot of the same id (a restored lot).
    pub fn open(&mut self, lot: Lot) {
        self.lots.open(lot);
    }

    pub fn balance_after(&self, currency: &str) -> BalanceAfter {
        BalanceAfter {
            currency: currency.to_string(),
            available: self.available(),
            pending: self.pending_total(),
            arrears: self.arrears,
            activity_expires_at: self.activity_expires_at,
        }
    }
}

fn debit_of(lot: &Lot, points: Decimal) -> LotDebit {
    LotDebit {
        lot_id: lot.lot_id.clone(),
        currency: lot.currency.clone(),
        points,
        partner_id: lot.partner_id.clone(),
        expires_at: lot.expires_at,
        earned_at: lot.earned_at,
    }
}

/// Sum of the points of lots.
pub fn total_of(lots: &[Lot]) -> Decimal {
    lots.iter().map(|l| l.points).sum()
}

/// Sum of debited points.
pub fn total(debits: &[LotDebit]) -> Decimal {
    debits.iter().map(|d| d.points).sum()
}
