//! Which events of an account take effect: the one rule every reader of the
//! log applies (projector, command-side rebuild, a writer checking its own
//! append), so they all agree, live and on replay.
//!
//! The events of one command form a *group*: consecutive sequences
//! `first..=last` decided by one writer. Kafka offers no transactions here
//! and two writers may briefly both believe they own a partition (a
//! rebalance, a paused process), so the log can hold repeats, a stale
//! writer's group interleaved with the owner's, or the start of a group
//! whose writer died. The rule:
//! - a group takes effect whole, when its last event arrives, if its first
//!   event came at the account's next sequence;
//! - a group that starts at the next sequence replaces an unfinished one
//!   (its writer died or lost the race: it never takes effect);
//! - anything else (a repeat, a gap, an event of another group) is skipped.

use serde::{Deserialize, Serialize};

/// Where an event stands in its account's sequence (from its envelope).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp<'a> {
    pub sequence: u64,
    /// First and last sequence of its group; 0 means a group of one.
    pub group_first: u64,
    pub group_last: u64,
    pub writer: &'a str,
}

impl Stamp<'_> {
    /// A group of one at the account's next sequence: it takes effect
    /// whatever group is open, so a reader need not look one up.
    pub fn whole_at_next(&self, applied: u64) -> bool {
        self.bounds() == (self.sequence, self.sequence) && self.sequence == applied + 1
    }

    /// First and last sequence of the event's group.
    pub fn group(&self) -> (u64, u64) {
        self.bounds()
    }

    fn bounds(&self) -> (u64, u64) {
        if self.group_first == 0 || self.group_last == 0 {
            (self.sequence, self.sequence)
        } else {
            (self.group_first, self.group_last)
        }
    }
}

/// A group that has begun but not yet arrived whole, with what it holds so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenGroup<T> {
    pub writer: String,
    pub first: u64,
    pub last: u64,
    pub items: Vec<T>,
}

/// What to do with one event.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission<T> {
    /// Its group is whole: apply these, in order; the account is then at the group's last sequence.
    Apply(Vec<T>),
    /// Part of a group still arriving: keep it in the open group.
    Held,
    /// A repeat, a stale writer's event, or part of a group that will never take effect.
    Skipped,
}

/// Offers one event (`item`) of an account whose last applied sequence is
/// `applied` and whose unfinished group, if any, is `open`.
pub fn admit<T>(
    applied: u64,
    open: &mut Option<OpenGroup<T>>,
    stamp: Stamp<'_>,
    item: T,
) -> Admission<T> {
    let (first, last) = stamp.bounds();
    let seq = stamp.sequence;
    if seq <= applied || seq < first || seq > last {
        return Admission::Skipped;
    }
    if seq == first {
        if first != applied + 1 {
            return Admission::Skipped;
        }
        *open = Some(OpenGroup {
            writer: stamp.writer.to_string(),
            first,
            last,
            items: vec![item],
        });
    } else {
        match open {
            Some(g)
                if g.writer == stamp.writer
                    && g.first == applied + 1
                    && g.first == first
                    && g.last == last
                    && g.first + g.items.len() as u64 == seq =>
            {
                g.items.push(item)
            }
            _ => return Admission::Skipped,
        }
    }
    if seq == last {
        Admission::Apply(open.take().map(|g| g.items).unwrap_or_default())
    } else {
        Admission::Held
    }
}

/// The gate of every account a reader follows: which events take effect,
/// for readers that keep no other state per account (an export).
pub struct Gates<T> {
    accounts: std::collections::HashMap<String, (u64, Option<OpenGroup<T>>)>,
}

impl<T> Default for Gates<T> {
    fn default() -> Self {
        Gates {
            accounts: std::collections::HashMap::new(),
        }
    }
}

