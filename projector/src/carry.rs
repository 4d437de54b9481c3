//! Member views carried between a projector's batches, parsed.

use crate::views::MemberView;
use std::collections::HashMap;

/// Member views as the last batches committed them, parsed: nearly every
/// event reads its member's view, and reading and parsing it again from
/// RocksDB was a fifth of a rebuild's time. Valid because the projector is
/// its store's only writer; dropped on a failed commit.
#[derive(Default)]
pub struct Carry {
    members: HashMap<Vec<u8>, MemberView>,
}

/// By default at most this many member views are carried between batches
/// by each lane (a few hundred MiB); beyond it the lane's carry starts
/// afresh.
pub const CARRY_MEMBERS: usize = 100_000;

impl Carry {
    /// Takes the carried view at `key` out, for a batch to change.
    pub(crate) fn take(&mut self, key: &[u8]) -> Option<MemberView> {
        self.members.remove(key)
    }

    pub(crate) fn insert(&mut self, key: Vec<u8>, view: MemberView) {
        self.members.insert(key, view);
    }

    pub(crate) fn len(&self) -> usize {
        self.members.len()
    }

    pub(crate) fn clear(&mut self) {
        self.members.clear();
    }
}
