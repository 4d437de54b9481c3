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
//! - One append-only file per partition (`partition-00003.log`) plus a `meta`
//!   file holding the partition count (fixed at creation) and a `LOCK` file
//!   held while the log is open (one process per directory).
//! - Framing: `magic u32 | body length u32 | CRC32 of body u32 | body`, the
//!   body being `key len u32 | key | header count u16 | (name len u16 | name |
//!   value len u32 | value)* | payload len u32 | payload`, little endian.
//!   A record's offset is its position in the file's sequence of records; an
//!   in-memory index maps it to a byte position.
//! - **fsync policy** ([`Durability::Sync`], the default): an append is
//!   acknowledged only after its bytes are written and `fdatasync`ed. One
//!   writer thread per partition drains every queued append, writes them and
//!   syncs ONCE for the group (group commit), then answers each caller.
//!   Readers only see synced records. [`Durability::Buffered`] skips the
//!   sync (benchmarks, tests): a machine crash may then lose acknowledged
//!   records at the tail.
//! - **Recovery**: on open every record's magic, length and CRC are checked
//!   to rebuild the index; a torn or corrupt tail (a crash mid-write) is cut
//!   off with a warning saying how many bytes were dropped, and everything
//!   before it is kept. Scanning stops at the first bad record, so damage in
//!   the middle of a file (not something a crash does) also loses what
//!   follows it.
//! - **Shutdown**: dropping the log lets the writers finish the appends
//!   already queued, then releases the lock.

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
