//! In-memory account state of the command side, one map per partition.

use ledger_core::{Member, Program, ProgramState};
use std::collections::HashMap;
use std::sync::Arc;

/// A member account as the writer knows it.
#[derive(Debug)]
pub struct Account {
    pub member: Member,
    /// Sequence of the last event applied.
    pub sequence: u64,
    /// Where each journal's events sit in the partition: (first offset, count),
    /// to answer a retry with the original result.
    pub receipts: HashMap<String, (u64, u32)>,
}

/// A program account: every version of its definition.
#[derive(Debug, Default)]
pub struct ProgramAccount {
    pub state: ProgramState,
    pub current: Option<Arc<Program>>,
    pub sequence: u64,
}

/// The accounts one partition holds, keyed by log key `<program>/<member>`.
#[derive(Debug, Default)]
pub struct PartitionState {
    pub members: HashMap<String, Account>,
}
