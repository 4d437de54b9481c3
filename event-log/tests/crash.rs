//! kill -9 during writes: every acknowledged append survives, even when the
//! partition files lose what was written to them since the last open (a
//! machine crash can lose anything not synced; only the journal is synced
//! per append).
//!
//! The test re-runs its own binary as a child that appends from several
//! tasks and prints each acknowledged record; the parent SIGKILLs it
//! mid-stream, reopens the log and checks every acknowledged record.

use event_log::{contract, Durability, EmbeddedLog, EventLog, Record, StoredRecord};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "EVENT_LOG_CRASH_CHILD";
/// Bytes of filler per step of a record's number in the child (1 or 1,000).
const SCALE_ENV: &str = "EVENT_LOG_CRASH_SCALE";
const PARTITIONS: u32 = 4;

fn payload(task: u64, n: u64, scale: usize) -> Vec<u8> {
    let filler = "x".repeat((n % 200) as usize * scale);
    format!("task {task} record {n} {filler}").into_bytes()
}

fn key(task: u64, append: u64) -> String {
    format!("acct-{task}-{}", append % 7)
}

async fn child_writer(dir: &str, scale: usize) {
    let log = EmbeddedLog::open(std::path::Path::new(dir), PARTITIONS, Durability::Sync).unwrap();
    let mut tasks = Vec::new();
    for task in 0..6u64 {
        let log = log.clone();
        tasks.push(tokio::spawn(async move {
            // Append number `b` holds 1 to 3 records, numbered `n` within
            // the task, all with the key of `b`.
            let mut n = 0u64;
            for b in 0u64.. {
                let numbers: Vec<u64> = (n..n + 1 + b % 3).collect();
                n += numbers.len() as u64;
                let p = log.partition_for(&key(task, b));
                let records = numbers
                    .iter()
                    .map(|n| Record {
                        key: key(task, b),
                        headers: vec![],
                        payload: payload(task, *n, scale),
                    })
                    .collect();
                let offsets = log.append(p, records).await.unwrap();
                for (n, offset) in numbers.iter().zip(offsets) {
                    println!("ACK {p} {offset} {task} {n} {b}");
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_appends_survive_kill_9() {
    rounds("acknowledged_appends_survive_kill_9", 1, false).await;
}

/// Records of up to 200 KB, so the journal also turns (wraps) mid-round; the
/// partition files then lose the last two thirds of what they got since the
/// journal's current lap began, as unsynced pages do in a machine crash.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_appends_survive_kill_9_and_lost_partition_writes() {
    rounds(
        "acknowledged_appends_survive_kill_9_and_lost_partition_writes",
        1000,
        true,
    )
    .await;
}

/// Three rounds of: run the child, kill it, (lose partition writes), reopen
/// and check every record acknowledged so far.
async fn rounds(test: &str, scale: usize, lose_writes: bool) {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        let scale = std::env::var(SCALE_ENV).unwrap().parse().unwrap();
        child_writer(&dir, scale).await;
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Every acknowledged record of every round so far: all must survive.
    let mut acked = Vec::new();
    // Rounds in which the journal turned while the child wrote, and bytes
    // the partition files lost: the test must have exercised both.
    let (mut turned, mut lost) = (0, 0);
    for round in 0..3 {
        let lap_before = lap(dir.path());
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", test, "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .env(SCALE_ENV, scale.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let before = acked.len();
        let until = Instant::now() + Duration::from_millis(1200);
        while Instant::now() < until {
            let Some(Ok(line)) = lines.next() else { break };
            let parts: Vec<&str> = line.split_whitespace().collect();
            if parts.len() == 6 && parts[0] == "ACK" {
                let n: Vec<u64> = parts[1..].iter().map(|s| s.parse().unwrap()).collect();
                acked.push((n[0] as u32, n[1], n[2], n[3], n[4]));
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(
            acked.len() > before,
            "round {round}: the child acknowledged appends"
        );
        if lose_writes {
            // The child's open starts one lap; more mean turns.
            turned += usize::from(lap(dir.path()) > lap_before + 1);
            lost += lose_unsynced_writes(dir.path());
        }

        let log = EmbeddedLog::open(dir.path(), PARTITIONS, Durability::Sync).unwrap();
        let end = log.end_offsets().await.unwrap();
        let total: u64 = end.iter().sum();
        let all = contract::read_all(&*log, vec![0; PARTITIONS as usize], total as usize).await;
        assert_eq!(all.len() as u64, total);
        let by_position: HashMap<(u32, u64), &StoredRecord> =
            all.iter().map(|r| ((r.partition, r.offset), r)).collect();
        for (p, offset, task, n, b) in &acked {
            let r = by_position
                .get(&(*p, *offset))
                .unwrap_or_else(|| panic!("acknowledged {p}:{offset} lost"));
            assert_eq!(r.key, key(*task, *b), "record {p}:{offset} key");
            assert_eq!(
                r.payload,
                payload(*task, *n, scale),
                "record {p}:{offset} intact"
            );
        }
        // The log still accepts appends after the crash, right at the end.
        let offsets = log
            .append(
                0,
                vec![Record {
                    key: "after".into(),
                    headers: vec![],
                    payload: b"ok".to_vec(),
                }],
            )
            .await
            .unwrap();
        assert_eq!(offsets, vec![end[0]]);
    }
    println!("{} acknowledged records checked after 3 kills", acked.len());
    if lose_writes {
        assert!(turned > 0, "the journal turned mid-round in some round");
        assert!(lost > 0, "the partition files lost bytes");
    }
    assert!(
        acked.len() > 50,
        "enough writes happened to mean something: {}",
        acked.len()
    );
}

fn partition_path(dir: &Path, p: u32) -> PathBuf {
    dir.join(format!("partition-{p:05}.log"))
}

fn file_len(dir: &Path, p: u32) -> u64 {
    std::fs::metadata(partition_path(dir, p)).map_or(0, |m| m.len())
}

/// Zeroes the last two thirds of what each partition file got since the
/// journal's current lap began (the bytes before were synced when it began).
/// Returns how many bytes were zeroed.
fn lose_unsynced_writes(dir: &Path) -> u64 {
    let mut lost = 0;
    for (p, start) in (0u32..).zip(lap_starts(dir)) {
        let len = file_len(dir, p);
        if let Some(start) = start.filter(|start| len > *start) {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(partition_path(dir, p))
                .unwrap();
            let kept = start + (len - start) / 3;
            file.set_len(kept).unwrap();
            file.set_len(len).unwrap();
            lost += len - kept;
        }
    }
    lost
}

/// The journal's current lap (0 before the log's first open).
fn lap(dir: &Path) -> u64 {
    std::fs::read_to_string(dir.join("journal.lap"))
        .map_or(0, |text| text["lap=".len()..].trim().parse().unwrap())
}

/// Where the current lap's first chunk of each partition starts, read from
/// the journal by its documented format (crate docs): entries `magic | lap |
/// seq | body length | CRC` holding chunks `partition | position | length |
/// bytes`.
fn lap_starts(dir: &Path) -> Vec<Option<u64>> {
    let lap = lap(dir);
    let journal = std::fs::read(dir.join("journal")).unwrap();
    let u32_at = |at: usize| u32::from_le_bytes(journal[at..at + 4].try_into().unwrap());
    let u64_at = |at: usize| u64::from_le_bytes(journal[at..at + 8].try_into().unwrap());
    let mut starts = vec![None; PARTITIONS as usize];
    let (mut at, mut seq) = (0, 0);
    while at + 28 <= journal.len() && u32_at(at) == 0x4C59_4A31 {
        let end = at + 28 + u32_at(at + 20) as usize;
        let intact = end <= journal.len() && {
            let mut crc = crc32fast::Hasher::new();
            crc.update(&journal[at + 4..at + 24]);
            crc.update(&journal[at + 28..end]);
            crc.finalize() == u32_at(at + 24)
        };
        if u64_at(at + 4) != lap || u64_at(at + 12) != seq || !intact {
            break;
        }
        let mut chunk = at + 28;
        while chunk < end {
            starts[u32_at(chunk) as usize].get_or_insert(u64_at(chunk + 4));
            chunk += 16 + u32_at(chunk + 12) as usize;
        }
        (at, seq) = (end, seq + 1);
    }
    starts
}
