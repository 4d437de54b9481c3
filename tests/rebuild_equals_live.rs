//! Property: read models rebuilt from log position 0 equal the live ones
//! key for key, however the live projector happened to batch the events,
//! also when rebuilt the way `loyalty rebuild` does (a scratch store, no
//! write-ahead log) in small batches with a small carry of member views,
//! so carries overflow and drop views between batches; and every
//! member's points by expiry date (kept apart for its view) equal its open
//! lots'.

mod common;

use chrono::Duration;
use common::ledger_run::{dump, step, t0, Ledger, Step};
use projector::Store;
use proptest::prelude::*;

async fn run(steps: Vec<Step>, batch: usize, carry: usize) {
    let dir = tempfile::tempdir().unwrap();
    let live = Store::open(&dir.path().join("live")).unwrap();
    let ledger = Ledger::open(dir.path(), live).await;
    ledger
        .play(steps, |i| t0() + Duration::days(i as i64 * 9))
        .await;
    // Catch the live projector up, then rebuild from 0 and compare.
    ledger.catch_up().await;
    let rebuilt = Store::open(&dir.path().join("rebuilt")).unwrap();
    projector::rebuild::rebuild(&*ledger.log, &rebuilt, |_| {})
        .await
        .unwrap();
    assert_same(&ledger.live, &rebuilt);
    let mut scratch = Store::open_scratch(&dir.path().join("scratch")).unwrap();
    scratch.set_carry_bytes(carry);
    let end = ledger.log.end_offsets().await.unwrap();
    projector::rebuild::rebuild_batched(&*ledger.log, &scratch, end, batch, |_, _| {})
        .await
        .unwrap();
    assert_same(&ledger.live, &scratch);
    expiring_matches_lots(&ledger.live);
}

fn assert_same(live: &Store, rebuilt: &Store) {
    let (a, b) = (dump(live), dump(rebuilt));
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y, "key {:?}", String::from_utf8_lossy(&x.0));
    }
    assert_eq!(a.len(), b.len());
}

/// The view keeps its expiring points itself (so serving it reads no
/// lots): they must be exactly its fixed-expiry lots summed.
fn expiring_matches_lots(store: &Store) {
    use projector::read_model;
    use std::collections::BTreeMap;
    for m in read_model::member_ids(store, "p").unwrap() {
        let mut from_lots: BTreeMap<_, BTreeMap<String, ledger_core::Decimal>> = BTreeMap::new();
        for lot in read_model::lots(store, "p", &m).unwrap() {
            if let Some(at) = lot.expires_at {
                *from_lots
                    .entry(at)
                    .or_default()
                    .entry(lot.currency)
                    .or_default() += lot.points;
            }
        }
        let mut kept: BTreeMap<_, BTreeMap<String, ledger_core::Decimal>> = BTreeMap::new();
        for due in read_model::expiring(store, "p", &m, usize::MAX).unwrap() {
            let previous = kept
                .entry(due.expires_at)
                .or_default()
                .insert(due.currency, due.points);
            assert!(previous.is_none(), "one entry per date and currency");
        }
        assert_eq!(kept, from_lots, "member {m}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn rebuilt_read_models_equal_the_live_ones(
        steps in proptest::collection::vec(step(), 1..80),
        batch in 1usize..12,
        // Bytes of carried views: a member's stored view is a few hundred
        // bytes, so from none carried to a carry that drops some.
        carry in 0usize..1_500,
    ) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(run(steps, batch, carry));
    }
}
