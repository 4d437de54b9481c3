//! A book's open lots in the order debits consume them, found by id too.
//! A decision copies the member's book into its scratch and changes a few
//! lots, so for a long-lived member (tens of thousands of lots) the copy
//! must share them and finding, opening or closing one be logarithmic:
//! persistent maps. Their nodes hold 64 entries each, so a book of a few
//! lots (most members') stays a sorted `Vec`, cheaper to copy than to share.

use crate::event::Lot;
use crate::{Decimal, Time};
use imbl::OrdMap;
use std::cmp::Ordering;

/// Above this many lots a book keeps them in persistent maps; at half of it
/// it goes back to a `Vec`.
const MANY: usize = 64;

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

/// [`Order`] of two lots, without copying their ids.
fn order_cmp(a: &Lot, b: &Lot) -> Ordering {
    order_key(a).cmp(&order_key(b))
}

fn order_key(l: &Lot) -> (bool, Option<Time>, Time, &str) {
    (
        l.expires_at.is_none(),
        l.expires_at,
        l.earned_at,
        l.lot_id.as_str(),
    )
}

#[derive(Clone, Debug)]
enum Kept {
    Few(Vec<Lot>),
    Many {
        lots: OrdMap<Order, Lot>,
        order_of: OrdMap<String, Order>,
    },
}

#[derive(Clone, Debug)]
pub struct OpenLots {
    kept: Kept,
    /// The sum of the lots' points, kept as they change.
    total: Decimal,
}

impl Default for OpenLots {
    fn default() -> Self {
        OpenLots {
            kept: Kept::Few(Vec::new()),
            total: Decimal::ZERO,
        }
    }
}

impl PartialEq for OpenLots {
    /// The lots alone, whichever way they are kept.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl OpenLots {
    /// In consumption order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Lot> + '_ {
        let (few, many) = match &self.kept {
            Kept::Few(lots) => (Some(lots.iter()), None),
            Kept::Many { lots, .. } => (None, Some(lots.values())),
        };
        few.into_iter().flatten().chain(many.into_iter().flatten())
    }

    pub fn len(&self) -> usize {
        match &self.kept {
            Kept::Few(lots) => lots.len(),
            Kept::Many { lots, .. } => lots.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn total(&self) -> Decimal {
        self.total
    }

    pub fn get(&self, lot_id: &str) -> Option<&Lot> {
        match &self.kept {
            Kept::Few(lots) => lots.iter().find(|l| l.lot_id == lot_id),
            Kept::Many { lots, order_of } => lots.get(order_of.get(lot_id)?),
        }
    }

    /// Opens a lot, or adds to the open lot of the same id.
    pub fn open(&mut self, lot: Lot) {
        self.total += lot.points;
        match &mut self.kept {
            Kept::Few(lots) => {
                if let Some(open) = lots.iter_mut().find(|l| l.lot_id == lot.lot_id) {
                    open.points += lot.points;
                    return;
                }
                let at = lots.partition_point(|l| order_cmp(l, &lot).is_lt());
                lots.insert(at, lot);
                if lots.len() > MANY {
                    self.kept = many(std::mem::take(lots));
                }
            }
            Kept::Many { lots, order_of } => {
                if let Some(open) = order_of.get(&lot.lot_id).and_then(|o| lots.get_mut(o)) {
                    open.points += lot.points;
                    return;
                }
                let order = Order::of(&lot);
                order_of.insert(lot.lot_id.clone(), order.clone());
                lots.insert(order, lot);
            }
        }
    }

    /// Takes `points` out of lot `lot_id` (nothing when it is not open);
    /// the lot closes when nothing is left in it.
    pub fn take(&mut self, lot_id: &str, points: Decimal) {
        let closed = match &mut self.kept {
            Kept::Few(lots) => {
                let Some(at) = lots.iter().position(|l| l.lot_id == lot_id) else {
                    return;
                };
                lots[at].points -= points;
                (lots[at].points <= Decimal::ZERO).then(|| lots.remove(at))
            }
            Kept::Many { lots, order_of } => {
                let Some(order) = order_of.get(lot_id).cloned() else {
                    return;
                };
                let Some(lot) = lots.get_mut(&order) else {
                    return;
                };
                lot.points -= points;
                if lot.points > Decimal::ZERO {
                    None
                } else {
                    order_of.remove(lot_id);
                    lots.remove(&order)
                }
            }
        };
        self.total -= points;
        if let Some(lot) = closed {
            // A lot never goes below zero; what an overdrawn one held
            // leaves the total with it.
            self.total -= lot.points;
        }
        if let Kept::Many { lots, .. } = &self.kept {
            if lots.len() <= MANY / 2 {
                self.kept = Kept::Few(lots.values().cloned().collect());
            }
        }
    }
}

fn many(few: Vec<Lot>) -> Kept {
    let order_of = few
        .iter()
        .map(|l| (l.lot_id.clone(), Order::of(l)))
        .collect();
    let lots = few.into_iter().map(|l| (Order::of(&l), l)).collect();
    Kept::Many { lots, order_of }
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
    fn many_lots_go_to_maps_and_back_keeping_order_and_total() {
        let months = |i: u32| Some(1 + i % 12);
        let mut open: OpenLots = (0..200)
            .map(|i| lot(&format!("l{i:03}"), 2, months(i)))
            .collect();
        assert!(matches!(open.kept, Kept::Many { .. }));
        let in_order: Vec<Lot> = open.iter().cloned().collect();
        let few = OpenLots {
            kept: Kept::Few(in_order.clone()),
            total: open.total(),
        };
        assert_eq!(open, few, "the same lots, whichever way they are kept");
        assert!(in_order.windows(2).all(|w| order_cmp(&w[0], &w[1]).is_lt()));
        for i in 0..190 {
            open.take(&format!("l{i:03}"), Decimal::from(2));
        }
        assert!(matches!(open.kept, Kept::Few(_)));
        assert_eq!(open.len(), 10);
        assert_eq!(open.total(), Decimal::from(20));
        assert_eq!(open.get("l195").map(|l| l.points), Some(Decimal::from(2)));
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
