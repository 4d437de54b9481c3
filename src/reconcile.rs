//! `loyalty reconcile <program> [--as-of T]`: finance's check that the
//! liability the ledger reports holds, now or as of a business time.
//!
//! The reported figures (per partner and currency: issued, redeemed,
//! expired, cancelled; outstanding = issued - redeemed - expired -
//! cancelled) come from the read models (as of T: their time buckets). The
//! same figures are then computed a second way: every member's stored
//! events are folded again from its first event up to the cut, member by
//! member, and their changes summed. The two must agree figure for figure,
//! and per currency the total outstanding must equal the sum of member
//! balances plus the points in flight between members (sent, not yet
//! received). Any mismatch is printed with its figures and the exit status
//! is non-zero. The read models are read as a RocksDB secondary, so a
//! running server is fine.

use crate::embedded::DataDir;
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use ledger_core::{Decimal, EventBody, Time};
use projector::as_of::{self, Cut};
use projector::read_model::{self, PartnerBook};
use projector::tally::Tally;
use projector::views::PartnerFigures;
use projector::Store;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Instant;

/// Transfers in flight listed at most with a mismatch.
const SHOWN: usize = 20;

#[derive(clap::Args)]
pub struct ReconcileArgs {
    /// The program to reconcile.
    pub program: String,
    /// Business time (RFC 3339, or a date for the end of that UTC day);
    /// default: everything recorded.
    #[arg(long)]
    pub as_of: Option<String>,
    /// A `loyalty serve` data directory (read models in `readmodels/`).
    #[arg(long, env = "LOYALTY_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// A projector's read-model store directly (Kafka mode), instead of a
    /// data directory.
    #[arg(long)]
    pub read_models: Option<PathBuf>,
}

pub async fn run(args: ReconcileArgs) -> anyhow::Result<()> {
    let at = args
        .as_of
        .as_deref()
        .map(query_service::point::parse_time)
        .transpose()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let models = args
        .read_models
        .clone()
        .unwrap_or_else(|| DataDir::new(&args.data_dir).read_models());
    let work = tempfile::tempdir().context("a scratch directory")?;
    let store = Store::open_follower(&models, &work.path().join("secondary"))
        .with_context(|| format!("opening the read models in {}", models.display()))?;
    let program = args.program.clone();
    tokio::task::spawn_blocking(move || reconcile(&store, &program, at))
        .await
        .context("the reconciliation task")?
}

fn reconcile(store: &Store, program: &str, at: Option<Time>) -> anyhow::Result<()> {
    read_model::program(store, program)?
        .with_context(|| format!("program {program} not found in the read models"))?;
    let reported = match at {
        Some(t) => as_of::totals(store, program, t)?.partners,
        None => read_model::partners(store, program)?,
    };
    let started = Instant::now();
    let side = member_side(store, program, at.map(Cut::Time))?;
    let mismatches = compare(&reported, &side);
    print_table(&reported, &side, at);
    println!(
        "replayed {} events of {} members in {:.1} s ({:.0} events/s)",
        side.replayed.events,
        side.members,
        started.elapsed().as_secs_f64(),
        side.replayed.events as f64 / started.elapsed().as_secs_f64().max(1e-9),
    );
    for m in &mismatches {
        println!("  MISMATCH {m}");
    }
    if !mismatches.is_empty() {
        for f in side.flying.iter().take(SHOWN) {
            println!("  in flight: {f}");
        }
    }
    anyhow::ensure!(
        mismatches.is_empty(),
        "{} mismatches: the liability does not reconcile",
        mismatches.len()
    );
    println!("reconciled: every partner's figures and the total outstanding agree with the members' events");
    Ok(())
}

/// What the members' events say, folded again member by member.
struct MemberSide {
    members: u64,
    replayed: Tally,
    /// Sum of available balances per currency.
    balances: BTreeMap<String, Decimal>,
    /// Points sent and not yet received, per currency.
    in_flight: BTreeMap<String, Decimal>,
    /// The transfers behind them: "transfer id: points currency".
    flying: Vec<String>,
}

