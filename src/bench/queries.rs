//! The query side over HTTP against a real `loyalty serve`:
//! - `loyalty bench queries`: member views at a target rate;
//! - `loyalty bench audit`: point-in-time views and ledger pages of one
//!   member with a long history.

use super::commands::{enroll, post_journals};
use super::load::{drive, status_of, LoadArgs};
use super::report::{machine, Latencies};
use super::server::{BenchServer, ServerArgs};
use super::traffic::Traffic;
use crate::sample::SAMPLE_PROGRAM_ID;
use anyhow::Context;
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::Value;
use std::time::Instant;

#[derive(clap::Args)]
pub struct QueriesBenchArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Members (each given a history first).
    #[arg(long, default_value_t = 10_000)]
    pub members: u32,
    /// Commands per member before the queries.
    #[arg(long, default_value_t = 20)]
    pub history: u32,
}

#[derive(clap::Args)]
pub struct AuditBenchArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Events of the one member.
    #[arg(long, default_value_t = 100_000)]
    pub events: u64,
    /// Times each query is asked.
    #[arg(long, default_value_t = 30)]
    pub repeat: usize,
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Sends `commands` of `traffic` in batches.
async fn fill(base: &str, traffic: &mut Traffic, commands: u64) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let mut sent = 0u64;
    while sent < commands {
        let n = (commands - sent).min(2_000) as usize;
        post_journals(&client, base, traffic.batch(n)).await?;
        sent += n as u64;
    }
    Ok(())
}

pub async fn queries(args: QueriesBenchArgs) -> anyhow::Result<()> {
    let server = BenchServer::start(&args.server).await?;
    let members = args.members.max(1);
    let mut traffic = Traffic::new(11, "bench", members, start(), Duration::minutes(1));
    enroll(&server.base, &traffic).await?;
    fill(
        &server.base,
        &mut traffic,
        u64::from(members) * u64::from(args.history),
    )
    .await?;
    server.caught_up().await?;
    let base = server.base.clone();
    let result = drive(&args.load, move |client, n| {
        let url = format!(
            "{base}/v1/programs/{SAMPLE_PROGRAM_ID}/members/bench-{}",
            n.wrapping_mul(2_654_435_761) % u64::from(members)
        );
        async move { status_of(client.get(url).send().await).await }
    })
    .await;
    let target = args.load.target();
    println!(
        "member views (GET .../members/{{m}}), {} members with ~{} commands each, {target}, {} connections, {}:",
        members, args.history, args.load.connections, server.mode
    );
    result.report("views", &server.memory());
    Ok(())
}

pub async fn audit(args: AuditBenchArgs) -> anyhow::Result<()> {
    let server = BenchServer::start(&args.server).await?;
    let step = Duration::minutes(10);
    let mut traffic = Traffic::new(13, "whale", 1, start(), step);
    enroll(&server.base, &traffic).await?;
    let client = reqwest::Client::new();
    let filled = Instant::now();
    let mut commands = 0u64;
    while log_events(&client, &server.base).await? < args.events {
        post_journals(&client, &server.base, traffic.batch(2_000)).await?;
        commands += 2_000;
    }
    server.caught_up().await?;
    let events = log_events(&client, &server.base).await?;
    println!(
        "one member with {events} events ({commands} commands, {:.1} s to write and fold), {}:",
        filled.elapsed().as_secs_f64(),
        server.mode
    );
    let member = format!(
        "{}/v1/programs/{SAMPLE_PROGRAM_ID}/members/whale-0",
        server.base
    );
    // The business time of the member's last event (a kept data directory
    // may hold a history this run did not write).
    let end = last_event_time(&client, &member).await?;
    let at = |fraction: f64| {
        let t =
            start() + Duration::seconds(((end - start()).num_seconds() as f64 * fraction) as i64);
        t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let queries = [
        ("live view".to_string(), member.clone()),
        ("as_of 10%".into(), format!("{member}?as_of={}", at(0.1))),
        ("as_of 50%".into(), format!("{member}?as_of={}", at(0.5))),
        ("as_of 90%".into(), format!("{member}?as_of={}", at(0.9))),
        (
            "ledger first page (100)".into(),
            format!("{member}/ledger?limit=100"),
        ),
        (
            "ledger page (100) at the middle".into(),
            format!("{member}/ledger?limit=100&cursor={}", events / 2),
        ),
        (
            "ledger redemptions from 50% (100)".into(),
            format!(
                "{member}/ledger?limit=100&event_type=PointsRedeemed&from={}",
                at(0.5)
            ),
        ),
        ("lots first page (100)".into(), format!("{member}/lots")),
        (
            "lots first page (1,000)".into(),
            format!("{member}/lots?limit=1000"),
        ),
        (
            "as_of 90%, lots page of 1,000".into(),
            format!("{member}?as_of={}&lots_limit=1000", at(0.9)),
        ),
    ];
    for (name, url) in queries {
        let mut latencies = Latencies::default();
        let mut bytes = 0;
        for _ in 0..args.repeat.max(1) {
            let sent = Instant::now();
            let response = client.get(&url).send().await?;
            let status = response.status();
            let body = response.bytes().await?;
            latencies.record(sent.elapsed());
            anyhow::ensure!(
                status.is_success(),
                "{name}: {status} {}",
                String::from_utf8_lossy(&body)
            );
            bytes = body.len();
        }
        println!(
            "  {name:<36} {} ({} KiB)",
            latencies.summary(),
            bytes / 1024
        );
    }
    println!("  server {}", server.memory());
    println!("machine: {}", machine());
    Ok(())
}

async fn last_event_time(client: &reqwest::Client, member: &str) -> anyhow::Result<DateTime<Utc>> {
    let view: Value = client.get(member).send().await?.json().await?;
    let sequence = view["sequence"]
        .as_u64()
        .context("the member view has no sequence")?;
    let page: Value = client
        .get(format!(
            "{member}/ledger?limit=1&cursor={}",
            sequence.saturating_sub(1)
        ))
        .send()
        .await?
        .json()
        .await?;
    let at = page["entries"][0]["occurred_at"]
        .as_str()
        .context("the member's last ledger entry has no occurred_at")?;
    Ok(DateTime::parse_from_rfc3339(at)?.with_timezone(&Utc))
}

async fn log_events(client: &reqwest::Client, base: &str) -> anyhow::Result<u64> {
    let status: Value = client
        .get(format!("{base}/v1/status"))
        .send()
        .await?
        .json()
        .await?;
    Ok(status["log_end_offsets"]
        .as_array()
        .map_or(0, |ends| ends.iter().filter_map(Value::as_u64).sum()))
}
