//! The embedded log passes the log contract, keeps everything across a
//! reopen, cuts a torn or corrupt tail, and shuts down cleanly.

use event_log::{contract, Durability, EmbeddedLog, EventLog, LogError, Record};
use futures::FutureExt;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

fn rec(n: usize) -> Record {
    Record {
        key: format!("k{n}"),
        headers: vec![("n".into(), n.to_le_bytes().to_vec())],
        payload: vec![n as u8; 100],
    }
}

fn partition_file(dir: &Path, p: u32) -> std::path::PathBuf {
    dir.join(format!("partition-{p:05}.log"))
}

/// Appends `n` records to partition 0, one append each, and closes the log.
async fn log_with(dir: &Path, n: usize) {
    let log = EmbeddedLog::open(dir, 1, Durability::Sync).unwrap();
    for i in 0..n {
        assert_eq!(log.append(0, vec![rec(i)]).await.unwrap(), vec![i as u64]);
    }
}

#[tokio::test]
async fn embedded_log_passes_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path(), 4, Durability::Sync).unwrap();
    contract::run_all(&*log).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buffered_log_passes_the_contract_on_a_multi_thread_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path(), 3, Durability::Buffered).unwrap();
    contract::run_all(&*log).await;
}

#[tokio::test]
async fn reopening_keeps_everything_and_the_partition_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut written = Vec::new();
    {
        let log = EmbeddedLog::open(dir.path(), 3, Durability::Sync).unwrap();
        for n in 0..30 {
            let p = log.partition_for(&format!("k{n}"));
            let offsets = log.append(p, vec![rec(n)]).await.unwrap();
            written.push((p, offsets[0], rec(n)));
        }
    }
    let log = EmbeddedLog::open(dir.path(), 99, Durability::Sync).unwrap();
    assert_eq!(log.partitions(), 3, "an existing log keeps its count");
    let all = contract::read_all(&*log, vec![0; 3], 30).await;
    assert_eq!(all.len(), 30);
    for (p, offset, r) in written {
        let got = all
            .iter()
            .find(|g| g.partition == p && g.offset == offset)
            .unwrap();
        assert_eq!(
            (&got.key, &got.headers, &got.payload),
            (&r.key, &r.headers, &r.payload)
        );
    }
    drop(log);
    let log = EmbeddedLog::open_existing(dir.path(), Durability::Sync).unwrap();
    assert_eq!(log.end_offsets().await.unwrap().iter().sum::<u64>(), 30);
}

#[tokio::test]
async fn open_existing_refuses_an_empty_directory() {
    let dir = tempfile::tempdir().unwrap();
    assert!(EmbeddedLog::open_existing(dir.path(), Durability::Sync).is_err());
    assert!(
        !dir.path().join("meta").exists(),
        "nothing created by a refused open"
    );
}

#[tokio::test]
async fn a_second_open_of_the_same_log_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path(), 1, Durability::Sync).unwrap();
    assert!(matches!(
        EmbeddedLog::open(dir.path(), 1, Durability::Sync),
        Err(LogError::Locked(_))
    ));
    drop(log);
    assert!(EmbeddedLog::open(dir.path(), 1, Durability::Sync).is_ok());
}

#[tokio::test]
async fn bad_arguments_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    assert!(EmbeddedLog::open(&dir.path().join("zero"), 0, Durability::Sync).is_err());
    let garbled = dir.path().join("garbled");
    std::fs::create_dir(&garbled).unwrap();
    std::fs::write(garbled.join("meta"), "partitions=lots").unwrap();
    assert!(matches!(
        EmbeddedLog::open(&garbled, 2, Durability::Sync),
        Err(LogError::Corrupt(_))
    ));

    let log = EmbeddedLog::open(&dir.path().join("log"), 2, Durability::Sync).unwrap();
    let too_many_headers = Record {
        headers: vec![("h".into(), vec![]); 70_000],
        ..rec(0)
    };
    assert!(matches!(
        log.append(0, vec![rec(1), too_many_headers]).await,
        Err(LogError::Invalid(_))
    ));
    assert!(matches!(
        log.append(2, vec![]).await,
        Err(LogError::NoSuchPartition(2))
    ));
    assert_eq!(log.append(0, vec![]).await.unwrap(), Vec::<u64>::new());
    assert_eq!(
        log.end_offsets().await.unwrap(),
        vec![0, 0],
        "a refused batch writes none of its records"
    );
    let mut reader = log.reader(vec![u64::MAX, 5, 7]).await.unwrap();
    let nothing = reader.poll(0, Duration::from_millis(10)).await.unwrap();
    assert!(nothing.is_empty());
    let mut reader = log.reader(vec![]).await.unwrap();
    let waiting = tokio::spawn(async move { reader.poll(10, Duration::MAX).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    log.append(1, vec![rec(3)]).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("an endless wait still wakes up")
        .unwrap()
        .unwrap();
    assert_eq!(got.len(), 1);
}

#[tokio::test]
async fn a_reader_reads_in_batches_of_at_most_max() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path(), 1, Durability::Sync).unwrap();
    log.append(0, (0..25).map(rec).collect()).await.unwrap();
    let mut reader = log.reader(vec![3]).await.unwrap();
    let mut sizes = Vec::new();
    let mut offsets = Vec::new();
    loop {
        let batch = reader.poll(10, Duration::from_millis(20)).await.unwrap();
        if batch.is_empty() {
            break;
        }
        sizes.push(batch.len());
        offsets.extend(batch.iter().map(|r| r.offset));
        for r in &batch {
            assert_eq!(r.payload, rec(r.offset as usize).payload);
        }
    }
    assert_eq!(sizes, vec![10, 10, 2]);
    assert_eq!(offsets, (3..25).collect::<Vec<u64>>());
}

