//! One writer thread per partition, with group commit: it drains every
//! queued append, writes them in one go, syncs ONCE for the group, publishes
//! the new end to readers, then answers each caller. Many concurrent small
//! appends thus share one `fdatasync` instead of paying one each. An append
//! queued with the offset it expects is left out (answered `Moved`) when the
//! partition ends elsewhere, so nothing decided on records that failed to
//! land is written after them.
//!
//! File I/O happens on this thread, never on the async runtime. The thread
//! ends when every sender is dropped and the queue is drained, so appends
//! already queued when the log is dropped still complete.

use super::frame;
use super::partition::Partition;
use super::Durability;
use crate::error::LogError;
use crate::record::Record;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// Records for this partition, and where to send their offsets.
pub struct AppendRequest {
    pub records: Vec<Record>,
    /// The offset the first record must get (see `EventLog::queue`).
    pub expect: Option<u64>,
    pub reply: oneshot::Sender<Result<Vec<u64>, LogError>>,
}

/// A buffer grown past this by a huge group is released afterwards.
const KEEP_BUFFER: usize = 8 << 20;

struct Writer {
    partition: Arc<Partition>,
    file: File,
    /// Byte length of the written (and, with `Sync`, synced) prefix.
    len: u64,
    durability: Durability,
    buf: Vec<u8>,
}

/// Starts the writer of `partition`, whose file's valid prefix is `len` bytes.
pub fn spawn(
    partition: Arc<Partition>,
    file: File,
    len: u64,
    durability: Durability,
) -> std::io::Result<(mpsc::Sender<AppendRequest>, JoinHandle<()>)> {
    let (tx, rx) = mpsc::channel::<AppendRequest>();
    let mut writer = Writer {
        partition,
        file,
        len,
        durability,
        buf: Vec::new(),
    };
    let thread = std::thread::Builder::new()
        .name(format!("log-writer-{}", writer.partition.id))
        .spawn(move || {
            while let Ok(first) = rx.recv() {
                let mut group = vec![first];
                group.extend(rx.try_iter());
                writer.commit(group);
            }
        })?;
    Ok((tx, thread))
}

impl Writer {
    /// Writes and syncs a group of appends, then answers each of them.
    fn commit(&mut self, group: Vec<AppendRequest>) {
        let group = self.in_place(group);
        if group.is_empty() {
            return;
        }
        self.buf.clear();
        let mut positions = Vec::new();
        for record in group.iter().flat_map(|req| &req.records) {
            positions.push(self.len + self.buf.len() as u64);
            frame::encode(record, &mut self.buf);
        }
        // A positioned write at the end of the valid prefix: whatever a
        // failed earlier write may have left beyond it is overwritten. A
        // group of empty appends (barriers: everything before them is
        // synced already) writes nothing.
        let written = if self.buf.is_empty() {
            Ok(())
        } else {
            self.file
                .write_all_at(&self.buf, self.len)
                .and_then(|()| match self.durability {
                    Durability::Sync => self.file.sync_data(),
                    Durability::Buffered => Ok(()),
                })
        };
        match written {
            Ok(()) => {
                self.len += self.buf.len() as u64;
                let mut next = self.partition.publish(&positions, self.len);
                for req in group {
                    let n = req.records.len() as u64;
                    let _ = req.reply.send(Ok((next..next + n).collect()));
                    next += n;
                }
            }
            Err(e) => {
                tracing::error!(partition = self.partition.id, error = %e, "log write failed");
                // Cut the partial write so the file stays a valid prefix; if
                // even that fails, recovery cuts it on the next open.
                let _ = self.file.set_len(self.len);
                // Barriers ahead of the first records stand: all before
                // them had landed.
                let mut landed = true;
                for req in group {
                    landed &= req.records.is_empty();
                    let answer = match landed {
                        true => Ok(Vec::new()),
                        false => Err(std::io::Error::new(e.kind(), e.to_string()).into()),
                    };
                    let _ = req.reply.send(answer);
                }
            }
        }
        if self.buf.capacity() > KEEP_BUFFER {
            self.buf = Vec::new();
        }
    }

    /// The group's appends that would land where they expect to, in order;
    /// the others are answered `Moved` (decided on records that did not land).
    fn in_place(&self, group: Vec<AppendRequest>) -> Vec<AppendRequest> {
        let mut next = self.partition.end();
        let mut kept = Vec::with_capacity(group.len());
        for req in group {
            match req.expect {
                Some(expected) if expected != next => {
                    let _ = req.reply.send(Err(LogError::Moved {
                        partition: self.partition.id,
                        expected,
                        end: next,
                    }));
                }
                _ => {
                    next += req.records.len() as u64;
                    kept.push(req);
                }
            }
        }
        kept
    }
}
