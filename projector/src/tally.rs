//! What events changed in a program's totals (statistics and partner
//! figures), as signed deltas. The fold records each event's change as a
//! tally at the event's business time; the overlay adds it to the live
//! totals and to time buckets, so totals as of any time are a sum of a few
//! buckets (see [`crate::as_of`]).

use crate::views::{CurrencyTotals, PartnerFigures, ProgramStats};
use ledger_core::Time;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    #[serde(default)]
    pub events: i64,
    #[serde(default)]
    pub members: i64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub members_by_tier: BTreeMap<String, i64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub members_by_status: BTreeMap<String, i64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub currencies: BTreeMap<String, CurrencyTotals>,
    /// Partner figures by partner ("" is the program itself), then currency.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub partners: BTreeMap<String, BTreeMap<String, PartnerFigures>>,
    /// On a second's bucket: the one microsecond all its events fall at,
    /// while they fall at one (see [`SECOND`]). Not part of the sum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only_at: Option<i64>,
}

impl Tally {
    pub fn add(&mut self, other: &Tally) {
        self.events += other.events;
        self.members += other.members;
        add_counts(&mut self.members_by_tier, &other.members_by_tier);
        add_counts(&mut self.members_by_status, &other.members_by_status);
        for (currency, t) in &other.currencies {
            add_totals(self.currencies.entry(currency.clone()).or_default(), t);
        }
        for (partner, by_currency) in &other.partners {
            let mine = self.partners.entry(partner.clone()).or_default();
            for (currency, f) in by_currency {
                add_figures(mine.entry(currency.clone()).or_default(), f);
            }
        }
    }

    /// Moves a member from one tier (or none) to another.
    pub fn tier_moved(&mut self, from: Option<&str>, to: Option<&str>) {
        if let Some(from) = from {
            *self.members_by_tier.entry(from.to_string()).or_default() -= 1;
        }
        if let Some(to) = to {
            *self.members_by_tier.entry(to.to_string()).or_default() += 1;
        }
    }

    /// Moves a member from one status (or none) to another.
    pub fn status_moved(&mut self, from: Option<&str>, to: &str) {
        if let Some(from) = from {
            *self.members_by_status.entry(from.to_string()).or_default() -= 1;
        }
        *self.members_by_status.entry(to.to_string()).or_default() += 1;
    }

    pub fn totals(&mut self, currency: &str) -> &mut CurrencyTotals {
        self.currencies.entry(currency.to_string()).or_default()
    }

    pub fn partner(&mut self, partner: &str, currency: &str) -> &mut PartnerFigures {
        self.partners
            .entry(partner.to_string())
            .or_default()
            .entry(currency.to_string())
            .or_default()
    }

    /// Adds the tally to program statistics (counts never go below zero).
    pub fn apply_to(&self, stats: &mut ProgramStats) {
        stats.events = shift(stats.events, self.events);
        stats.members = shift(stats.members, self.members);
        for (tier, n) in &self.members_by_tier {
            let slot = stats.members_by_tier.entry(tier.clone()).or_default();
            *slot = shift(*slot, *n);
        }
        for (status, n) in &self.members_by_status {
            let slot = stats.members_by_status.entry(status.clone()).or_default();
            *slot = shift(*slot, *n);
        }
        for (currency, t) in &self.currencies {
            add_totals(stats.currencies.entry(currency.clone()).or_default(), t);
        }
    }

    /// Program statistics made of this tally alone.
    pub fn stats(&self) -> ProgramStats {
        let mut stats = ProgramStats::default();
        self.apply_to(&mut stats);
        stats
    }
}

fn shift(n: u64, by: i64) -> u64 {
    n.saturating_add_signed(by)
}

fn add_counts(into: &mut BTreeMap<String, i64>, from: &BTreeMap<String, i64>) {
    for (k, n) in from {
        *into.entry(k.clone()).or_default() += n;
    }
}

fn add_totals(into: &mut CurrencyTotals, from: &CurrencyTotals) {
    into.issued += from.issued;
    into.redeemed += from.redeemed;
    into.expired += from.expired;
    into.cancelled += from.cancelled;
    into.outstanding += from.outstanding;
    into.arrears += from.arrears;
}

pub fn add_figures(into: &mut PartnerFigures, from: &PartnerFigures) {
    into.issued += from.issued;
    into.redeemed += from.redeemed;
    into.expired += from.expired;
    into.cancelled += from.cancelled;
}

/// Time buckets of tallies, coarse to fine: day, hour, minute, second and
/// the exact microsecond. A bucket's tally is the sum of the events whose
/// business time falls in it.
pub const LEVELS: [i64; 5] = [86_400_000_000, 3_600_000_000, 60_000_000, 1_000_000, 1];

/// The level of whole seconds.
pub const SECOND: usize = 3;
/// The exact level. Its buckets exist only for seconds whose events fall at
/// more than one microsecond: a second whose events share one microsecond
/// says which in [`Tally::only_at`], and a cut inside it takes the whole
/// second or nothing. Most seconds hold one event, so this halves the
/// buckets a fold writes.
pub const EXACT: usize = 4;

/// Start (in microseconds since the epoch) of the bucket of `level` that
/// holds `t`.
pub fn bucket_start(level: usize, t: Time) -> i64 {
    bucket_of(level, t.timestamp_micros())
}

/// Start of the bucket of `level` that holds the microsecond `micros`.
pub fn bucket_of(level: usize, micros: i64) -> i64 {
    let width = LEVELS[level];
    micros.div_euclid(width) * width
}

