//! Promotions: versioned offers on top of the earn rules, each with its
//! window and conditions, a multiplier of the base points or a fixed bonus,
//! and a limit per member. The ledger numbers their versions; accruals record
//! which promotion versions contributed.

use crate::ids::{valid_id, valid_text};
use crate::numbers::{positive_with_scale, MAX_RATE};
use crate::program::ProgramDefinition;
use crate::{Decimal, Time};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Promotion {
    /// Optional in `PUT .../promotions/{id}` (the path names it).
    #[serde(default)]
    pub id: String,
    pub name: String,
    /// Assigned by the ledger: 1 when created, one more on every change.
    #[serde(default)]
    pub version: u32,
    #[serde(default)]
    pub when: PromotionCondition,
    pub reward: PromotionReward,
    /// Accruals per member that may benefit (unlimited when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_per_member: Option<u32>,
}

/// Conditions on the accrual and the member; absent fields match anything.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PromotionCondition {
    /// Inclusive start of the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Time>,
    /// Exclusive end of the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_category: Option<String>,
    /// Tiers the member must be in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<Vec<String>>,
    /// Enrollment age at the accrual, in whole days (new-member offers,
    /// loyalty anniversaries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_member_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_member_days: Option<u32>,
    /// Smallest purchase amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_amount: Option<Decimal>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PromotionReward {
    /// Adds base x (multiplier - 1) of the purchase's base points.
    Multiplier {
        multiplier: Decimal,
        /// Currencies it applies to (all base currencies when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        currencies: Option<Vec<String>>,
    },
    /// Fixed points per currency, once per accrual.
    Bonus { points: BTreeMap<String, Decimal> },
}

/// What the member and accrual look like to a promotion's conditions.
pub struct Applicant<'a> {
    pub tier: Option<&'a str>,
    pub enrolled_at: Time,
    pub used: u32,
    pub occurred_at: Time,
    pub amount: Option<Decimal>,
    pub channel: Option<&'a str>,
    pub product_category: Option<&'a str>,
}

impl Promotion {
    /// Whether the promotion applies; `Err` says why not (for a simulation).
    pub fn check(&self, a: &Applicant) -> Result<(), String> {
        let c = &self.when;
        let days = (a.occurred_at - a.enrolled_at).num_days();
        let fails = [
            (c.from.is_some_and(|f| a.occurred_at < f), "not started"),
            (c.until.is_some_and(|u| a.occurred_at >= u), "ended"),
            (mismatch(&c.channel, a.channel), "other channel"),
            (
                mismatch(&c.product_category, a.product_category),
                "other product category",
            ),
            (
                c.tiers
                    .as_ref()
                    .is_some_and(|ts| !ts.iter().any(|t| Some(t.as_str()) == a.tier)),
                "other tier",
            ),
            (
                c.min_member_days.is_some_and(|d| days < i64::from(d)),
                "member too new",
            ),
            (
                c.max_member_days.is_some_and(|d| days > i64::from(d)),
                "member too old",
            ),
            (
                c.min_amount.is_some_and(|m| a.amount.is_none_or(|x| x < m)),
                "amount too small",
            ),
            (
                self.limit_per_member.is_some_and(|l| a.used >= l),
                "limit per member reached",
            ),
        ];
        match fails.iter().find(|(failed, _)| *failed) {
            Some((_, why)) => Err(why.to_string()),
            None => Ok(()),
        }
    }

    /// The same promotion ignoring its version (to tell a change).
    pub fn same_offer(&self, other: &Promotion) -> bool {
        Promotion {
            version: other.version,
            ..self.clone()
        } == *other
    }

    pub(crate) fn validate(&self, def: &ProgramDefinition) -> Result<(), String> {
        let id = &self.id;
        if self.name.trim().is_empty() || !valid_text(&self.name) {
            return Err(format!(
                "promotion {id}: name must be 1-256 printable characters"
            ));
        }
        let c = &self.when;
        if let (Some(from), Some(until)) = (c.from, c.until) {
            if from >= until {
                return Err(format!("promotion {id}: from must be before until"));
            }
        }
        if let Some(t) = c
            .tiers
            .iter()
            .flatten()
            .find(|t| def.tier_index(t).is_none())
        {
            return Err(format!("promotion {id}: unknown tier {t}"));
        }
        if let (Some(min), Some(max)) = (c.min_member_days, c.max_member_days) {
            if min > max {
                return Err(format!(
                    "promotion {id}: min_member_days must not exceed max_member_days"
                ));
            }
        }
        if c.min_amount
            .is_some_and(|m| !positive_with_scale(m, def.money_decimals()))
        {
            return Err(format!(
                "promotion {id}: min_amount must be a positive amount"
            ));
        }
        if self.limit_per_member == Some(0) {
            return Err(format!("promotion {id}: limit_per_member must be >= 1"));
        }
        match &self.reward {
            PromotionReward::Multiplier {
                multiplier,
                currencies,
            } => {
                if *multiplier <= Decimal::ONE || *multiplier > MAX_RATE {
                    return Err(format!(
                        "promotion {id}: multiplier must be > 1 and <= {MAX_RATE}"
                    ));
                }
                for code in currencies.iter().flatten() {
                    known(def, id, code)?;
                }
            }
            PromotionReward::Bonus { points } => {
                if points.is_empty() {
                    return Err(format!("promotion {id}: a bonus needs points"));
                }
                for (code, p) in points {
                    known(def, id, code)?;
                    if !positive_with_scale(*p, def.points_decimals) {
                        return Err(format!(
                            "promotion {id}: bonus {code} must be > 0 with at most {} decimal places",
                            def.points_decimals
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

fn mismatch(want: &Option<String>, have: Option<&str>) -> bool {
    want.as_deref().is_some_and(|w| Some(w) != have)
}

fn known(def: &ProgramDefinition, promotion: &str, code: &str) -> Result<(), String> {
    match def.currency(code) {
        Some(_) => Ok(()),
        None => Err(format!("promotion {promotion}: unknown currency {code}")),
    }
}

/// Validates a program's promotions: ids unique, each one sound.
pub(crate) fn validate_all(def: &ProgramDefinition) -> Result<(), String> {
    let mut ids = std::collections::BTreeSet::new();
    for p in &def.promotions {
        if !valid_id(&p.id) || !ids.insert(&p.id) {
            return Err(format!("promotion id {:?} is invalid or repeated", p.id));
        }
        p.validate(def)?;
    }
    Ok(())
}
