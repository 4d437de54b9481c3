//! A reader over all partitions of an embedded log.

use super::Shared;
use crate::error::LogError;
use crate::log::LogReader;
use crate::record::StoredRecord;
use async_trait::async_trait;
use std::fs::File;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub struct EmbeddedReader {
    shared: Arc<Shared>,
    next: Vec<u64>,
    files: Vec<Option<Arc<File>>>,
    wake: watch::Receiver<u64>,
    /// Partition to start the next poll with, for fairness.
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
            files: vec![None; n],
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

    fn read_some(&mut self, max: usize) -> Result<Vec<StoredRecord>, LogError> {
        let n = self.shared.partitions.len();
        let mut out = Vec::new();
        for k in 0..n {
            let p = (self.turn + k) % n;
            if out.len() >= max {
                break;
            }
            let partition = &self.shared.partitions[p];
            if partition.end() <= self.next[p] {
                continue;
            }
            if self.files[p].is_none() {
                self.files[p] = Some(Arc::new(File::open(&partition.path)?));
            }
            let file = self.files[p]
                .as_ref()
                .map(Arc::clone)
                .ok_or(LogError::Closed)?;
            let records = partition.read(&file, self.next[p], max - out.len())?;
            self.next[p] += records.len() as u64;
            out.extend(records);
        }
        self.turn = (self.turn + 1) % n.max(1);
        Ok(out)
    }
}

#[async_trait]
impl LogReader for EmbeddedReader {
    async fn poll(&mut self, max: usize, wait: Duration) -> Result<Vec<StoredRecord>, LogError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            // Mark the current generation seen before checking, so a commit
            // racing with the check still wakes us.
            self.wake.borrow_and_update();
            if self.available() {
                return self.read_some(max.max(1));
            }
            match tokio::time::timeout_at(deadline, self.wake.changed()).await {
                Ok(Ok(())) => continue,
                Ok(Err(_)) => return Err(LogError::Closed),
                Err(_) => return Ok(Vec::new()),
            }
        }
    }
}
