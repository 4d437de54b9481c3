//! An HTTP load driver: `connections` keep-alive connections, each sending
//! its share of requests either as fast as answers come (closed loop) or on
//! a fixed schedule for a target rate (open loop). On a schedule, latency is
//! measured from when the request was due, not when it was sent, so a slow
//! server cannot hide its queue (no coordinated omission).

use super::report::{machine, rate, Latencies};
use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

#[derive(clap::Args, Clone)]
pub struct LoadArgs {
    /// Target requests per second over all connections (none: as fast as possible).
    #[arg(long)]
    pub rate: Option<f64>,
    /// How long to send.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
}

/// What a run came to.
#[derive(Default)]
pub struct LoadResult {
    pub latencies: Latencies,
    /// Answers by HTTP status (0: no answer).
    pub statuses: BTreeMap<u16, u64>,
    pub took: Duration,
}

impl LoadArgs {
    /// The pace, as the reports name it.
    pub fn target(&self) -> String {
        self.rate.map_or("as fast as answered".to_string(), |r| {
            format!("target {r:.0}/s")
        })
    }
}

impl LoadResult {
    /// Prints the run's figures, the server's memory and the machine.
    pub fn report(&self, what: &str, server_memory: &str) {
        println!("  {}", self.line(what));
        println!("  server {server_memory}");
        println!("machine: {} (client and server share it)", machine());
    }

    pub fn requests(&self) -> u64 {
        self.statuses.values().sum()
    }

    pub fn line(&self, what: &str) -> String {
        format!(
            "{} {what} in {:.1} s: {:.0}/s; latency {}; statuses {:?}",
            self.requests(),
            self.took.as_secs_f64(),
            rate(self.requests(), self.took),
            self.latencies.summary(),
            self.statuses
        )
    }
}

/// Runs `send(client, n)` for n = 0, 1, 2, ... until the time is up;
/// `send` answers the HTTP status (0 when no answer came).
pub async fn drive<F, Fut>(args: &LoadArgs, send: F) -> LoadResult
where
    F: Fn(reqwest::Client, u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = u16> + Send,
{
    let connections = args.connections.max(1) as u64;
    let started = Instant::now();
    let until = started + Duration::from_secs(args.seconds);
    let interval = args
        .rate
        .map(|r| Duration::from_secs_f64(connections as f64 / r.max(1.0)));
    let tasks: Vec<_> = (0..connections)
        .map(|c| {
            let send = send.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .build()
                    .unwrap_or_default();
                let mut result = LoadResult::default();
                // Spread the connections' schedules over one interval.
                let offset = interval.map(|i| i.mul_f64(c as f64 / connections as f64));
                for k in 0u64.. {
                    let due = match (interval, offset) {
                        (Some(i), Some(o)) => started + o + i * (k as u32),
                        _ => Instant::now(),
                    };
                    if due >= until {
                        break;
                    }
                    tokio::time::sleep_until(due.into()).await;
                    let status = send(client.clone(), k * connections + c).await;
                    result.latencies.record(due.elapsed());
                    *result.statuses.entry(status).or_default() += 1;
                }
                result
            })
        })
        .collect();
    let mut all = LoadResult::default();
    for task in tasks {
        if let Ok(r) = task.await {
            all.latencies.add(&r.latencies);
            for (s, n) in r.statuses {
                *all.statuses.entry(s).or_default() += n;
            }
        }
    }
    all.took = started.elapsed();
    all
}

/// The status of a sent request (0 when none came back), its body read.
pub async fn status_of(response: reqwest::Result<reqwest::Response>) -> u16 {
    match response {
        Ok(r) => {
            let status = r.status().as_u16();
            let _ = r.bytes().await;
            status
        }
        Err(_) => 0,
    }
}
