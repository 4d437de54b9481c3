//! Turning decided events into log records: protobuf payload, the account
//! key (so all of an account's events share a partition, in order), and
//! headers a consumer can filter on without decoding.

use event_log::{Record, StoredRecord};
use ledger_core::chain::digest;
use ledger_core::codec::{to_envelope, EnvelopeMeta};
use ledger_core::{Event, Time};
use loyalty_proto::{EventEnvelope, Message};

/// Header naming the event kind, e.g. `PointsAccrued`.
pub const HEADER_EVENT_TYPE: &str = "event-type";
/// Header carrying the envelope's schema version.
pub const HEADER_SCHEMA_VERSION: &str = "schema-version";

/// Account id of a program's own events.
pub const PROGRAM_ACCOUNT: &str = "program";

/// The log key of an account: `<program>/<account>`.
pub fn account_key(program_id: &str, account_id: &str) -> String {
    format!("{program_id}/{account_id}")
}

/// Who writes a group of events, and when.
#[derive(Clone, Copy, Debug)]
pub struct Writer<'a> {
    pub id: &'a str,
    pub recorded_at: Time,
}

/// An account's next events as records: numbered from the sequence after
/// `sequence`, one group (see `ledger_core::sequence`), each linked to the
/// one before it from the account's chain head `head` (`ledger_core::chain`).
#[derive(Clone, Copy, Debug)]
pub struct Next<'a> {
    pub sequence: u64,
    pub head: &'a str,
}

/// Records for one command's events of one account, with each record's
/// digest (the account's chain head after it).
pub fn records(
    writer: Writer<'_>,
    program_id: &str,
    account_id: &str,
    after: Next<'_>,
    events: &[Event],
) -> (Vec<Record>, Vec<String>) {
    let key = account_key(program_id, account_id);
    let first_sequence = after.sequence + 1;
    let group_last = first_sequence + events.len().saturating_sub(1) as u64;
    let mut prev_hash = after.head.to_string();
    events
        .iter()
        .enumerate()
        .map(|(i, event)| {
            let meta = EnvelopeMeta {
                event_id: uuid::Uuid::now_v7().to_string(),
                program_id: program_id.to_string(),
                account_id: account_id.to_string(),
                sequence: first_sequence + i as u64,
                group_first: first_sequence,
                group_last,
                writer_id: writer.id.to_string(),
                recorded_at: writer.recorded_at,
                prev_hash: std::mem::take(&mut prev_hash),
            };
            let payload = to_envelope(event, &meta).encode_to_vec();
            prev_hash = digest(&payload);
            let record = Record {
                key: key.clone(),
                headers: vec![
                    (
                        HEADER_EVENT_TYPE.to_string(),
                        event.body.name().as_bytes().to_vec(),
                    ),
                    (
                        HEADER_SCHEMA_VERSION.to_string(),
                        loyalty_proto::SCHEMA_VERSION.to_string().into_bytes(),
                    ),
                ],
                payload,
            };
            (record, prev_hash.clone())
        })
        .unzip()
}

/// Decodes a stored record's envelope.
pub fn decode(record: &StoredRecord) -> Result<EventEnvelope, prost::DecodeError> {
    EventEnvelope::decode(record.payload.as_slice())
}
