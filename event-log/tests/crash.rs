//! kill -9 during writes: every acknowledged append survives.
//!
//! The test re-runs its own binary as a child that appends from several
//! tasks and prints each acknowledged record; the parent SIGKILLs it
//! mid-stream, reopens the log and checks every acknowledged record.

use event_log::{contract, Durability, EmbeddedLog, EventLog, Record};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "EVENT_LOG_CRASH_CHILD";
const PARTITIONS: u32 = 4;

fn payload(task: u64, n: u64) -> Vec<u8> {
    format!("task {task} record {n} {}", "x".repeat((n % 200) as usize)).into_bytes()
}

async fn child_writer(dir: &str) {
    let log = EmbeddedLog::open(std::path::Path::new(dir), PARTITIONS, Durability::Sync).unwrap();
    let mut tasks = Vec::new();
    for task in 0..6u64 {
        let log = log.clone();
        tasks.push(tokio::spawn(async move {
            for n in 0.. {
                let key = format!("acct-{task}-{}", n % 7);
                let p = log.partition_for(&key);
                let records = vec![Record {
                    key,
                    headers: vec![],
                    payload: payload(task, n),
                }];
                let offsets = log.append(p, records).await.unwrap();
                println!("ACK {p} {} {task} {n}", offsets[0]);
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
    let mut acked_total = 0;
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
        let mut acked = Vec::new();
        let until = Instant::now() + Duration::from_millis(1200);
        while Instant::now() < until {
            let Some(Ok(line)) = lines.next() else { break };
            let parts: Vec<&str> = line.split_whitespace().collect();
            if parts.len() == 5 && parts[0] == "ACK" {
                let n: Vec<u64> = parts[1..].iter().map(|s| s.parse().unwrap()).collect();
                acked.push((n[0] as u32, n[1], n[2], n[3]));
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(
            !acked.is_empty(),
            "round {round}: the child acknowledged appends"
        );
        acked_total += acked.len();

        let log = EmbeddedLog::open(dir.path(), PARTITIONS, Durability::Sync).unwrap();
        let end = log.end_offsets().await.unwrap();
        let total: u64 = end.iter().sum();
        let all = contract::read_all(&*log, vec![0; PARTITIONS as usize], total as usize).await;
        assert_eq!(all.len() as u64, total);
        for (p, offset, task, n) in &acked {
            let r = all
                .iter()
                .find(|r| r.partition == *p && r.offset == *offset)
                .unwrap_or_else(|| panic!("acknowledged {p}:{offset} lost"));
            assert_eq!(r.payload, payload(*task, *n), "record {p}:{offset} intact");
        }
        // The log still accepts appends after the crash.
        log.append(
            0,
            vec![Record {
                key: "after".into(),
                headers: vec![],
                payload: b"ok".to_vec(),
            }],
        )
        .await
        .unwrap();
    }
    assert!(
        acked_total > 50,
        "enough writes happened to mean something: {acked_total}"
    );
}
