//! Member snapshots as stored: the protobuf `loyalty.v1.MemberSnapshot`,
//! the view inside as the JSON document the read model keeps, the lots as
//! columns (a view as of a past point counts every one of a long-lived
//! member's tens of thousands of lots and copies a page of them).

use crate::lot_table::LotTable;
use crate::store::{from_json, to_json, StoreError};
use crate::views::{LotView, MemberView};
use ledger_core::{Decimal, Time};
use loyalty_proto::{v1 as pb, Message};
use serde::Deserialize;

/// A member's view and open lots after one of its events (every
/// [`crate::fold::SNAPSHOT_EVERY`] events): where a point-in-time view starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub view: MemberView,
    pub lots: LotTable,
}

/// A snapshot as stores kept it before snapshots were protobuf.
#[derive(Deserialize)]
struct JsonSnapshot {
    view: MemberView,
    lots: Vec<LotView>,
}

pub fn encode(view: &MemberView, lots: LotTable) -> Vec<u8> {
    pb::MemberSnapshot {
        view_json: to_json(view),
        lots: Vec::new(),
        table: Some(lots.into_columns()),
    }
    .encode_to_vec()
}

/// A stored snapshot, in any of the forms it has been stored in.
pub fn decode(key: &[u8], bytes: &[u8]) -> Result<Snapshot, StoreError> {
    // `{` is never the first byte of the protobuf message.
    if bytes.first() == Some(&b'{') {
        let old: JsonSnapshot = from_json(key, bytes)?;
        return Ok(Snapshot {
            view: old.view,
            lots: LotTable::from_lots(old.lots),
        });
    }
    let undecodable = |message: String| StoreError::Undecodable {
        key: String::from_utf8_lossy(key).into_owned(),
        message,
    };
    let stored = pb::MemberSnapshot::decode(bytes).map_err(|e| undecodable(e.to_string()))?;
    let lots = match stored.table {
        Some(columns) => LotTable::from_columns(columns).map_err(undecodable)?,
        None => LotTable::from_lots(
            stored
                .lots
                .into_iter()
                .map(lot_from)
                .collect::<Result<Vec<_>, _>>()
                .map_err(undecodable)?,
        ),
    };
    Ok(Snapshot {
        view: from_json(key, &stored.view_json)?,
        lots,
    })
}

/// A lot of a snapshot written one message per lot.
fn lot_from(lot: pb::SnapshotLot) -> Result<LotView, String> {
    let points: [u8; 16] = lot
        .points
        .as_slice()
        .try_into()
        .map_err(|_| format!("lot {}: points are not 16 bytes", lot.lot_id))?;
    let time = |micros: i64| {
        Time::from_timestamp_micros(micros)
            .ok_or_else(|| format!("lot {}: time {micros} out of range", lot.lot_id))
    };
    Ok(LotView {
        points: Decimal::deserialize(points),
        expires_at: lot.expires_at_micros.map(time).transpose()?,
        earned_at: time(lot.earned_at_micros)?,
        partner_id: Some(lot.partner_id).filter(|p| !p.is_empty()),
        lot_id: lot.lot_id,
        currency: lot.currency,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How snapshots before columns stored a lot.
    fn lot_to(lot: &LotView) -> pb::SnapshotLot {
        pb::SnapshotLot {
            lot_id: lot.lot_id.clone(),
            currency: lot.currency.clone(),
            points: lot.points.serialize().to_vec(),
            expires_at_micros: lot.expires_at.map(|t| t.timestamp_micros()),
            partner_id: lot.partner_id.clone().unwrap_or_default(),
            earned_at_micros: lot.earned_at.timestamp_micros(),
        }
    }
    use chrono::{TimeZone, Utc};

    fn view(at: Time) -> MemberView {
        MemberView {
            program_id: "fx".into(),
            member_id: "ada".into(),
            member_type: "individual".into(),
            status: "active".into(),
            tier: Some("Gold".into()),
            enrolled_at: at,
            channel: "web".into(),
            sequence: 1_000,
            position: "0:41".into(),
            chain_head: "ab".into(),
            clock: Some(at),
            balances: Default::default(),
            badges: Default::default(),
            benefits: Default::default(),
            vouchers: Default::default(),
            group: None,
            roster: Default::default(),
            transfers_in_flight: Default::default(),
        }
    }

    #[test]
    fn a_snapshot_reads_back_as_written_and_old_json_ones_still_read() {
        let at =
            Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap() + chrono::Duration::microseconds(7);
        let lot = |id: &str, expires: bool, partner: Option<&str>| LotView {
            lot_id: id.into(),
            currency: "POINTS".into(),
            points: Decimal::new(12_345, 2),
            expires_at: expires.then_some(at + chrono::Duration::days(365)),
            partner_id: partner.map(str::to_string),
            earned_at: at,
        };
        let lots = vec![lot("b", false, None), lot("a", true, Some("hotel"))];
        let snapshot = Snapshot {
            view: view(at),
            lots: LotTable::from_lots(lots.clone()),
        };
        let key = b"s-test";
        let written = encode(&snapshot.view, snapshot.lots.clone());
        assert_eq!(decode(key, &written).unwrap(), snapshot);
        let json = serde_json::json!({"view": view(at), "lots": lots});
        assert_eq!(decode(key, &to_json(&json)).unwrap(), snapshot);
        let one_message_per_lot = pb::MemberSnapshot {
            view_json: to_json(&view(at)),
            lots: lots.iter().map(lot_to).collect(),
            table: None,
        };
        assert_eq!(
            decode(key, &one_message_per_lot.encode_to_vec()).unwrap(),
            snapshot
        );
        assert!(matches!(
            decode(key, b"\xff\xff not protobuf"),
            Err(StoreError::Undecodable { .. })
        ));
    }
}
