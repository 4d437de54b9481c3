//! Full rebuild of the read models from log offset 0 into a fresh store.

use crate::runner::{apply_records, BATCH};
use crate::store::{Store, StoreError};
use event_log::{EventLog, SnapshotReader};

/// Rebuilds `store` (expected empty) from the start of the log up to its
/// current end; `progress` is told the number of events done after each batch.
pub async fn rebuild(
    log: &dyn EventLog,
    store: &Store,
    progress: impl FnMut(u64),
) -> Result<u64, StoreError> {
    let end = log.end_offsets().await?;
    rebuild_to(log, store, end, progress).await
}

/// Rebuilds `store` (expected empty) from the start of the log up to `end`
/// (per partition): what `loyalty verify` compares a live store with.
pub async fn rebuild_to(
    log: &dyn EventLog,
    store: &Store,
    end: Vec<u64>,
    mut progress: impl FnMut(u64),
) -> Result<u64, StoreError> {
    let mut snapshot = SnapshotReader::until(log, end, BATCH).await?;
    let mut total = 0u64;
    while let Some(batch) = snapshot.next_batch().await? {
        apply_records(store, &batch)?;
        total += batch.len() as u64;
        progress(total);
    }
    Ok(total)
}
