//! The command side: validates and decides commands with `ledger-core`
//! against in-memory account state, and appends the resulting events to the
//! log. One writer per partition (a lock per partition; in Kafka mode the
//! commands topic's consumer group assigns partitions to instances, see
//! `ownership`); idempotent on the external transaction id.

pub mod batch;
pub mod clock;
pub mod courier;
pub mod encode;
pub mod error;
pub mod http;
pub mod intake;
pub mod outcome;
pub mod owners;
pub mod ownership;
pub mod programs;
pub mod rebuild;
pub mod runs;
pub mod seal;
pub mod service;
pub mod state;

pub use clock::{Clock, SystemClock};
pub use error::CommandError;
pub use outcome::Outcome;
pub use service::CommandService;
