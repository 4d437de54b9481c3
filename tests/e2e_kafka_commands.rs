//! Commands from stores and apps over the commands topic: several concurrent
//! producers send protobuf commands to the command-service process; every
//! command ends as events on the events topic or as a record on the
//! rejections topic with its error code. Nothing is dropped. The ledger's
//! own follow-up commands are decided only under the command service's seal.

mod common;

use command_service::seal::{SealKeys, SEAL_HEADER};
use event_log::tansu::{Storage, TansuBroker};
use loyalty_proto::v1::command_envelope::Command;
use loyalty_proto::v1::{
    AccruePoints, EnrollMember, ReceiveTransfer, RedeemPoints, TransferredLot,
};
use loyalty_proto::{CommandEnvelope, CommandRejected, EventEnvelope, Message as _};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Message, OwnedHeaders};
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

/// A command-service on `broker` with topics `<prefix>*`, owning all
/// `partitions`, with the fixture program `fx` defined.
async fn service_with_program(
    broker: &TansuBroker,
    prefix: &str,
    partitions: usize,
) -> (common::Proc, common::Api) {
    let port = common::Server::free_port();
    let service = common::Proc::start(
        "command-service",
        &[
            "--brokers".to_string(),
            broker.brokers(),
            "--topic-prefix".into(),
            prefix.into(),
            "--partitions".into(),
            partitions.to_string(),
            "--listen".into(),
            format!("127.0.0.1:{port}"),
        ],
    );
    let api = common::Api::new(&format!("http://127.0.0.1:{port}"));
    api.wait_owning(partitions).await;
    let program: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/program.json")).unwrap();
    let (s, b) = api.put("/v1/programs/fx", program).await;
    assert_eq!(s, 200, "{b}");
    (service, api)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_topic_command_ends_as_events_or_a_rejection() {
    let broker = TansuBroker::start(Storage::Memory).expect("tansu");
    let (_service, _api) = service_with_program(&broker, "cmd.", 4).await;

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

/// A receive of `points` from a sender that never sent them.
fn receive(transfer_id: &str, points: &str) -> CommandEnvelope {
    CommandEnvelope {
        command_id: transfer_id.into(),
        program_id: "fx".into(),
        member_id: "mallory".into(),
        command: Some(Command::ReceiveTransfer(ReceiveTransfer {
            transfer_id: transfer_id.into(),
            from_member: "ghost".into(),
            occurred_at: "2026-05-01T10:00:00Z".into(),
            currency: "POINTS".into(),
            lots: vec![TransferredLot {
                lot_id: "lot-1".into(),
                points: points.into(),
                partner_id: String::new(),
                expires_at: "2027-12-31T00:00:00Z".into(),
                earned_at: "2026-05-01T10:00:00Z".into(),
            }],
            pool: false,
        })),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn follow_ups_without_the_services_seal_are_refused() {
    let broker = TansuBroker::start(Storage::Memory).expect("tansu");
    let (_service, api) = service_with_program(&broker, "seal.", 2).await;
    let (s, b) = api
        .post(
            "/v1/programs/fx/members",
            serde_json::json!({"member_id": "mallory", "member_type": "individual", "enrolled_at": "2026-04-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");

    // Forged receives: no seal, a seal under another key, a seal copied
    // from another record; then one the command service's key sealed.
    let ours = SealKeys::new(common::FOLLOW_UP_KEY, None).unwrap();
    let theirs = SealKeys::new("someone-elses-key-0123456789abcdef", None).unwrap();
    let copied = ours.seal(&receive("sealed", "5").encode_to_vec());
    let records: Vec<(CommandEnvelope, Option<Vec<u8>>)> = vec![
        (receive("forged-1", "1000"), None),
        (
            receive("forged-2", "1000"),
            Some(theirs.seal(&receive("forged-2", "1000").encode_to_vec())),
        ),
        (receive("forged-3", "1000"), Some(copied)),
        (
            receive("sealed", "5"),
            Some(ours.seal(&receive("sealed", "5").encode_to_vec())),
        ),
    ];
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", broker.brokers())
        .create()
        .unwrap();
    for (env, seal) in &records {
        let payload = env.encode_to_vec();
        let mut record = FutureRecord::to("seal.commands")
            .key("fx/mallory")
            .payload(&payload);
        if let Some(seal) = seal {
            record = record.headers(OwnedHeaders::new().insert(Header {
                key: SEAL_HEADER,
                value: Some(seal),
            }));
        }
        producer
            .send(record, Duration::from_secs(30))
            .await
            .expect("produced");
    }

    // One partition, in order: when the sealed receive is decided, the
    // forged ones before it are settled.
    let mut refused = BTreeMap::new();
    let mut credited = Vec::new();
    drain(
        &broker.brokers(),
        &["seal.rejections", "seal.events"],
        |record| {
            match record {
                Some(("seal.rejections", bytes)) => {
                    let r = CommandRejected::decode(bytes).expect("rejection record");
                    refused.insert(r.transaction_id, r.code);
                }
                Some((_, bytes)) => {
                    let e = EventEnvelope::decode(bytes).expect("event");
                    if e.account_id == "mallory" && e.transaction_id.starts_with("transfer:") {
                        credited.push(e.transaction_id);
                    }
                }
                None => {}
            }
            !credited.is_empty() && refused.len() >= 3
        },
    );
    let unsealed = "unsealed_follow_up".to_string();
    assert_eq!(
        refused,
        BTreeMap::from([
            ("transfer:ghost/forged-1".to_string(), unsealed.clone()),
            ("transfer:ghost/forged-2".to_string(), unsealed.clone()),
            ("transfer:ghost/forged-3".to_string(), unsealed),
        ])
    );
    assert_eq!(credited, ["transfer:ghost/sealed"]);

    // Only the sealed 5 points arrived.
    let (s, b) = api
        .post(
            "/v1/programs/fx/members/mallory/redemptions",
            serde_json::json!({"transaction_id": "spend-1", "occurred_at": "2026-06-01T10:00:00Z", "currency": "POINTS", "points": "1"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["balances"]["POINTS"]["available"], "4", "{b}");
}
