//! An HTTP load driver: `connections` keep-alive connections, each sending
//! its share of requests either as fast as answers come (closed loop) or on
//! a fixed schedule for a target rate (open loop). On a schedule, latency is
//! measured from when the request was due, not when it was sent, so a slow
//! server cannot hide its queue (no coordinated omission).

use super::report::{machine, rate, Latencies};
use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

#[derive(clap::Args, Clone)]
pub struct LoadArgs {
    /// Target requests per second over all connections (none: as fast as possible).
    #[arg(long, value_parser = positive_rate)]
    pub rate: Option<f64>,
    /// How long to send.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
}

/// A rate the pacer can keep: finite, above zero, at most a million a second.
fn positive_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text.parse().map_err(|e| format!("{e}"))?;
    if rate.is_finite() && rate > 0.0 && rate <= 1e6 {
        Ok(rate)
    } else {
        Err(format!(
            "{text} is not a rate between 0 and 1,000,000 requests/s"
        ))
    }
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
/// `send` answers the HTTP status (0 when no answer came). Request `n` goes
/// on connection `n % connections`: on a schedule it is due at
/// `n / rate` (see [`pace`]), else as soon as its connection is free.
pub async fn drive<F, Fut>(args: &LoadArgs, send: F) -> LoadResult
where
    F: Fn(reqwest::Client, u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = u16> + Send,
{
    let connections = args.connections.max(1) as u64;
    let started = Instant::now();
    let until = started + Duration::from_secs(args.seconds);
    let mut queues = Vec::new();
    let tasks: Vec<_> = (0..connections)
        .map(|c| {
            let mut due = match args.rate {
                Some(_) => {
                    let (tx, rx) = mpsc::unbounded_channel::<(u64, Instant)>();
                    queues.push(tx);
                    Due::Paced(rx)
                }
                None => Due::Free {
                    next: c,
                    step: connections,
                    until,
                },
            };
            let send = send.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .build()
                    .unwrap_or_default();
                let mut result = LoadResult::default();
                while let Some((n, at)) = due.next().await {
                    let status = send(client.clone(), n).await;
                    result.latencies.record(at.elapsed());
                    *result.statuses.entry(status).or_default() += 1;
                }
                result
            })
        })
        .collect();
    let pacer = args.rate.map(|rate| pace(rate, started, until, queues));
    let mut all = LoadResult::default();
    for task in tasks {
        if let Ok(r) = task.await {
            all.latencies.add(&r.latencies);
            for (s, n) in r.statuses {
                *all.statuses.entry(s).or_default() += n;
            }
        }
    }
    if let Some(pacer) = pacer {
        let _ = tokio::task::spawn_blocking(move || pacer.join()).await;
    }
    all.took = started.elapsed();
    all
}

/// Where a connection's next request comes from, with its due time.
enum Due {
    /// From [`pace`], when due.
    Paced(mpsc::UnboundedReceiver<(u64, Instant)>),
    /// Now, the connection's next number (a closed loop).
    Free {
        next: u64,
        step: u64,
        until: Instant,
    },
}

impl Due {
    async fn next(&mut self) -> Option<(u64, Instant)> {
        match self {
            Due::Paced(rx) => rx.recv().await,
            Due::Free { next, step, until } => {
                let now = Instant::now();
                (now < *until).then(|| {
                    *next += *step;
                    (*next - *step, now)
                })
            }
        }
    }
}

/// Hands request `n` to connection `n % connections` at `started + n /
/// rate`, on a thread of its own. A connection still busy queues what
/// comes due; its latency counts from the due time, so a slow server
/// cannot hide its queue.
///
/// tokio's timers fire on millisecond ticks: with a timer per connection,
/// each tick released every request due in that millisecond at once (twenty
/// at 20,000/s) and each had waited up to a millisecond past its due time,
/// counted in its latency. The thread sleeps to each due time instead
/// (nanosleep: tens of microseconds late) and releases them one by one.
fn pace(
    rate: f64,
    started: Instant,
    until: Instant,
    queues: Vec<mpsc::UnboundedSender<(u64, Instant)>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let connections = queues.len() as u64;
        for n in 0u64.. {
            let due = started + Duration::from_secs_f64(n as f64 / rate);
            if due >= until {
                return;
            }
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            let _ = queues[(n % connections) as usize].send((n, due));
        }
    })
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
