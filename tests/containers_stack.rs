//! The Kafka-mode stack as containers on a private Docker network (images
//! built locally FROM scratch by `scripts/images.sh`; nothing is pulled):
//! Tansu, command-service, projector and query-service. A command's
//! consistency token answers a read on another container; the projector
//! container is killed and replaced on the same volume, and reads catch up.

mod common;

use common::Api;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use testcontainers::core::{IntoContainerPort, Mount, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};

fn image(name: &str) -> GenericImage {
    GenericImage::new(format!("loyalty/{name}"), "dev".to_string())
}

async fn start_projector(run: &str, network: &str, volume: &str) -> ContainerAsync<GenericImage> {
    image("projector")
        .with_wait_for(WaitFor::millis(200))
        .with_network(network)
        .with_env_var("LOYALTY_KAFKA_BROKERS", format!("tansu-{run}:9092"))
        .with_env_var("LOYALTY_PARTITIONS", "4")
        .with_env_var("LOYALTY_DATA_DIR", "/data/readmodels")
        .with_env_var("LOYALTY_LISTEN", "0.0.0.0:8082")
        .with_mount(Mount::volume_mount(volume, "/data"))
        .start()
        .await
        .expect("projector container")
}

/// Retries a request until it answers 2xx (services start in any order).
async fn until_ok(what: &str, mut call: impl AsyncFnMut() -> Option<(u16, Value)>) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Some((s, body)) = call().await {
            if (200..300).contains(&s) {
                return body;
            }
        }
        assert!(Instant::now() < deadline, "{what} never succeeded");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn try_get(api: &Api, path: &str) -> Option<(u16, Value)> {
    let r = api
        .http
        .get(format!("{}{path}", api.base))
        .send()
        .await
        .ok()?;
    Some((r.status().as_u16(), r.json().await.unwrap_or(Value::Null)))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_stack_runs_as_containers_and_survives_a_projector_replacement() {
    let run = format!(
        "{}-{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    );
    let network = format!("loyalty-test-{run}");
    let volume = format!("loyalty-readmodels-{run}");
    let _tansu = image("tansu")
        .with_wait_for(WaitFor::millis(500))
        .with_network(&network)
        .with_container_name(format!("tansu-{run}"))
        .with_cmd([
            "broker".to_string(),
            "--listener-url".into(),
            "tcp://0.0.0.0:9092".into(),
            "--advertised-listener-url".into(),
            format!("tcp://tansu-{run}:9092"),
            "--cluster-id".into(),
            "loyalty".into(),
            "--storage-engine".into(),
            "memory://tansu/".into(),
        ])
        .start()
        .await
        .expect("tansu container");
    let commands = image("command-service")
        .with_exposed_port(8080.tcp())
        .with_wait_for(WaitFor::millis(200))
        .with_network(&network)
        .with_env_var("LOYALTY_KAFKA_BROKERS", format!("tansu-{run}:9092"))
        .with_env_var("LOYALTY_PARTITIONS", "4")
        .with_env_var("LOYALTY_LISTEN", "0.0.0.0:8080")
        .start()
        .await
        .expect("command-service container");
    let projector = start_projector(&run, &network, &volume).await;
    let queries = image("query-service")
        .with_exposed_port(8081.tcp())
        .with_wait_for(WaitFor::millis(200))
        .with_network(&network)
        .with_env_var("LOYALTY_DATA_DIR", "/data/readmodels")
        .with_env_var("LOYALTY_SECONDARY_DIR", "/tmp/secondary")
        .with_env_var("LOYALTY_LISTEN", "0.0.0.0:8081")
        .with_mount(Mount::volume_mount(&volume, "/data"))
        .start()
        .await
        .expect("query-service container");
    let cmd = Api::new(&format!(
        "http://127.0.0.1:{}",
        commands.get_host_port_ipv4(8080).await.unwrap()
    ));
    let query = Api::new(&format!(
        "http://127.0.0.1:{}",
        queries.get_host_port_ipv4(8081).await.unwrap()
    ));

    cmd.wait_owning(4).await;
    let program: Value = serde_json::from_str(include_str!("fixtures/program.json")).unwrap();
    until_ok("defining the program", async || {
        let r = cmd
            .http
            .put(format!("{}/v1/programs/fx", cmd.base))
            .json(&program)
            .send()
            .await
            .ok()?;
        Some((r.status().as_u16(), r.json().await.unwrap_or(Value::Null)))
    })
    .await;
    let p = "/v1/programs/fx";
    for m in 0..10 {
        let (s, b) = cmd
            .post(
                &format!("{p}/members"),
                json!({"member_id": format!("m{m}"), "member_type": "individual"}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
    }
    let accrue = async |i: usize| {
        let (s, b) = cmd
            .post(&format!("{p}/members/m{}/accruals", i % 10), json!({"transaction_id": format!("t{i}"), "occurred_at": "2026-03-01T10:00:00Z", "amount": "10"}))
            .await;
        assert_eq!(s, 201, "{b}");
        b["position"].as_str().unwrap().to_string()
    };
    let mut token = String::new();
    for i in 0..30 {
        token = accrue(i).await;
    }
    let view = until_ok("reading m9 at the token", async || {
        try_get(&query, &format!("{p}/members/m9?min_position={token}")).await
    })
    .await;
    assert_eq!(view["balances"]["POINTS"]["available"], "30");

    // Kill the projector container, write more, start a new one on the same volume.
    projector.rm().await.expect("projector removed");
    for i in 30..60 {
        token = accrue(i).await;
    }
    let _projector = start_projector(&run, &network, &volume).await;
    let view = until_ok("reading m9 after the replacement", async || {
        try_get(&query, &format!("{p}/members/m9?min_position={token}")).await
    })
    .await;
    assert_eq!(view["balances"]["POINTS"]["available"], "60");
    let stats = until_ok("stats", async || {
        try_get(&query, &format!("{p}/stats")).await
    })
    .await;
    assert_eq!(stats["members"], 10);
    drop(queries);
    drop(_projector);
    let _ = std::process::Command::new("docker")
        .args(["volume", "rm", "-f", &volume])
        .output();
}
