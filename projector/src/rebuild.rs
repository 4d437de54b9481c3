//! Full rebuild of the read models from log offset 0 into a fresh store.

use crate::runner::{apply_records, BATCH};
use crate::store::{Store, StoreError};
use event_log::EventLog;
use std::time::Duration;

/// Rebuilds `store` (expected empty) from the start of the log up to its
/// current end; `progress` is told the number of events done after each batch.
pub async fn rebuild(
    log: &dyn EventLog,
    store: &Store,
    mut progress: impl FnMut(u64),
) -> Result<u64, StoreError> {
    let end = log.end_offsets().await?;
    let mut reader = log.reader(vec![0; end.len()]).await?;
    let mut done = vec![0u64; end.len()];
    let mut total = 0u64;
    while done.iter().zip(&end).any(|(d, e)| d < e) {
        let mut batch = reader.poll(BATCH, Duration::from_millis(500)).await?;
        batch.retain(|r| r.offset < end[r.partition as usize]);
        for r in &batch {
            done[r.partition as usize] = r.offset + 1;
        }
        if batch.is_empty() {
            continue;
        }
        total += batch.len() as u64;
        apply_records(store, &batch)?;
        progress(total);
    }
    Ok(total)
}
