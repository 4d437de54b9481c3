//! Contract tests every [`EventLog`] implementation must pass (the embedded
//! log here, the Kafka log too). Each function panics on a violation.
//! Each expects a fresh, empty log with at least two partitions.

use crate::error::LogError;
use crate::log::EventLog;
use crate::record::{Record, StoredRecord};
use std::collections::BTreeMap;
use std::time::Duration;

fn record(key: &str, n: usize) -> Record {
    Record {
        key: key.to_string(),
        headers: vec![("event-type".into(), format!("T{n}").into_bytes())],
        payload: format!("{key}#{n}").into_bytes(),
    }
}

/// Reads until `count` records arrived or 10 s passed.
pub async fn read_all(log: &dyn EventLog, start: Vec<u64>, count: usize) -> Vec<StoredRecord> {
    let mut reader = log.reader(start).await.expect("reader");
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while out.len() < count && tokio::time::Instant::now() < deadline {
        out.extend(
            reader
                .poll(count - out.len(), Duration::from_millis(200))
                .await
                .expect("poll"),
        );
    }
    out
}

/// Appends get consecutive offsets from the end; a key keeps its partition
/// and order; records read back intact with their headers.
pub async fn append_and_read_back(log: &dyn EventLog) {
    let keys = ["alpha", "bravo", "charlie", "delta", "echo"];
    for key in keys {
        assert_eq!(
            log.partition_for(key),
            crate::partitioner::partition_for(key, log.partitions()),
            "{key}: Kafka's default partitioner"
        );
    }
    let start = log.end_offsets().await.expect("end offsets");
    let mut expected = Vec::new();
    for n in 0..20 {
        let key = keys[n % keys.len()];
        let p = log.partition_for(key);
        let offsets = log.append(p, vec![record(key, n)]).await.expect("append");
        expected.push((p, offsets[0], record(key, n)));
    }
    for p in 0..log.partitions() {
        let mine: Vec<_> = expected
            .iter()
            .filter(|(q, _, _)| *q == p)
            .map(|(_, o, _)| *o)
            .collect();
        let want: Vec<u64> = (start[p as usize]..start[p as usize] + mine.len() as u64).collect();
        assert_eq!(
            mine, want,
            "partition {p}: offsets are consecutive from the end"
        );
    }
    let end = log.end_offsets().await.expect("end offsets");
    let added: u64 = end.iter().zip(&start).map(|(e, s)| e - s).sum();
    assert_eq!(added, 20, "end offsets advanced by the appended records");
    let got = read_all(log, start, 20).await;
    assert_eq!(got.len(), 20);
    for (p, o, r) in &expected {
        let found = got
            .iter()
            .find(|g| g.partition == *p && g.offset == *o)
            .expect("record read back");
        assert_eq!(&found.key, &r.key);
        assert_eq!(&found.headers, &r.headers);
        assert_eq!(&found.payload, &r.payload);
    }
    for p in 0..log.partitions() {
        let offsets: Vec<u64> = got
            .iter()
            .filter(|g| g.partition == p)
            .map(|g| g.offset)
            .collect();
        assert!(
            offsets.windows(2).all(|w| w[0] < w[1]),
            "partition {p} in offset order"
        );
    }
    for key in keys {
        let sent: Vec<&[u8]> = expected
            .iter()
            .filter(|(_, _, r)| r.key == key)
            .map(|(_, _, r)| r.payload.as_slice())
            .collect();
        let read: Vec<&[u8]> = got
            .iter()
            .filter(|g| g.key == key)
            .map(|g| g.payload.as_slice())
            .collect();
        assert_eq!(read, sent, "{key}: read back in the order appended");
    }
}

/// A batch append lands contiguously; a reader from the middle starts there.
pub async fn batch_and_read_from_middle(log: &dyn EventLog) {
    let p = log.partition_for("batch-key");
    let start = log.end_offsets().await.expect("end offsets");
    let batch: Vec<Record> = (0..10).map(|n| record("batch-key", n)).collect();
    let offsets = log.append(p, batch).await.expect("append");
    assert_eq!(
        offsets,
        (start[p as usize]..start[p as usize] + 10).collect::<Vec<_>>()
    );
    let mut from = log.end_offsets().await.expect("end offsets");
    from[p as usize] = offsets[4];
    let got = read_all(log, from, 6).await;
    let payloads: Vec<_> = got
        .iter()
        .map(|r| String::from_utf8_lossy(&r.payload).into_owned())
        .collect();
    assert_eq!(
        payloads,
        (4..10)
            .map(|n| format!("batch-key#{n}"))
            .collect::<Vec<_>>()
    );
}

