//! The event log: one trait for every log the ledger runs on, and its
//! embedded implementation (files in a data directory).
//!
//! The trait maps onto Kafka: a log has partitions; records are keyed
//! (all records of a key land in one partition, in order, by Kafka's own
//! murmur2 partitioner) and carry headers; an append returns offsets; a
//! reader is positioned at start offsets and polls batches. [`contract`]
//! holds the tests every implementation passes.
//!
//! # The embedded log
//! - One append-only file per partition (`partition-00003.log`), a `journal`
//!   with its `journal.lap`, a `meta` file holding the partition count (fixed
//!   at creation) and a `LOCK` file held while the log is open (one process
//!   per directory).
//! - Framing: `magic u32 | body length u32 | CRC32 of body u32 | body`, the
//!   body being `key len u32 | key | header count u16 | (name len u16 | name |
//!   value len u32 | value)* | payload len u32 | payload`, little endian.
//!   A record's offset is its position in the file's sequence of records; an
//!   in-memory index maps it to a byte position.
//! - **Journal**: entries `magic u32 "LYJ1" | lap u64 | seq u64 | body length
//!   u32 | CRC32 of lap, seq, length and body u32`, the body holding chunks
//!   `partition u32 | byte position u64 | length u32 | bytes` (the framed
//!   records a group added to that partition file). A lap is one pass over
//!   the file from its start, numbered in `journal.lap`; its entries are
//!   numbered from 0. When the next entry would pass 32 MiB the writer syncs
//!   every partition file written since the lap began and starts the next
//!   lap (the journal "turns"); it does the same on close.
//! - **fsync policy** ([`Durability::Sync`], the default): an append is
//!   acknowledged only after its bytes are written to its partition file
//!   and to the journal, and the journal `fdatasync`ed. One writer thread
//!   drains every queued append of every partition and syncs ONCE for the
//!   group (group commit), then answers each caller. Readers only see
//!   records whose journal entry is synced. [`Durability::Buffered`] skips
//!   the sync (benchmarks, tests): a machine crash may then lose
//!   acknowledged records at the tail.
//! - **Recovery**: on open the journal's current lap is replayed: for each
//!   partition its chunks cover one contiguous stretch of the file; chunks
//!   the file lost are written again and bytes after the stretch (written,
//!   never acknowledged) cut; a partition the lap never touched keeps any
//!   whole records after its synced part, as before. Then every record's magic, length and CRC are
//!   checked to rebuild the index; a torn or corrupt tail is cut off with a
//!   warning saying how many bytes were dropped, and everything before it is
//!   kept. Scanning stops at the first bad record, so damage in the middle
//!   of a file (not something a crash does) also loses what follows it. The
//!   partition files are then synced and a new lap begun.
//! - **I/O errors**: a failed write of a partition file fails its group and
//!   leaves nothing behind. A failed journal write or sync, or a failed sync
//!   of a partition file, fails its group and every later append until the
//!   log is reopened (the kernel may drop unsynced pages after a failed sync
//!   and not say so again); the failed group's records may be on the log
//!   after the reopen, so its callers learn only that the outcome is unknown.
//! - **Shutdown**: dropping the log lets the writer finish the appends
//!   already queued, syncs the partition files and turns the journal, then
//!   releases the lock.

pub mod contract;
mod embedded;
mod error;
#[cfg(feature = "cli")]
pub mod fallback;
mod kafka;
mod log;
mod partitioner;
mod position;
mod record;
#[cfg(feature = "cli")]
pub mod service;
mod snapshot;
pub mod tansu;

pub use embedded::{Durability, EmbeddedLog};
pub use error::LogError;
#[cfg(feature = "cli")]
pub use kafka::KafkaArgs;
pub use kafka::{ensure_topic, topic_partitions, KafkaConfig, KafkaGroupReader, KafkaLog, StartAt};
pub use log::{EventLog, LogReader, Queued};
pub use partitioner::{murmur2, partition_for};
pub use position::{PositionError, Positions};
pub use record::{Record, StoredRecord};
pub use snapshot::SnapshotReader;
