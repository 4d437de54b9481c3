//! Reading a log from the start up to where it ended when reading began:
//! what every rebuild (projector, command-side state) does.

use crate::error::LogError;
use crate::log::{EventLog, LogReader};
use crate::record::StoredRecord;
use std::time::Duration;

pub struct SnapshotReader {
    reader: Box<dyn LogReader>,
    end: Vec<u64>,
    done: Vec<u64>,
    batch: usize,
}

impl SnapshotReader {
    /// Starts at offset 0 of every partition; stops at today's end offsets.
    pub async fn open(log: &dyn EventLog, batch: usize) -> Result<Self, LogError> {
        let end = log.end_offsets().await?;
        Self::until(log, end, batch).await
    }

    /// Starts at offset 0 of every partition; stops at `end` (per partition).
    pub async fn until(log: &dyn EventLog, end: Vec<u64>, batch: usize) -> Result<Self, LogError> {
        Self::between(log, vec![0; end.len()], end, batch).await
    }

    /// Starts at `from` and stops at `end` (per partition).
    pub async fn between(
        log: &dyn EventLog,
        from: Vec<u64>,
        end: Vec<u64>,
        batch: usize,
    ) -> Result<Self, LogError> {
        let reader = log.reader(from.clone()).await?;
        Ok(SnapshotReader {
            reader,
            done: from,
            end,
            batch,
        })
    }

    /// One partition from `from` up to (not including) `until`.
    pub async fn partition(
        log: &dyn EventLog,
        partition: u32,
        from: u64,
        until: u64,
        batch: usize,
    ) -> Result<Self, LogError> {
        let reader = log.partition_reader(partition, from).await?;
        let n = log.partitions() as usize;
        let (mut end, mut done) = (vec![0; n], vec![0; n]);
        end[partition as usize] = until;
        done[partition as usize] = from;
        Ok(SnapshotReader {
            reader,
            end,
            done,
            batch,
        })
    }

    /// Where reading stops, per partition.
    pub fn end(&self) -> &[u64] {
        &self.end
    }

    /// The next non-empty batch, or `None` once every partition reached its end.
    pub async fn next_batch(&mut self) -> Result<Option<Vec<StoredRecord>>, LogError> {
        while self.done.iter().zip(&self.end).any(|(d, e)| d < e) {
            let mut batch = self
                .reader
                .poll(self.batch, Duration::from_millis(500))
                .await?;
            batch.retain(|r| r.offset < self.end[r.partition as usize]);
            for r in &batch {
                self.done[r.partition as usize] = r.offset + 1;
            }
            if !batch.is_empty() {
                return Ok(Some(batch));
            }
        }
        Ok(None)
    }
}
