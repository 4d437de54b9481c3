//! A reader over all partitions of an embedded log: it keeps the next offset
//! of each partition, reads durable records through the partitions' indexes
//! (off the async runtime), and sleeps on the commit signal when caught up.

use super::Shared;
use crate::error::LogError;
use crate::log::LogReader;
use crate::record::StoredRecord;
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub struct EmbeddedReader {
    shared: Arc<Shared>,
    /// Next offset to read, per partition.
    next: Vec<u64>,
    wake: watch::Receiver<u64>,
    /// Partition a read starts with, rotated so none is starved.
    turn: usize,
}

impl EmbeddedReader {
    pub fn new(shared: Arc<Shared>, mut start: Vec<u64>) -> Self {
        let n = shared.partitions.len();
        start.resize(n, 0);
        let wake = shared.generation.subscribe();
        EmbeddedReader {
            shared,
            next: start,
            wake,
            turn: 0,
        }
    }

    fn available(&self) -> bool {
        self.shared
            .partitions
            .iter()
            .zip(&self.next)
            .any(|(p, next)| p.end() > *next)
    }

    /// Reads up to `max` records on a blocking thread. The reader's state
    /// changes only once the read is done, so a poll dropped mid-way (a
    /// cancelled future) loses nothing.
    async fn read(&mut self, max: usize) -> Result<Vec<StoredRecord>, LogError> {
        let shared = self.shared.clone();
        let mut next = self.next.clone();
        let turn = self.turn;
        let (records, next) = tokio::task::spawn_blocking(move || {
            read_partitions(&shared, &mut next, turn, max).map(|records| (records, next))
        })
        .await
        .map_err(|e| LogError::Io(std::io::Error::other(e)))??;
        self.next = next;
        self.turn = (turn + 1) % self.next.len().max(1);
        Ok(records)
    }
}

/// Up to `max` records, partition after partition from `turn`, each
/// partition's in offset order; advances `next` past what was read.
fn read_partitions(
    shared: &Shared,
    next: &mut [u64],
    turn: usize,
    max: usize,
) -> Result<Vec<StoredRecord>, LogError> {
    let n = shared.partitions.len();
    let mut out = Vec::new();
    for p in (0..n).map(|k| (turn + k) % n) {
        if out.len() >= max {
            break;
        }
        let records = shared.partitions[p].read(next[p], max - out.len())?;
        next[p] += records.len() as u64;
        out.extend(records);
    }
    Ok(out)
}

#[async_trait]
impl LogReader for EmbeddedReader {
    /// `max` 0 is taken as 1, as Kafka's reader does.
    async fn poll(&mut self, max: usize, wait: Duration) -> Result<Vec<StoredRecord>, LogError> {
        // No deadline if `wait` is too long to add to now.
        let deadline = tokio::time::Instant::now().checked_add(wait);
        loop {
            // Mark the current generation seen before checking, so a commit
            // racing with the check still wakes us.
            self.wake.borrow_and_update();
            if self.available() {
                return self.read(max.max(1)).await;
            }
            let changed = self.wake.changed();
            let woken = match deadline {
                Some(deadline) => tokio::time::timeout_at(deadline, changed).await,
                None => Ok(changed.await),
            };
            match woken {
                Ok(Ok(())) => continue,
                Ok(Err(_)) => return Err(LogError::Closed),
                Err(_) => return Ok(Vec::new()),
            }
        }
    }
}
