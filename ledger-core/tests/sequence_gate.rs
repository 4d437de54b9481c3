//! Property: however two writers' groups interleave on the log (a stale
//! owner and a new one, repeats, a writer dying mid-group), the admitted
//! events form whole groups at consecutive sequences, and a reader that
//! starts over reaches the same result.

use ledger_core::sequence::{admit, Admission, Stamp};
use proptest::prelude::*;

/// One event as written: (writer, sequence, group first, group last, id).
type Written = (u8, u64, u64, u64, u32);

/// Each writer decides groups of 1..=3 events starting from where it believes
/// the account is; `stale` shifts the second writer's view back.
fn writer_events(writer: u8, start: u64, sizes: &[u64], id_base: u32) -> Vec<Written> {
    let mut out = Vec::new();
    let mut next = start;
    let mut id = id_base;
    for size in sizes {
        let (first, last) = (next, next + size - 1);
        for seq in first..=last {
            out.push((writer, seq, first, last, id));
            id += 1;
        }
        next = last + 1;
    }
    out
}

/// Interleaves two writers' event streams (each kept in order), cutting the
/// second one short to model a writer that died.
fn interleave(a: Vec<Written>, b: Vec<Written>, picks: &[bool], cut: usize) -> Vec<Written> {
    let b: Vec<_> = b.into_iter().take(cut).collect();
    let (mut ia, mut ib) = (0, 0);
    let mut out = Vec::new();
    for pick in picks.iter().copied().chain(std::iter::repeat(true)) {
        if ia == a.len() && ib == b.len() {
            break;
        }
        if (pick && ia < a.len()) || ib == b.len() {
            out.push(a[ia]);
            ia += 1;
        } else {
            out.push(b[ib]);
            ib += 1;
        }
    }
    out
}

/// Folds the log; returns the admitted events' (sequence, group, id).
fn read(log: &[Written]) -> Vec<(u64, (u8, u64, u64), u32)> {
    let mut applied = 0;
    let mut open = None;
    let mut out = Vec::new();
    for &(w, seq, first, last, id) in log {
        let writer = w.to_string();
        let stamp = Stamp {
            sequence: seq,
            group_first: first,
            group_last: last,
            writer: &writer,
        };
        if let Admission::Apply(items) =
            admit(applied, &mut open, stamp, (seq, (w, first, last), id))
        {
            applied = last;
            out.extend(items);
        }
    }
    out
}

proptest! {
    #[test]
    fn admitted_events_are_whole_groups_at_consecutive_sequences(
        sizes_a in prop::collection::vec(1u64..=3, 1..8),
        sizes_b in prop::collection::vec(1u64..=3, 1..8),
        b_start in 1u64..6,
        picks in prop::collection::vec(any::<bool>(), 0..40),
        cut in 0usize..30,
        repeat in any::<bool>(),
    ) {
        let a = writer_events(0, 1, &sizes_a, 0);
        let b = writer_events(1, b_start, &sizes_b, 1000);
        let mut log = interleave(a, b, &picks, cut);
        if repeat {
            let again = log.clone();
            log.extend(again);
        }
        let admitted = read(&log);
        // Consecutive sequences from 1.
        for (i, (seq, _, _)) in admitted.iter().enumerate() {
            prop_assert_eq!(*seq, i as u64 + 1);
        }
        // Whole groups: every admitted event's group is there in full, from one writer.
        let mut i = 0;
        while i < admitted.len() {
            let (_, (w, first, last), _) = admitted[i];
            let len = (last - first + 1) as usize;
            prop_assert!(i + len <= admitted.len());
            for (k, item) in admitted[i..i + len].iter().enumerate() {
                prop_assert_eq!(item.1, (w, first, last));
                prop_assert_eq!(item.0, first + k as u64);
            }
            i += len;
        }
        // Deterministic: reading the same log again gives the same result.
        prop_assert_eq!(read(&log), admitted);
    }
}
