//! kill -9 during writes: every acknowledged append survives.
//!
//! The test re-runs its own binary as a child that appends from several
//! tasks and prints each acknowledged record; the parent SIGKILLs it
//! mid-stream, reopens the log and checks every acknowledged record.

use event_log::{contract, Durability, EmbeddedLog, EventLog, Record, StoredRecord};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "EVENT_LOG_CRASH_CHILD";
const PARTITIONS: u32 = 4;

fn payload(task: u64, n: u64) -> Vec<u8> {
    format!("task {task} record {n} {}", "x".repeat((n % 200) as usize)).into_bytes()
}

fn key(task: u64, append: u64) -> String {
    format!("acct-{task}-{}", append % 7)
}

async fn child_writer(dir: &str) {
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
                        payload: payload(task, *n),
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
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        child_writer(&dir).await;
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Every acknowledged record of every round so far: all must survive.
    let mut acked = Vec::new();
    for round in 0..3 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "acknowledged_appends_survive_kill_9",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
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
            assert_eq!(r.payload, payload(*task, *n), "record {p}:{offset} intact");
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
    assert!(
        acked.len() > 50,
        "enough writes happened to mean something: {}",
        acked.len()
    );
}
