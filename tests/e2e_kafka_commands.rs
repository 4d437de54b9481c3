//! Commands from stores and apps over the commands topic: several concurrent
//! producers send protobuf commands to the command-service process; every
//! command ends as events on the events topic or as a record on the
//! rejections topic with its error code. Nothing is dropped.

mod common;

use event_log::tansu::{Storage, TansuBroker};
use loyalty_proto::v1::command_envelope::Command;
use loyalty_proto::v1::{AccruePoints, EnrollMember, RedeemPoints};
use loyalty_proto::{CommandEnvelope, CommandRejected, EventEnvelope, Message as _};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::ClientConfig;
use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

const PRODUCERS: usize = 4;
const MEMBERS_EACH: usize = 25;
const COMMANDS_EACH: usize = 400;

/// What a command must end as: events under this transaction id, or a rejection.
fn outcome_key(env: &CommandEnvelope) -> String {
    match &env.command {
        Some(Command::Enroll(_)) => format!("enroll:{}", env.member_id),
        Some(Command::Accrue(a)) => a.transaction_id.clone(),
        Some(Command::Redeem(r)) => r.transaction_id.clone(),
        _ => String::new(),
    }
}

fn commands_of(producer: usize) -> Vec<CommandEnvelope> {
    let member = |i: usize| format!("p{producer}-m{}", i % MEMBERS_EACH);
    let mut out: Vec<CommandEnvelope> = (0..MEMBERS_EACH)
        .map(|i| CommandEnvelope {
            command_id: format!("p{producer}-enroll-{i}"),
            program_id: "fx".into(),
            member_id: member(i),
            command: Some(Command::Enroll(EnrollMember {
                member_type: "individual".into(),
                ..Default::default()
            })),
        })
        .collect();
    for i in 0..COMMANDS_EACH {
        let tx = format!("p{producer}-t{i}");
        let command = match i % 10 {
            // Redemptions, some of them more than the balance.
            7 | 8 => Command::Redeem(RedeemPoints {
                transaction_id: tx,
                occurred_at: "2026-05-01T10:00:00Z".into(),
                currency: "POINTS".into(),
                points: ((i % 7) * 40 + 1).to_string(),
                ..Default::default()
            }),
            // Invalid: a currency the program does not have.
            9 => Command::Accrue(AccruePoints {
                transaction_id: tx,
                occurred_at: "2026-05-01T10:00:00Z".into(),
                points: [("GEMS".to_string(), "5".to_string())].into(),
                ..Default::default()
            }),
            _ => Command::Accrue(AccruePoints {
                transaction_id: tx,
                occurred_at: "2026-04-01T10:00:00Z".into(),
                amount: format!("{}.25", i % 50 + 1),
                channel: if i % 3 == 0 {
                    "app".into()
                } else {
                    String::new()
                },
                ..Default::default()
            }),
        };
        out.push(CommandEnvelope {
            command_id: format!("p{producer}-c{i}"),
            program_id: "fx".into(),
            member_id: member(i),
            command: Some(command),
        });
    }
    out
}

/// Feeds every record of the topics to `each` (topic, payload) until it
/// says it is done, or 120 s pass.
fn drain(brokers: &str, topics: &[&str], mut each: impl FnMut(Option<(&str, &[u8])>) -> bool) {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "check")
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    consumer.subscribe(topics).unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        let done = match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => each(Some((m.topic(), m.payload().unwrap_or_default()))),
            _ => each(None),
        };
        if done {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_topic_command_ends_as_events_or_a_rejection() {
    let broker = TansuBroker::start(Storage::Memory).expect("tansu");
    let port = common::Server::free_port();
    let _service = common::Proc::start(
        "command-service",
        &[
            "--brokers".to_string(),
            broker.brokers(),
            "--topic-prefix".into(),
            "cmd.".into(),
            "--partitions".into(),
            "4".into(),
            "--listen".into(),
            format!("127.0.0.1:{port}"),
        ],
    );
    let api = common::Api::new(&format!("http://127.0.0.1:{port}"));
    api.wait_owning(4).await;
    let program: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/program.json")).unwrap();
    let (s, b) = api.put("/v1/programs/fx", program).await;
    assert_eq!(s, 200, "{b}");

    // Several producers at once, plus one undecodable record.
    let mut tasks = Vec::new();
    for p in 0..PRODUCERS {
        let brokers = broker.brokers();
        tasks.push(tokio::spawn(async move {
            let producer: FutureProducer = ClientConfig::new()
                .set("bootstrap.servers", &brokers)
                .create()
                .unwrap();
            for env in commands_of(p) {
                let key = format!("{}/{}", env.program_id, env.member_id);
                let payload = env.encode_to_vec();
                producer
                    .send(
                        FutureRecord::to("cmd.commands").key(&key).payload(&payload),
                        Duration::from_secs(30),
                    )
                    .await
                    .expect("produced");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", broker.brokers())
        .create()
        .unwrap();
    producer
        .send(
            FutureRecord::to("cmd.commands")
                .key("fx/x")
                .payload(&b"\xffnot protobuf"[..]),
            Duration::from_secs(30),
        )
        .await
        .expect("produced");

    let expected: Vec<String> = (0..PRODUCERS)
        .flat_map(commands_of)
        .map(|c| outcome_key(&c))
        .collect();
    let total = expected.len() + 1;
    let mut settled: HashSet<String> = HashSet::new();
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    let mut undecodable = 0;
    let mut events = 0;
    drain(
        &broker.brokers(),
        &["cmd.rejections", "cmd.events"],
        |record| {
            match record {
                Some(("cmd.rejections", bytes)) => {
                    let r = CommandRejected::decode(bytes).expect("rejection record");
                    *codes.entry(r.code.clone()).or_default() += 1;
                    if r.command_id.is_empty() {
                        undecodable += 1;
                    } else {
                        let key = if r.transaction_id.is_empty() {
                            format!("enroll:{}", r.member_id)
                        } else {
                            r.transaction_id
                        };
                        assert!(settled.insert(key.clone()), "{key} settled twice");
                    }
                }
                Some((_, bytes)) => {
                    let e = EventEnvelope::decode(bytes).expect("event");
                    events += 1;
                    if e.account_id != "program" {
                        settled.insert(e.transaction_id);
                    }
                }
                None => {}
            }
            settled.len() + undecodable >= total
        },
    );
    let missing: Vec<_> = expected
        .iter()
        .filter(|k| !settled.contains(*k))
        .take(5)
        .collect();
    assert!(
        missing.is_empty(),
        "commands with no outcome: {missing:?} ({} settled of {total})",
        settled.len()
    );
    assert_eq!(undecodable, 1);
    assert_eq!(
        codes.get("invalid_request").copied().unwrap_or(0),
        1 + PRODUCERS * COMMANDS_EACH / 10,
        "{codes:?}"
    );
    assert!(codes.contains_key("insufficient_points"), "{codes:?}");
    assert!(events > PRODUCERS * (MEMBERS_EACH + COMMANDS_EACH / 2));
}
