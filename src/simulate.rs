//! `loyalty simulate`: realistic traffic through the real command path.
//!
//! N members enroll, then over D simulated days they shop (in store, in the
//! app, on the web with a 30-day return window held in escrow, sneakers
//! under a promotion, sometimes at the partner hotel), preview accruals with
//! a dry run, redeem (Silver and Gold may go below zero), buy vouchers with
//! points and spend them, return purchases (cancellations); operators adjust
//! balances, award badges, suspend and reactivate members, and on day 10 put
//! a new promotion (a new program version). Sundays run the release of
//! escrowed points, month ends the expiry (points and vouchers) and year ends
//! the tier assessment. Prints commands/s, events/s and the projector's lag.

use anyhow::Context;
use chrono::{Duration as Days, TimeZone, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use ledger_core::Time;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(clap::Args, Clone)]
pub struct SimulateArgs {
    /// Base URL of a running `loyalty serve`.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Program to drive (must exist; the sample program by default).
    #[arg(long, default_value = crate::sample::SAMPLE_PROGRAM_ID)]
    pub program: String,
    /// Number of members.
    #[arg(long, default_value_t = 200)]
    pub members: u32,
    /// Simulated days.
    #[arg(long, default_value_t = 60)]
    pub days: u32,
    /// First simulated day (UTC date).
    #[arg(long, default_value = "2026-01-01")]
    pub start: chrono::NaiveDate,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Random seed (same seed, same traffic).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Member id prefix (to run several simulations against one program).
    #[arg(long, default_value = "sim")]
    pub prefix: String,
}

#[derive(Default)]
struct Tally {
    commands: AtomicU64,
    events: AtomicU64,
    rejected: Mutex<BTreeMap<String, u64>>,
    positions: Mutex<BTreeMap<u32, u64>>,
}

impl Tally {
    fn record(&self, status: u16, body: &Value) {
        self.commands.fetch_add(1, Ordering::Relaxed);
        if (200..300).contains(&status) {
            let events = body
                .get("events")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            self.events.fetch_add(events as u64, Ordering::Relaxed);
            if let Some(pos) = body.get("position").and_then(Value::as_str) {
                let mut positions = self.positions.lock().unwrap_or_else(|e| e.into_inner());
                for part in pos.split(',').filter(|p| !p.is_empty()) {
                    if let Some((p, o)) = part.split_once(':') {
                        if let (Ok(p), Ok(o)) = (p.parse::<u32>(), o.parse::<u64>()) {
                            let slot = positions.entry(p).or_insert(o);
                            *slot = (*slot).max(o);
                        }
                    }
                }
            }
        } else {
            let code = body["error"]["code"]
                .as_str()
                .unwrap_or("unknown")
                .to_string();
            *self
                .rejected
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(code)
                .or_default() += 1;
        }
    }

