//! Partner liability: what the program owes per partner for points still
//! outstanding (issued - redeemed - expired - cancelled, times the
//! partner's cost per point then), now or as of a business time; as JSON or CSV.
//! Qualifying currencies are not a liability and are left out.

use crate::error::QueryError;
use ledger_core::program::CurrencyKind;
use ledger_core::{Decimal, Time};
use projector::as_of;
use projector::read_model;
use projector::views::{PartnerFigures, ProgramView};
use projector::Store;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// One partner's figures per liability currency; `partner_id` "" is the
/// program's own points (arrears, manual credits), which have no cost.
pub struct Liability {
    pub partner_id: String,
    pub cost_per_point: Option<Decimal>,
    pub currencies: BTreeMap<String, PartnerFigures>,
}

impl Liability {
    pub fn sum(&self) -> Result<PartnerFigures, QueryError> {
        let mut sum = PartnerFigures::default();
        for f in self.currencies.values() {
            add(&mut sum, f)?;
        }
        Ok(sum)
    }

    /// Outstanding points times the cost per point; none for the program's
    /// own points.
    pub fn amount(&self, f: &PartnerFigures) -> Result<Option<Decimal>, QueryError> {
        let Some(cost) = self.cost_per_point else {
            return Ok(None);
        };
        outstanding(f)?
            .checked_mul(cost)
            .map(Some)
            .ok_or_else(|| overflow(&format!("the liability of partner {:?}", self.partner_id)))
    }

    pub fn json(&self, money_currency: &str) -> Result<Value, QueryError> {
        let mut by_currency = serde_json::Map::new();
        for (c, f) in &self.currencies {
            by_currency.insert(c.clone(), figures_json(f, self.amount(f)?)?);
        }
        let sum = self.sum()?;
        let mut body = figures_json(&sum, self.amount(&sum)?)?;
        body["partner_id"] = match self.partner_id.as_str() {
            "" => Value::Null,
            id => json!(id),
        };
        body["cost_per_point"] = json!(self.cost_per_point.map(|c| c.normalize()));
        body["money_currency"] = json!(money_currency);
        body["currencies"] = Value::Object(by_currency);
        Ok(body)
    }
}

/// Figures come from the read models, so their arithmetic is checked: an
/// overflow of the decimal range is a clear 500, not a panic.
fn overflow(what: &str) -> QueryError {
    QueryError::Internal(format!("{what} overflows the decimal range"))
}

/// Issued - redeemed - expired - cancelled.
fn outstanding(f: &PartnerFigures) -> Result<Decimal, QueryError> {
    f.issued
        .checked_sub(f.redeemed)
        .and_then(|d| d.checked_sub(f.expired))
        .and_then(|d| d.checked_sub(f.cancelled))
        .ok_or_else(|| overflow("outstanding points"))
}

fn add(into: &mut PartnerFigures, from: &PartnerFigures) -> Result<(), QueryError> {
    let plus = |a: Decimal, b: Decimal| a.checked_add(b).ok_or_else(|| overflow("a sum of points"));
    into.issued = plus(into.issued, from.issued)?;
    into.redeemed = plus(into.redeemed, from.redeemed)?;
    into.expired = plus(into.expired, from.expired)?;
    into.cancelled = plus(into.cancelled, from.cancelled)?;
    Ok(())
}

fn figures_json(f: &PartnerFigures, amount: Option<Decimal>) -> Result<Value, QueryError> {
    Ok(json!({
        "issued": f.issued.normalize(),
        "redeemed": f.redeemed.normalize(),
        "expired": f.expired.normalize(),
        "cancelled": f.cancelled.normalize(),
        "outstanding": outstanding(f)?.normalize(),
        "liability_amount": amount.map(|a| a.normalize()),
    }))
}

/// Every partner of the program (those defined now, any that held points
/// before being removed, and the program's own points), now or as of `at`.
pub fn all(
    store: &Store,
    program: &ProgramView,
    at: Option<Time>,
) -> Result<Vec<Liability>, QueryError> {
    let mut book = match at {
        Some(t) => as_of::totals(store, &program.program_id, t)?.partners,
        None => read_model::partners(store, &program.program_id)?,
    };
    for p in &program.definition.partners {
        book.entry(p.id.clone()).or_default();
    }
    book.entry(String::new()).or_default();
    Ok(book
        .into_iter()
        .map(|(partner_id, figures)| liability(program, partner_id, figures, at))
        .collect())
}

