//! One writer per partition on Kafka: command-service processes share the
//! partitions through the commands topic's consumer group, under load. A
//! second instance B joins (partitions move to it), then shuts down
//! gracefully: it settles what it has queued and leaves the group, and A
//! owns everything again. (A crashed instance is the stale writer of
//! `command-service/tests/two_writers.rs`; on Tansu 0.6.0 its partitions
//! only move at a later rebalance, see README.)
//! Commands arrive over HTTP at
//! either instance (forwarded to the owner) and over the commands topic
//! (produced with librdkafka's default CRC32 partitioner, so most commands
//! are re-routed by the service to their account's murmur2 partition).
//! Afterwards a fresh fold of the events topic holds every transaction
//! exactly once: nothing lost, nothing applied twice.

mod common;

use command_service::{CommandService, SystemClock};
use common::{Api, Proc};
use event_log::tansu::{Storage, TansuBroker};
use event_log::{EventLog, KafkaConfig, KafkaLog};
use ledger_core::Decimal;
use loyalty_proto::v1::command_envelope::Command;
use loyalty_proto::v1::AccruePoints;
use loyalty_proto::{CommandEnvelope, Message as _};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::ClientConfig;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PARTITIONS: usize = 4;
const MEMBERS: usize = 12;
const HTTP_COMMANDS: usize = 500;
const TOPIC_COMMANDS: usize = 300;

