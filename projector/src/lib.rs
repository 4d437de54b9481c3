//! The projector: folds the event log into RocksDB read models (member
//! views, open lots, ledger history, partner liability, program stats).
//!
//! Every batch of events is applied through an in-memory overlay and written
//! in ONE RocksDB WriteBatch together with the log offsets it consumed, so a
//! crash at any point resumes exactly where the read models stand: no loss,
//! no double apply. Events are applied only in per-account sequence order;
//! repeats are skipped. The projection uses only results recorded on the
//! events, never the program's rules.

pub mod as_of;
pub mod carry;
pub mod fold;
mod folder;
pub mod gate;
pub mod history;
pub mod keys;
pub mod lot_table;
pub mod overlay;
pub mod read_model;
pub mod rebuild;
pub mod runner;
pub mod snapshot;
pub mod source;
pub mod store;
pub mod tally;
mod threads;
pub mod views;

pub use runner::{apply_records, Projector};
pub use store::{Store, StoreError};
