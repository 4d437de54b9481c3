//! End to end with separate processes on Kafka: command-service, projector
//! and query-service against a local Tansu broker. The consistency token of
//! a command works across processes; the projector is killed (-9) in the
//! middle of a stream and restarted; its read models then equal a fresh
//! fold of the events topic, key for key.

mod common;

use common::{Api, Proc};
use event_log::tansu::{Storage, TansuBroker};
use event_log::{EventLog, KafkaConfig, KafkaLog};
use projector::Store;
use serde_json::json;
use std::time::{Duration, Instant};

async fn wait_healthy(base: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(r) = reqwest::get(format!("{base}/healthz")).await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{base} did not become healthy");
}

fn port() -> u16 {
    common::Server::free_port()
}

#[tokio::test(flavor = "multi_thread")]
async fn separate_services_on_kafka_survive_a_projector_kill() {
    let dir = tempfile::tempdir().unwrap();
    let broker = TansuBroker::start(Storage::Sqlite(dir.path().join("tansu.db"))).expect("tansu");
    let kafka = [
        "--brokers".to_string(),
        broker.brokers(),
        "--topic-prefix".into(),
        "svc.".into(),
        "--partitions".into(),
        "3".into(),
    ];
    let models = dir.path().join("readmodels");
    let (cmd_port, proj_port, query_port) = (port(), port(), port());
    let with = |extra: &[&str]| -> Vec<String> {
        kafka
            .iter()
            .cloned()
            .chain(extra.iter().map(|s| s.to_string()))
            .collect()
    };

    let _commands = Proc::start(
        "command-service",
        &with(&["--listen", &format!("127.0.0.1:{cmd_port}")]),
    );
    let cmd = Api::new(&format!("http://127.0.0.1:{cmd_port}"));
    cmd.wait_owning(3).await;
    let projector_args = with(&[
        "--listen",
        &format!("127.0.0.1:{proj_port}"),
        "--data-dir",
        models.to_str().unwrap(),
    ]);
    let mut projector = Proc::start("projector", &projector_args);
    wait_healthy(&format!("http://127.0.0.1:{proj_port}")).await;
    let _query = Proc::start(
        "query-service",
        &[
            "--listen".into(),
            format!("127.0.0.1:{query_port}"),
            "--data-dir".into(),
            models.to_str().unwrap().into(),
            "--secondary-dir".into(),
            dir.path().join("secondary").to_str().unwrap().into(),
        ],
    );
    let query = Api::new(&format!("http://127.0.0.1:{query_port}"));
    wait_healthy(&query.base).await;

    let program: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/program.json")).unwrap();
    let (s, b) = cmd.put("/v1/programs/fx", program).await;
    assert_eq!(s, 200, "{b}");
    let p = "/v1/programs/fx";
    for m in 0..20 {
        let (s, b) = cmd
            .post(
                &format!("{p}/members"),
                json!({"member_id": format!("m{m}"), "member_type": "individual"}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
    }
    // Read your write across processes.
    let (s, b) = cmd
        .post(
            &format!("{p}/members/m1/accruals"),
            json!({"transaction_id": "a1", "occurred_at": "2026-03-01T10:00:00Z", "amount": "100"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let token = b["position"].as_str().unwrap().to_string();
    let (s, view) = query
        .get(&format!("{p}/members/m1?min_position={token}"))
        .await;
    assert_eq!(s, 200, "{view}");
    assert_eq!(view["balances"]["POINTS"]["available"], "100");

    // A stream of commands; the projector is killed -9 in the middle and restarted.
    let mut last = String::new();
    for i in 0..400 {
        if i == 150 {
            projector.kill9();
        }
        if i == 250 {
            projector = Proc::start("projector", &projector_args);
        }
        let m = i % 20;
        let (s, b) = cmd
            .post(&format!("{p}/members/m{m}/accruals"), json!({"transaction_id": format!("s{i}"), "occurred_at": "2026-03-02T10:00:00Z", "amount": format!("{}.50", i % 90 + 1), "channel": if i % 3 == 0 { "app" } else { "store" }}))
            .await;
        assert_eq!(s, 201, "{b}");
        last = b["position"].as_str().unwrap().to_string();
    }
    // The restarted projector gets its partitions once the group has dropped
    // the killed member (session timeout), then catches up.
    let deadline = Instant::now() + Duration::from_secs(60);
    let stats = loop {
        let (s, stats) = query.get(&format!("{p}/stats?min_position={last}")).await;
        if s == 200 {
            break stats;
        }
        assert_eq!(s, 503, "{stats}");
        assert!(
            Instant::now() < deadline,
            "the projector never caught up: {stats}"
        );
    };
    assert_eq!(stats["members"], 20);

    // Wait until the projector has applied the end of every partition, stop
    // it, and compare its store with a fresh fold of the topic.
    let log = KafkaLog::connect(KafkaConfig {
        brokers: broker.brokers(),
        topic: "svc.events".into(),
        partitions: 3,
        replication_factor: 1,
    })
    .await
    .unwrap();
    let end = log.end_offsets().await.unwrap();
    let all: Vec<String> = end
        .iter()
        .enumerate()
        .filter(|(_, e)| **e > 0)
        .map(|(p, e)| format!("{p}:{}", e - 1))
        .collect();
    let (s, b) = query
        .get(&format!("{p}/stats?min_position={}", all.join(",")))
        .await;
    assert_eq!(s, 200, "{b}");
    projector.kill9();
    let total: u64 = log.end_offsets().await.unwrap().iter().sum();
    assert!(
        total >= 422,
        "program, 20 enrollments and 401 accruals are on the topic: {total}"
    );
    let fresh = Store::open(&dir.path().join("fresh")).unwrap();
    projector::rebuild::rebuild(&*log, &fresh, |_| {})
        .await
        .unwrap();
    let live = Store::open(&models).unwrap();
    let a: Vec<_> = live.entries().map(|r| r.unwrap()).collect();
    let b: Vec<_> = fresh.entries().map(|r| r.unwrap()).collect();
    let only_live: Vec<_> = a
        .iter()
        .filter(|x| !b.contains(x))
        .map(|x| String::from_utf8_lossy(&x.0).into_owned())
        .collect();
    let only_fresh: Vec<_> = b
        .iter()
        .filter(|x| !a.contains(x))
        .map(|x| {
            format!(
                "{} = {}",
                String::from_utf8_lossy(&x.0),
                String::from_utf8_lossy(&x.1)
            )
        })
        .collect();
    assert!(
        only_live.is_empty() && only_fresh.is_empty(),
        "only live: {only_live:?}\nonly fresh: {only_fresh:?}"
    );
    assert!(
        a == b,
        "the projector's read models differ from a fold of the topic"
    );
}
