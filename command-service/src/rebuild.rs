//! Rebuilding the writer's state from the log, and reading a journal's
//! events back to answer a retry.
//!
//! Every event carries a per-account sequence; the first event seen for an
//! (account, sequence) is applied and any repeat or gap is skipped, so a
//! duplicate write can never be applied twice.

use crate::encode::{account_key, decode, PROGRAM_ACCOUNT};
use crate::error::CommandError;
use crate::service::{apply_member, CommandService};
use event_log::{EventLog, SnapshotReader, StoredRecord};
use ledger_core::codec::from_envelope;
use ledger_core::Event;
use std::time::Duration;
use tracing::{info, warn};

const BATCH: usize = 10_000;

/// Reads the whole log (up to its end at start) into the service's state.
pub(crate) async fn replay(service: &CommandService) -> Result<(), CommandError> {
    let started = std::time::Instant::now();
    let mut snapshot = SnapshotReader::open(&*service.log, BATCH).await?;
    let mut applied = 0u64;
    while let Some(batch) = snapshot.next_batch().await? {
        for record in &batch {
            apply_record(service, record).await?;
        }
        applied += batch.len() as u64;
    }
    if applied > 0 {
        info!(
            events = applied,
            secs = started.elapsed().as_secs_f64(),
            "command state rebuilt from the log"
        );
    }
    Ok(())
}

async fn apply_record(service: &CommandService, record: &StoredRecord) -> Result<(), CommandError> {
    let (env, event) = decode_record(record)?;
    if env.account_id == PROGRAM_ACCOUNT {
        let expected = {
            let programs = service.programs.read().unwrap_or_else(|e| e.into_inner());
            programs.get(&env.program_id).map_or(0, |p| p.sequence) + 1
        };
        if env.sequence == expected {
            service.apply_program(&env.program_id, &event);
        } else {
            skip(record, &env.account_id, env.sequence, expected);
        }
        return Ok(());
    }
    let key = account_key(&env.program_id, &env.account_id);
    let mut part = service.partitions[record.partition as usize].lock().await;
    let expected = part.members.get(&key).map_or(0, |a| a.sequence) + 1;
    if env.sequence == expected {
        apply_member(&mut part, &key, &env.account_id, record.offset, &event);
    } else {
        skip(record, &key, env.sequence, expected);
    }
    Ok(())
}

fn skip(record: &StoredRecord, account: &str, sequence: u64, expected: u64) {
    warn!(
        partition = record.partition,
        offset = record.offset,
        account,
        sequence,
        expected,
        "skipping duplicate or out-of-order event"
    );
}

fn decode_record(
    record: &StoredRecord,
) -> Result<(loyalty_proto::EventEnvelope, Event), CommandError> {
    let env = decode(record).map_err(|e| CommandError::Decode {
        partition: record.partition,
        offset: record.offset,
        message: e.to_string(),
    })?;
    let event = from_envelope(&env).map_err(|source| CommandError::Codec {
        partition: record.partition,
        offset: record.offset,
        source,
    })?;
    Ok((env, event))
}

/// The `count` events at `first..` of one partition.
pub(crate) async fn read_range(
    log: &dyn EventLog,
    partition: u32,
    first: u64,
    count: u32,
) -> Result<Vec<Event>, CommandError> {
    let mut start = log.end_offsets().await?;
    start[partition as usize] = first;
    let mut reader = log.reader(start).await?;
    let mut events = Vec::with_capacity(count as usize);
    let last = first + u64::from(count);
    while events.len() < count as usize {
        let batch = reader.poll(count as usize, Duration::from_secs(2)).await?;
        if batch.is_empty() {
            break;
        }
        for record in batch {
            if record.partition == partition && record.offset < last {
                events.push(decode_record(&record)?.1);
            }
        }
    }
    Ok(events)
}
