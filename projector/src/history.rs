//! A member's history entries as stored: one `loyalty.v1.HistoryRecord`
//! per event under its sequence (key `h`), holding the event's payload as
//! the log has it and the figures only the fold knows. The entry's other
//! fields (ids, times, chain link, group) are read from the payload, so an
//! event is written once per history entry instead of twice.
//!
//! Stores written before these records keep a JSON `LedgerEntry` under `h`
//! and the payload under `e`; both forms are read.

use crate::as_of::parse_position;
use crate::keys;
use crate::store::{from_json, Store, StoreError};
use crate::views::{micros_time, LedgerEntry};
use ledger_core::codec::stamp_of;
use ledger_core::{Decimal, Time};
use loyalty_proto::{v1 as pb, EventEnvelope, Message};
use std::collections::BTreeMap;

/// What the fold knows of an event beyond its payload.
pub struct Figures<'a> {
    pub partition: u32,
    pub offset: u64,
    pub hash: &'a str,
    pub clock: Time,
    /// Available balance per currency after the event.
    pub balances: &'a BTreeMap<String, Decimal>,
    /// Signed change of the available balance per currency.
    pub movements: &'a BTreeMap<String, Decimal>,
    pub currencies: Vec<String>,
    pub partners: Vec<String>,
}

/// The stored form of a history entry for the event `payload`.
pub fn encode(figures: Figures<'_>, payload: &[u8]) -> Vec<u8> {
    let mut currencies: Vec<&String> = figures
        .balances
        .keys()
        .chain(figures.movements.keys())
        .collect();
    currencies.sort_unstable();
    currencies.dedup();
    let balances = currencies
        .into_iter()
        .map(|c| pb::HistoryBalance {
            currency: c.clone(),
            available: figures
                .balances
                .get(c)
                .map_or_else(Vec::new, |d| d.serialize().to_vec()),
            movement: figures.movements.get(c).map(|d| d.serialize().to_vec()),
        })
        .collect();
    pb::HistoryRecord {
        payload: payload.to_vec(),
        partition: figures.partition,
        offset: figures.offset,
        hash: figures.hash.to_string(),
        clock_micros: figures.clock.timestamp_micros(),
        balances,
        currencies: figures.currencies,
        partners: figures.partners,
    }
    .encode_to_vec()
}

/// A stored history entry: the event's payload and where the log holds it.
#[derive(Clone, Debug)]
pub struct Stored {
    pub record: pb::HistoryRecord,
    /// Set for entries stored as JSON: the payload is read beside it.
    legacy: Option<LedgerEntry>,
}

impl Stored {
    /// The event as the log holds it; empty only for an entry stored as
    /// JSON before stored events were kept.
    pub fn payload(&self) -> &[u8] {
        &self.record.payload
    }

    pub fn partition(&self) -> u32 {
        self.record.partition
    }

    pub fn offset(&self) -> u64 {
        self.record.offset
    }

    pub fn hash(&self) -> &str {
        &self.record.hash
    }

    /// The entry as served (without `detail`).
    pub fn entry(&self, key: &[u8]) -> Result<LedgerEntry, StoreError> {
        if let Some(entry) = &self.legacy {
            return Ok(entry.clone());
        }
        let bad = |message: String| undecodable(key, message);
        let env = EventEnvelope::decode(self.payload()).map_err(|e| bad(e.to_string()))?;
        let time = |field: &str, s: &str| {
            ledger_core::time::parse(s).ok_or_else(|| bad(format!("{field} {s:?} is not a time")))
        };
        let mut movements = BTreeMap::new();
        let mut balances = BTreeMap::new();
        for b in &self.record.balances {
            if !b.available.is_empty() {
                balances.insert(b.currency.clone(), decimal(&b.available).map_err(bad)?);
            }
            if let Some(m) = &b.movement {
                movements.insert(b.currency.clone(), decimal(m).map_err(bad)?);
            }
        }
        let (group_first, group_last) = stamp_of(&env).group();
        Ok(LedgerEntry {
            sequence: env.sequence,
            position: format!("{}:{}", self.record.partition, self.record.offset),
            hash: self.record.hash.clone(),
            prev_hash: env.prev_hash.clone(),
            event_type: env
                .body
                .as_ref()
                .map_or("", loyalty_proto::event_type)
                .to_string(),
            transaction_id: env.transaction_id.clone(),
            occurred_at: time("occurred_at", &env.occurred_at)?,
            group_first,
            group_last,
            clock: Some(micros_time(self.record.clock_micros)),
            recorded_at: time("recorded_at", &env.recorded_at)?,
            program_version: env.program_version,
            movements,
            balances,
            currencies: self.record.currencies.clone(),
            partners: self.record.partners.clone(),
            detail: serde_json::Value::Null,
        })
    }
}

/// Reads the stored history entry at `key` (a member's, see
/// [`keys::history`]) from its `value`.
pub fn decode(store: &Store, key: &[u8], value: &[u8]) -> Result<Stored, StoreError> {
    // `{` is never the first byte of the protobuf message.
    if value.first() == Some(&b'{') {
        return legacy(store, key, from_json(key, value)?);
    }
    let record = pb::HistoryRecord::decode(value).map_err(|e| undecodable(key, e.to_string()))?;
    Ok(Stored {
        record,
        legacy: None,
    })
}

/// The stored history entry at `key`, if there is one.
pub fn read(store: &Store, key: &[u8]) -> Result<Option<Stored>, StoreError> {
    store
        .get_raw(key)?
        .map(|value| decode(store, key, &value))
        .transpose()
}

