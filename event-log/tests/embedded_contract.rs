//! The embedded log passes the log contract, keeps everything across a
//! reopen, and cuts a torn or corrupt tail.

use event_log::{contract, Durability, EmbeddedLog, EventLog, Record};
use std::io::Write;

fn rec(n: usize) -> Record {
    Record {
        key: format!("k{n}"),
        headers: vec![],
        payload: vec![n as u8; 100],
    }
}

#[tokio::test]
async fn embedded_log_passes_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path(), 4, Durability::Sync).unwrap();
    contract::run_all(&*log).await;
}

#[tokio::test]
async fn reopening_keeps_everything_and_the_partition_count() {
    let dir = tempfile::tempdir().unwrap();
    {
        let log = EmbeddedLog::open(dir.path(), 3, Durability::Sync).unwrap();
        for n in 0..30 {
            log.append(log.partition_for(&format!("k{n}")), vec![rec(n)])
                .await
                .unwrap();
        }
    }
    let log = EmbeddedLog::open(dir.path(), 99, Durability::Sync).unwrap();
    assert_eq!(log.partitions(), 3, "an existing log keeps its count");
    let all = contract::read_all(&*log, vec![0; 3], 30).await;
    assert_eq!(all.len(), 30);
}

#[tokio::test]
async fn a_second_process_cannot_open_the_same_log() {
    let dir = tempfile::tempdir().unwrap();
    let _log = EmbeddedLog::open(dir.path(), 1, Durability::Sync).unwrap();
    assert!(EmbeddedLog::open(dir.path(), 1, Durability::Sync).is_err());
}

#[tokio::test]
async fn a_torn_tail_is_cut_and_the_good_prefix_kept() {
    let dir = tempfile::tempdir().unwrap();
    {
        let log = EmbeddedLog::open(dir.path(), 1, Durability::Sync).unwrap();
        log.append(0, (0..5).map(rec).collect()).await.unwrap();
    }
    let path = dir.path().join("partition-00000.log");
    let len = std::fs::metadata(&path).unwrap().len();
    // Half of the last record is lost, as in a crash mid-write.
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(len - 50).unwrap();
    drop(f);
    let log = EmbeddedLog::open(dir.path(), 1, Durability::Sync).unwrap();
    assert_eq!(log.end_offsets().await.unwrap(), vec![4]);
    // The log still appends after the cut.
    assert_eq!(log.append(0, vec![rec(9)]).await.unwrap(), vec![4]);
    let all = contract::read_all(&*log, vec![0], 5).await;
    assert_eq!(all[4].payload, vec![9u8; 100]);
}

#[tokio::test]
async fn a_corrupt_tail_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    {
        let log = EmbeddedLog::open(dir.path(), 1, Durability::Sync).unwrap();
        log.append(0, (0..3).map(rec).collect()).await.unwrap();
    }
    let path = dir.path().join("partition-00000.log");
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 10;
    bytes[last] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(b"garbage after the end").unwrap();
    drop(f);
    let log = EmbeddedLog::open(dir.path(), 1, Durability::Sync).unwrap();
    assert_eq!(log.end_offsets().await.unwrap(), vec![2]);
}
