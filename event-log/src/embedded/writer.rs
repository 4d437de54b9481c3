//! One writer thread per partition with group commit: it drains every
//! queued append, writes them in one go, syncs once, publishes the new end
//! to readers, then answers each caller.

use super::partition::Partition;
use super::Durability;
use crate::error::LogError;
use crate::record::Record;
use std::fs::File;
use std::io::Write;
use std::sync::mpsc;
use std::sync::Arc;
use tokio::sync::oneshot;

pub struct AppendRequest {
    pub records: Vec<Record>,
    pub reply: oneshot::Sender<Result<Vec<u64>, LogError>>,
}

pub fn spawn(
    partition: Arc<Partition>,
    mut file: File,
    mut len: u64,
    durability: Durability,
) -> std::io::Result<mpsc::Sender<AppendRequest>> {
    let (tx, rx) = mpsc::channel::<AppendRequest>();
    std::thread::Builder::new()
        .name(format!("log-writer-{}", partition.id))
        .spawn(move || {
            let mut buf = Vec::new();
            while let Ok(first) = rx.recv() {
                let mut group = vec![first];
                while let Ok(more) = rx.try_recv() {
                    group.push(more);
                }
                buf.clear();
                let mut positions = Vec::new();
                let mut pos = len;
                for req in &group {
                    for r in &req.records {
                        positions.push(pos);
                        let before = buf.len();
                        super::frame::encode(r, &mut buf);
                        pos += (buf.len() - before) as u64;
                    }
                }
                let written = file.write_all(&buf).and_then(|_| match durability {
                    Durability::Sync => file.sync_data(),
                    Durability::Buffered => Ok(()),
                });
                match written {
                    Ok(()) => {
                        len = pos;
                        let first_offset = partition.publish(&positions);
                        let mut next = first_offset;
                        for req in group {
                            let n = req.records.len() as u64;
                            let _ = req.reply.send(Ok((next..next + n).collect()));
                            next += n;
                        }
                    }
                    Err(e) => {
                        // Drop the partial write so the file stays a valid prefix.
                        let _ = file.set_len(len);
                        let kind = e.kind();
                        for req in group {
                            let _ = req
                                .reply
                                .send(Err(LogError::Io(std::io::Error::new(kind, e.to_string()))));
                        }
                    }
                }
            }
        })?;
    Ok(tx)
}