/// One program's tallies (by microsecond, in time order) summed into the
/// buckets of the levels coarser than [`SECOND`], and their total. Each
/// tally is added once, to its minute; a finished minute to its hour, and
/// so on, instead of every tally to each of the three: a batch of
/// thousands of events within a few days changes only a few hour and day
/// buckets.
pub fn roll_up<'a>(tallies: impl IntoIterator<Item = (i64, &'a Tally)>) -> (Vec<Bucket>, Tally) {
    let mut open: [Option<(i64, Tally)>; SECOND] = Default::default();
    let (mut done, mut total) = (Vec::new(), Tally::default());
    for (micros, t) in tallies {
        close(&mut open, Some(micros), &mut done, &mut total);
        for (level, slot) in open.iter_mut().enumerate() {
            slot.get_or_insert_with(|| (bucket_of(level, micros), Tally::default()));
        }
        if let Some((_, minute)) = open[SECOND - 1].as_mut() {
            minute.add(t);
        }
    }
    close(&mut open, None, &mut done, &mut total);
    (done, total)
}

/// A bucket's level, its start and the sum of its events.
pub type Bucket = (usize, i64, Tally);

/// Closes, finest first, the open buckets that do not hold `micros` (all
/// of them at `None`), each adding its sum to the next coarser one.
fn close(
    open: &mut [Option<(i64, Tally)>; SECOND],
    micros: Option<i64>,
    done: &mut Vec<Bucket>,
    total: &mut Tally,
) {
    for level in (0..SECOND).rev() {
        let holds = |start: i64| micros.is_some_and(|m| bucket_of(level, m) == start);
        if open[level].as_ref().is_none_or(|(start, _)| holds(*start)) {
            continue;
        }
        let Some((start, sum)) = open[level].take() else {
            continue;
        };
        match level
            .checked_sub(1)
            .and_then(|coarser| open[coarser].as_mut())
        {
            Some((_, coarser)) => coarser.add(&sum),
            None => total.add(&sum),
        }
        done.push((level, start, sum));
    }
}

/// The buckets whose sum is the tally as of `t` (inclusive): per level, the
/// range of bucket starts `[from, to)`, whole buckets the coarser levels did
/// not cover; the exact level ends just after `t`.
pub fn cover(t: Time) -> Vec<(usize, i64, i64)> {
    let mut from = i64::MIN;
    let mut ranges = Vec::with_capacity(LEVELS.len());
    for level in 0..LEVELS.len() {
        let to = if level + 1 == LEVELS.len() {
            t.timestamp_micros().saturating_add(1)
        } else {
            bucket_start(level, t)
        };
        if to > from {
            ranges.push((level, from, to));
        }
        from = from.max(to);
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn the_cover_of_a_time_is_whole_coarser_buckets_then_finer_ones() {
        let t = Utc.with_ymd_and_hms(2026, 3, 31, 13, 5, 7).unwrap()
            + chrono::Duration::microseconds(250);
        let day = bucket_start(0, t);
        let hour = bucket_start(1, t);
        let minute = bucket_start(2, t);
        let second = bucket_start(3, t);
        assert_eq!(
            cover(t),
            vec![
                (0, i64::MIN, day),
                (1, day, hour),
                (2, hour, minute),
                (3, minute, second),
                (4, second, t.timestamp_micros() + 1),
            ]
        );
    }

    #[test]
    fn a_time_on_a_day_boundary_needs_only_whole_days_and_its_own_microsecond() {
        let t = Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap();
        let day = bucket_start(0, t);
        assert_eq!(
            cover(t),
            vec![(0, i64::MIN, day), (4, day, day + 1)],
            "finer ranges are empty"
        );
    }

    #[test]
    fn a_roll_up_sums_each_coarse_bucket_and_the_total_as_adding_each_tally_would() {
        let day = 86_400_000_000i64;
        let times = [
            5,
            1_000_001,
            59_999_999,
            60_000_000,
            3_600_000_000 + 7,
            day + 3,
            day + 3_600_000_000,
            3 * day,
        ];
        let tallies: Vec<(i64, Tally)> = times
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                let mut tally = Tally {
                    events: 1 << i,
                    ..Tally::default()
                };
                tally.partner("hotel", "pts").issued += rust_decimal::Decimal::from(i);
                (t, tally)
            })
            .collect();
        let (buckets, total) = roll_up(tallies.iter().map(|(m, t)| (*m, t)));
        let mut naive: BTreeMap<(usize, i64), Tally> = BTreeMap::new();
        let mut sum = Tally::default();
        for (micros, t) in &tallies {
            for level in 0..SECOND {
                naive
                    .entry((level, bucket_of(level, *micros)))
                    .or_default()
                    .add(t);
            }
            sum.add(t);
        }
        let rolled: BTreeMap<(usize, i64), Tally> =
            buckets.into_iter().map(|(l, s, t)| ((l, s), t)).collect();
        assert_eq!(rolled, naive);
        assert_eq!(total, sum);
        assert_eq!(roll_up(std::iter::empty()), (Vec::new(), Tally::default()));
    }

    #[test]
    fn counts_never_go_below_zero_and_figures_add_up() {
        let mut a = Tally::default();
        a.tier_moved(None, Some("gold"));
        a.partner("hotel", "pts").issued += rust_decimal::Decimal::from(10);
        let mut b = Tally::default();
        b.tier_moved(Some("gold"), Some("silver"));
        b.tier_moved(Some("gold"), None);
        b.partner("hotel", "pts").redeemed += rust_decimal::Decimal::from(4);
        a.add(&b);
        let stats = a.stats();
        assert_eq!(stats.members_by_tier["gold"], 0);
        assert_eq!(stats.members_by_tier["silver"], 1);
        assert_eq!(a.partners["hotel"]["pts"].outstanding(), 6.into());
    }
}
