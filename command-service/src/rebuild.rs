//! Reading the log into the writer's state: every partition at start (when
//! this instance owns them all), one partition when it is assigned, and the
//! records between the state's end and an append that something else reached
//! first. Every record passes the sequence gate (`ledger_core::sequence`),
//! the rule the projector applies too, so writer and readers agree on which
//! events took effect.

use crate::encode::{account_key, decode, PROGRAM_ACCOUNT};
use crate::error::CommandError;
use crate::service::{apply_member, apply_program, CommandService};
use crate::state::PartitionState;
use event_log::{EventLog, LogError, SnapshotReader, StoredRecord};
use ledger_core::chain::digest;
use ledger_core::codec::{from_envelope, stamp_of};
use ledger_core::sequence::{admit, Admission};
use ledger_core::Event;
use loyalty_proto::EventEnvelope;
use std::collections::HashSet;
use std::time::Duration;
use tracing::{info, warn};

const BATCH: usize = 10_000;

/// Reads the whole log (up to its end at start) into the service's state;
/// every partition is then owned, current to that end.
pub(crate) async fn replay(service: &CommandService) -> Result<(), CommandError> {
    let started = std::time::Instant::now();
    let mut snapshot = SnapshotReader::open(&*service.log, BATCH).await?;
    let mut read = 0u64;
    while let Some(batch) = snapshot.next_batch().await? {
        for record in &batch {
            let mut part = service.partitions[record.partition as usize].lock().await;
            admit_record(service, &mut part, record)?;
        }
        read += batch.len() as u64;
    }
    for (lock, end) in service.partitions.iter().zip(snapshot.end()) {
        let mut part = lock.lock().await;
        part.read_to = *end;
        part.owned = true;
        service.resume_unfinished(&part);
    }
    if read > 0 {
        info!(
            events = read,
            secs = started.elapsed().as_secs_f64(),
            "command state rebuilt from the log"
        );
    }
    Ok(())
}

/// Brings one partition's accounts up to the log's end now (from scratch,
/// or from where a kept state stopped); returns how many records it read.
pub(crate) async fn rebuild_partition(
    service: &CommandService,
    part: &mut PartitionState,
    partition: u32,
) -> Result<u64, CommandError> {
    let end = service.log.end_offsets().await?[partition as usize];
    let from = part.read_to;
    catch_up(service, part, partition, from, end).await?;
    part.read_to = part.read_to.max(end);
    Ok(end.saturating_sub(from))
}

/// Reads a partition's records `from..until` into its state; returns the
/// offsets of the events that took effect.
pub(crate) async fn catch_up(
    service: &CommandService,
    part: &mut PartitionState,
    partition: u32,
    from: u64,
    until: u64,
) -> Result<HashSet<u64>, CommandError> {
    let mut applied = HashSet::new();
    if from >= until {
        return Ok(applied);
    }
    let mut reader =
        SnapshotReader::partition(&*service.log, partition, from, until, BATCH).await?;
    while let Some(batch) = reader.next_batch().await? {
        for record in &batch {
            applied.extend(admit_record(service, part, record)?);
        }
    }
    Ok(applied)
}

/// Offers one record to the gate of its account; applies what takes effect
/// and returns those events' offsets.
pub(crate) fn admit_record(
    service: &CommandService,
    part: &mut PartitionState,
    record: &StoredRecord,
) -> Result<Vec<u64>, CommandError> {
    let (env, event) = decode_record(record)?;
    if env.account_id == PROGRAM_ACCOUNT {
        return Ok(admit_program(service, &env, record, event));
    }
    let key = account_key(&env.program_id, &env.account_id);
    let sequence = part.members.get(&key).map_or(0, |a| a.sequence);
    let mut open = part.open.remove(&key);
    let item = (record.offset, event, digest(&record.payload));
    let admission = admit(sequence, &mut open, stamp_of(&env), item);
    if let Some(open) = open {
        part.open.insert(key.clone(), open);
    }
    let items = applied_items(admission, record, &env);
    let mut offsets = Vec::with_capacity(items.len());
    for (offset, event, digest) in items {
        apply_member(part, &key, &env.account_id, offset, &event, digest);
        offsets.push(offset);
    }
    Ok(offsets)
}

/// Like [`admit_record`] for program events only; member events are ignored
/// (an instance follows every program, but only its partitions' members).
pub(crate) fn admit_program_record(
    service: &CommandService,
    record: &StoredRecord,
) -> Result<(), CommandError> {
    if !record.key.ends_with(&format!("/{PROGRAM_ACCOUNT}")) {
        return Ok(());
    }
    let (env, event) = decode_record(record)?;
    if env.account_id == PROGRAM_ACCOUNT {
        admit_program(service, &env, record, event);
    }
    Ok(())
}

fn admit_program(
    service: &CommandService,
    env: &EventEnvelope,
    record: &StoredRecord,
    event: Event,
) -> Vec<u64> {
    let mut programs = service.programs.write().unwrap_or_else(|e| e.into_inner());
    let account = programs.entry(env.program_id.clone()).or_default();
    let item = (record.offset, event, digest(&record.payload));
    let admission = admit(account.sequence, &mut account.open, stamp_of(env), item);
    let items = applied_items(admission, record, env);
    let mut offsets = Vec::with_capacity(items.len());
    for (offset, event, digest) in items {
        apply_program(account, &env.program_id, &event, digest);
        offsets.push(offset);
    }
    offsets
}

/// An admitted event: its offset, the event and its digest.
type Item = (u64, Event, String);

fn applied_items(
    admission: Admission<Item>,
    record: &StoredRecord,
    env: &EventEnvelope,
) -> Vec<Item> {
    match admission {
        Admission::Apply(items) => items,
        Admission::Held => Vec::new(),
        Admission::Skipped => {
            warn!(
                partition = record.partition,
                offset = record.offset,
                program = %env.program_id,
                account = %env.account_id,
                sequence = env.sequence,
                writer = %env.writer_id,
                "skipping a repeated, stale or superseded event"
            );
            Vec::new()
        }
    }
}

fn decode_record(record: &StoredRecord) -> Result<(EventEnvelope, Event), CommandError> {
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
    key: &str,
    first: u64,
    count: u32,
) -> Result<Vec<Event>, CommandError> {
    let mut reader = log.partition_reader(partition, first).await?;
    let mut events = Vec::with_capacity(count as usize);
    let last = first + u64::from(count);
    while events.len() < count as usize {
        let batch = reader.poll(count as usize, Duration::from_secs(2)).await?;
        if batch.is_empty() {
            break;
        }
        for record in batch.iter().filter(|r| r.offset < last) {
            // A receipt counted before its append landed (a queued append
            // that then failed) may point at another account's records.
            if record.key != key {
                break;
            }
            events.push(decode_record(record)?.1);
        }
    }
    if events.len() < count as usize {
        return Err(CommandError::Log(LogError::Backend(format!(
            "partition {partition}: the original records of this transaction at {first}..{last} are not on the log (retry)"
        ))));
    }
    Ok(events)
}
