//! A book's open lots in the order debits consume them, found by id too.
//! Persistent maps: a decision copies the member's book into its scratch
//! and changes a few lots, so a copy must not cost the tens of thousands a
//! long-lived member holds (it shares them), and finding, opening or
//! closing one is logarithmic.

use crate::event::Lot;
use crate::{Decimal, Time};
use imbl::OrdMap;

/// Consumption order: earliest expiry first, never-expiring last, then
/// oldest, then by id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Order {
    never: bool,
    expires_at: Option<Time>,
    earned_at: Time,
    lot_id: String,
}

impl Order {
    fn of(lot: &Lot) -> Self {
        Order {
            never: lot.expires_at.is_none(),
            expires_at: lot.expires_at,
            earned_at: lot.earned_at,
            lot_id: lot.lot_id.clone(),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct OpenLots {
    lots: OrdMap<Order, Lot>,
    order_of: OrdMap<String, Order>,
    /// The sum of the lots' points, kept as they change.
    total: Decimal,
}

impl PartialEq for OpenLots {
    /// The lots alone: the index and the total follow from them.
    fn eq(&self, other: &Self) -> bool {
        self.lots == other.lots
    }
}

impl OpenLots {
    /// In consumption order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Lot> + '_ {
        self.lots.values()
    }

    pub fn len(&self) -> usize {
        self.lots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lots.is_empty()
    }

    pub fn total(&self) -> Decimal {
        self.total
    }

    pub fn get(&self, lot_id: &str) -> Option<&Lot> {
        self.lots.get(self.order_of.get(lot_id)?)
    }

    /// Opens a lot, or adds to the open lot of the same id.
    pub fn open(&mut self, lot: Lot) {
        self.total += lot.points;
        if let Some(order) = self.order_of.get(&lot.lot_id) {
            if let Some(open) = self.lots.get_mut(order) {
                open.points += lot.points;
                return;
            }
        }
        let order = Order::of(&lot);
        self.order_of.insert(lot.lot_id.clone(), order.clone());
        self.lots.insert(order, lot);
    }

    /// Takes `points` out of lot `lot_id` (nothing when it is not open);
    /// the lot closes when nothing is left in it.
    pub fn take(&mut self, lot_id: &str, points: Decimal) {
        let Some(order) = self.order_of.get(lot_id).cloned() else {
            return;
        };
        let Some(lot) = self.lots.get_mut(&order) else {
            return;
        };
        lot.points -= points;
        self.total -= points;
        if lot.points <= Decimal::ZERO {
            // A lot never goes below zero; what an overdrawn one held
            // leaves the total with it.
            self.total -= lot.points;
            self.lots.remove(&order);
            self.order_of.remove(lot_id);
        }
    }
}

impl FromIterator<Lot> for OpenLots {
    fn from_iter<I: IntoIterator<Item = Lot>>(lots: I) -> Self {
        let mut open = OpenLots::default();
        lots.into_iter().for_each(|lot| open.open(lot));
        open
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn lot(id: &str, points: i64, expires_month: Option<u32>) -> Lot {
        Lot {
            lot_id: id.into(),
            currency: "POINTS".into(),
            points: Decimal::from(points),
            partner_id: None,
            expires_at: expires_month.map(|m| Utc.with_ymd_and_hms(2027, m, 1, 0, 0, 0).unwrap()),
            earned_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        }
    }

    fn ids(open: &OpenLots) -> Vec<&str> {
        open.iter().map(|l| l.lot_id.as_str()).collect()
    }

    #[test]
    fn lots_keep_consumption_order_and_their_total() {
        let mut open: OpenLots = [
            lot("never", 5, None),
            lot("june", 3, Some(6)),
            lot("may", 2, Some(5)),
        ]
        .into_iter()
        .collect();
        assert_eq!(ids(&open), ["may", "june", "never"]);
        assert_eq!(open.total(), Decimal::from(10));
        open.open(lot("june", 4, Some(6)));
        assert_eq!(open.get("june").map(|l| l.points), Some(Decimal::from(7)));
        open.take("may", Decimal::from(2));
        open.take("june", Decimal::from(1));
        open.take("gone", Decimal::from(1));
        assert_eq!(ids(&open), ["june", "never"]);
        assert_eq!(open.total(), Decimal::from(11));
        assert_eq!(open.get("may"), None);
    }

    #[test]
    fn a_copy_changes_apart_from_its_original() {
        let original: OpenLots = (0..1000)
            .map(|i| lot(&format!("l{i:04}"), 1, Some(3)))
            .collect();
        let mut copy = original.clone();
        copy.take("l0000", Decimal::ONE);
        copy.open(lot("new", 9, None));
        assert_eq!(original.len(), 1000);
        assert_eq!(original.total(), Decimal::from(1000));
        assert_eq!(copy.len(), 1000);
        assert_eq!(copy.total(), Decimal::from(1008));
        assert_ne!(copy, original);
    }
}
