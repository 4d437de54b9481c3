//! Full rebuild of the read models from log offset 0 into a fresh store.

use crate::runner::{apply_records, BATCH};
use crate::store::{Store, StoreError};
use event_log::{EventLog, SnapshotReader, StoredRecord};

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
    let mut snapshot = SnapshotReader::until(log, end, BATCH).await?;
    let mut total = 0u64;
    while let Some(batch) = snapshot.next_batch().await? {
        total += batch.len() as u64;
        each_batch(&batch, total);
        apply_records(store, &batch)?;
    }
    Ok(total)
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
