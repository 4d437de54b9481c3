//! Program definitions: the JSON document operators PUT, its validation, and
//! the versioned program state built from `ProgramDefined` events.

use crate::command::MemberCommand;
use crate::ids::{valid_code, valid_id, valid_text};
use crate::numbers::{Rounding, MAX_RATE};
use crate::promotion::Promotion;
use crate::voucher::VoucherDef;
use crate::{Datelike, Decimal, Time};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The program definition body of `PUT /v1/programs/{program}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProgramDefinition {
    pub name: String,
    pub money_currency: String,
    /// Decimal places of points (0: whole points).
    #[serde(default)]
    pub points_decimals: u32,
    pub currencies: Vec<CurrencyDef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<TierDef>,
    #[serde(default)]
    pub earn_rules: Vec<EarnRule>,
    #[serde(default)]
    pub rounding: Rounding,
    #[serde(default)]
    pub partners: Vec<PartnerDef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub badges: Vec<BadgeDef>,
    /// Offers on top of the earn rules, each versioned by the ledger.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub promotions: Vec<Promotion>,
    /// Vouchers members can be issued or buy with points.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vouchers: Vec<VoucherDef>,
    /// Benefits tiers grant (lounge access, free shipping, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub benefits: Vec<BenefitDef>,
    /// The business time from which this version decides commands (when
    /// absent: from when it is defined). A command dated earlier is decided
    /// by the version then in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_from: Option<Time>,
}

/// A benefit a tier level grants while the member holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenefitDef {
    pub id: String,
    pub name: String,
}

/// A badge members can hold: awarded by an operator, or automatically on a
/// milestone; valid for `valid_months` after the award (forever when absent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BadgeDef {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_months: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub award_on: Option<Milestone>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "milestone", rename_all = "snake_case")]
pub enum Milestone {
    /// The member's first redemption ever.
    FirstRedemption,
    /// An upgrade into `tier`.
    TierReached { tier: String },
}

impl Milestone {
    pub fn describe(&self) -> String {
        match self {
            Milestone::FirstRedemption => "first_redemption".into(),
            Milestone::TierReached { tier } => format!("tier_reached:{tier}"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CurrencyKind {
    /// Counts toward tiers only.
    Qualifying,
    /// Spendable.
    NonQualifying,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurrencyDef {
    pub code: String,
    pub kind: CurrencyKind,
    #[serde(default)]
    pub expiry: ExpiryDef,
    /// Escrow: credits are held pending this many days (the return window)
    /// before a release run makes them spendable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_days: Option<u32>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpiryModel {
    #[default]
    None,
    /// Each lot expires `months` after it was earned.
    FixedPeriod,
    /// The whole balance expires `months` after the last accrual or redemption.
    Activity,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ExpiryDef {
    pub model: ExpiryModel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub months: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TierPeriod {
    /// Periods are calendar years, assessed after 1 January.
    CalendarYear,
    /// Periods are the member's years from enrollment, assessed after each
    /// anniversary.
    Anniversary,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TierDef {
    /// The qualifying currency that decides tiers.
    pub currency: String,
    pub period: TierPeriod,
    /// Ascending by `min`; the first level has `min` 0.
    pub levels: Vec<TierLevel>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TierLevel {
    pub name: String,
    pub min: Decimal,
    /// Benefit ids granted while in this level (revoked on leaving it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub benefits: Vec<String>,
    /// How far below zero a redemption may take each spendable currency
    /// (the shortfall becomes arrears, paid by the next credits).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub negative_limits: BTreeMap<String, Decimal>,
}

/// An earn rule: either base points per money unit, or a multiplier of the base.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EarnRule {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_per_unit: Option<BTreeMap<String, Decimal>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiplier: Option<Decimal>,
    /// Currencies a multiplier applies to (all base currencies when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currencies: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Condition>,
    /// Escrow for what this rule contributes (see [`CurrencyDef::pending_days`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_days: Option<u32>,
}

/// Conditions under which an earn rule applies; absent fields match anything.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_category: Option<String>,
    /// Inclusive start of the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Time>,
    /// Exclusive end of the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Time>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartnerDef {
    pub id: String,
    pub cost_per_point: Decimal,
}

impl ProgramDefinition {
    /// Checks the definition; the message names the first problem found.
    pub fn validate(&self) -> Result<(), String> {
        if self.name.trim().is_empty() || !valid_text(&self.name) {
            return Err("name must be 1-256 printable characters".into());
        }
        let money = &self.money_currency;
        if money.len() != 3 || !money.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err("money_currency must be an ISO 4217 code such as EUR".into());
        }
        if self.points_decimals > 6 {
            return Err("points_decimals must be 0-6".into());
        }
        self.validate_currencies()?;
        self.validate_tiers()?;
        self.validate_rules()?;
        self.validate_partners()?;
        self.validate_badges()?;
        self.validate_benefits()?;
        crate::promotion::validate_all(self)?;
        crate::voucher::validate_all(self)?;
        if self
            .effective_from
            .is_some_and(|t| !(1970..=9000).contains(&t.year()))
        {
            return Err("effective_from must be within the years 1970-9000".into());
        }
        Ok(())
    }

    fn validate_benefits(&self) -> Result<(), String> {
        let mut ids = BTreeSet::new();
        for b in &self.benefits {
            if !valid_id(&b.id) || !ids.insert(b.id.as_str()) {
                return Err(format!("benefit id {:?} is invalid or repeated", b.id));
            }
            if b.name.trim().is_empty() || !valid_text(&b.name) {
                return Err(format!(
                    "benefit {}: name must be 1-256 printable characters",
                    b.id
                ));
            }
        }
        for level in self.tiers.iter().flat_map(|t| &t.levels) {
            if let Some(b) = level.benefits.iter().find(|b| !ids.contains(b.as_str())) {
                return Err(format!("tier {}: unknown benefit {b}", level.name));
            }
            for (code, limit) in &level.negative_limits {
                match self.currency(code) {
                    Some(c) if c.kind == CurrencyKind::NonQualifying => {}
                    _ => {
                        return Err(format!(
                            "tier {}: negative_limits need a spendable currency, not {code}",
                            level.name
                        ))
                    }
                }
                if !crate::numbers::non_negative_with_scale(*limit, self.points_decimals) {
                    return Err(format!(
                        "tier {}: negative limit of {code} must be >= 0 with at most {} decimal places",
                        level.name, self.points_decimals
                    ));
                }
            }
        }
        Ok(())
    }

    /// The tier level named `name`.
    pub fn tier_level(&self, name: &str) -> Option<&TierLevel> {
        self.tiers.as_ref()?.levels.iter().find(|l| l.name == name)
    }

    /// Benefits of tier `name` (none for an unknown tier).
    pub fn tier_benefits(&self, name: Option<&str>) -> Vec<String> {
        name.and_then(|n| self.tier_level(n))
            .map(|l| l.benefits.clone())
            .unwrap_or_default()
    }

    /// How far below zero tier `name` may take `currency`.
    pub fn negative_limit(&self, tier: Option<&str>, currency: &str) -> Decimal {
        tier.and_then(|t| self.tier_level(t))
            .and_then(|l| l.negative_limits.get(currency).copied())
            .unwrap_or_default()
    }

    fn validate_badges(&self) -> Result<(), String> {
        let mut ids = BTreeSet::new();
        for b in &self.badges {
            if !valid_id(&b.id) || !ids.insert(&b.id) {
                return Err(format!("badge id {:?} is invalid or repeated", b.id));
            }
            if b.name.trim().is_empty() || !valid_text(&b.name) {
                return Err(format!(
                    "badge {}: name must be 1-256 printable characters",
                    b.id
                ));
            }
            if b.valid_months.is_some_and(|m| !(1..=1200).contains(&m)) {
                return Err(format!("badge {}: valid_months must be 1-1200", b.id));
            }
            if let Some(Milestone::TierReached { tier }) = &b.award_on {
                if self.tier_index(tier).is_none() {
                    return Err(format!("badge {}: unknown tier {tier}", b.id));
                }
            }
        }
        Ok(())
    }

    pub fn voucher(&self, id: &str) -> Option<&VoucherDef> {
        self.vouchers.iter().find(|v| v.id == id)
    }

    pub fn badge(&self, id: &str) -> Option<&BadgeDef> {
        self.badges.iter().find(|b| b.id == id)
    }

    fn validate_currencies(&self) -> Result<(), String> {
        if self.currencies.is_empty() {
            return Err("at least one currency is required".into());
        }
        let mut seen = BTreeSet::new();
        for c in &self.currencies {
            if !valid_code(&c.code) {
                return Err(format!(
                    "currency code {:?} must be 1-16 of A-Z 0-9 _",
                    c.code
                ));
            }
            if !seen.insert(&c.code) {
                return Err(format!("currency {} is defined twice", c.code));
            }
            match (c.expiry.model, c.expiry.months) {
                (ExpiryModel::None, _) => {}
                (_, Some(m)) if (1..=1200).contains(&m) => {}
                _ => return Err(format!("currency {}: expiry months must be 1-1200", c.code)),
            }
            valid_pending(c.pending_days, &format!("currency {}", c.code))?;
            if let (ExpiryModel::FixedPeriod, Some(m), Some(d)) =
                (c.expiry.model, c.expiry.months, c.pending_days)
            {
                if u64::from(d) >= u64::from(m) * 28 {
                    return Err(format!(
                        "currency {}: pending_days must end before its lots expire",
                        c.code
                    ));
                }
            }
        }
        Ok(())
    }

    fn validate_tiers(&self) -> Result<(), String> {
        let Some(tiers) = &self.tiers else {
            return Ok(());
        };
        match self.currency(&tiers.currency) {
            Some(c) if c.kind == CurrencyKind::Qualifying => {}
            Some(_) => {
                return Err(format!(
                    "tier currency {} must be qualifying",
                    tiers.currency
                ))
            }
            None => return Err(format!("tier currency {} is not defined", tiers.currency)),
        }
        let Some(first) = tiers.levels.first() else {
            return Err("tiers need at least one level".into());
        };
        if !first.min.is_zero() {
            return Err("the first tier level must have min 0".into());
        }
        let mut names = BTreeSet::new();
        for pair in tiers.levels.windows(2) {
            if pair[1].min <= pair[0].min {
                return Err("tier levels must have strictly ascending min".into());
            }
        }
        for level in &tiers.levels {
            if level.name.is_empty() || !valid_text(&level.name) || !names.insert(&level.name) {
                return Err(format!(
                    "tier level name {:?} is empty or repeated",
                    level.name
                ));
            }
        }
        Ok(())
    }

    fn validate_rules(&self) -> Result<(), String> {
        let mut ids = BTreeSet::new();
        for rule in &self.earn_rules {
            if !valid_id(&rule.id) || !ids.insert(&rule.id) {
                return Err(format!("earn rule id {:?} is invalid or repeated", rule.id));
            }
            match (&rule.points_per_unit, &rule.multiplier) {
                (Some(ppu), None) => {
                    for (code, rate) in ppu {
                        self.require_currency(code, &rule.id)?;
                        if *rate <= Decimal::ZERO {
                            return Err(format!(
                                "earn rule {}: points_per_unit must be > 0",
                                rule.id
                            ));
                        }
                    }
                }
                (None, Some(m)) if *m > Decimal::ZERO && *m <= MAX_RATE => {}
                (None, Some(_)) => {
                    return Err(format!(
                        "earn rule {}: multiplier must be > 0 and <= {MAX_RATE}",
                        rule.id
                    ))
                }
                _ => {
                    return Err(format!(
                        "earn rule {}: give exactly one of points_per_unit and multiplier",
                        rule.id
                    ))
                }
            }
            for code in rule.currencies.iter().flatten() {
                self.require_currency(code, &rule.id)?;
            }
            if let Some(when) = &rule.when {
                self.validate_condition(&rule.id, when)?;
            }
            valid_pending(rule.pending_days, &format!("earn rule {}", rule.id))?;
        }
        Ok(())
    }

    fn validate_condition(&self, rule: &str, when: &Condition) -> Result<(), String> {
        if let Some(tier) = &when.tier {
            if self.tier_index(tier).is_none() {
                return Err(format!("earn rule {rule}: unknown tier {tier}"));
            }
        }
        if let (Some(from), Some(until)) = (when.from, when.until) {
            if from >= until {
                return Err(format!("earn rule {rule}: from must be before until"));
            }
        }
        Ok(())
    }

    fn validate_partners(&self) -> Result<(), String> {
        let mut ids = BTreeSet::new();
        for p in &self.partners {
            if !valid_id(&p.id) || !ids.insert(&p.id) {
                return Err(format!("partner id {:?} is invalid or repeated", p.id));
            }
            if p.cost_per_point < Decimal::ZERO {
                return Err(format!("partner {}: cost_per_point must be >= 0", p.id));
            }
        }
        Ok(())
    }

    fn require_currency(&self, code: &str, rule: &str) -> Result<(), String> {
        match self.currency(code) {
            Some(_) => Ok(()),
            None => Err(format!("earn rule {rule}: unknown currency {code}")),
        }
    }

    pub fn currency(&self, code: &str) -> Option<&CurrencyDef> {
        self.currencies.iter().find(|c| c.code == code)
    }

    pub fn partner(&self, id: &str) -> Option<&PartnerDef> {
        self.partners.iter().find(|p| p.id == id)
    }

    /// Index of a tier level by name (0 = lowest).
    pub fn tier_index(&self, name: &str) -> Option<usize> {
        self.tiers
            .as_ref()?
            .levels
            .iter()
            .position(|l| l.name == name)
    }

    /// The highest tier level `points` reach.
    pub fn tier_reached(&self, points: Decimal) -> Option<&TierLevel> {
        self.tiers
            .as_ref()?
            .levels
            .iter()
            .rev()
            .find(|l| points >= l.min)
    }

    /// The tier a new member starts in.
    pub fn lowest_tier(&self) -> Option<&str> {
        Some(self.tiers.as_ref()?.levels.first()?.name.as_str())
    }

    /// Decimal places allowed in a money amount of the program's currency.
    pub fn money_decimals(&self) -> u32 {
        match self.money_currency.as_str() {
            "JPY" | "KRW" | "ISK" | "CLP" | "VND" => 0,
            "BHD" | "KWD" | "OMR" | "JOD" | "TND" => 3,
            _ => 2,
        }
    }
}

fn valid_pending(days: Option<u32>, what: &str) -> Result<(), String> {
    match days {
        Some(d) if !(1..=365).contains(&d) => Err(format!("{what}: pending_days must be 1-365")),
        _ => Ok(()),
    }
}

/// One version of a program, as decided on.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub id: String,
    pub version: u32,
    pub defined_at: Time,
    pub definition: ProgramDefinition,
}

/// Every version of a program, folded from its `ProgramDefined` events.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProgramState {
    pub versions: Vec<Arc<Program>>,
}

impl Program {
    /// The business time from which this version decides commands.
    pub fn effective_at(&self) -> Time {
        self.definition.effective_from.unwrap_or(self.defined_at)
    }
}

impl ProgramState {
    /// The latest version.
    pub fn current(&self) -> Option<&Arc<Program>> {
        self.versions.last()
    }

    /// The version in force at business time `at`: the latest version
    /// effective by then; before the first took effect, the first.
    pub fn in_force_at(&self, at: Time) -> Option<&Arc<Program>> {
        self.versions
            .iter()
            .rev()
            .find(|p| p.effective_at() <= at)
            .or_else(|| self.versions.first())
    }

    /// The version that decides `command`: the one in force at its business
    /// time (at `now` for a command without one).
    pub fn for_command(&self, command: &MemberCommand, now: Time) -> Option<&Arc<Program>> {
        self.in_force_at(command.business_time().unwrap_or(now))
    }

    /// Folds one `ProgramDefined` event.
    pub fn apply(&mut self, program: Program) {
        self.versions.push(Arc::new(program));
    }
}
