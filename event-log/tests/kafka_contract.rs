//! The Kafka log passes the same contract as the embedded log, against a
//! real Kafka-protocol broker (a local Tansu process).

use event_log::tansu::{Storage, TansuBroker};
use event_log::{contract, EventLog, KafkaConfig, KafkaLog};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_log_passes_the_contract_against_tansu() {
    let broker = TansuBroker::start(Storage::Memory).expect("tansu broker");
    let log = KafkaLog::connect(KafkaConfig {
        brokers: broker.brokers(),
        topic: "contract-events".into(),
        partitions: 4,
        replication_factor: 1,
    })
    .await
    .expect("connect");
    assert_eq!(log.partitions(), 4);
    contract::run_all(&*log).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_survive_a_broker_restart_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker =
        TansuBroker::start(Storage::Sqlite(dir.path().join("tansu.db"))).expect("tansu broker");
    let config = KafkaConfig {
        brokers: broker.brokers(),
        topic: "restart-events".into(),
        partitions: 2,
        replication_factor: 1,
    };
    let log = KafkaLog::connect(config.clone()).await.expect("connect");
    contract::append_and_read_back(&*log).await;
    let before = log.end_offsets().await.unwrap();
    drop(log);
    broker.restart().expect("restart");
    let log = KafkaLog::connect(config).await.expect("reconnect");
    assert_eq!(log.end_offsets().await.unwrap(), before);
    let total: u64 = before.iter().sum();
    let all = contract::read_all(&*log, vec![0, 0], total as usize).await;
    assert_eq!(all.len() as u64, total);
}