    fn token(&self) -> String {
        let positions = self.positions.lock().unwrap_or_else(|e| e.into_inner());
        positions
            .iter()
            .map(|(p, o)| format!("{p}:{o}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}

struct Client {
    http: reqwest::Client,
    base: String,
    tally: Arc<Tally>,
}

impl Client {
    async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.send(reqwest::Method::POST, path, body).await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> anyhow::Result<Value> {
        let resp = self
            .http
            .request(method.clone(), format!("{}{}", self.base, path))
            .json(&body)
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        anyhow::ensure!(status < 500, "server error {status} on {path}: {body}");
        self.tally.record(status, &body);
        Ok(body)
    }
}

pub async fn run(args: SimulateArgs) -> anyhow::Result<()> {
    let tally = Arc::new(Tally::default());
    let client = Arc::new(Client {
        http: reqwest::Client::new(),
        base: format!(
            "{}/v1/programs/{}",
            args.url.trim_end_matches('/'),
            args.program
        ),
        tally: tally.clone(),
    });
    let start: Time = Utc.from_utc_datetime(&args.start.and_hms_opt(0, 0, 0).unwrap_or_default());
    let started = Instant::now();
    let bar = ProgressBar::new(u64::from(args.days) + 1);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} day {pos}/{len} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let members: Vec<String> = (0..args.members)
        .map(|i| format!("{}-{i:06}", args.prefix))
        .collect();
    for_each_member(&args, &members, |_, m, _| {
        let c = client.clone();
        async move {
            c.post(
                "/members",
                json!({"member_id": m, "member_type": "individual", "enrolled_at": start, "channel": "store"}),
            )
            .await
            .map(|_| ())
        }
    })
    .await?;
    households(&args, &client, &members, start).await?;
    bar.inc(1);
    for day in 0..args.days {
        let today = start + Days::days(i64::from(day));
        if day == 10 {
            put_flash_sale(&client, today).await?;
        }
        for_each_member(&args, &members, |i, m, seed| {
            let c = client.clone();
            let peer = members[(i + 1) % members.len()].clone();
            async move {
                member_day(&c, &m, today, day, i, seed).await?;
                cross_account_day(&c, &m, &peer, today, day, i, seed).await
            }
        })
        .await?;
        let tomorrow = today + Days::days(1);
        if tomorrow.format("%u").to_string() == "1" {
            client.post("/releases", json!({"as_of": tomorrow})).await?;
        }
        if tomorrow.format("%d").to_string() == "01" {
            client
                .post("/expirations", json!({"as_of": tomorrow}))
                .await?;
            if tomorrow.format("%m").to_string() == "01" {
                client
                    .post("/tier-assessments", json!({"as_of": tomorrow}))
                    .await?;
            }
        }
        bar.set_message(format!(
            "{} commands",
            tally.commands.load(Ordering::Relaxed)
        ));
        bar.inc(1);
    }
    bar.finish();
    let secs = started.elapsed().as_secs_f64();
    let lag_started = Instant::now();
    let token = tally.token();
    let caught_up = client
        .http
        .get(format!("{}/stats?min_position={token}", client.base))
        .send()
        .await
        .map(|r| r.status().is_success())
        .unwrap_or(false);
    let lag = lag_started.elapsed();
    let commands = tally.commands.load(Ordering::Relaxed);
    let events = tally.events.load(Ordering::Relaxed);
    println!(
        "simulated {} members over {} days in {secs:.2} s",
        args.members, args.days
    );
    println!(
        "  commands: {commands} ({:.0}/s)   events written: {events} ({:.0}/s)",
        commands as f64 / secs,
        events as f64 / secs
    );
    let rejected = tally
        .rejected
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    println!("  rejected (expected business rejections): {rejected:?}");
    println!(
        "  projector lag after the last command: {:.1} ms{}",
        lag.as_secs_f64() * 1000.0,
        if caught_up {
            ""
        } else {
            " (not caught up within the wait)"
        }
    );
    Ok(())
}

/// One household group per ten members: the first gives 25% of its
/// accruals to the pool and may spend from it, the second gives 40%.
async fn households(
    args: &SimulateArgs,
    client: &Arc<Client>,
    members: &[String],
    start: Time,
) -> anyhow::Result<()> {
    for_each_member(args, members, |i, m, _| {
        let c = client.clone();
        let partner = members.get(i + 1).cloned();
        async move {
            let Some(partner) = partner.filter(|_| i.is_multiple_of(10)) else {
                return Ok(());
            };
            let group = household_of(&m);
            c.post(
                "/members",
                json!({"member_id": group, "member_type": "group", "enrolled_at": start}),
            )
            .await?;
            for (who, percent, may_redeem) in [(&m, "25", true), (&partner, "40", false)] {
                c.post(
                    &format!("/members/{group}/group-members"),
                    json!({"transaction_id": format!("{group}-add-{who}"), "member_id": who,
                           "occurred_at": start, "contribution_percent": percent, "may_redeem": may_redeem}),
                )
                .await?;
            }
            Ok(())
        }
    })
    .await
}

fn household_of(member: &str) -> String {
    format!("{member}-household")
}

/// Point transfers to a neighbour now and then; household heads spend from
/// the pool on some Saturdays.
async fn cross_account_day(
    c: &Client,
    member: &str,
    peer: &str,
    today: Time,
    day: u32,
    index: usize,
    seed: u64,
) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(seed.wrapping_add(u64::from(day)).rotate_left(7));
    let at = today + Days::hours(23);
    if rng.random_bool(0.02) {
        c.post(
            &format!("/members/{member}/transfers"),
            json!({"transaction_id": format!("{member}-d{day}-gift"), "to_member": peer, "occurred_at": at,
                   "currency": "POINTS", "points": "100", "reason": "gift"}),
        )
        .await?;
    }
    if index.is_multiple_of(10) && today.format("%u").to_string() == "6" {
        c.post(
            &format!("/members/{}/redemptions", household_of(member)),
            json!({"transaction_id": format!("{member}-d{day}-pool"), "occurred_at": at, "currency": "POINTS",
                   "points": "250", "by_member": member}),
        )
        .await?;
    }
    Ok(())
}

/// A three-day flash sale put on day 10: a new version of the program.
async fn put_flash_sale(c: &Client, today: Time) -> anyhow::Result<()> {
    c.send(
        reqwest::Method::PUT,
        "/promotions/flash-sale",
        json!({"name": "Flash sale: +250 POINTS over 50 USD",
               "when": {"from": today, "until": today + Days::days(3), "min_amount": "50"},
               "reward": {"kind": "bonus", "points": {"POINTS": "250"}}}),
    )
    .await
    .map(|_| ())
}

/// Runs `f` for every member with bounded concurrency.
async fn for_each_member<F, Fut>(
    args: &SimulateArgs,
    members: &[String],
    f: F,
) -> anyhow::Result<()>
where
    F: Fn(usize, String, u64) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    use futures::stream::{self, StreamExt, TryStreamExt};
    let jobs: Vec<_> = members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            f(
                i,
                m.clone(),
                args.seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15),
            )
        })
        .collect();
    stream::iter(
        jobs.into_iter()
            .map(|fut| async move { tokio::spawn(fut).await? }),
    )
    .buffer_unordered(args.concurrency.max(1))
    .try_collect::<Vec<()>>()
    .await?;
    Ok(())
}