fn member_side(store: &Store, program: &str, cut: Option<Cut>) -> anyhow::Result<MemberSide> {
    let ids = read_model::member_ids(store, program)?;
    let bar = ProgressBar::new(ids.len() as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} members [{elapsed_precise}] {bar:40} {pos}/{len} ({per_sec})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut side = MemberSide {
        members: 0,
        replayed: Tally::default(),
        balances: BTreeMap::new(),
        in_flight: BTreeMap::new(),
        flying: Vec::new(),
    };
    let mut transfers = Transfers::default();
    for id in &ids {
        let r = as_of::replay(store, program, id, cut.as_ref())?;
        side.replayed.add(&r.tally);
        if let Some(view) = &r.view {
            side.members += 1;
            for (currency, b) in &view.balances {
                *side.balances.entry(currency.clone()).or_default() += b.available;
            }
            transfers.follow(store, program, id, view.sequence)?;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    for (transfer_id, (currency, points)) in transfers.open {
        if !points.is_zero() {
            side.flying
                .push(format!("{transfer_id}: {} {currency}", points.normalize()));
            *side.in_flight.entry(currency).or_default() += points;
        }
    }
    Ok(side)
}

/// Points between accounts: per transfer, what left the sender less what
/// arrived at the receiver or came back, over the events each account's
/// cut includes. Accounts are cut separately (a receiver may be cut before
/// a receipt its sender's cut already shows settled, or the other way
/// round), so this is summed over both sides rather than read off the
/// sender's view.
#[derive(Default)]
struct Transfers {
    open: BTreeMap<String, (String, Decimal)>,
}

impl Transfers {
    /// Takes in the member's transfer events up to its event `last`.
    fn follow(
        &mut self,
        store: &Store,
        program: &str,
        member: &str,
        last: u64,
    ) -> anyhow::Result<()> {
        let mut after = None;
        while after.is_none_or(|a| a < last) {
            let page = read_model::ledger(store, program, member, after, 1000)?;
            let Some(end) = page.last() else {
                break;
            };
            after = Some(end.sequence);
            for e in page.iter().filter(|e| e.sequence <= last) {
                if !matches!(
                    e.event_type.as_str(),
                    "PointsTransferredOut" | "PointsTransferredIn" | "TransferSettled"
                ) {
                    continue;
                }
                if let Some((_, event)) =
                    read_model::stored_event(store, program, member, e.sequence)?
                {
                    self.take(&event.body);
                }
            }
        }
        Ok(())
    }

    fn take(&mut self, body: &EventBody) {
        let (id, currency, change) = match body {
            EventBody::PointsTransferredOut {
                transfer_id,
                currency,
                points,
                ..
            } => (transfer_id, currency, *points),
            EventBody::PointsTransferredIn {
                transfer_id,
                currency,
                points,
                ..
            } => (transfer_id, currency, -*points),
            EventBody::TransferSettled {
                transfer_id,
                currency,
                returned: true,
                arrears_settled,
                lots_restored,
                ..
            } => (
                transfer_id,
                currency,
                -(ledger_core::lots::total_of(lots_restored) + *arrears_settled),
            ),
            _ => return,
        };
        let slot = self
            .open
            .entry(id.clone())
            .or_insert_with(|| (currency.clone(), Decimal::ZERO));
        slot.1 += change;
    }
}

fn compare(reported: &PartnerBook, side: &MemberSide) -> Vec<String> {
    let mut out = Vec::new();
    let partners: BTreeSet<&String> = reported
        .keys()
        .chain(side.replayed.partners.keys())
        .collect();
    let zero = PartnerFigures::default();
    let mut outstanding: BTreeMap<String, Decimal> = BTreeMap::new();
    for partner in partners {
        let r = reported.get(partner);
        let m = side.replayed.partners.get(partner);
        let currencies: BTreeSet<&String> = r
            .into_iter()
            .flat_map(|c| c.keys())
            .chain(m.into_iter().flat_map(|c| c.keys()))
            .collect();
        for currency in currencies {
            let a = r.and_then(|c| c.get(currency)).unwrap_or(&zero);
            let b = m.and_then(|c| c.get(currency)).unwrap_or(&zero);
            *outstanding.entry(currency.clone()).or_default() += a.outstanding();
            if a != b {
                out.push(format!(
                    "partner {} {currency}: reported {} but the members' events give {}",
                    label(partner),
                    figures(a),
                    figures(b)
                ));
            }
        }
    }
    let currencies: BTreeSet<&String> = outstanding.keys().chain(side.balances.keys()).collect();
    for currency in currencies {
        let total = outstanding.get(currency).copied().unwrap_or_default();
        let balances = side.balances.get(currency).copied().unwrap_or_default();
        let flying = side.in_flight.get(currency).copied().unwrap_or_default();
        if total != balances + flying {
            out.push(format!(
                "{currency}: total outstanding {} but member balances {} + in flight {} = {}",
                total.normalize(),
                balances.normalize(),
                flying.normalize(),
                (balances + flying).normalize()
            ));
        }
    }
    out
}

fn label(partner: &str) -> &str {
    if partner.is_empty() {
        "(program)"
    } else {
        partner
    }
}

fn figures(f: &PartnerFigures) -> String {
    format!(
        "issued {} - redeemed {} - expired {} - cancelled {} = outstanding {}",
        f.issued.normalize(),
        f.redeemed.normalize(),
        f.expired.normalize(),
        f.cancelled.normalize(),
        f.outstanding().normalize()
    )
}

fn print_table(reported: &PartnerBook, side: &MemberSide, at: Option<Time>) {
    let when = at.map_or("now".to_string(), |t| ledger_core::time::format(&t));
    println!("liability as of {when}");
    println!(
        "{:<20} {:<8} {:>14} {:>14} {:>14} {:>14} {:>14}",
        "partner", "currency", "issued", "redeemed", "expired", "cancelled", "outstanding"
    );
    for (partner, by_currency) in reported {
        for (currency, f) in by_currency {
            println!(
                "{:<20} {:<8} {:>14} {:>14} {:>14} {:>14} {:>14}",
                label(partner),
                currency,
                f.issued.normalize(),
                f.redeemed.normalize(),
                f.expired.normalize(),
                f.cancelled.normalize(),
                f.outstanding().normalize()
            );
        }
    }
    for (currency, balance) in &side.balances {
        let flying = side.in_flight.get(currency).copied().unwrap_or_default();
        println!(
            "{currency}: member balances {} + in flight {} over {} members",
            balance.normalize(),
            flying.normalize(),
            side.members
        );
    }
}
