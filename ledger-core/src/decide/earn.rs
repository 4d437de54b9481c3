//! Earn rules: base points per money unit, plus each matching multiplier
//! adding base x (m - 1). Each contribution is rounded on its own, so the
//! recorded contributions add up to the credit exactly.

use crate::command::Accrual;
use crate::event::RuleContribution;
use crate::program::{Condition, Program};
use crate::Decimal;
use std::collections::BTreeMap;

/// Rule id recorded for explicitly given points.
pub const EXPLICIT: &str = "explicit";

/// What an accrual earns, per rule and currency, for a member in `tier`.
pub fn earnings(program: &Program, tier: Option<&str>, accrual: &Accrual) -> Vec<RuleContribution> {
    let def = &program.definition;
    let mut out = Vec::new();
    if let Some(amount) = accrual.amount {
        let matching: Vec<_> = def
            .earn_rules
            .iter()
            .filter(|r| matches(r.when.as_ref(), tier, accrual))
            .collect();
        let mut base: BTreeMap<&str, Decimal> = BTreeMap::new();
        for rule in &matching {
            for (code, rate) in rule.points_per_unit.iter().flatten() {
                let raw = amount * rate;
                *base.entry(code).or_default() += raw;
                push(
                    &mut out,
                    &rule.id,
                    code,
                    def.rounding.round(raw, def.points_decimals),
                );
            }
        }
        for rule in &matching {
            let Some(m) = rule.multiplier else { continue };
            for (code, raw_base) in &base {
                let applies = rule
                    .currencies
                    .as_ref()
                    .is_none_or(|cs| cs.iter().any(|c| c == code));
                if applies {
                    let extra = *raw_base * (m - Decimal::ONE);
                    push(
                        &mut out,
                        &rule.id,
                        code,
                        def.rounding.round(extra, def.points_decimals),
                    );
                }
            }
        }
    }
    for (code, points) in &accrual.points {
        push(&mut out, EXPLICIT, code, *points);
    }
    out
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