/// An entry stored as JSON, its payload under the `e` key of its sequence.
fn legacy(store: &Store, key: &[u8], entry: LedgerEntry) -> Result<Stored, StoreError> {
    // Entries from before stored events were kept have none: an empty payload.
    let payload = store
        .get_raw(&keys::payload_of_entry(key))?
        .unwrap_or_default();
    let (partition, offset) = parse_position(&entry.position).unwrap_or_default();
    Ok(Stored {
        record: pb::HistoryRecord {
            payload,
            partition,
            offset,
            hash: entry.hash.clone(),
            ..Default::default()
        },
        legacy: Some(entry),
    })
}

fn decimal(bytes: &[u8]) -> Result<Decimal, String> {
    let raw: [u8; 16] = bytes
        .try_into()
        .map_err(|_| format!("a decimal of {} bytes, not 16", bytes.len()))?;
    Ok(Decimal::deserialize(raw))
}

fn undecodable(key: &[u8], message: String) -> StoreError {
    StoreError::Undecodable {
        key: String::from_utf8_lossy(key).into_owned(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::to_json;
    use loyalty_proto::Body;
    use rocksdb::WriteBatch;

    fn payload() -> Vec<u8> {
        EventEnvelope {
            event_id: "e-1".into(),
            program_id: "air".into(),
            account_id: "m-1".into(),
            sequence: 7,
            occurred_at: "2026-03-01T10:00:00.000001Z".into(),
            recorded_at: "2026-03-01T10:00:02Z".into(),
            transaction_id: "tx-7".into(),
            program_version: 3,
            group_first: 6,
            group_last: 7,
            prev_hash: "ab".repeat(32),
            body: Some(Body::MemberEnrolled(Default::default())),
            ..Default::default()
        }
        .encode_to_vec()
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_scratch(dir.path()).unwrap();
        (dir, store)
    }

    #[test]
    fn an_entry_reads_back_its_figures_and_its_events_fields() {
        let (_dir, store) = store();
        let balances = BTreeMap::from([
            ("miles".to_string(), Decimal::new(1250, 1)),
            ("status".to_string(), Decimal::new(40, 0)),
            ("vouchers".to_string(), Decimal::new(0, 2)),
        ]);
        let movements = BTreeMap::from([("miles".to_string(), Decimal::new(-5, 1))]);
        let clock = micros_time(1_772_400_000_000_001);
        let figures = Figures {
            partition: 2,
            offset: 41,
            hash: "cd",
            clock,
            balances: &balances,
            movements: &movements,
            currencies: vec!["miles".into()],
            partners: vec!["hotel".into()],
        };
        let key = keys::history("air", "m-1", 7);
        let stored = decode(&store, &key, &encode(figures, &payload())).unwrap();
        assert_eq!(stored.payload(), payload().as_slice());
        assert_eq!((stored.partition(), stored.offset()), (2, 41));
        let e = stored.entry(&key).unwrap();
        assert_eq!(e.sequence, 7);
        assert_eq!(e.position, "2:41");
        assert_eq!(e.hash, "cd");
        assert_eq!(e.prev_hash, "ab".repeat(32));
        assert_eq!(e.event_type, "MemberEnrolled");
        assert_eq!(e.transaction_id, "tx-7");
        assert_eq!(e.occurred_at.timestamp_micros(), 1_772_359_200_000_001);
        assert_eq!((e.group_first, e.group_last), (6, 7));
        assert_eq!(e.clock, Some(clock));
        assert_eq!(e.program_version, 3);
        let exact = |m: &BTreeMap<String, Decimal>| {
            m.iter()
                .map(|(c, d)| (c.clone(), d.serialize()))
                .collect::<Vec<_>>()
        };
        assert_eq!(exact(&e.balances), exact(&balances));
        assert_eq!(exact(&e.movements), exact(&movements));
        assert_eq!(e.currencies, vec!["miles".to_string()]);
        assert_eq!(e.partners, vec!["hotel".to_string()]);
    }

    #[test]
    fn an_entry_stored_as_json_is_read_with_its_payload_beside_it() {
        let (_dir, store) = store();
        let key = keys::history("air", "m-1", 7);
        let entry = LedgerEntry {
            sequence: 7,
            position: "1:9".into(),
            hash: "ef".into(),
            prev_hash: String::new(),
            event_type: "MemberEnrolled".into(),
            transaction_id: "tx-7".into(),
            occurred_at: micros_time(1),
            group_first: 7,
            group_last: 7,
            clock: Some(micros_time(1)),
            recorded_at: micros_time(2),
            program_version: 1,
            movements: BTreeMap::new(),
            balances: BTreeMap::new(),
            currencies: Vec::new(),
            partners: Vec::new(),
            detail: serde_json::Value::Null,
        };
        let mut batch = WriteBatch::default();
        batch.put(&key, to_json(&entry));
        batch.put(keys::payload("air", "m-1", 7), payload());
        store.write(batch).unwrap();
        let value = store.get_raw(&key).unwrap().unwrap();
        let stored = decode(&store, &key, &value).unwrap();
        assert_eq!(stored.payload(), payload().as_slice());
        assert_eq!(
            (stored.partition(), stored.offset(), stored.hash()),
            (1, 9, "ef")
        );
        assert_eq!(stored.entry(&key).unwrap(), entry);
    }
}
