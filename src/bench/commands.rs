//! The command path over HTTP against a real `loyalty serve`:
//! - `loyalty bench journals`: batches through `POST .../journals`
//!   (accepted commands/s, request latency);
//! - `loyalty bench accruals`: single `POST .../accruals` at a target rate
//!   (latency percentiles).

use super::load::{drive, status_of, LoadArgs};
use super::report::{machine, rate, Latencies};
use super::server::{BenchServer, ServerArgs};
use super::traffic::Traffic;
use crate::sample::SAMPLE_PROGRAM_ID;
use chrono::{Duration, TimeZone, Utc};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(clap::Args)]
pub struct JournalsBenchArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Commands to send (after the enrollments).
    #[arg(long, default_value_t = 500_000)]
    pub commands: usize,
    /// Commands per request.
    #[arg(long, default_value_t = 2_000)]
    pub batch: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 4)]
    pub clients: usize,
    /// Members.
    #[arg(long, default_value_t = 20_000)]
    pub members: u32,
}

#[derive(clap::Args)]
pub struct AccrualsBenchArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Members the accruals go to.
    #[arg(long, default_value_t = 10_000)]
    pub members: u32,
}

fn traffic(members: u32) -> Traffic {
    let start = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    Traffic::new(7, "bench", members, start, Duration::milliseconds(100))
}

/// Sends one batch; answers (accepted, rejected) or why it failed.
pub async fn post_journals(
    client: &reqwest::Client,
    base: &str,
    items: Vec<Value>,
) -> anyhow::Result<(u64, u64)> {
    let url = format!("{base}/v1/programs/{SAMPLE_PROGRAM_ID}/journals");
    let response = client
        .post(url)
        .json(&json!({"commands": items}))
        .send()
        .await?;
    let status = response.status();
    let body: Value = response.json().await?;
    anyhow::ensure!(status.is_success(), "journals answered {status}: {body}");
    Ok((
        body["accepted"].as_u64().unwrap_or(0),
        body["rejected"].as_u64().unwrap_or(0),
    ))
}

/// Enrolls every member of `traffic`, a batch at a time.
pub async fn enroll(base: &str, traffic: &Traffic) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    for chunk in traffic.enrollments(5_000) {
        post_journals(&client, base, chunk).await?;
    }
    Ok(())
}

pub async fn journals(args: JournalsBenchArgs) -> anyhow::Result<()> {
    let server = BenchServer::start(&args.server).await?;
    enroll(&server.base, &traffic(args.members)).await?;
    let traffic = Arc::new(Mutex::new(traffic(args.members)));
    let requests = args.commands.div_ceil(args.batch.max(1));
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let clients: Vec<_> = (0..args.clients.max(1))
        .map(|_| {
            let (traffic, next, base) = (traffic.clone(), next.clone(), server.base.clone());
            let batch = args.batch;
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut latencies = Latencies::default();
                let (mut accepted, mut rejected) = (0u64, 0u64);
                while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < requests {
                    let items = traffic
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .batch(batch);
                    let sent = Instant::now();
                    let (a, r) = post_journals(&client, &base, items).await?;
                    latencies.record(sent.elapsed());
                    accepted += a;
                    rejected += r;
                }
                Ok::<_, anyhow::Error>((latencies, accepted, rejected))
            })
        })
        .collect();
    let mut latencies = Latencies::default();
    let (mut accepted, mut rejected) = (0u64, 0u64);
    for client in clients {
        let (l, a, r) = client.await??;
        latencies.add(&l);
        accepted += a;
        rejected += r;
    }
    let took = started.elapsed();
    println!(
        "command path, batches of {} through POST /v1/programs/{{p}}/journals, {} clients, {}:",
        args.batch, args.clients, server.mode
    );
    println!(
        "  {} commands in {:.1} s: {:.0} commands/s ({accepted} accepted, {rejected} rejected by the rules); {} requests, latency {}",
        accepted + rejected,
        took.as_secs_f64(),
        rate(accepted + rejected, took),
        latencies.count(),
        latencies.summary()
    );
    let lagged = Instant::now();
    server.caught_up().await?;
    println!(
        "  projector caught up {:.1} s after the last answer; server {}",
        lagged.elapsed().as_secs_f64(),
        server.memory()
    );
    println!("machine: {} (client and server share it)", machine());
    Ok(())
}

pub async fn accruals(args: AccrualsBenchArgs) -> anyhow::Result<()> {
    let server = BenchServer::start(&args.server).await?;
    let members = args.members.max(1);
    enroll(&server.base, &traffic(members)).await?;
    let base = server.base.clone();
    let started = Utc
        .with_ymd_and_hms(2026, 2, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let result = drive(&args.load, move |client, n| {
        let member = format!("bench-{}", n % u64::from(members));
        let url = format!("{base}/v1/programs/{SAMPLE_PROGRAM_ID}/members/{member}/accruals");
        let body = json!({"transaction_id": format!("single-{n}"),
                          "occurred_at": started + Duration::milliseconds(n as i64),
                          "amount": "42.50", "channel": "store"});
        async move { status_of(client.post(url).json(&body).send().await).await }
    })
    .await;
    let target = args.load.target();
    println!(
        "single accruals (POST .../accruals), {target}, {} connections, {}:",
        args.load.connections, server.mode
    );
    result.report("accruals", &server.memory());
    Ok(())
}
