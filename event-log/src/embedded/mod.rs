//! The embedded log: one append-only file per partition in a directory, a
//! journal they are all synced through, a group-committing writer thread,
//! readers on the durable prefix (format, fsync policy and recovery in the
//! crate docs).

mod directory;
mod frame;
mod journal;
mod partition;
mod reader;
mod recovery;
mod replay;
mod writer;

use crate::error::LogError;
use crate::log::{EventLog, LogReader, Queued};
use crate::record::Record;
use async_trait::async_trait;
use partition::Partition;
use std::fs::File;
use std::path::Path;
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use tokio::sync::{oneshot, watch};

/// When an append counts as done.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// After `fdatasync` of the group it was written with: survives a
    /// machine crash or power loss.
    #[default]
    Sync,
    /// After `write` to the OS, without any sync. Survives the process being
    /// killed, but a machine crash or power loss may lose acknowledged
    /// appends (the tail of each partition). For benchmarks and tests only.
    Buffered,
}

/// Bytes one append may hold at most (the journal's lengths are 32-bit).
const MAX_APPEND: usize = 1 << 30;

/// What readers share with the log.
pub(crate) struct Shared {
    pub partitions: Vec<Arc<Partition>>,
    /// Bumped after every commit, to wake waiting readers.
    pub generation: watch::Sender<u64>,
}

/// A durable event log in a local directory.
///
/// Dropping it stops the writer threads cleanly: appends already queued are
/// written and answered first (drop waits for them), then the directory
/// lock is released. Readers keep working on what was committed.
pub struct EmbeddedLog {
    shared: Arc<Shared>,
    /// The writer's queue; `None` once closing.
    writer: Option<mpsc::Sender<writer::AppendRequest>>,
    thread: Option<JoinHandle<()>>,
    /// Held for the life of the log: one process per log directory.
    _lock: File,
}

impl EmbeddedLog {
    /// Opens (or creates) the log in `dir`. A new log gets `partitions`
    /// partitions; an existing one keeps the count recorded in its `meta`
    /// file (as a Kafka topic keeps its own), whatever `partitions` says.
    ///
    /// Every partition file is checked and a torn or corrupt tail cut (see
    /// the crate docs). Fails with [`LogError::Locked`] if another
    /// `EmbeddedLog` (in any process) has the directory open.
    pub fn open(
        dir: &Path,
        partitions: u32,
        durability: Durability,
    ) -> Result<Arc<Self>, LogError> {
        std::fs::create_dir_all(dir)?;
        let lock = directory::lock(dir)?;
        let partitions = directory::partition_count(dir, partitions)?;
        let files = (0..partitions)
            .map(|id| directory::open_rw(&directory::partition_path(dir, id)))
            .collect::<Result<Vec<File>, _>>()?;
        let journal_file = directory::open_rw(&journal::path(dir))?;
        let lap = journal::read_lap(dir)?;
        replay_journal(&journal_file, lap, &files)?;
        let mut parts = Vec::new();
        for (id, file) in (0..partitions).zip(files) {
            let recovered = recovery::recover(id, &file)?;
            // What the last process wrote may be in the page cache only; it
            // must be on disk before the journal's new lap forgets it.
            file.sync_data()?;
            let partition = Arc::new(Partition::new(
                id,
                File::open(directory::partition_path(dir, id))?,
                recovered.positions,
                recovered.len,
            ));
            parts.push(writer::PartitionFile::new(partition, file, recovered.len));
        }
        // New partition files must survive a crash along with their data.
        directory::sync(dir)?;
        let journal = journal::Journal::start(dir, journal_file, lap + 1)?;
        let (generation, _) = watch::channel(0u64);
        let partitions = parts.iter().map(|p| p.partition.clone()).collect();
        let (tx, thread) = writer::spawn(parts, journal, durability, generation.clone())?;
        Ok(Arc::new(EmbeddedLog {
            shared: Arc::new(Shared {
                partitions,
                generation,
            }),
            writer: Some(tx),
            thread: Some(thread),
            _lock: lock,
        }))
    }

