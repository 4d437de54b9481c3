//! One writer thread for every partition, with group commit: it drains
//! every queued append of any partition, writes each partition's share to
//! its file, writes the whole group as one journal entry and syncs the
//! journal ONCE, publishes the new ends to readers, then answers each caller.
//! Concurrent small appends thus share one `fdatasync` (and one thread
//! wake-up) whatever partitions they go to. An append queued with the
//! offset it expects is left out (answered `Moved`) when its partition ends
//! elsewhere, so nothing decided on records that failed to land is written
//! after them.
//!
//! The partition files are synced when the journal turns and when the log
//! closes; in between, their new bytes are handed to the kernel's writeback
//! as they accumulate, so a turn's sync has little left to write.
//!
//! File I/O happens on this thread, never on the async runtime. The thread
//! ends when every sender is dropped and the queue is drained, so appends
//! already queued when the log is dropped still complete.

use super::frame;
use super::journal::{self, Chunk, Journal};
use super::partition::Partition;
use super::Durability;
use crate::error::LogError;
use crate::record::Record;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use tokio::sync::{oneshot, watch};

/// Records for one partition, and where to send their offsets.
pub struct AppendRequest {
    pub partition: u32,
    pub records: Vec<Record>,
    /// The offset the first record must get (see `EventLog::queue`).
    pub expect: Option<u64>,
    pub reply: oneshot::Sender<Result<Vec<u64>, LogError>>,
}

/// A buffer grown past this by a huge group is released afterwards.
pub const KEEP_BUFFER: usize = 8 << 20;
/// New bytes of a partition file handed to writeback once this many gather.
const WRITEBACK_BYTES: u64 = 1 << 20;

/// One partition file as the writer holds it.
pub struct PartitionFile {
    pub partition: Arc<Partition>,
    pub file: File,
    /// Byte length of the written prefix (durable through the journal).
    pub len: u64,
    /// Where the bytes not yet handed to writeback start.
    flushed: u64,
    /// Written since the journal last turned: synced at the next turn.
    dirty: bool,
    /// This group's frames, and their byte positions.
    buf: Vec<u8>,
    positions: Vec<u64>,
}

impl PartitionFile {
    pub fn new(partition: Arc<Partition>, file: File, len: u64) -> Self {
        PartitionFile {
            partition,
            file,
            len,
            flushed: len,
            dirty: false,
            buf: Vec::new(),
            positions: Vec::new(),
        }
    }
}

struct Writer {
    parts: Vec<PartitionFile>,
    journal: Journal,
    durability: Durability,
    generation: watch::Sender<u64>,
    /// Set when writing or syncing the journal, or syncing a partition file,
    /// failed. After a failed sync the kernel may have dropped the unsynced
    /// pages and will not report it again, a failed turn may have renamed
    /// the lap already, and a failed entry may still be whole in the file:
    /// so nothing more is written until a reopen replays the journal (and
    /// the records of the failed group may or may not be there then).
    broken: bool,
}

/// Starts the writer of `parts`, their appends journaled in `journal`.
pub fn spawn(
    parts: Vec<PartitionFile>,
    journal: Journal,
    durability: Durability,
    generation: watch::Sender<u64>,
) -> std::io::Result<(mpsc::Sender<AppendRequest>, JoinHandle<()>)> {
    let (tx, rx) = mpsc::channel::<AppendRequest>();
    let mut writer = Writer {
        parts,
        journal,
        durability,
        generation,
        broken: false,
    };
    let thread = std::thread::Builder::new()
        .name("log-writer".into())
        .spawn(move || {
            let mut next = None;
            while let Some(first) = next.take().or_else(|| rx.recv().ok()) {
                let (group, over) = drain(first, &rx);
                next = over;
                writer.commit(group);
            }
            writer.close();
        })?;
    Ok((tx, thread))
}

/// `first` and whatever else is queued, up to about a journal lap of bytes
/// (the journal's length fields are 32-bit); also the request that would
/// have passed that, to start the next group.
fn drain(
    first: AppendRequest,
    rx: &mpsc::Receiver<AppendRequest>,
) -> (Vec<AppendRequest>, Option<AppendRequest>) {
    let mut bytes = request_bytes(&first);
    let mut group = vec![first];
    while let Ok(req) = rx.try_recv() {
        bytes += request_bytes(&req);
        if bytes > journal::LAP_BYTES as usize {
            return (group, Some(req));
        }
        group.push(req);
    }
    (group, None)
}

fn request_bytes(req: &AppendRequest) -> usize {
    req.records.iter().map(frame::framed_len).sum()
}

impl Writer {
    /// Writes and syncs a group of appends, then answers each of them.
    fn commit(&mut self, group: Vec<AppendRequest>) {
        let group = self.in_place(group);
        if group.is_empty() {
            return;
        }
        if self.broken {
            let e = std::io::Error::other("an earlier write or sync of the log failed; reopen it");
            return self.fail(&[], group, e);
        }
        let touched = self.frame(&group);
        // A group of empty appends (barriers: everything before them is
        // synced already) writes nothing.
        let written = match touched.is_empty() {
            true => Ok(()),
            false => self.write(&touched),
        };
        match written {
            Ok(()) => self.publish(&touched, group),
            Err(e) => self.fail(&touched, group, e),
        }
        for &p in &touched {
            let part = &mut self.parts[p];
            part.buf.clear();
            part.positions.clear();
            if part.buf.capacity() > KEEP_BUFFER {
                part.buf = Vec::new();
            }
        }
    }

