//! Earn rules and promotions: base points per money unit, plus each matching
//! multiplier (rule or promotion) adding base x (m - 1), plus promotion
//! bonuses. Each contribution is rounded on its own, so the recorded
//! contributions add up to the credit exactly.

use crate::command::Accrual;
use crate::event::{PromotionContribution, RuleContribution};
use crate::member::Member;
use crate::program::{Condition, Program};
use crate::promotion::{Applicant, PromotionReward};
use crate::Decimal;
use std::collections::BTreeMap;

/// Rule id recorded for explicitly given points.
pub const EXPLICIT: &str = "explicit";

/// What an accrual earns and why.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Earnings {
    pub rules: Vec<RuleContribution>,
    pub promotions: Vec<PromotionContribution>,
    /// Promotions that did not apply, each with the reason.
    pub not_applied: Vec<(String, String)>,
}

impl Earnings {
    /// Points per currency, rules and promotions together.
    pub fn totals(&self) -> BTreeMap<&str, Decimal> {
        let mut totals: BTreeMap<&str, Decimal> = BTreeMap::new();
        let rules = self.rules.iter().map(|r| (&r.currency, r.points));
        let promos = self.promotions.iter().map(|p| (&p.currency, p.points));
        for (code, points) in rules.chain(promos) {
            *totals.entry(code).or_default() += points;
        }
        totals
    }
}

/// What an accrual earns for `member`.
pub fn earnings(program: &Program, member: &Member, accrual: &Accrual) -> Earnings {
    let def = &program.definition;
    let tier = member.tier.as_deref();
    let mut out = Earnings::default();
    let mut base: BTreeMap<&str, Decimal> = BTreeMap::new();
    if let Some(amount) = accrual.amount {
        let matching: Vec<_> = def
            .earn_rules
            .iter()
            .filter(|r| matches(r.when.as_ref(), tier, accrual))
            .collect();
        for rule in &matching {
            for (code, rate) in rule.points_per_unit.iter().flatten() {
                let raw = amount * rate;
                *base.entry(code).or_default() += raw;
                push(&mut out.rules, &rule.id, code, round(program, raw));
            }
        }
        for rule in &matching {
            let Some(m) = rule.multiplier else { continue };
            for (code, extra) in multiplied(&base, m, rule.currencies.as_deref()) {
                push(&mut out.rules, &rule.id, code, round(program, extra));
            }
        }
    }
    for (code, points) in &accrual.points {
        push(&mut out.rules, EXPLICIT, code, *points);
    }
    for promotion in &def.promotions {
        let applicant = Applicant {
            tier,
            enrolled_at: member.enrolled_at,
            used: member
                .promotion_uses
                .get(&promotion.id)
                .copied()
                .unwrap_or(0),
            occurred_at: accrual.occurred_at,
            amount: accrual.amount,
            channel: accrual.channel.as_deref(),
            product_category: accrual.product_category.as_deref(),
        };
        if let Err(why) = promotion.check(&applicant) {
            out.not_applied.push((promotion.id.clone(), why));
            continue;
        }
        let points: Vec<(&str, Decimal)> = match &promotion.reward {
            PromotionReward::Multiplier {
                multiplier,
                currencies,
            } => multiplied(&base, *multiplier, currencies.as_deref())
                .map(|(code, extra)| (code, round(program, extra)))
                .collect(),
            PromotionReward::Bonus { points } => {
                points.iter().map(|(c, p)| (c.as_str(), *p)).collect()
            }
        };
        let before = out.promotions.len();
        for (code, points) in points.into_iter().filter(|(_, p)| !p.is_zero()) {
            out.promotions.push(PromotionContribution {
                promotion_id: promotion.id.clone(),
                version: promotion.version,
                currency: code.to_string(),
                points,
            });
        }
        if out.promotions.len() == before {
            out.not_applied
                .push((promotion.id.clone(), "no base points to multiply".into()));
        }
    }
    out
}

/// The extra a multiplier `m` adds to each base currency it applies to.
fn multiplied<'a>(
    base: &'a BTreeMap<&'a str, Decimal>,
    m: Decimal,
    currencies: Option<&'a [String]>,
) -> impl Iterator<Item = (&'a str, Decimal)> + 'a {
    base.iter()
        .filter(move |(code, _)| currencies.is_none_or(|cs| cs.iter().any(|c| c == *code)))
        .map(move |(code, raw)| (*code, *raw * (m - Decimal::ONE)))
}

fn round(program: &Program, raw: Decimal) -> Decimal {
    let def = &program.definition;
    def.rounding.round(raw, def.points_decimals)
}

fn push(out: &mut Vec<RuleContribution>, rule: &str, currency: &str, points: Decimal) {
    if !points.is_zero() {
        out.push(RuleContribution {
            rule_id: rule.to_string(),
            currency: currency.to_string(),
            points,
        });
    }
}

fn matches(when: Option<&Condition>, tier: Option<&str>, a: &Accrual) -> bool {
    let Some(c) = when else { return true };
    let eq =
        |want: &Option<String>, have: Option<&str>| want.as_deref().is_none_or(|w| Some(w) == have);
    eq(&c.tier, tier)
        && eq(&c.channel, a.channel.as_deref())
        && eq(&c.product_category, a.product_category.as_deref())
        && c.from.is_none_or(|from| a.occurred_at >= from)
        && c.until.is_none_or(|until| a.occurred_at < until)
}