fn service_args(broker: &str, port: u16) -> Vec<String> {
    [
        "--brokers",
        broker,
        "--topic-prefix",
        "own.",
        "--partitions",
        &PARTITIONS.to_string(),
        "--listen",
        &format!("127.0.0.1:{port}"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Posts until the command is settled (201 or 200), trying the instances in
/// turn: a 503 (`not_owner` while partitions move) or a dead instance is
/// retried with the same transaction id.
async fn accrue(apis: &[Api], member: &str, tx: &str, amount: u32) {
    let deadline = Instant::now() + Duration::from_secs(120);
    let body = json!({"transaction_id": tx, "occurred_at": "2026-03-01T10:00:00Z", "amount": amount.to_string()});
    for turn in 0.. {
        let api = &apis[turn % apis.len()];
        let reply = api
            .http
            .post(format!(
                "{}/v1/programs/fx/members/{member}/accruals",
                api.base
            ))
            .json(&body)
            .send()
            .await;
        if let Ok(r) = reply {
            let status = r.status().as_u16();
            if status == 201 || status == 200 {
                return;
            }
            let b: serde_json::Value = r.json().await.unwrap_or_default();
            assert_eq!(status, 503, "{tx}: {b}");
        }
        assert!(Instant::now() < deadline, "{tx} never settled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn partitions_move_between_two_instances_without_loss_or_double_apply() {
    let broker = TansuBroker::start(Storage::Memory).expect("tansu");
    let brokers = broker.brokers();
    let (port_a, port_b) = (common::Server::free_port(), common::Server::free_port());
    let _a = Proc::start("command-service", &service_args(&brokers, port_a));
    let a = Api::new(&format!("http://127.0.0.1:{port_a}"));
    a.wait_owning(PARTITIONS).await;
    let program: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/program.json")).unwrap();
    let (s, b) = a.put("/v1/programs/fx", program).await;
    assert_eq!(s, 200, "{b}");
    for m in 0..MEMBERS {
        let (s, b) = a
            .post(
                "/v1/programs/fx/members",
                json!({"member_id": format!("m{m}"), "member_type": "individual"}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
    }

    let mut expected: BTreeMap<String, (Decimal, usize)> = BTreeMap::new();
    let mut note = |member: &str, amount: u32| {
        let e = expected.entry(member.to_string()).or_default();
        e.0 += Decimal::from(amount);
        e.1 += 1;
    };
    let http: Vec<(String, String, u32)> = (0..HTTP_COMMANDS)
        .map(|i| {
            (
                format!("m{}", i % MEMBERS),
                format!("h{i}"),
                (i % 9 + 1) as u32,
            )
        })
        .collect();
    let topic: Vec<(String, String, u32)> = (0..TOPIC_COMMANDS)
        .map(|i| {
            (
                format!("m{}", (i * 5) % MEMBERS),
                format!("k{i}"),
                (i % 4 + 1) as u32,
            )
        })
        .collect();
    for (m, _, amount) in http.iter().chain(&topic) {
        note(m, *amount);
    }

    // Commands over the topic, in the background.
    let producer_brokers = brokers.clone();
    let producer = tokio::spawn(async move {
        let producer: FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", &producer_brokers)
            // Tansu 0.6.0 cannot fetch from inside a batch (README).
            .set("batch.num.messages", "1")
            .create()
            .unwrap();
        for (i, (member, tx, amount)) in topic.into_iter().enumerate() {
            let env = CommandEnvelope {
                command_id: format!("c{i}"),
                program_id: "fx".into(),
                member_id: member.clone(),
                command: Some(Command::Accrue(AccruePoints {
                    transaction_id: tx,
                    occurred_at: "2026-03-01T10:00:00Z".into(),
                    amount: amount.to_string(),
                    ..Default::default()
                })),
            };
            let key = format!("fx/{member}");
            producer
                .send(
                    FutureRecord::to("own.commands")
                        .key(&key)
                        .payload(&env.encode_to_vec()),
                    Duration::from_secs(30),
                )
                .await
                .expect("produce");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });

    // HTTP commands at both instances: B joins after a third and leaves
    // (SIGTERM: it settles its queue and leaves the group) after two thirds.
    let apis = Arc::new(vec![a, Api::new(&format!("http://127.0.0.1:{port_b}"))]);
    let mut b_proc = None;
    let mut owners_seen = Vec::new();
    let chunks = HTTP_COMMANDS / 10;
    for (i, chunk) in http.chunks(10).enumerate() {
        if i == chunks / 3 {
            b_proc = Some(Proc::start(
                "command-service",
                &service_args(&brokers, port_b),
            ));
        }
        if i == 2 * chunks / 3 {
            owners_seen.push(owning_some(&apis[1]).await);
            if let Some(mut b) = b_proc.take() {
                b.terminate();
            }
        }
        let mut batch = Vec::new();
        for (member, tx, amount) in chunk.iter().cloned() {
            let apis = apis.clone();
            batch.push(tokio::spawn(async move {
                accrue(&apis, &member, &tx, amount).await
            }));
        }
        for t in batch {
            t.await.unwrap();
        }
    }
    producer.await.unwrap();
    assert!(
        owners_seen.iter().all(|o| !o.is_empty()),
        "B took partitions over while it ran: {owners_seen:?}"
    );
    apis[0].wait_owning(PARTITIONS).await;

    // A fresh fold of the events topic: every transaction exactly once.
    let log: Arc<dyn EventLog> = KafkaLog::connect(KafkaConfig {
        brokers: brokers.clone(),
        topic: "own.events".into(),
        partitions: PARTITIONS as u32,
        replication_factor: 1,
    })
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let fold = CommandService::open(log.clone(), Arc::new(SystemClock))
            .await
            .unwrap();
        let mut settled = true;
        for (member, (amount, count)) in &expected {
            let m = fold.member("fx", member).await.expect("member");
            let status = m.book("STATUS").map(|b| b.available()).unwrap_or_default();
            assert!(
                status <= *amount,
                "{member}: {status} > {amount}: applied twice"
            );
            assert!(m.journals.len() <= *count, "{member}: too many journals");
            settled &= status == *amount && m.journals.len() == *count;
        }
        if settled {
            break;
        }
        assert!(Instant::now() < deadline, "commands were lost");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The partitions an instance owns once it owns some (empty if it never does).
async fn owning_some(api: &Api) -> Vec<u64> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(r) = api.http.get(format!("{}/readyz", api.base)).send().await {
            let body: serde_json::Value = r.json().await.unwrap_or_default();
            let owned: Vec<u64> = body["owned_partitions"]
                .as_array()
                .map(|ps| ps.iter().filter_map(|p| p.as_u64()).collect())
                .unwrap_or_default();
            if !owned.is_empty() {
                return owned;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Vec::new()
}
