//! End to end in Kafka mode: `loyalty serve --kafka` against a real
//! Kafka-protocol broker (a local Tansu process on sqlite), the same HTTP
//! scenario as the embedded mode, then kill -9 the server and restart the
//! broker: the ledger rebuilds from the topic and nothing is lost.

mod common;

use common::scenario::{drive, snapshot, P};
use common::{Api, Server};
use event_log::tansu::{Storage, TansuBroker};

#[tokio::test(flavor = "multi_thread")]
async fn the_ledger_runs_on_kafka_and_survives_kill_and_broker_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker =
        TansuBroker::start(Storage::Sqlite(dir.path().join("tansu.db"))).expect("tansu");
    let extra = vec![
        "--kafka".to_string(),
        broker.brokers(),
        "--partitions".into(),
        "4".into(),
    ];
    let data = dir.path().join("data");
    let server = Server::start_with(&data, Server::free_port(), &extra).await;
    let api = Api::new(&server.base);

    let (s, program) = api.get(P).await;
    assert_eq!(
        (s, program["version"].clone()),
        (200, serde_json::json!(1)),
        "{program}"
    );
    let (accrual, first) = drive(&api).await;
    let before = snapshot(&api, &["ada", "bob"]).await;

    // kill -9 the ledger and restart the broker: state comes back from the topic.
    server.kill9();
    broker.restart().expect("broker restart");
    let server = Server::start_with(&data, Server::free_port(), &extra).await;
    let api = Api::new(&server.base);
    let (s, again) = api
        .post(&format!("{P}/members/ada/accruals"), accrual)
        .await;
    assert_eq!(
        (s, again["credited"].clone()),
        (200, first["credited"].clone())
    );
    assert_eq!(snapshot(&api, &["ada", "bob"]).await, before);
    server.stop();
}

/// Analytics on the log: a plain Kafka consumer (not the projector) reads
/// the events topic, filters on the `event-type` header without decoding,
/// and decodes the protobuf envelopes.
#[tokio::test(flavor = "multi_thread")]
async fn a_plain_consumer_decodes_the_events_topic() {
    use loyalty_proto::{Body, EventEnvelope, Message as _};
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::message::{Headers, Message};
    use rdkafka::ClientConfig;
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().unwrap();
    let broker = TansuBroker::start(Storage::Memory).expect("tansu");
    let extra = vec![
        "--kafka".to_string(),
        broker.brokers(),
        "--partitions".into(),
        "2".into(),
    ];
    let server = Server::start_with(&dir.path().join("data"), Server::free_port(), &extra).await;
    let api = Api::new(&server.base);
    drive(&api).await;
    server.stop();

    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.brokers())
        .set("group.id", "analytics")
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    consumer.subscribe(&["loyalty.events"]).unwrap();
    // Everything on the topic: the sum of its partitions' high watermarks.
    let total: i64 = (0..2)
        .map(|p| {
            consumer
                .fetch_watermarks("loyalty.events", p, Duration::from_secs(10))
                .expect("watermarks")
                .1
        })
        .sum();
    let (mut accrued, mut decoded) = (0, 0);
    let mut types = std::collections::BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline && decoded < total {
        let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let event_type = m
            .headers()
            .and_then(|h| {
                h.iter()
                    .find(|h| h.key == "event-type")
                    .and_then(|h| h.value)
            })
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default();
        let envelope =
            EventEnvelope::decode(m.payload().unwrap_or_default()).expect("protobuf envelope");
        assert_eq!(envelope.schema_version, loyalty_proto::SCHEMA_VERSION);
        assert_eq!(
            m.key(),
            Some(format!("{}/{}", envelope.program_id, envelope.account_id).as_bytes())
        );
        let body = envelope.body.expect("a body");
        assert_eq!(
            loyalty_proto::event_type(&body),
            event_type,
            "the header names the body"
        );
        if let Body::PointsAccrued(a) = &body {
            assert!(!a.credits.is_empty() || a.amount.is_empty());
            accrued += 1;
        }
        types.insert(event_type);
        decoded += 1;
    }
    assert_eq!(decoded, total, "{types:?}");
    assert_eq!(
        accrued, 9,
        "pos-1, hotel-1, pos-2, cy-1, sale-1, eve-1, fay-1, fay-2 and gus-1; dry runs, rejected and retried ones wrote nothing"
    );
    for t in [
        "ProgramDefined",
        "MemberEnrolled",
        "PointsAccrued",
        "PointsRedeemed",
        "RedemptionCancelled",
        "TierChanged",
        "PointsExpired",
        "QualifyingReset",
        "MemberStatusChanged",
        "PointsForfeited",
        "PointsAdjusted",
        "BadgeAwarded",
        "PointsReleased",
        "VoucherIssued",
        "VoucherRedeemed",
        "PointsTransferredOut",
        "PointsTransferredIn",
        "TransferSettled",
        "GroupMemberAdded",
        "GroupMemberConfirmed",
        "GroupMemberRemoved",
        "GroupJoined",
        "GroupLeft",
        "PoolSpent",
        "VoucherReserved",
    ] {
        assert!(types.contains(t), "{t} missing from {types:?}");
    }
}
