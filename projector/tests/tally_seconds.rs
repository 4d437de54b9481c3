//! Program totals as of a time inside a second: a second whose events share
//! one microsecond keeps no exact buckets, one with several keeps them, and
//! neither depends on how the events were batched.

use chrono::{Duration, TimeZone, Utc};
use ledger_core::Time;
use projector::as_of::totals;
use projector::overlay::Overlay;
use projector::Store;

fn second() -> Time {
    Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap()
}

/// Commits one event's tally at each offset (µs into the second), in
/// batches of the given sizes.
fn store_with(dir: &std::path::Path, micros: &[i64], batches: &[usize]) -> Store {
    let store = Store::open(dir).unwrap();
    let mut rest = micros;
    for size in batches.iter().copied().chain(std::iter::once(usize::MAX)) {
        let (now, later) = rest.split_at(size.min(rest.len()));
        let mut ov = Overlay::new(&store);
        for m in now {
            ov.tally("p", second() + Duration::microseconds(*m)).events += 1;
        }
        store.put_carries(vec![ov.commit(&store).unwrap()]);
        rest = later;
    }
    store
}

fn entries(store: &Store) -> Vec<projector::store::RawEntry> {
    store.entries().map(Result::unwrap).collect()
}

#[test]
fn a_cut_inside_a_second_counts_exactly_the_events_up_to_it() {
    let cases: [&[i64]; 4] = [&[300, 300, 300], &[500, 200, 500, 900], &[0, 999_999], &[7]];
    for micros in cases {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with(dir.path(), micros, &[1, 2]);
        let mut cuts: Vec<i64> = micros.iter().flat_map(|m| [m - 1, *m, m + 1]).collect();
        cuts.extend([-1, 1_000_000]);
        for cut in cuts {
            let t = second() + Duration::microseconds(cut);
            let expected = micros.iter().filter(|m| **m <= cut).count() as i64;
            assert_eq!(
                totals(&store, "p", t).unwrap().events,
                expected,
                "events at {micros:?}, cut at {cut} µs"
            );
        }
    }
}

#[test]
fn the_buckets_do_not_depend_on_batching_or_order() {
    let orders: [&[i64]; 3] = [
        &[200, 500, 500, 900],
        &[900, 500, 200, 500],
        &[500, 900, 500, 200],
    ];
    let dir = tempfile::tempdir().unwrap();
    let one = entries(&store_with(
        &dir.path().join("one"),
        orders[0],
        &[usize::MAX],
    ));
    for (n, order) in orders.iter().enumerate() {
        for (b, batches) in [&[1usize, 1, 1][..], &[2], &[3], &[usize::MAX]]
            .iter()
            .enumerate()
        {
            let path = dir.path().join(format!("{n}-{b}"));
            let got = entries(&store_with(&path, order, batches));
            assert_eq!(got, one, "order {order:?}, batches {batches:?}");
        }
    }
}
