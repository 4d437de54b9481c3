//! A member's open lots as columns (the protobuf `loyalty.v1.SnapshotLots`
//! a snapshot stores), in key order: a lot is found by binary search over
//! the places and read as a [`LotRef`] borrowing the columns, so walking
//! tens of thousands of lots allocates nothing.

use crate::views::{LotRef, LotView};
use ledger_core::{Decimal, Time};
use loyalty_proto::v1 as pb;
use std::collections::HashMap;

/// `expires_at_micros` of a lot that never expires on its own.
const NEVER: i64 = i64::MIN;
const POINTS_LEN: usize = 16;

/// Columns checked on the way in (see [`LotTable::from_columns`]), so every
/// read of them stays in bounds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LotTable {
    cols: pb::SnapshotLots,
}

impl LotTable {
    /// Lots in key order, from documents in any order.
    pub fn from_lots(mut lots: Vec<LotView>) -> Self {
        lots.sort_by(|a, b| {
            (a.currency.as_bytes(), a.lot_id.as_bytes())
                .cmp(&(b.currency.as_bytes(), b.lot_id.as_bytes()))
        });
        let mut builder = LotTableBuilder::default();
        for lot in &lots {
            builder.push(LotRef::from(lot));
        }
        builder.finish()
    }

    /// Stored columns, refused with the reason when they do not agree
    /// with each other.
    pub fn from_columns(cols: pb::SnapshotLots) -> Result<Self, String> {
        let n = cols.place_ends.len();
        let lengths = [
            cols.expires_at_micros.len(),
            cols.earned_at_micros.len(),
            cols.partner_refs.len(),
        ];
        if lengths.iter().any(|l| *l != n) || cols.points.len() != n * POINTS_LEN {
            return Err(format!("lot columns of unequal length ({n} places)"));
        }
        let mut start = 0usize;
        let mut before = "";
        for &end in &cols.place_ends {
            let end = end as usize;
            let place = cols
                .places
                .get(start..end)
                .ok_or("a lot place out of range")?;
            if !place.contains('\0') {
                return Err(format!("lot place {place:?} has no currency"));
            }
            if place <= before {
                return Err(format!("lot place {place:?} out of key order"));
            }
            (start, before) = (end, place);
        }
        if cols
            .partner_refs
            .iter()
            .any(|r| *r as usize > cols.partners.len())
        {
            return Err("a lot names a partner the snapshot does not list".into());
        }
        let range = Time::MIN_UTC.timestamp_micros()..=Time::MAX_UTC.timestamp_micros();
        let times = cols
            .earned_at_micros
            .iter()
            .chain(cols.expires_at_micros.iter().filter(|m| **m != NEVER));
        if let Some(bad) = times.copied().find(|m| !range.contains(m)) {
            return Err(format!("lot time {bad} out of range"));
        }
        Ok(LotTable { cols })
    }

    pub fn into_columns(self) -> pb::SnapshotLots {
        self.cols
    }

    pub fn len(&self) -> usize {
        self.cols.place_ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Lot `i`'s place in the key order (see [`keys::lot_place`]).
    pub fn place(&self, i: usize) -> &[u8] {
        self.place_str(i).as_bytes()
    }

    fn place_str(&self, i: usize) -> &str {
        let start = i
            .checked_sub(1)
            .map_or(0, |p| self.cols.place_ends[p] as usize);
        &self.cols.places[start..self.cols.place_ends[i] as usize]
    }

    /// The index of the lot at `place`, if it is there.
    pub fn find(&self, place: &[u8]) -> Option<usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.place(mid).cmp(place) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    pub fn lot(&self, i: usize) -> LotRef<'_> {
        let (currency, lot_id) = self.place_str(i).split_once('\0').unwrap_or_default();
        let mut points = [0u8; POINTS_LEN];
        points.copy_from_slice(&self.cols.points[i * POINTS_LEN..(i + 1) * POINTS_LEN]);
        let partner = self.cols.partner_refs[i] as usize;
        LotRef {
            lot_id,
            currency,
            points: Decimal::deserialize(points),
            expires_at_micros: Some(self.cols.expires_at_micros[i]).filter(|m| *m != NEVER),
            partner_id: partner
                .checked_sub(1)
                .map(|p| self.cols.partners[p].as_str()),
            earned_at_micros: self.cols.earned_at_micros[i],
        }
    }

