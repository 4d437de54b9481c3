//! Read-model documents as stored (JSON) and served. Decimals are strings.

use ledger_core::event::Lot;
use ledger_core::promotion::Promotion;
use ledger_core::{Decimal, Time};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BalanceView {
    pub available: Decimal,
    pub pending: Decimal,
    pub earned: Decimal,
    pub redeemed: Decimal,
    pub expired: Decimal,
    pub arrears: Decimal,
    /// Received from other members less sent to them.
    #[serde(default)]
    pub transferred: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_expires_at: Option<Time>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberView {
    pub program_id: String,
    pub member_id: String,
    pub member_type: String,
    pub status: String,
    pub tier: Option<String>,
    pub enrolled_at: Time,
    pub channel: String,
    /// Last applied account sequence.
    pub sequence: u64,
    /// Log position of the last applied event, "partition:offset".
    pub position: String,
    /// Digest of the last applied event: the head of the account's hash
    /// chain (`ledger_core::chain`).
    #[serde(default)]
    pub chain_head: String,
    /// The account's business clock: the latest business time of its
    /// events so far (a backdated event does not move it back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<Time>,
    pub balances: BTreeMap<String, BalanceView>,
    /// Badges by id: the latest award of each.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub badges: BTreeMap<String, BadgeView>,
    /// Benefits held through the tier.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub benefits: BTreeSet<String>,
    /// Vouchers by id, in every state.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vouchers: BTreeMap<String, VoucherView>,
    /// The group the member belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupLinkView>,
    /// On a group account: its members by id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub roster: BTreeMap<String, RosterView>,
    /// Transfers sent and not yet settled by their receiver, by transfer id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub transfers_in_flight: BTreeMap<String, TransferView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupLinkView {
    pub group_id: String,
    pub contribution_percent: Decimal,
    pub may_redeem: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RosterView {
    pub contribution_percent: Decimal,
    pub may_redeem: bool,
    /// The member has joined on these terms (until then it may not spend).
    pub confirmed: bool,
    pub added_at: Time,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransferView {
    pub to_member: String,
    pub currency: String,
    pub points: Decimal,
    /// A contribution to the member's group pool.
    pub pool: bool,
    pub sent_at: Time,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VoucherView {
    pub definition: String,
    /// "face_value" or "percent".
    pub kind: String,
    /// Face value or percentage.
    pub value: Decimal,
    /// Face value left (none for a percentage).
    pub remaining: Option<Decimal>,
    pub status: String,
    pub issued_at: Time,
    pub valid_until: Time,
    /// "manual", "points" or "tier:<tier>".
    pub source: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BadgeView {
    pub awarded_at: Time,
    pub valid_until: Option<Time>,
    /// The milestone that earned it; none for an operator's award.
    pub milestone: Option<String>,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LotView {
    pub lot_id: String,
    pub currency: String,
    pub points: Decimal,
    pub expires_at: Option<Time>,
    pub partner_id: Option<String>,
    pub earned_at: Time,
}

impl From<&Lot> for LotView {
    fn from(lot: &Lot) -> Self {
        LotView {
            lot_id: lot.lot_id.clone(),
            currency: lot.currency.clone(),
            points: lot.points,
            expires_at: lot.expires_at,
            partner_id: lot.partner_id.clone(),
            earned_at: lot.earned_at,
        }
    }
}

/// A lot borrowed from wherever it is kept (a document, a snapshot's
/// columns), so that walking tens of thousands copies none of them. Times
/// stay microseconds (the log's precision) until a view needs them: turning
/// every lot's into dates showed in profiles of point-in-time views.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LotRef<'a> {
    pub lot_id: &'a str,
    pub currency: &'a str,
    pub points: Decimal,
    pub expires_at_micros: Option<i64>,
    pub partner_id: Option<&'a str>,
    pub earned_at_micros: i64,
}

impl LotRef<'_> {
    pub fn to_view(&self) -> LotView {
        LotView {
            lot_id: self.lot_id.to_string(),
            currency: self.currency.to_string(),
            points: self.points,
            expires_at: self.expires_at_micros.map(micros_time),
            partner_id: self.partner_id.map(str::to_string),
            earned_at: micros_time(self.earned_at_micros),
        }
    }
}

impl<'a> From<&'a LotView> for LotRef<'a> {
    fn from(lot: &'a LotView) -> Self {
        LotRef {
            lot_id: &lot.lot_id,
            currency: &lot.currency,
            points: lot.points,
            expires_at_micros: lot.expires_at.map(|t| t.timestamp_micros()),
            partner_id: lot.partner_id.as_deref(),
            earned_at_micros: lot.earned_at.timestamp_micros(),
        }
    }
}

/// A time in microseconds since the Unix epoch, as a lot's times are kept;
/// every one stored was a time first, so none is out of range.
pub fn micros_time(micros: i64) -> Time {
    Time::from_timestamp_micros(micros).unwrap_or_default()
}

/// A member's open points of fixed-expiry lots due on one date in one
/// currency: kept by the fold in expiry order, so a member view reads its
/// next dates without reading its lots.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExpiringPoints {
    pub expires_at: Time,
    pub currency: String,
    pub points: Decimal,
}

/// One line of a member's ledger: one event, its movements and the why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub sequence: u64,
    pub position: String,
    /// The event's digest and the one it links to (its account's hash chain).
    #[serde(default)]
    pub hash: String,
    #[serde(default)]
    pub prev_hash: String,
    pub event_type: String,
    pub transaction_id: String,
    pub occurred_at: Time,
    /// The command's group of events this one belongs to (first and last
    /// sequence): a group takes effect whole, so a cut never splits one.
    #[serde(default)]
    pub group_first: u64,
    #[serde(default)]
    pub group_last: u64,
    /// The account's business clock after the event (see [`MemberView::clock`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<Time>,
    pub recorded_at: Time,
    pub program_version: u32,
    /// Signed change of the available balance per currency.
    pub movements: BTreeMap<String, Decimal>,
    /// Available balance per currency after the event.
    pub balances: BTreeMap<String, Decimal>,
    /// Currencies and partners the event concerns (`ledger_core::trail`),
    /// for history filters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub currencies: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partners: Vec<String>,
    /// The event's recorded facts: lots, rules, reasons. Not stored: read
    /// from the history entry's payload when served.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub detail: serde_json::Value,
}

/// A partner's points in one currency.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PartnerFigures {
    pub issued: Decimal,
    pub redeemed: Decimal,
    pub expired: Decimal,
    pub cancelled: Decimal,
}

