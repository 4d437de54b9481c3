//! Issue 3's fault scenarios with every part as a container on a private
//! Docker network (images built locally FROM scratch by `scripts/images.sh`):
//! Tansu (in memory, or on sqlite where it restarts), command-service,
//! projector, query-service, and the
//! `loyalty` image as load generator (`loyalty load`, through the commands
//! topic from concurrent producers) and auditor (`loyalty verify`: the
//! projector's RocksDB equals a pure fold of the events topic, key for key).
//!
//! a. 100,000 commands from 4 concurrent producers;
//! b. the projector killed -9 mid-stream and started again;
//! c. the broker restarted mid-stream: services reconnect and catch up;
//! d. a second command-service joins (partitions move to it) and leaves.
//!
//! Each scenario ends with every command settled (the load generator exits
//! 0 only then) and `loyalty verify` passing. Scenarios run one at a time.

mod common;

use common::containers::{api_of, command_service, finished, kill9, Stack, MEMORY, SQLITE};
use serde_json::Value;
use std::time::{Duration, Instant};

/// One scenario at a time: each is a whole stack on two cores.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread")]
async fn a_100k_commands_from_concurrent_producers() {
    let _one = ONE_AT_A_TIME.lock().await;
    let stack = Stack::start("a", MEMORY).await;
    let load = stack.load(1_000, 100_000).await;
    let (code, out) = finished(&load, Duration::from_secs(2400)).await;
    assert_eq!(code, 0, "loyalty load failed:\n{out}");
    println!("{}", summary(&out));
    println!("{}", stack.verify().await);
    stack.remove().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn b_projector_killed_mid_stream_and_started_again() {
    let _one = ONE_AT_A_TIME.lock().await;
    let stack = Stack::start("b", MEMORY).await;
    let load = stack.load(300, 20_000).await;
    tokio::time::sleep(Duration::from_secs(8)).await;
    kill9(stack.projector());
    // Past the projector's group session (6 s): Tansu 0.6.0 drops a dead
    // member only at a rebalance after its session expired.
    tokio::time::sleep(Duration::from_secs(8)).await;
    stack
        .projector()
        .start()
        .await
        .expect("projector started again");
    let (code, out) = finished(&load, Duration::from_secs(900)).await;
    assert_eq!(code, 0, "loyalty load failed:\n{out}");
    println!("{}", stack.verify().await);
    stack.remove().await;
}

/// `loyalty load`'s report without its retry warnings.
fn summary(out: &str) -> String {
    out.lines()
        .filter(|l| !l.contains("WARN"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The broker is stopped the way its image says (SIGKILL: see
/// scripts/images.sh for why Tansu 0.6.0 cannot stop gracefully) and
/// started again on its volume.
#[tokio::test(flavor = "multi_thread")]
async fn c_broker_restarted_mid_stream() {
    let _one = ONE_AT_A_TIME.lock().await;
    let stack = Stack::start("c", SQLITE).await;
    let load = stack.load(200, 5_000).await;
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert_eq!(
        load.exit_code().await.ok().flatten(),
        None,
        "the load should still be running when the broker stops"
    );
    stack.tansu.stop().await.expect("broker stopped");
    tokio::time::sleep(Duration::from_secs(3)).await;
    stack.tansu.start().await.expect("broker started again");
    let (code, out) = finished(&load, Duration::from_secs(900)).await;
    assert_eq!(code, 0, "loyalty load failed:\n{out}");
    println!("{}", summary(&out));
    println!("{}", stack.verify().await);
    stack.remove().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn d_second_command_service_joins_and_leaves() {
    let _one = ONE_AT_A_TIME.lock().await;
    let stack = Stack::start("d", MEMORY).await;
    let load = stack.load(300, 20_000).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let second = command_service(&stack.run, &stack.network, "cmd2").await;
    let api = api_of(&second, 8080).await;
    let deadline = Instant::now() + Duration::from_secs(90);
    let owned = loop {
        let body: Value = match api.http.get(format!("{}/readyz", api.base)).send().await {
            Ok(r) => r.json().await.unwrap_or_default(),
            Err(_) => Value::Null,
        };
        let owned = body["owned_partitions"].as_array().map_or(0, Vec::len);
        if owned > 0 {
            break owned;
        }
        assert!(
            Instant::now() < deadline,
            "the second instance never got a partition"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    println!("the second command-service owns {owned} partitions");
    // HTTP commands at either instance land, forwarded to the owner when needed.
    for (i, at) in [&stack.cmd, &api].iter().enumerate() {
        for m in 0..8 {
            let body = serde_json::json!({"member_id": format!("http-{i}-{m}"), "member_type": "individual"});
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                let (s, b) = at.post("/v1/programs/fx/members", body.clone()).await;
                if s == 201 {
                    break;
                }
                assert_eq!(s, 503, "{b}");
                assert!(Instant::now() < deadline, "{b}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    second.stop().await.expect("second instance stopped");
    let (code, out) = finished(&load, Duration::from_secs(900)).await;
    assert_eq!(code, 0, "loyalty load failed:\n{out}");
    stack.cmd.wait_owning(4).await;
    println!("{}", stack.verify().await);
    stack.remove().await;
}
