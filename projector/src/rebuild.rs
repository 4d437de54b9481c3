//! Full rebuild of the read models from log offset 0 into a fresh store.

use crate::runner::{apply_records, BATCH};
use crate::store::{Store, StoreError};
use event_log::{EventLog, SnapshotReader};

/// Rebuilds `store` (expected empty) from the start of the log up to its
/// current end; `progress` is told the number of events done after each batch.
pub async fn rebuild(
    log: &dyn EventLog,
    store: &Store,
    mut progress: impl FnMut(u64),
) -> Result<u64, StoreError> {
    let mut snapshot = SnapshotReader::open(log, BATCH).await?;
    let mut total = 0u64;
    while let Some(batch) = snapshot.next_batch().await? {
        apply_records(store, &batch)?;
        total += batch.len() as u64;
        progress(total);
    }
    Ok(total)
}
