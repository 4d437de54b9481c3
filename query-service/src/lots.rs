//! A member's open lots a page at a time (a long-lived member keeps tens
//! of thousands): in key order, currency then lot id, with an opaque
//! cursor, the last lot's key after the member's prefix in hex. A lot
//! that closes between two pages is simply not on the next one.

use crate::error::QueryError;
use projector::keys;
use projector::views::LotView;
use serde::Deserialize;
use serde_json::{json, Value};

/// Lots per page unless `limit` says otherwise.
pub const DEFAULT_PAGE: usize = 100;
/// At most this many lots per page.
pub const MAX_PAGE: usize = 1000;

#[derive(Deserialize)]
pub struct LotsQuery {
    pub min_position: Option<String>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

/// Which page of lots: at most `limit`, after the lot the cursor names.
#[derive(Clone, Debug)]
pub struct PageOf {
    pub limit: usize,
    /// The key of the last lot already served, after the member's prefix.
    pub after: Option<Vec<u8>>,
}

impl PageOf {
    pub fn parse(limit: Option<usize>, cursor: Option<&str>) -> Result<Self, QueryError> {
        let limit = limit.unwrap_or(DEFAULT_PAGE);
        if limit == 0 || limit > MAX_PAGE {
            return Err(QueryError::Invalid(format!(
                "lots limit must be 1-{MAX_PAGE}"
            )));
        }
        let after = match cursor.filter(|c| !c.is_empty()) {
            Some(c) => Some(hex::decode(c).map_err(|_| {
                QueryError::Invalid("lots cursor is not one this API returned".into())
            })?),
            None => None,
        };
        Ok(PageOf { limit, after })
    }
}

/// A lot's place in its member's key order (what a cursor holds).
pub fn place(lot: &LotView) -> Vec<u8> {
    keys::lot_place(&lot.currency, &lot.lot_id)
}

/// `rows`, fetched one beyond the page (`limit + 1`) in key order: the page
/// and the cursor to go on from, none when it is the last.
pub fn page_json(mut rows: Vec<LotView>, limit: usize) -> (Value, Value) {
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = match rows.last() {
        Some(last) if more => json!(hex::encode(place(last))),
        _ => Value::Null,
    };
    (json!(rows), next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use rust_decimal::Decimal;

    fn lot(currency: &str, id: &str) -> LotView {
        LotView {
            lot_id: id.into(),
            currency: currency.into(),
            points: Decimal::ONE,
            expires_at: None,
            partner_id: None,
            earned_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        }
    }

    #[test]
    fn a_page_fetched_one_long_names_its_last_lot_as_the_cursor() {
        let rows = vec![lot("POINTS", "a"), lot("POINTS", "a/b"), lot("POINTS", "b")];
        let (page, next) = page_json(rows.clone(), 2);
        assert_eq!(page, json!(rows[..2]));
        let after = PageOf::parse(None, next.as_str()).unwrap().after.unwrap();
        assert_eq!(after, keys::lot_place("POINTS", "a/b"));
        assert!(keys::lot_place("POINTS", "b") > after);
        let (page, next) = page_json(rows[..2].to_vec(), 2);
        assert_eq!(page, json!(rows[..2]));
        assert!(
            next.is_null(),
            "a full last page says there is nothing more"
        );
    }

    #[test]
    fn bad_limits_and_cursors_are_refused() {
        for limit in [0, MAX_PAGE + 1] {
            assert!(PageOf::parse(Some(limit), None).is_err());
        }
        assert!(PageOf::parse(None, Some("not-hex")).is_err());
        assert_eq!(PageOf::parse(None, Some("")).unwrap().after, None);
    }
}
