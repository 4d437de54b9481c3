//! Tamper evidence on the embedded log: `loyalty verify` passes on the log
//! as written, and fails naming the account and the log position when one
//! of a member's events is altered, removed, or moved before another. The
//! tampered logs are written record by record with valid frames, as an
//! attacker with write access to the files would.

mod common;

use common::{loyalty, Api, Server};
use event_log::{Durability, EmbeddedLog, EventLog, Record, SnapshotReader, StoredRecord};
use loyalty_proto::{EventEnvelope, Message as _};
use serde_json::json;
use std::path::Path;

const P: &str = "/v1/programs/fx";

/// Runs `loyalty verify` on a data directory: (success, output).
fn verify(data: &Path) -> (bool, String) {
    let out = loyalty()
        .args(["verify", "--data-dir"])
        .arg(data)
        .env_remove("LOYALTY_KAFKA_BROKERS")
        .env("RUST_LOG", "error")
        .output()
        .expect("loyalty verify runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Every record of the log, partition by partition, in offset order.
async fn read_log(dir: &Path) -> (u32, Vec<StoredRecord>) {
    let log = EmbeddedLog::open_existing(dir, Durability::Sync).expect("the log");
    let end = log.end_offsets().await.unwrap();
    let mut snapshot = SnapshotReader::until(&*log, end, 1024).await.unwrap();
    let mut records = Vec::new();
    while let Some(batch) = snapshot.next_batch().await.unwrap() {
        records.extend(batch);
    }
    records.sort_by_key(|r| (r.partition, r.offset));
    (log.partitions(), records)
}

/// A copy of the data directory whose log holds `records` instead.
async fn tampered(
    data: &Path,
    name: &str,
    partitions: u32,
    records: &[StoredRecord],
) -> std::path::PathBuf {
    let copy = data.with_file_name(name);
    std::fs::create_dir_all(&copy).unwrap();
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(data.join("readmodels"))
        .arg(copy.join("readmodels"))
        .status()
        .unwrap();
    assert!(status.success(), "copying the read models");
    let log = EmbeddedLog::open(&copy.join("log"), partitions, Durability::Sync).unwrap();
    for r in records {
        let record = Record {
            key: r.key.clone(),
            headers: r.headers.clone(),
            payload: r.payload.clone(),
        };
        log.append(r.partition, vec![record]).await.unwrap();
    }
    copy
}

fn position(r: &StoredRecord) -> String {
    format!("{}:{}", r.partition, r.offset)
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_names_the_account_and_position_of_an_altered_removed_or_reordered_event() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data).await;
    let api = Api::new(&server.base);
    let program: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/program.json")).unwrap();
    let (s, b) = api.put(P, program).await;
    assert_eq!(s, 200, "{b}");
    for m in ["ada", "bob"] {
        let (s, b) = api.post(&format!("{P}/members"), json!({"member_id": m, "member_type": "individual", "enrolled_at": "2026-04-01T00:00:00Z"})).await;
        assert_eq!(s, 201, "{b}");
    }
    for (m, tx) in [("ada", "a1"), ("bob", "b1"), ("ada", "a2"), ("ada", "a3")] {
        let (s, b) = api.post(&format!("{P}/members/{m}/accruals"), json!({"transaction_id": tx, "occurred_at": "2026-04-02T10:00:00Z", "amount": "10"})).await;
        assert_eq!(s, 201, "{b}");
    }
    server.stop();

    let (ok, out) = verify(&data);
    assert!(ok, "{out}");
    assert!(out.contains("verified"), "{out}");
    assert!(out.contains("events linked"), "{out}");

    let (partitions, records) = read_log(&data.join("log")).await;
    let ada: Vec<usize> = (0..records.len())
        .filter(|i| records[*i].key == "fx/ada")
        .collect();
    assert_eq!(ada.len(), 4, "enrolment and three accruals");

    // Altered: ada's first accrual gets another transaction id.
    let mut altered = records.clone();
    let mut env = EventEnvelope::decode(altered[ada[1]].payload.as_slice()).unwrap();
    env.transaction_id = "forged".into();
    altered[ada[1]].payload = env.encode_to_vec();
    let copy = tampered(&data, "altered", partitions, &altered).await;
    let (ok, out) = verify(&copy);
    assert!(!ok, "{out}");
    let expected = format!(
        "account fx/ada: event 3 at position {} does not link to event 2",
        position(&records[ada[2]])
    );
    assert!(out.contains(&expected), "{expected}\n{out}");

    // Removed: ada's first accrual is gone (later offsets move down by one).
    let mut removed = records.clone();
    removed.remove(ada[1]);
    let copy = tampered(&data, "removed", partitions, &removed).await;
    let (ok, out) = verify(&copy);
    assert!(!ok, "{out}");
    let mut moved = records[ada[2]].clone();
    moved.offset -= 1;
    let expected = format!(
        "account fx/ada: event 3 at position {} where event 2 was due",
        position(&moved)
    );
    assert!(out.contains(&expected), "{expected}\n{out}");

    // Reordered: ada's second accrual moved before her first.
    let mut reordered = records.clone();
    reordered.swap(ada[1], ada[2]);
    let copy = tampered(&data, "reordered", partitions, &reordered).await;
    let (ok, out) = verify(&copy);
    assert!(!ok, "{out}");
    let expected = format!(
        "account fx/ada: event 3 at position {} where event 2 was due",
        position(&records[ada[1]])
    );
    assert!(out.contains(&expected), "{expected}\n{out}");
    assert!(
        !out.contains("account fx/bob"),
        "bob's chain is untouched: {out}"
    );
}