impl<T> Gates<T> {
    /// Offers an account's event; returns the events that take effect with
    /// it (none, or its whole group in sequence order).
    pub fn offer(&mut self, account: &str, stamp: Stamp<'_>, item: T) -> Vec<T> {
        let (applied, open) = self.accounts.entry(account.to_string()).or_default();
        let last = stamp.bounds().1;
        match admit(*applied, open, stamp, item) {
            Admission::Apply(items) => {
                *applied = last;
                items
            }
            Admission::Held | Admission::Skipped => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(writer: &str, sequence: u64, first: u64, last: u64) -> Stamp<'_> {
        Stamp {
            sequence,
            group_first: first,
            group_last: last,
            writer,
        }
    }

    /// Feeds (writer, seq, first, last) events in log order; returns what took effect.
    fn fold(events: &[(&str, u64, u64, u64)]) -> Vec<String> {
        let mut applied = 0;
        let mut open = None;
        let mut out = Vec::new();
        for (w, s, f, l) in events {
            let item = format!("{w}{s}");
            if let Admission::Apply(items) = admit(applied, &mut open, stamp(w, *s, *f, *l), item) {
                // A group of one is written with bounds 0.
                applied = if *l == 0 { *s } else { *l };
                out.extend(items);
            }
        }
        out
    }

    #[test]
    fn single_events_apply_in_order_and_repeats_are_skipped() {
        let got = fold(&[
            ("a", 1, 0, 0),
            ("a", 2, 0, 0),
            ("a", 2, 0, 0),
            ("a", 4, 0, 0),
        ]);
        assert_eq!(got, ["a1", "a2"]);
    }

    #[test]
    fn a_group_applies_whole_when_its_last_event_arrives() {
        let mut open = None;
        assert_eq!(admit(0, &mut open, stamp("a", 1, 1, 2), 1), Admission::Held);
        assert_eq!(
            admit(0, &mut open, stamp("a", 2, 1, 2), 2),
            Admission::Apply(vec![1, 2])
        );
        assert_eq!(open, None);
    }

    #[test]
    fn a_stale_writer_interleaved_with_the_owner_never_half_applies() {
        // a's group 5..6 starts first; b's group 5..6 starts in the middle and wins.
        let got = fold(&[
            ("x", 1, 0, 0),
            ("x", 2, 0, 0),
            ("x", 3, 0, 0),
            ("x", 4, 0, 0),
            ("a", 5, 5, 6),
            ("b", 5, 5, 6),
            ("a", 6, 5, 6),
            ("b", 6, 5, 6),
        ]);
        assert_eq!(got, ["x1", "x2", "x3", "x4", "b5", "b6"]);
    }

    #[test]
    fn the_first_whole_group_wins_and_a_later_one_at_the_same_sequence_is_skipped() {
        let got = fold(&[
            ("a", 1, 1, 2),
            ("a", 2, 1, 2),
            ("b", 1, 1, 1),
            ("b", 2, 2, 2),
        ]);
        assert_eq!(got, ["a1", "a2"]);
    }

    #[test]
    fn a_group_cut_short_by_a_crash_is_replaced_by_the_next_group() {
        let got = fold(&[
            ("a", 1, 1, 3),
            ("a", 2, 1, 3),
            ("b", 1, 1, 1),
            ("a", 3, 1, 3),
        ]);
        assert_eq!(got, ["b1"]);
    }

    #[test]
    fn an_open_group_overtaken_by_a_group_of_one_never_completes() {
        // A reader that skipped looking up the open group for b's group of
        // one must still never complete a's group later.
        let mut open = None;
        assert_eq!(admit(0, &mut open, stamp("a", 1, 1, 2), 1), Admission::Held);
        assert!(stamp("b", 1, 0, 0).whole_at_next(0));
        assert_eq!(
            admit(1, &mut open, stamp("a", 2, 1, 2), 2),
            Admission::Skipped
        );
    }

    #[test]
    fn a_group_that_does_not_start_at_the_next_sequence_is_skipped() {
        let got = fold(&[("a", 2, 2, 3), ("a", 3, 2, 3), ("a", 1, 0, 0)]);
        assert_eq!(got, ["a1"]);
    }

    #[test]
    fn gates_follow_each_account_on_its_own() {
        let mut gates = Gates::default();
        assert_eq!(gates.offer("a", stamp("w", 1, 0, 0), "a1"), ["a1"]);
        assert_eq!(
            gates.offer("b", stamp("w", 1, 1, 2), "b1"),
            Vec::<&str>::new()
        );
        assert_eq!(
            gates.offer("a", stamp("w", 1, 0, 0), "a1 again"),
            Vec::<&str>::new()
        );
        assert_eq!(gates.offer("b", stamp("w", 2, 1, 2), "b2"), ["b1", "b2"]);
        assert_eq!(gates.offer("a", stamp("w", 2, 0, 0), "a2"), ["a2"]);
    }
}