impl PartnerFigures {
    pub fn outstanding(&self) -> Decimal {
        self.issued - self.redeemed - self.expired - self.cancelled
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CurrencyTotals {
    pub issued: Decimal,
    pub redeemed: Decimal,
    pub expired: Decimal,
    pub cancelled: Decimal,
    /// Sum of members' available balances.
    pub outstanding: Decimal,
    pub arrears: Decimal,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProgramStats {
    pub members: u64,
    pub members_by_tier: BTreeMap<String, u64>,
    pub members_by_status: BTreeMap<String, u64>,
    pub currencies: BTreeMap<String, CurrencyTotals>,
    pub events: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProgramVersionView {
    pub version: u32,
    pub defined_at: Time,
    /// From this business time the version decides commands.
    #[serde(default)]
    pub effective_from: Option<Time>,
    pub position: String,
    /// Each partner's cost per point in this version, so liability as of a
    /// past time is priced as it was then. `None` in stores folded before
    /// versions kept them (then the latest definition's costs are used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_costs: Option<BTreeMap<String, Decimal>>,
}

impl ProgramVersionView {
    /// The business time from which the version decides commands.
    fn effective_at(&self) -> Time {
        self.effective_from.unwrap_or(self.defined_at)
    }
}

/// One version of a promotion and the program version that introduced it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PromotionVersionView {
    pub version: u32,
    pub program_version: u32,
    pub defined_at: Time,
    pub promotion: Promotion,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProgramView {
    pub program_id: String,
    pub name: String,
    pub version: u32,
    pub sequence: u64,
    /// Head of the program account's hash chain.
    #[serde(default)]
    pub chain_head: String,
    pub definition: ledger_core::ProgramDefinition,
    pub versions: Vec<ProgramVersionView>,
    /// Every version of every promotion ever defined, by promotion id.
    #[serde(default)]
    pub promotions: BTreeMap<String, Vec<PromotionVersionView>>,
}

impl ProgramView {
    /// The version in force at business time `at`, by the command side's
    /// rule (`ProgramState::in_force_at`): the latest effective by then,
    /// before the first took effect the first. An index into `versions`.
    pub fn version_in_force(&self, at: Time) -> Option<usize> {
        self.versions
            .iter()
            .rposition(|v| v.effective_at() <= at)
            .or((!self.versions.is_empty()).then_some(0))
    }

    /// A partner's cost per point now, or as of `at` in the version in
    /// force then: its cost in that version, or in the latest version
    /// before it that had the partner (one dropped since still holds
    /// points). Where versions did not keep their costs (a store folded
    /// before they did), the latest definition's.
    pub fn cost_per_point(&self, partner: &str, at: Option<Time>) -> Option<Decimal> {
        let upto = match at {
            Some(t) => self.version_in_force(t).map_or(0, |i| i + 1),
            None => self.versions.len(),
        };
        for version in self.versions[..upto].iter().rev() {
            let Some(costs) = &version.partner_costs else {
                break;
            };
            if let Some(cost) = costs.get(partner) {
                return Some(*cost);
            }
        }
        self.definition.partner(partner).map(|p| p.cost_per_point)
    }
}

/// A record held while the rest of its event group arrives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldRecord {
    pub partition: u32,
    pub offset: u64,
    pub payload: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Time {
        ledger_core::time::parse(s).unwrap()
    }

    fn version(
        v: u32,
        defined: &str,
        effective: Option<&str>,
        costs: Option<&[(&str, &str)]>,
    ) -> ProgramVersionView {
        ProgramVersionView {
            version: v,
            defined_at: at(defined),
            effective_from: effective.map(at),
            position: format!("0:{v}"),
            partner_costs: costs.map(|costs| {
                costs
                    .iter()
                    .map(|(p, c)| (p.to_string(), c.parse().unwrap()))
                    .collect()
            }),
        }
    }

    fn program(versions: Vec<ProgramVersionView>) -> ProgramView {
        let definition =
            serde_json::from_str(include_str!("../../tests/fixtures/program.json")).unwrap();
        ProgramView {
            program_id: "fx".into(),
            name: "Fixture program".into(),
            version: versions.len() as u32,
            sequence: versions.len() as u64,
            chain_head: String::new(),
            definition,
            versions,
            promotions: BTreeMap::new(),
        }
    }

    #[test]
    fn a_partner_is_priced_by_the_version_in_force_then() {
        let p = program(vec![
            version(
                1,
                "2026-06-01T00:00:00Z",
                None,
                Some(&[("hotel", "0.004"), ("air", "0.02")]),
            ),
            version(
                2,
                "2026-09-01T00:00:00Z",
                Some("2026-08-01T00:00:00Z"),
                Some(&[("hotel", "0.006")]),
            ),
        ]);
        let cost = |partner, t: &str| p.cost_per_point(partner, Some(at(t)));
        let priced = |c: &str| Some(c.parse::<Decimal>().unwrap());
        for (partner, t, expected, why) in [
            (
                "hotel",
                "2026-01-01T00:00:00Z",
                priced("0.004"),
                "before the first took effect",
            ),
            (
                "hotel",
                "2026-07-31T23:59:59Z",
                priced("0.004"),
                "the first in force",
            ),
            (
                "hotel",
                "2026-08-01T00:00:00Z",
                priced("0.006"),
                "from its effective time",
            ),
            (
                "air",
                "2026-08-15T00:00:00Z",
                priced("0.02"),
                "dropped: its last cost",
            ),
            ("nobody", "2026-08-15T00:00:00Z", None, "never a partner"),
        ] {
            assert_eq!(cost(partner, t), expected, "{partner} at {t}: {why}");
        }
        // Now is the latest version's; a dropped partner keeps its last cost.
        assert_eq!(p.cost_per_point("hotel", None), priced("0.006"));
        assert_eq!(p.cost_per_point("air", None), priced("0.02"));
    }

    #[test]
    fn versions_from_before_costs_were_kept_price_at_the_latest_definition() {
        let p = program(vec![
            version(1, "2026-06-01T00:00:00Z", None, None),
            version(2, "2026-09-01T00:00:00Z", None, Some(&[("hotel", "0.006")])),
        ]);
        let fixture = Some("0.005".parse().unwrap());
        assert_eq!(
            p.cost_per_point("hotel", Some(at("2026-07-01T00:00:00Z"))),
            fixture
        );
        assert_eq!(
            p.cost_per_point("air", Some(at("2026-10-01T00:00:00Z"))),
            None
        );
        assert_eq!(
            p.cost_per_point("hotel", Some(at("2026-10-01T00:00:00Z"))),
            Some("0.006".parse().unwrap())
        );
    }
}
