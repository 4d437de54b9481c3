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