#[tokio::test]
async fn large_records_read_back_across_the_read_size_bound() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path(), 1, Durability::Sync).unwrap();
    let big = |n: usize| Record {
        key: format!("big{n}"),
        headers: vec![],
        payload: vec![n as u8; 700_000],
    };
    log.append(0, (0..4).map(big).collect()).await.unwrap();
    let all = contract::read_all(&*log, vec![0], 4).await;
    assert_eq!(all.len(), 4);
    for (n, r) in all.iter().enumerate() {
        assert_eq!((r.offset, &r.payload), (n as u64, &big(n).payload));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_log_completes_queued_appends_first() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path(), 2, Durability::Sync).unwrap();
    let big = |n: usize| Record {
        payload: vec![n as u8; 64 << 10],
        ..rec(n)
    };
    // Queue appends (16 MiB in all) whose callers stop waiting straight away.
    for n in 0..256 {
        let append = log.append((n % 2) as u32, vec![big(n)]);
        // One poll queues the append; the future is then dropped.
        assert!(append.now_or_never().is_none(), "not answered yet");
    }
    drop(log);
    // Reopening right away (same process) must see all of them, intact.
    let log = EmbeddedLog::open(dir.path(), 2, Durability::Sync).unwrap();
    assert_eq!(log.end_offsets().await.unwrap(), vec![128, 128]);
    let all = contract::read_all(&*log, vec![0, 0], 256).await;
    assert_eq!(all.len(), 256);
    for r in &all {
        let n = r.offset as usize * 2 + r.partition as usize;
        assert_eq!(r.payload, big(n).payload, "record {n}");
    }
    assert_eq!(log.append(0, vec![rec(0)]).await.unwrap(), vec![128]);
}

#[tokio::test]
async fn a_torn_tail_is_cut_and_the_good_prefix_kept() {
    let dir = tempfile::tempdir().unwrap();
    log_with(dir.path(), 5).await;
    let path = partition_file(dir.path(), 0);
    let len = std::fs::metadata(&path).unwrap().len();
    // Half of the last record is lost, as in a crash mid-write.
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(len - 50).unwrap();
    drop(f);
    let log = EmbeddedLog::open(dir.path(), 1, Durability::Sync).unwrap();
    assert_eq!(log.end_offsets().await.unwrap(), vec![4]);
    let per_record = len / 5;
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 4 * per_record);
    // The log still appends after the cut.
    assert_eq!(log.append(0, vec![rec(9)]).await.unwrap(), vec![4]);
    let all = contract::read_all(&*log, vec![0], 5).await;
    let payloads: Vec<u8> = all.iter().map(|r| r.payload[0]).collect();
    assert_eq!(payloads, vec![0, 1, 2, 3, 9]);
}

#[tokio::test]
async fn garbage_after_the_last_record_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    log_with(dir.path(), 3).await;
    let path = partition_file(dir.path(), 0);
    let len = std::fs::metadata(&path).unwrap().len();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(&[0u8; 4096]).unwrap();
    drop(f);
    let log = EmbeddedLog::open(dir.path(), 1, Durability::Sync).unwrap();
    assert_eq!(log.end_offsets().await.unwrap(), vec![3]);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), len);
}

#[tokio::test]
async fn a_corrupt_tail_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    log_with(dir.path(), 3).await;
    let path = partition_file(dir.path(), 0);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 10;
    bytes[last] ^= 0xff; // inside the last record's payload: its CRC fails
    std::fs::write(&path, &bytes).unwrap();
    let log = EmbeddedLog::open(dir.path(), 1, Durability::Sync).unwrap();
    assert_eq!(log.end_offsets().await.unwrap(), vec![2]);
    let all = contract::read_all(&*log, vec![0], 2).await;
    assert_eq!(
        all.iter().map(|r| r.payload.clone()).collect::<Vec<_>>(),
        vec![rec(0).payload, rec(1).payload]
    );
    assert_eq!(log.append(0, vec![rec(7)]).await.unwrap(), vec![2]);
}

/// Queued appends land in the order queued; one that expects the partition
/// to end elsewhere (decided on records that did not land) writes nothing.
#[tokio::test]
async fn a_queued_append_lands_only_where_it_expects() {
    let dir = tempfile::tempdir().unwrap();
    let log = EmbeddedLog::open(dir.path(), 2, Durability::Sync).unwrap();
    assert!(log.can_queue());
    let first = log.queue(1, 0, vec![rec(0), rec(1)]).unwrap();
    let second = log.queue(1, 2, vec![rec(2)]).unwrap();
    let astray = log.queue(1, 7, vec![rec(3)]).unwrap();
    let third = log.queue(1, 3, vec![rec(4)]).unwrap();
    assert_eq!(first.await.unwrap().unwrap(), vec![0, 1]);
    assert_eq!(second.await.unwrap().unwrap(), vec![2]);
    match astray.await.unwrap() {
        Err(LogError::Moved {
            partition: 1,
            expected: 7,
            end: 3,
        }) => {}
        other => panic!("expected Moved at 3, got {other:?}"),
    }
    assert_eq!(third.await.unwrap().unwrap(), vec![3]);
    assert_eq!(log.end_offsets().await.unwrap(), vec![0, 4]);
    let mut reader = log.partition_reader(1, 0).await.unwrap();
    let read = reader.poll(10, Duration::from_secs(1)).await.unwrap();
    let keys: Vec<_> = read.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["k0", "k1", "k2", "k4"]);
}
