//! The Kafka-mode stack as containers on a private Docker network (images
//! built locally FROM scratch by `scripts/images.sh`; nothing is pulled):
//! Tansu, command-service, projector and query-service. A command's
//! consistency token answers a read on another container; the projector
//! container is removed and replaced on the same volume, and reads catch up.

mod common;

use common::containers::{Stack, MEMORY};
use common::Api;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

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
    let mut stack = Stack::start("stack", MEMORY).await;
    let (cmd, query) = (stack.cmd.clone(), stack.query.clone());
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

    // Remove the projector container, write more, start a new one on the same volume.
    stack.remove_projector().await;
    for i in 30..60 {
        token = accrue(i).await;
    }
    stack.start_projector().await;
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
    stack.remove().await;
}
