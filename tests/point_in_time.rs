//! Property: a view as of a past point equals a fold of exactly the events
//! up to that point. Random traffic (some of it backdated) is folded live
//! with member snapshots every few events; then, for random cut times, each
//! member's view and open lots as of the time (`projector::as_of::member`)
//! and the program's statistics and partner figures as of the time
//! (`as_of::totals`) must equal what a fresh store holds after folding only
//! the log records the cut includes: per account, its events up to the
//! first whose business time is after the cut. The same for cuts by log
//! position.

mod common;

use chrono::Duration;
use common::ledger_run::{step, t0, Ledger, Step, MEMBERS};
use event_log::{EventLog, Positions, SnapshotReader, StoredRecord};
use ledger_core::Time;
use loyalty_proto::{EventEnvelope, Message as _};
use projector::as_of::{self, Cut, LotsWanted};
use projector::keys;
use projector::{apply_records, read_model, Store};
use proptest::prelude::*;
use std::collections::HashSet;

/// Every record of the log, partition by partition, in offset order.
async fn records(log: &dyn EventLog) -> Vec<StoredRecord> {
    let mut snapshot = SnapshotReader::open(log, 1024).await.unwrap();
    let mut out = Vec::new();
    while let Some(batch) = snapshot.next_batch().await.unwrap() {
        out.extend(batch);
    }
    out.sort_by_key(|r| (r.partition, r.offset));
    out
}

/// The records a time cut includes: per account, up to the first event
/// whose business time is after `t`.
fn up_to_time(records: &[StoredRecord], t: Time) -> Vec<StoredRecord> {
    let mut cut_off: HashSet<String> = HashSet::new();
    let mut kept = Vec::new();
    for r in records {
        let env = EventEnvelope::decode(r.payload.as_slice()).unwrap();
        let account = format!("{}/{}", env.program_id, env.account_id);
        let occurred = ledger_core::time::parse(&env.occurred_at).unwrap();
        if cut_off.contains(&account) || occurred > t {
            cut_off.insert(account);
            continue;
        }
        kept.push(r.clone());
    }
    kept
}

/// A fresh store folded from `records` alone.
fn fold(dir: &std::path::Path, name: &str, records: &[StoredRecord]) -> Store {
    let store = Store::open(&dir.join(name)).unwrap();
    if !records.is_empty() {
        apply_records(&store, records).unwrap();
    }
    store
}

fn same_members(live: &Store, fresh: &Store, cut: &Cut) {
    for m in 0..MEMBERS {
        let id = format!("m{m}");
        let expected = read_model::member(fresh, "p", &id)
            .unwrap()
            .map(|v| (v, read_model::lots(fresh, "p", &id).unwrap()));
        let got = as_of::member(live, "p", &id, cut).unwrap();
        assert_eq!(got, expected, "member {id} as of {cut:?}");
        if let Some((_, lots)) = &expected {
            let dates = read_model::expiring(fresh, "p", &id, 3).unwrap();
            assert_eq!(
                paged(live, &id, cut, lots.len(), &dates),
                *lots,
                "member {id}'s lots a page at a time as of {cut:?}"
            );
        }
    }
}

/// The member's lots as of the cut, two a page, following the pages to the
/// end; every page counts `open` lots and has `dates` as its next expiry dates.
fn paged(
    live: &Store,
    id: &str,
    cut: &Cut,
    open: usize,
    dates: &[projector::views::ExpiringPoints],
) -> Vec<projector::views::LotView> {
    let mut lots = Vec::new();
    let mut after = None;
    loop {
        let wanted = LotsWanted {
            after: after.clone(),
            limit: 2,
            dates: 3,
        };
        let at = as_of::member_page(live, "p", id, cut, &wanted)
            .unwrap()
            .expect("the member exists at the cut");
        assert_eq!(at.open_lots, open, "member {id} as of {cut:?}");
        assert_eq!(at.expiring, dates, "member {id} as of {cut:?}");
        let more = at.lots.len() > 2;
        lots.extend(at.lots.into_iter().take(2));
        match lots.last() {
            Some(last) if more => after = Some(keys::lot_place(&last.currency, &last.lot_id)),
            _ => return lots,
        }
    }
}

async fn run(steps: Vec<Step>, offsets: Vec<i64>, cuts: Vec<i64>, positions: Vec<u64>) {
    let dir = tempfile::tempdir().unwrap();
    let mut live = Store::open(&dir.path().join("live")).unwrap();
    live.set_snapshot_every(3);
    let ledger = Ledger::open(dir.path(), live).await;
    // Mostly forward in time, now and then backdated by up to 20 days.
    ledger
        .play(steps, |i| {
            t0() + Duration::days(i as i64 * 5) - Duration::days(offsets[i % offsets.len()])
        })
        .await;
    ledger.catch_up().await;
    let all = records(&*ledger.log).await;
    for (n, hours) in cuts.iter().enumerate() {
        let t = t0() + Duration::hours(*hours);
        let fresh = fold(dir.path(), &format!("time{n}"), &up_to_time(&all, t));
        same_members(&ledger.live, &fresh, &Cut::Time(t));
        let totals = as_of::totals(&ledger.live, "p", t).unwrap();
        let expected_stats = read_model::stats(&fresh, "p").unwrap().unwrap_or_default();
        assert_eq!(totals.stats(), expected_stats, "stats as of {t}");
        let expected_partners = read_model::partners(&fresh, "p").unwrap();
        assert_eq!(
            totals.partners, expected_partners,
            "partner figures as of {t}"
        );
    }
    for (n, pick) in positions.iter().enumerate() {
        let r = &all[(*pick as usize) % all.len()];
        let token = Positions::single(r.partition, r.offset);
        let kept: Vec<StoredRecord> = all
            .iter()
            .filter(|x| x.partition == r.partition && x.offset <= r.offset)
            .cloned()
            .collect();
        let fresh = fold(dir.path(), &format!("position{n}"), &kept);
        same_members(&ledger.live, &fresh, &Cut::Position(token));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn a_view_as_of_a_point_equals_a_fold_of_the_events_up_to_it(
        steps in proptest::collection::vec(step(), 1..70),
        offsets in proptest::collection::vec(prop_oneof![6 => Just(0i64), 1 => 1i64..20], 1..8),
        cuts in proptest::collection::vec(-24i64..(70 * 5 * 24), 1..5),
        positions in proptest::collection::vec(any::<u64>(), 1..4),
    ) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(run(steps, offsets, cuts, positions));
    }
}