/// One member's day: a purchase most days, sometimes a redemption, a hotel
/// stay, or a return of an earlier purchase.
async fn member_day(
    c: &Client,
    member: &str,
    today: Time,
    day: u32,
    index: usize,
    seed: u64,
) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(seed.wrapping_add(u64::from(day)));
    let path = format!("/members/{member}");
    let at = today + Days::minutes(rng.random_range(8 * 60..22 * 60));
    if rng.random_bool(0.15) {
        let channel = ["app", "store", "store", "web"][rng.random_range(0..4)];
        let cents: u32 = rng.random_range(1_000..25_000);
        let amount = format!("{}.{:02}", cents / 100, cents % 100);
        let tx = format!("{member}-d{day}-buy");
        let category = ["running", "lifestyle", "sneakers"][rng.random_range(0..3)];
        let purchase = json!({"transaction_id": tx, "occurred_at": at, "amount": amount,
                              "channel": channel, "product_category": category});
        if rng.random_bool(0.1) {
            c.post(&format!("{path}/accruals/simulate"), purchase.clone())
                .await?;
        }
        c.post(&format!("{path}/accruals"), purchase).await?;
        if rng.random_bool(0.05) {
            c.post(
                &format!("{path}/cancellations"),
                json!({"transaction_id": format!("{tx}-return"), "cancels": tx, "occurred_at": at + Days::hours(1), "reason": "returned"}),
            )
            .await?;
        }
    }
    if rng.random_bool(0.03) {
        c.post(
            &format!("{path}/accruals"),
            json!({"transaction_id": format!("{member}-d{day}-hotel"), "occurred_at": at,
                   "points": {"POINTS": rng.random_range(200..2000).to_string()}, "partner_id": "skyline-hotels"}),
        )
        .await?;
    }
    if rng.random_bool(0.06) {
        let tx = format!("{member}-d{day}-redeem");
        c.post(
            &format!("{path}/redemptions"),
            json!({"transaction_id": tx, "occurred_at": at + Days::hours(2), "currency": "POINTS",
                   "points": (rng.random_range(1..20) * 250).to_string()}),
        )
        .await?;
    }
    if rng.random_bool(0.02) {
        let tx = format!("{member}-d{day}-voucher");
        c.post(
            &format!("{path}/vouchers"),
            json!({"transaction_id": tx, "voucher": "ten-off", "occurred_at": at + Days::hours(3),
                   "reason": "reward shop", "paid": true}),
        )
        .await?;
        let voucher = format!("{tx}:ten-off");
        c.post(
            &format!("{path}/vouchers/{voucher}/redemptions"),
            json!({"transaction_id": format!("{tx}-use"), "occurred_at": at + Days::hours(4), "amount": "4"}),
        )
        .await?;
    }
    operator_day(c, member, at, day, index).await
}

/// What operators do: adjustments, badges, suspensions and reactivations,
/// and the odd manual tier change.
async fn operator_day(
    c: &Client,
    member: &str,
    at: Time,
    day: u32,
    index: usize,
) -> anyhow::Result<()> {
    let path = format!("/members/{member}");
    if index.is_multiple_of(41) && day % 20 == 5 {
        c.post(
            &format!("{path}/adjustments"),
            json!({"transaction_id": format!("{member}-d{day}-adjust"), "occurred_at": at,
                   "currency": "POINTS", "points": "150", "actor": "agent-7", "reason": "late delivery"}),
        )
        .await?;
    }
    if index.is_multiple_of(59) && day == 20 {
        c.post(
            &format!("{path}/badges"),
            json!({"transaction_id": format!("{member}-d{day}-badge"), "badge": "ambassador",
                   "occurred_at": at, "reason": "community run host"}),
        )
        .await?;
    }
    if index.is_multiple_of(53) && (day == 12 || day == 19) {
        let status = if day == 12 { "suspended" } else { "active" };
        c.post(
            &format!("{path}/status-changes"),
            json!({"transaction_id": format!("{member}-d{day}-status"), "status": status,
                   "occurred_at": at, "reason": "chargeback review"}),
        )
        .await?;
    }
    if index.is_multiple_of(97) && day % 30 == 15 {
        c.post(
            &format!("{path}/tier-changes"),
            json!({"transaction_id": format!("{member}-d{day}-tier"), "tier": "Silver", "reason": "service recovery"}),
        )
        .await?;
    }
    Ok(())
}