    /// Every lot with its place, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], LotRef<'_>)> {
        (0..self.len()).map(|i| (self.place(i), self.lot(i)))
    }
}

/// Builds a table from lots given in key order (as a walk of the lot
/// documents gives them).
#[derive(Default)]
pub struct LotTableBuilder {
    cols: pb::SnapshotLots,
    partners: HashMap<String, u32>,
}

impl LotTableBuilder {
    pub fn push(&mut self, lot: LotRef<'_>) {
        let c = &mut self.cols;
        c.places.push_str(lot.currency);
        c.places.push('\0');
        c.places.push_str(lot.lot_id);
        c.place_ends.push(c.places.len() as u32);
        c.points.extend_from_slice(&lot.points.serialize());
        c.expires_at_micros
            .push(lot.expires_at_micros.unwrap_or(NEVER));
        c.earned_at_micros.push(lot.earned_at_micros);
        let partner = match lot.partner_id {
            None => 0,
            Some(p) => match self.partners.get(p) {
                Some(r) => *r,
                None => {
                    c.partners.push(p.to_string());
                    let r = c.partners.len() as u32;
                    self.partners.insert(p.to_string(), r);
                    r
                }
            },
        };
        c.partner_refs.push(partner);
    }

    pub fn finish(self) -> LotTable {
        LotTable { cols: self.cols }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys;
    use chrono::{TimeZone, Utc};

    fn lot(currency: &str, id: &str, expires: bool, partner: Option<&str>) -> LotView {
        let at =
            Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap() + chrono::Duration::microseconds(7);
        LotView {
            lot_id: id.into(),
            currency: currency.into(),
            points: Decimal::new(12_345, 2),
            expires_at: expires.then_some(at + chrono::Duration::days(365)),
            partner_id: partner.map(str::to_string),
            earned_at: at,
        }
    }

    #[test]
    fn lots_read_back_in_key_order_and_are_found_by_place() {
        let lots = vec![
            lot("POINTS", "b", false, None),
            lot("MILES", "z", true, Some("hotel")),
            lot("POINTS", "a", true, Some("hotel")),
            lot("POINTS", "c", true, Some("air")),
        ];
        let table = LotTable::from_lots(lots.clone());
        let read: Vec<LotView> = table.iter().map(|(_, l)| l.to_view()).collect();
        let mut sorted = lots;
        sorted.sort_by(|a, b| (&a.currency, &a.lot_id).cmp(&(&b.currency, &b.lot_id)));
        assert_eq!(read, sorted);
        assert_eq!(table.find(&keys::lot_place("POINTS", "c")), Some(3));
        assert_eq!(table.find(&keys::lot_place("MILES", "z")), Some(0));
        assert_eq!(table.find(&keys::lot_place("POINTS", "d")), None);
        assert_eq!(table.cols.partners, ["hotel", "air"], "each partner once");
        let again = LotTable::from_columns(table.clone().into_columns()).unwrap();
        assert_eq!(again, table);
    }

    #[test]
    fn columns_that_disagree_are_refused() {
        let good =
            LotTable::from_lots(vec![lot("POINTS", "a", true, Some("hotel"))]).into_columns();
        let mut short = good.clone();
        short.points.pop();
        let mut beyond = good.clone();
        beyond.place_ends[0] = 999;
        let mut unnamed = good.clone();
        unnamed.partner_refs[0] = 2;
        let mut unsorted = LotTable::from_lots(vec![
            lot("POINTS", "a", true, None),
            lot("POINTS", "b", true, None),
        ])
        .into_columns();
        unsorted.places = "POINTS\0bPOINTS\0a".into();
        let mut no_currency = good.clone();
        no_currency.places = "POINTSa".into();
        no_currency.place_ends[0] = 7;
        let mut far = good;
        far.earned_at_micros[0] = i64::MAX;
        for bad in [short, beyond, unnamed, unsorted, no_currency, far] {
            assert!(LotTable::from_columns(bad).is_err());
        }
    }
}