/// One partner, now or as of `at`.
pub fn one(
    store: &Store,
    program: &ProgramView,
    partner: &str,
    at: Option<Time>,
) -> Result<Liability, QueryError> {
    if program.definition.partner(partner).is_none() {
        return Err(QueryError::partner(partner));
    }
    let figures = match at {
        Some(t) => as_of::totals(store, &program.program_id, t)?
            .partners
            .remove(partner)
            .unwrap_or_default(),
        None => read_model::partners(store, &program.program_id)?
            .remove(partner)
            .unwrap_or_default(),
    };
    Ok(liability(program, partner.to_string(), figures, at))
}

/// A partner's figures priced at its cost per point then (now, or in the
/// program version in force at `at`).
fn liability(
    program: &ProgramView,
    partner_id: String,
    figures: BTreeMap<String, PartnerFigures>,
    at: Option<Time>,
) -> Liability {
    let def = &program.definition;
    let currencies = figures
        .into_iter()
        .filter(|(c, _)| {
            def.currency(c)
                .is_some_and(|c| c.kind == CurrencyKind::NonQualifying)
        })
        .collect();
    Liability {
        cost_per_point: program.cost_per_point(&partner_id, at),
        partner_id,
        currencies,
    }
}

/// The whole program's liability document.
pub fn program_json(
    program: &ProgramView,
    at: Option<Time>,
    partners: &[Liability],
) -> Result<Value, QueryError> {
    let money = &program.definition.money_currency;
    let mut total = PartnerFigures::default();
    let mut amount = Decimal::ZERO;
    let mut documents = Vec::with_capacity(partners.len());
    for l in partners {
        let sum = l.sum()?;
        add(&mut total, &sum)?;
        amount = amount
            .checked_add(l.amount(&sum)?.unwrap_or_default())
            .ok_or_else(|| overflow("the total liability"))?;
        documents.push(l.json(money)?);
    }
    let mut total_json = figures_json(&total, Some(amount))?;
    total_json["money_currency"] = json!(money);
    Ok(json!({
        "program_id": program.program_id,
        "as_of": at.map(|t| ledger_core::time::format(&t)),
        "money_currency": money,
        "partners": documents,
        "total": total_json,
    }))
}

/// The same figures as CSV: one row per partner and currency.
pub fn program_csv(program: &ProgramView, partners: &[Liability]) -> Result<String, QueryError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let csv_failed = |e: csv::Error| QueryError::Internal(format!("csv: {e}"));
    out.write_record([
        "partner_id",
        "currency",
        "issued",
        "redeemed",
        "expired",
        "cancelled",
        "outstanding",
        "cost_per_point",
        "liability_amount",
        "money_currency",
    ])
    .map_err(csv_failed)?;
    let text = |d: Option<Decimal>| d.map(|d| d.normalize().to_string()).unwrap_or_default();
    for l in partners {
        for (currency, f) in &l.currencies {
            out.write_record([
                l.partner_id.clone(),
                currency.clone(),
                text(Some(f.issued)),
                text(Some(f.redeemed)),
                text(Some(f.expired)),
                text(Some(f.cancelled)),
                text(Some(outstanding(f)?)),
                text(l.cost_per_point),
                text(l.amount(f)?),
                program.definition.money_currency.clone(),
            ])
            .map_err(csv_failed)?;
        }
    }
    let bytes = out
        .into_inner()
        .map_err(|e| QueryError::Internal(format!("csv: {e}")))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hotel(issued: Decimal, cost: &str) -> Liability {
        Liability {
            partner_id: "hotel".into(),
            cost_per_point: Some(cost.parse().unwrap()),
            currencies: BTreeMap::from([(
                "POINTS".to_string(),
                PartnerFigures {
                    issued,
                    redeemed: Decimal::from(100),
                    ..Default::default()
                },
            )]),
        }
    }

    #[test]
    fn liability_is_outstanding_times_cost() {
        let l = hotel(Decimal::from(300), "0.005");
        let body = l.json("EUR").unwrap();
        assert_eq!(body["outstanding"], json!("200"));
        assert_eq!(body["liability_amount"], json!("1"));
    }

    #[test]
    fn an_overflow_is_an_error_not_a_panic() {
        let l = hotel(Decimal::MAX, "10");
        let e = l.json("EUR").unwrap_err();
        assert!(
            matches!(&e, QueryError::Internal(m) if m.contains("overflows")),
            "{e}"
        );
        let twice = Liability {
            currencies: BTreeMap::from([
                ("A".to_string(), l.currencies["POINTS"].clone()),
                ("B".to_string(), l.currencies["POINTS"].clone()),
            ]),
            ..hotel(Decimal::MAX, "0")
        };
        assert!(matches!(twice.sum(), Err(QueryError::Internal(_))));
    }
}