    /// The group's appends that would land where they expect to, in order;
    /// the others are answered `Moved` (decided on records that did not land).
    fn in_place(&self, group: Vec<AppendRequest>) -> Vec<AppendRequest> {
        let mut next: Vec<Option<u64>> = vec![None; self.parts.len()];
        let mut kept = Vec::with_capacity(group.len());
        for req in group {
            let p = req.partition as usize;
            let end = next[p].unwrap_or_else(|| self.parts[p].partition.end());
            match req.expect {
                Some(expected) if expected != end => {
                    let _ = req.reply.send(Err(LogError::Moved {
                        partition: req.partition,
                        expected,
                        end,
                    }));
                }
                _ => {
                    next[p] = Some(end + req.records.len() as u64);
                    kept.push(req);
                }
            }
        }
        kept
    }

    /// Frames the group's records into their partitions' buffers; returns
    /// the partitions that got any, in order.
    fn frame(&mut self, group: &[AppendRequest]) -> Vec<usize> {
        let mut touched = Vec::new();
        for req in group.iter().filter(|req| !req.records.is_empty()) {
            let part = &mut self.parts[req.partition as usize];
            if part.buf.is_empty() {
                touched.push(req.partition as usize);
            }
            for record in &req.records {
                part.positions.push(part.len + part.buf.len() as u64);
                frame::encode(record, &mut part.buf);
            }
        }
        touched
    }

    /// Writes the framed bytes to their partition files and to the journal,
    /// then syncs the journal (with `Sync`). A failure of the partition
    /// writes leaves nothing behind (they are cut again); any failure past
    /// them breaks the writer.
    fn write(&mut self, touched: &[usize]) -> std::io::Result<()> {
        let len = journal::entry_len(touched.iter().map(|&p| self.parts[p].buf.len()));
        if self.journal.full_for(len) {
            self.turn()?;
        }
        for &p in touched {
            let part = &self.parts[p];
            part.file.write_all_at(&part.buf, part.len)?;
        }
        let parts = &self.parts;
        let chunks = touched.iter().map(|&p| Chunk {
            partition: p as u32,
            position: parts[p].len,
            bytes: &parts[p].buf,
        });
        let written = self
            .journal
            .write(chunks, self.durability == Durability::Sync);
        self.broken |= written.is_err();
        written
    }

    /// Syncs every partition file written since the last turn, then starts
    /// the journal's next lap.
    fn turn(&mut self) -> std::io::Result<()> {
        for part in self.parts.iter_mut().filter(|part| part.dirty) {
            if let Err(e) = part.file.sync_data() {
                self.broken = true;
                return Err(e);
            }
            part.dirty = false;
        }
        let turned = self.journal.turn();
        self.broken |= turned.is_err();
        turned
    }

    /// Makes a written group visible and answers its appends.
    fn publish(&mut self, touched: &[usize], group: Vec<AppendRequest>) {
        let mut next = vec![0u64; self.parts.len()];
        for &p in touched {
            let part = &mut self.parts[p];
            part.len += part.buf.len() as u64;
            part.dirty = true;
            next[p] = part.partition.publish(&part.positions, part.len);
            if part.len - part.flushed >= WRITEBACK_BYTES {
                start_writeback(&part.file, part.flushed, part.len);
                part.flushed = part.len;
            }
        }
        if !touched.is_empty() {
            self.generation.send_modify(|g| *g = g.wrapping_add(1));
        }
        for req in group {
            let p = req.partition as usize;
            let n = req.records.len() as u64;
            let _ = req.reply.send(Ok((next[p]..next[p] + n).collect()));
            next[p] += n;
        }
    }

    /// Answers a group that failed to write: its records did not land.
    fn fail(&mut self, touched: &[usize], group: Vec<AppendRequest>, e: std::io::Error) {
        tracing::error!(error = %e, "log write failed");
        // Cut what a partial write may have left, so each file stays a valid
        // prefix; if even that fails, recovery cuts it on the next open.
        for &p in touched {
            let part = &self.parts[p];
            let _ = part.file.set_len(part.len);
        }
        // A barrier ahead of its partition's first records in the group
        // stands: all before it on that partition had landed.
        let mut landed = vec![true; self.parts.len()];
        for req in group {
            let p = req.partition as usize;
            landed[p] &= req.records.is_empty();
            let answer = match landed[p] {
                true => Ok(Vec::new()),
                false => Err(std::io::Error::new(e.kind(), e.to_string()).into()),
            };
            let _ = req.reply.send(answer);
        }
    }

    /// On close, the partition files are synced and the journal turned, so
    /// the next open has nothing to replay.
    fn close(&mut self) {
        if self.broken {
            return;
        }
        if let Err(e) = self.turn() {
            tracing::warn!(error = %e, "syncing the log on close failed; the next open replays its journal");
        }
    }
}

/// Asks the kernel to start writing `[from, to)` of `file` back to disk,
/// without waiting for it.
fn start_writeback(file: &File, from: u64, to: u64) {
    let (Ok(offset), Ok(len)) = (i64::try_from(from), i64::try_from(to - from)) else {
        return;
    };
    // SAFETY: a plain syscall on a file descriptor `file` keeps open; it
    // reads no memory of ours.
    let _ = unsafe {
        libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE)
    };
}
