//! Turning decided events into log records: protobuf payload, the account
//! key (so all of an account's events share a partition, in order), and
//! headers a consumer can filter on without decoding.

use event_log::{Record, StoredRecord};
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

/// Records for events of one account, numbered from `first_sequence`.
pub fn records(
    program_id: &str,
    account_id: &str,
    first_sequence: u64,
    events: &[Event],
    recorded_at: Time,
) -> Vec<Record> {
    let key = account_key(program_id, account_id);
    events
        .iter()
        .enumerate()
        .map(|(i, event)| {
            let meta = EnvelopeMeta {
                event_id: uuid::Uuid::now_v7().to_string(),
                program_id: program_id.to_string(),
                account_id: account_id.to_string(),
                sequence: first_sequence + i as u64,
                recorded_at,
            };
            Record {
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
                payload: to_envelope(event, &meta).encode_to_vec(),
            }
        })
        .collect()
}

/// Decodes a stored record's envelope.
pub fn decode(record: &StoredRecord) -> Result<EventEnvelope, prost::DecodeError> {
    EventEnvelope::decode(record.payload.as_slice())
}
