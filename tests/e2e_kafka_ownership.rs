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

use command_service::seal::SEAL_HEADER;
use command_service::{CommandService, SystemClock};
use common::{Api, Proc};
use event_log::tansu::{Storage, TansuBroker};
use event_log::{EventLog, KafkaConfig, KafkaLog};
use ledger_core::Decimal;
use loyalty_proto::v1::command_envelope::Command;
use loyalty_proto::v1::AccruePoints;
use loyalty_proto::{CommandEnvelope, Message as _};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
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
async fn post_settled(apis: &[Api], path: &str, body: serde_json::Value) {
    let deadline = Instant::now() + Duration::from_secs(120);
    for turn in 0.. {
        let api = &apis[turn % apis.len()];
        let reply = api
            .http
            .post(format!("{}{path}", api.base))
            .json(&body)
            .send()
            .await;
        if let Ok(r) = reply {
            let status = r.status().as_u16();
            if status == 201 || status == 200 {
                return;
            }
            let b: serde_json::Value = r.json().await.unwrap_or_default();
            assert_eq!(status, 503, "{path} {body}: {b}");
        }
        assert!(Instant::now() < deadline, "{path} {body} never settled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn accrue(apis: &[Api], member: &str, tx: &str, amount: u32) {
    let body = json!({"transaction_id": tx, "occurred_at": "2026-03-01T10:00:00Z", "amount": amount.to_string()});
    post_settled(
        apis,
        &format!("/v1/programs/fx/members/{member}/accruals"),
        body,
    )
    .await
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
    let log = events_topic(&brokers).await;
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

/// Whether the commands topic holds a receive for `member`, and whether it
/// carries a seal header.
fn sealed_receive(brokers: &str, member: &str) -> (bool, bool) {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "look")
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    consumer.subscribe(&["own.commands"]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let env = CommandEnvelope::decode(m.payload().unwrap_or_default()).unwrap();
        if env.member_id == member && matches!(env.command, Some(Command::ReceiveTransfer(_))) {
            let sealed = m
                .headers()
                .is_some_and(|h| h.iter().any(|h| h.key == SEAL_HEADER));
            return (true, sealed);
        }
    }
    (false, false)
}

/// The events topic, to fold afresh.
async fn events_topic(brokers: &str) -> Arc<dyn EventLog> {
    KafkaLog::connect(KafkaConfig {
        brokers: brokers.to_string(),
        topic: "own.events".into(),
        partitions: PARTITIONS as u32,
        replication_factor: 1,
    })
    .await
    .unwrap()
}

/// Waits until A and B between them own every partition, each its own
/// (B's first assignment may be followed by another as the group settles);
/// returns B's.
async fn settled_split(a: &Api, b: &Api) -> Vec<u64> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, of_a) = a.get("/readyz").await;
        let (_, of_b) = b.get("/readyz").await;
        let (mine, theirs) = (owned_partitions(&of_a), owned_partitions(&of_b));
        let mut all: Vec<u64> = mine.iter().chain(&theirs).copied().collect();
        all.sort_unstable();
        all.dedup();
        if !theirs.is_empty() && all.len() == PARTITIONS && mine.len() + theirs.len() == PARTITIONS
        {
            return theirs;
        }
        assert!(
            Instant::now() < deadline,
            "A and B never settled: A {of_a}, B {of_b}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The partitions a `/readyz` answer says the instance owns.
fn owned_partitions(body: &serde_json::Value) -> Vec<u64> {
    body["owned_partitions"]
        .as_array()
        .map(|ps| ps.iter().filter_map(|p| p.as_u64()).collect())
        .unwrap_or_default()
}

/// The partitions an instance owns once it owns some (empty if it never does).
async fn owning_some(api: &Api) -> Vec<u64> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(r) = api.http.get(format!("{}/readyz", api.base)).send().await {
            let body: serde_json::Value = r.json().await.unwrap_or_default();
            let owned = owned_partitions(&body);
            if !owned.is_empty() {
                return owned;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Vec::new()
}

/// A transfer between accounts two instances own: the receive crosses the
/// commands topic from A's courier to B's intake under the shared seal, and
/// the settle comes back the same way.
#[tokio::test(flavor = "multi_thread")]
async fn a_transfer_between_instances_crosses_the_commands_topic_sealed() {
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
    let _b = Proc::start("command-service", &service_args(&brokers, port_b));
    let b = Api::new(&format!("http://127.0.0.1:{port_b}"));
    assert!(!owning_some(&b).await.is_empty(), "B never took partitions");
    // A settled on the rest, so follow-ups for B's accounts must cross the topic.
    let owned_by_b = settled_split(&a, &b).await;
    // A sender on a partition of A's, a receiver on one of B's.
    let partition =
        |m: &str| event_log::partition_for(&format!("fx/{m}"), PARTITIONS as u32) as u64;
    let member_where = |on_b: bool| {
        (0..)
            .map(|i| format!("x{i}"))
            .find(|m| owned_by_b.contains(&partition(m)) == on_b)
            .unwrap()
    };
    let (sender, receiver) = (member_where(false), member_where(true));
    let apis = [a, b];
    for m in [&sender, &receiver] {
        let enroll = json!({"member_id": m, "member_type": "individual"});
        post_settled(&apis, "/v1/programs/fx/members", enroll).await;
    }
    accrue(&apis, &sender, "gift-source", 100).await;
    let gift = json!({"transaction_id": "gift", "to_member": receiver, "occurred_at": "2026-03-02T10:00:00Z", "currency": "POINTS", "points": "40", "reason": "birthday"});
    post_settled(
        &apis,
        &format!("/v1/programs/fx/members/{sender}/transfers"),
        gift,
    )
    .await;

    // A fresh fold of the events topic: received, and settled as delivered.
    let log = events_topic(&brokers).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let fold = CommandService::open(log.clone(), Arc::new(SystemClock))
            .await
            .unwrap();
        let got = fold.member("fx", &receiver).await.expect("receiver");
        let sent = fold.member("fx", &sender).await.expect("sender");
        let received = got
            .book("POINTS")
            .map(|b| b.available())
            .unwrap_or_default();
        if received == Decimal::from(40) && sent.transfers_out.is_empty() {
            assert_eq!(
                sent.book("POINTS").map(|b| b.available()),
                Some(Decimal::from(60))
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the transfer never arrived: {received} received, in flight {:?}",
            sent.transfers_out.keys().collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (receive, sealed) = sealed_receive(&brokers, &receiver);
    assert!(
        receive,
        "the receive was decided where it was asked, not sent over the topic"
    );
    assert!(sealed, "the receive crossed the topic without its seal");
}
