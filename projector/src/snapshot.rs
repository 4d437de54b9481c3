//! Member snapshots as stored: the protobuf `loyalty.v1.MemberSnapshot`,
//! the view inside as the JSON document the read model keeps, the lots in
//! a form quick to read (a view as of a past point reads every one of a
//! long-lived member's tens of thousands of lots).

use crate::store::{from_json, to_json, StoreError};
use crate::views::{LotView, MemberSnapshot};
use ledger_core::{Decimal, Time};
use loyalty_proto::{v1 as pb, Message};

pub fn encode(snapshot: &MemberSnapshot) -> Vec<u8> {
    pb::MemberSnapshot {
        view_json: to_json(&snapshot.view),
        lots: snapshot.lots.iter().map(lot_to).collect(),
    }
    .encode_to_vec()
}

/// A stored snapshot, its lots in key order.
pub fn decode(key: &[u8], bytes: &[u8]) -> Result<MemberSnapshot, StoreError> {
    // Stores written before snapshots were protobuf hold JSON documents
    // (`{` is never the first byte of this message).
    if bytes.first() == Some(&b'{') {
        return from_json(key, bytes);
    }
    let undecodable = |message: String| StoreError::Undecodable {
        key: String::from_utf8_lossy(key).into_owned(),
        message,
    };
    let stored = pb::MemberSnapshot::decode(bytes).map_err(|e| undecodable(e.to_string()))?;
    let lots = stored
        .lots
        .into_iter()
        .map(lot_from)
        .collect::<Result<Vec<_>, _>>()
        .map_err(undecodable)?;
    Ok(MemberSnapshot {
        view: from_json(key, &stored.view_json)?,
        lots,
    })
}

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
    use crate::views::MemberView;
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
        let snapshot = MemberSnapshot {
            view: view(at),
            lots: vec![lot("a", true, Some("hotel")), lot("b", false, None)],
        };
        let key = b"s-test";
        assert_eq!(decode(key, &encode(&snapshot)).unwrap(), snapshot);
        assert_eq!(decode(key, &to_json(&snapshot)).unwrap(), snapshot);
        assert!(matches!(
            decode(key, b"\xff\xff not protobuf"),
            Err(StoreError::Undecodable { .. })
        ));
    }
}