/// A partition reader sees its partition only, from its start.
pub async fn partition_reader_reads_one_partition(log: &dyn EventLog) {
    let p = log.partition_for("one-partition");
    let other = (p + 1) % log.partitions();
    let other_key = (0..)
        .map(|n| format!("other-{n}"))
        .find(|k| log.partition_for(k) == other)
        .expect("a key of another partition");
    let mine = log
        .append(p, (0..3).map(|n| record("one-partition", n)).collect())
        .await
        .expect("append");
    log.append(other, vec![record(&other_key, 0)])
        .await
        .expect("append");
    let mut reader = log
        .partition_reader(p, mine[1])
        .await
        .expect("partition reader");
    let mut got = Vec::new();
    while got.len() < 2 {
        let batch = reader
            .poll(10, Duration::from_secs(10))
            .await
            .expect("poll");
        assert!(!batch.is_empty(), "timed out after {got:?}");
        got.extend(batch);
    }
    assert!(got.iter().all(|r| r.partition == p), "only partition {p}");
    assert_eq!(
        got.iter().map(|r| r.offset).collect::<Vec<_>>(),
        mine[1..].to_vec()
    );
    assert!(log.partition_reader(log.partitions(), 0).await.is_err());
}

/// A reader waiting in poll wakes up when an append lands.
pub async fn waiting_reader_wakes_up(log: &dyn EventLog) {
    let end = log.end_offsets().await.expect("end offsets");
    let mut reader = log.reader(end).await.expect("reader");
    let empty = reader
        .poll(10, Duration::from_millis(50))
        .await
        .expect("poll");
    assert!(empty.is_empty(), "nothing new yet");
    let p = log.partition_for("late");
    let waiting = tokio::spawn(async move { reader.poll(10, Duration::from_secs(10)).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!waiting.is_finished(), "the reader waits for a record");
    log.append(p, vec![record("late", 1)])
        .await
        .expect("append");
    let got = waiting.await.expect("join").expect("poll");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].key, "late");
}

/// Concurrent appends (what group commit batches): each gets its own
/// offsets, in order within the append; together they fill each partition's
/// range from the old end exactly; each reads back as written.
pub async fn concurrent_appends_get_distinct_offsets(log: &dyn EventLog) {
    let start = log.end_offsets().await.expect("end offsets");
    let appends = (0..48).map(|n| {
        let key = format!("concurrent-{}", n % 6);
        let p = log.partition_for(&key);
        let batch = vec![record(&key, 2 * n), record(&key, 2 * n + 1)];
        async move {
            let offsets = log.append(p, batch.clone()).await.expect("append");
            (p, batch, offsets)
        }
    });
    let appended = futures::future::join_all(appends).await;
    let mut per_partition: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
    for (p, batch, offsets) in &appended {
        assert_eq!(offsets.len(), batch.len(), "an offset per record");
        assert!(offsets[0] < offsets[1], "a batch keeps its order");
        per_partition.entry(*p).or_default().extend(offsets);
    }
    let end = log.end_offsets().await.expect("end offsets");
    for p in 0..log.partitions() {
        let mut offsets = per_partition.remove(&p).unwrap_or_default();
        offsets.sort_unstable();
        let s = start[p as usize];
        let want: Vec<u64> = (s..s + offsets.len() as u64).collect();
        assert_eq!(offsets, want, "partition {p}: distinct, no gaps");
        assert_eq!(end[p as usize], s + want.len() as u64, "partition {p} end");
    }
    let got = read_all(log, start, 96).await;
    assert_eq!(got.len(), 96);
    for (p, batch, offsets) in &appended {
        for (r, o) in batch.iter().zip(offsets) {
            let found = got
                .iter()
                .find(|g| g.partition == *p && g.offset == *o)
                .expect("record read back");
            assert_eq!((&found.key, &found.payload), (&r.key, &r.payload));
        }
    }
}

/// A reader given no start offsets reads every partition from 0.
pub async fn reader_without_start_reads_from_zero(log: &dyn EventLog) {
    let end = log.end_offsets().await.expect("end offsets");
    let total: u64 = end.iter().sum();
    let got = read_all(log, Vec::new(), total as usize).await;
    for p in 0..log.partitions() {
        let offsets: Vec<u64> = got
            .iter()
            .filter(|g| g.partition == p)
            .map(|g| g.offset)
            .collect();
        assert_eq!(
            offsets,
            (0..end[p as usize]).collect::<Vec<_>>(),
            "partition {p}: every record from 0"
        );
    }
}

/// Appending to a partition that does not exist is an error.
pub async fn missing_partition_is_an_error(log: &dyn EventLog) {
    let missing = log.partitions() + 7;
    let result = log.append(missing, vec![record("x", 0)]).await;
    assert!(
        matches!(result, Err(LogError::NoSuchPartition(p)) if p == missing),
        "got {result:?}"
    );
}

/// All of the above, in order.
pub async fn run_all(log: &dyn EventLog) {
    append_and_read_back(log).await;
    batch_and_read_from_middle(log).await;
    partition_reader_reads_one_partition(log).await;
    waiting_reader_wakes_up(log).await;
    concurrent_appends_get_distinct_offsets(log).await;
    reader_without_start_reads_from_zero(log).await;
    missing_partition_is_an_error(log).await;
}
