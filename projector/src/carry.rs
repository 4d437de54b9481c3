//! Member views carried between a projector's batches, parsed.

use crate::views::MemberView;
use std::collections::HashMap;

/// Member views as the last batches committed them, parsed: nearly every
/// event reads its member's view, and reading and parsing it again from
/// RocksDB was a fifth of a rebuild's time. Valid because the projector is
/// its store's only writer; dropped on a failed commit.
#[derive(Default)]
pub struct Carry {
    members: HashMap<Vec<u8>, Carried>,
    /// The stored size of the views carried, in bytes.
    bytes: usize,
}

struct Carried {
    view: MemberView,
    /// Its stored (serialized) size: what the carry's budget counts.
    bytes: usize,
}

/// By default each lane carries member views of at most this many bytes in
/// their stored form (parsed, they take about five times that). A budget in
/// bytes rather than in views, since a view grows with its member's
/// vouchers, badges and roster: counted in views, a 10-million-event
/// rebuild's memory grew with the log.
pub const CARRY_BYTES: usize = 48 << 20;

impl Carry {
    /// Takes the carried view at `key` out, for a batch to change.
    pub(crate) fn take(&mut self, key: &[u8]) -> Option<MemberView> {
        let carried = self.members.remove(key)?;
        self.bytes -= carried.bytes;
        Some(carried.view)
    }

    /// Carries `view`, whose stored form is `bytes` long.
    fn insert(&mut self, key: Vec<u8>, view: MemberView, bytes: usize) {
        self.bytes += bytes;
        if let Some(old) = self.members.insert(key, Carried { view, bytes }) {
            self.bytes -= old.bytes;
        }
    }

    /// Carries a batch's views (key, view, stored size) within `budget`
    /// bytes: views the batch did not touch make room first, in no
    /// particular order.
    pub(crate) fn keep(&mut self, views: Vec<(Vec<u8>, MemberView, usize)>, budget: usize) {
        let fresh: usize = views.iter().map(|(_, _, bytes)| bytes).sum();
        self.shrink_to(budget.saturating_sub(fresh));
        for (key, view, bytes) in views {
            self.insert(key, view, bytes);
        }
        self.shrink_to(budget);
    }

    /// Drops views (in no particular order) until at most `budget` bytes
    /// are carried.
    fn shrink_to(&mut self, budget: usize) {
        if self.bytes <= budget {
            return;
        }
        let mut bytes = self.bytes;
        self.members.retain(|_, carried| {
            if bytes <= budget {
                return true;
            }
            bytes -= carried.bytes;
            false
        });
        self.bytes = bytes;
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.members.len()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(member: &str) -> MemberView {
        serde_json::from_value(serde_json::json!({
            "program_id": "p", "member_id": member, "member_type": "individual",
            "status": "active", "tier": null, "enrolled_at": "2026-01-01T00:00:00Z",
            "channel": "web", "sequence": 1, "position": "0:0", "balances": {}
        }))
        .unwrap()
    }

    #[test]
    fn counts_bytes_through_insert_replace_and_take() {
        let mut carry = Carry::default();
        carry.insert(b"a".to_vec(), view("a"), 100);
        carry.insert(b"b".to_vec(), view("b"), 50);
        carry.insert(b"a".to_vec(), view("a"), 70);
        assert_eq!((carry.len(), carry.bytes()), (2, 120));
        assert_eq!(carry.take(b"a").unwrap().member_id, "a");
        assert_eq!((carry.len(), carry.bytes()), (1, 50));
        assert!(carry.take(b"a").is_none());
    }

    #[test]
    fn shrinks_to_its_budget() {
        let mut carry = Carry::default();
        for i in 0..10 {
            carry.insert(vec![i], view("m"), 10);
        }
        carry.shrink_to(35);
        assert_eq!((carry.len(), carry.bytes()), (3, 30));
        carry.shrink_to(0);
        assert_eq!((carry.len(), carry.bytes()), (0, 0));
    }

    #[test]
    fn keeps_a_batch_s_views_before_older_ones() {
        let mut carry = Carry::default();
        for i in 0..5 {
            carry.insert(vec![i], view("old"), 10);
        }
        let batch = (10..13).map(|i| (vec![i], view("new"), 10)).collect();
        carry.keep(batch, 40);
        assert_eq!((carry.len(), carry.bytes()), (4, 40));
        assert!((10..13).all(|i| carry.take(&[i]).is_some()));
    }
}