    /// Opens an existing log with the partition count it was created with;
    /// fails if `dir` holds no log.
    pub fn open_existing(dir: &Path, durability: Durability) -> Result<Arc<Self>, LogError> {
        if !directory::exists(dir) {
            return Err(LogError::Io(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("no log in {}", dir.display()),
            )));
        }
        Self::open(dir, 1, durability)
    }

    /// Hands records to the partition's writer, in order behind what it
    /// holds; `expect`: the offset the first must get, or nothing is written.
    fn send(
        &self,
        partition: u32,
        expect: Option<u64>,
        records: Vec<Record>,
    ) -> Result<Queued, LogError> {
        if partition >= self.partitions() {
            return Err(LogError::NoSuchPartition(partition));
        }
        let writer = self.writer.as_ref().ok_or(LogError::Closed)?;
        for record in &records {
            frame::check(record)?;
        }
        let bytes: usize = records.iter().map(frame::framed_len).sum();
        if bytes > MAX_APPEND {
            return Err(LogError::TooLarge(bytes));
        }
        let (reply, answer) = oneshot::channel();
        writer
            .send(writer::AppendRequest {
                partition,
                records,
                expect,
                reply,
            })
            .map_err(|_| LogError::Closed)?;
        Ok(answer)
    }
}

impl Drop for EmbeddedLog {
    fn drop(&mut self) {
        // Closing the queue ends the writer once it has drained it.
        self.writer = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Brings every partition file up to what the journal's lap `lap` holds
/// for it (see [`replay`]), with a warning for each one it had to change.
fn replay_journal(journal_file: &File, lap: u64, files: &[File]) -> Result<(), LogError> {
    let mut bytes = Vec::new();
    let mut reader = journal_file;
    std::io::Read::read_to_end(&mut reader, &mut bytes)?;
    let chunks = journal::scan(&bytes, lap);
    if let Some(stray) = chunks.iter().find(|c| c.partition as usize >= files.len()) {
        return Err(LogError::Corrupt(format!(
            "the journal holds bytes of partition {}, and the log has {}",
            stray.partition,
            files.len()
        )));
    }
    for (id, file) in (0u32..).zip(files) {
        let own: Vec<&journal::Chunk> = chunks.iter().filter(|c| c.partition == id).collect();
        let done = replay::replay(id, file, &own)?;
        if done != replay::Replayed::default() {
            tracing::warn!(
                partition = id,
                restored_bytes = done.restored,
                cut_bytes = done.cut,
                "brought the partition file up to its journal"
            );
        }
    }
    Ok(())
}

#[async_trait]
impl EventLog for EmbeddedLog {
    fn partitions(&self) -> u32 {
        self.shared.partitions.len() as u32
    }

    async fn append(&self, partition: u32, records: Vec<Record>) -> Result<Vec<u64>, LogError> {
        if records.is_empty() {
            return match partition < self.partitions() {
                true => Ok(Vec::new()),
                false => Err(LogError::NoSuchPartition(partition)),
            };
        }
        let answer = self.send(partition, None, records)?;
        answer.await.map_err(|_| LogError::Closed)?
    }

    fn can_queue(&self) -> bool {
        true
    }

    fn queue(&self, partition: u32, expect: u64, records: Vec<Record>) -> Result<Queued, LogError> {
        self.send(partition, Some(expect), records)
    }

    async fn end_offsets(&self) -> Result<Vec<u64>, LogError> {
        Ok(self.shared.partitions.iter().map(|p| p.end()).collect())
    }

    async fn reader(&self, start: Vec<u64>) -> Result<Box<dyn LogReader>, LogError> {
        Ok(Box::new(reader::EmbeddedReader::new(
            self.shared.clone(),
            start,
        )))
    }

    async fn partition_reader(
        &self,
        partition: u32,
        start: u64,
    ) -> Result<Box<dyn LogReader>, LogError> {
        if partition >= self.partitions() {
            return Err(LogError::NoSuchPartition(partition));
        }
        // Other partitions start past any offset, so they are never read.
        let mut starts = vec![u64::MAX; self.partitions() as usize];
        starts[partition as usize] = start;
        self.reader(starts).await
    }
}
