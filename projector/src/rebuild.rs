//! Full rebuild of the read models from log offset 0 into a fresh store.

use crate::runner::{apply_records, apply_records_timed, Split, BATCH};
use crate::store::{Store, StoreError};
use event_log::{EventLog, SnapshotReader, StoredRecord};
use std::time::{Duration, Instant};

/// Rebuilds `store` (expected empty) from the start of the log up to its
/// current end; `progress` is told the number of events done after each batch.
pub async fn rebuild(
    log: &dyn EventLog,
    store: &Store,
    mut progress: impl FnMut(u64),
) -> Result<u64, StoreError> {
    let end = log.end_offsets().await?;
    rebuild_to(log, store, end, |_, done| progress(done)).await
}

/// Rebuilds `store` (expected empty) from the start of the log up to `end`
/// (per partition): what `loyalty verify` compares a live store with.
/// `each_batch` sees every batch (before it is folded) and the records
/// read so far.
pub async fn rebuild_to(
    log: &dyn EventLog,
    store: &Store,
    end: Vec<u64>,
    mut each_batch: impl FnMut(&[StoredRecord], u64),
) -> Result<u64, StoreError> {
    let measured =
        rebuild_measured(log, store, end, |batch, m| each_batch(batch, m.events)).await?;
    Ok(measured.events)
}

/// What a rebuild did so far and where its time went.
#[derive(Clone, Copy, Debug, Default)]
pub struct Measured {
    pub events: u64,
    pub batches: u64,
    /// Reading batches from the log.
    pub read: Duration,
    pub split: Split,
}

/// [`rebuild_to`], measuring: `each_batch` sees every batch before it is
/// folded and the figures so far.
pub async fn rebuild_measured(
    log: &dyn EventLog,
    store: &Store,
    end: Vec<u64>,
    each_batch: impl FnMut(&[StoredRecord], &Measured),
) -> Result<Measured, StoreError> {
    rebuild_batched(log, store, end, BATCH, each_batch).await
}

/// [`rebuild_measured`] in batches of at most `batch` records (tests use
/// small ones, so a short log crosses many).
pub async fn rebuild_batched(
    log: &dyn EventLog,
    store: &Store,
    end: Vec<u64>,
    batch: usize,
    mut each_batch: impl FnMut(&[StoredRecord], &Measured),
) -> Result<Measured, StoreError> {
    let mut snapshot = SnapshotReader::until(log, end, batch).await?;
    let mut m = Measured::default();
    loop {
        let started = Instant::now();
        let Some(batch) = snapshot.next_batch().await? else {
            break;
        };
        m.read += started.elapsed();
        m.events += batch.len() as u64;
        m.batches += 1;
        each_batch(&batch, &m);
        apply_records_timed(store, &batch, &mut m.split)?;
    }
    // A scratch store has no write-ahead log: make what it holds durable.
    let started = Instant::now();
    store.flush()?;
    m.split.commit += started.elapsed();
    Ok(m)
}

/// Folds what `store` has not applied yet, up to the log's current end
/// (what a projector does when it starts); returns the records read.
pub async fn catch_up(log: &dyn EventLog, store: &Store) -> Result<u64, StoreError> {
    let from = store.applied_offsets(log.partitions())?;
    let end = log.end_offsets().await?;
    let mut snapshot = SnapshotReader::between(log, from, end, BATCH).await?;
    let mut total = 0u64;
    while let Some(batch) = snapshot.next_batch().await? {
        apply_records(store, &batch)?;
        total += batch.len() as u64;
    }
    Ok(total)
}
