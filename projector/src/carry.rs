//! Member views carried between a projector's batches, parsed.

use crate::overlay::Change;
use crate::store::to_json;
use crate::views::MemberView;
use std::collections::HashMap;

/// Member views as the last batches committed them, parsed: nearly every
/// event reads its member's view, and reading and parsing it again from
/// RocksDB was a fifth of a rebuild's time. Valid because the projector is
/// its store's only writer; dropped on a failed commit.
///
/// A store that defers member views (a scratch store being rebuilt, see
/// [`crate::Store::defers_members`]) does not hold the carried views yet:
/// they are written when the carry overflows and by [`crate::Store::flush`].
/// Nearly every event rewrites its member's view, and a batch of 8,192
/// events over 200,000 members rarely meets a member twice, so writing the
/// views once per batch was about 40 % of the bytes a rebuild wrote.
#[derive(Default)]
pub struct Carry {
    members: HashMap<Vec<u8>, MemberView>,
}

/// By default at most this many member views are carried between batches
/// by each lane (a few hundred MiB); beyond it the lane's carry starts
/// afresh (written first where the store defers them).
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

    pub(crate) fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Serializes every carried view into `out` and forgets them.
    pub(crate) fn drain_into(&mut self, out: &mut Vec<Change>) {
        out.extend(
            self.members
                .drain()
                .map(|(key, view)| (key, Some(to_json(&view)))),
        );
    }

    pub(crate) fn clear(&mut self) {
        self.members.clear();
    }
}
