//! In-memory account state of the command side, one map per partition.

use ledger_core::sequence::OpenGroup;
use ledger_core::{Event, Member, ProgramState};
use std::collections::HashMap;

/// A member account as the writer knows it.
#[derive(Debug)]
pub struct Account {
    pub member: Member,
    /// Sequence of the last event applied.
    pub sequence: u64,
    /// Digest of the last event applied: the next event's `prev_hash`.
    pub head: String,
    /// Where each journal's events sit in the partition: (first offset, count),
    /// to answer a retry with the original result.
    pub receipts: HashMap<String, (u64, u32)>,
}

/// A program account: every version of its definition.
#[derive(Debug, Default)]
pub struct ProgramAccount {
    pub state: ProgramState,
    pub sequence: u64,
    /// Digest of the last event applied (see `Account::head`).
    pub head: String,
    /// A group of program events begun on the log but not yet whole.
    pub open: Option<OpenGroup<(u64, Event, String)>>,
}

/// The accounts one partition holds, keyed by log key `<program>/<member>`.
#[derive(Debug, Default)]
pub struct PartitionState {
    pub members: HashMap<String, Account>,
    /// Groups begun on the log but not yet whole, per account key, each
    /// event with its offset and digest.
    pub open: HashMap<String, OpenGroup<(u64, Event, String)>>,
    /// The log offset the state is current to: every record below it has
    /// been read or written here.
    pub read_to: u64,
    /// Whether this instance writes the partition now. A released
    /// partition's state is kept until the group settles, so getting it back
    /// costs only the records written meanwhile.
    pub owned: bool,
    /// The state counts appends that did not land (a queued append failed):
    /// it is read again from the log before anything is decided on it.
    pub stale: bool,
    /// Bumped whenever the state is read again, so an append decided before
    /// a re-read that then fails does not mark the re-read state stale.
    pub generation: u64,
}

impl PartitionState {
    /// Forgets everything: the partition moved to another writer for good.
    pub fn forget(&mut self) {
        *self = PartitionState::default();
    }
}
