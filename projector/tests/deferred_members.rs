//! A scratch store defers member views until it is flushed: a batch that
//! fails loses them, so the store then refuses to pass for complete.

use event_log::StoredRecord;
use projector::{apply_records, Store, StoreError};

fn undecodable() -> StoredRecord {
    StoredRecord {
        partition: 0,
        offset: 0,
        key: "p/m".into(),
        headers: Vec::new(),
        payload: vec![0xff; 7],
    }
}

#[test]
fn a_failed_batch_leaves_a_scratch_store_incomplete() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_scratch(&dir.path().join("scratch")).unwrap();
    assert!(store.defers_members());
    assert!(matches!(
        apply_records(&store, &[undecodable()]),
        Err(StoreError::Decode { .. })
    ));
    assert!(matches!(store.flush(), Err(StoreError::LostDeferred)));
    assert!(matches!(
        apply_records(&store, &[]),
        Err(StoreError::LostDeferred)
    ));
}

#[test]
fn a_live_store_starts_its_carry_afresh_after_a_failed_batch() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("live")).unwrap();
    assert!(!store.defers_members());
    assert!(apply_records(&store, &[undecodable()]).is_err());
    store.flush().unwrap();
    assert_eq!(apply_records(&store, &[]).unwrap(), 0);
}
