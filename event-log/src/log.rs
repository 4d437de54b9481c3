//! The log trait every backend implements (embedded files, Kafka).

use crate::error::LogError;
use crate::record::{Record, StoredRecord};
use async_trait::async_trait;
use std::time::Duration;
use tokio::sync::oneshot;

/// An append queued behind the ones queued before it: answers its offsets
/// once the records are durable, or why they are not on the log.
pub type Queued = oneshot::Receiver<Result<Vec<u64>, LogError>>;

/// An append-only log of keyed records in partitions, shaped like a Kafka
/// topic so the embedded and the Kafka implementation are interchangeable.
#[async_trait]
pub trait EventLog: Send + Sync {
    fn partitions(&self) -> u32;

    /// The partition of a key: Kafka's default partitioner, so a plain Kafka
    /// producer keying by the same key lands on the same partition.
    fn partition_for(&self, key: &str) -> u32 {
        crate::partitioner::partition_for(key, self.partitions())
    }

    /// Appends records (all for this partition) in order. When it returns Ok
    /// they are durable and visible to readers. Returns each record's offset.
    async fn append(&self, partition: u32, records: Vec<Record>) -> Result<Vec<u64>, LogError>;

    /// Whether [`EventLog::queue`] works here: the log orders its own
    /// writes (embedded); Kafka's are the broker's to order.
    fn can_queue(&self) -> bool {
        false
    }

    /// Queues records (all for this partition) to be appended, in the order
    /// queued, only if the partition's next offset is then `expect`: an
    /// append decided on records queued before it fails with
    /// [`LogError::Moved`] when those did not land, and nothing of it is
    /// written. Returns at once, so the caller may decide the next append
    /// while this one is synced.
    fn queue(&self, partition: u32, expect: u64, records: Vec<Record>) -> Result<Queued, LogError> {
        let _ = (partition, expect, records);
        Err(LogError::Invalid("this log cannot queue appends".into()))
    }

    /// The next offset to be written, per partition.
    async fn end_offsets(&self) -> Result<Vec<u64>, LogError>;

    /// A reader over all partitions, starting at `start[p]` (missing: 0).
    async fn reader(&self, start: Vec<u64>) -> Result<Box<dyn LogReader>, LogError>;

    /// A reader over one partition only, from `start`: what rebuilding one
    /// partition's state, or checking one's own append, needs.
    async fn partition_reader(
        &self,
        partition: u32,
        start: u64,
    ) -> Result<Box<dyn LogReader>, LogError>;
}

/// A consumer positioned in every partition; each `poll` moves it past what
/// it returned. One per consumer, like a Kafka consumer with an assignment.
#[async_trait]
pub trait LogReader: Send {
    /// Up to `max` records, each partition's in offset order. With nothing
    /// available, waits up to `wait`; returns empty on timeout.
    async fn poll(&mut self, max: usize, wait: Duration) -> Result<Vec<StoredRecord>, LogError>;

    /// Tells the reader that everything below `next[p]` is durably applied
    /// by its consumer (a group reader reports it to the group). The
    /// consumer's own store stays the truth.
    async fn applied(&mut self, next: &[(u32, u64)]) -> Result<(), LogError> {
        let _ = next;
        Ok(())
    }
}
