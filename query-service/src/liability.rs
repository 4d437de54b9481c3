//! Partner liability: what the program owes per partner for points still
//! outstanding (issued - redeemed - expired - cancelled, times the
//! partner's cost per point), now or as of a business time; as JSON or CSV.
//! Qualifying currencies are not a liability and are left out.

use crate::error::QueryError;
use ledger_core::program::CurrencyKind;
use ledger_core::{Decimal, ProgramDefinition, Time};
use projector::as_of;
use projector::read_model;
use projector::tally::add_figures;
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
    pub fn sum(&self) -> PartnerFigures {
        let mut sum = PartnerFigures::default();
        for f in self.currencies.values() {
            add_figures(&mut sum, f);
        }
        sum
    }

    pub fn amount(&self, f: &PartnerFigures) -> Option<Decimal> {
        self.cost_per_point.map(|c| f.outstanding() * c)
    }

    pub fn json(&self, money_currency: &str) -> Value {
        let by_currency: serde_json::Map<String, Value> = self
            .currencies
            .iter()
            .map(|(c, f)| (c.clone(), figures_json(f, self.amount(f))))
            .collect();
        let sum = self.sum();
        let mut body = figures_json(&sum, self.amount(&sum));
        body["partner_id"] = match self.partner_id.as_str() {
            "" => Value::Null,
            id => json!(id),
        };
        body["cost_per_point"] = json!(self.cost_per_point.map(|c| c.normalize()));
        body["money_currency"] = json!(money_currency);
        body["currencies"] = Value::Object(by_currency);
        body
    }
}

fn figures_json(f: &PartnerFigures, amount: Option<Decimal>) -> Value {
    json!({
        "issued": f.issued.normalize(),
        "redeemed": f.redeemed.normalize(),
        "expired": f.expired.normalize(),
        "cancelled": f.cancelled.normalize(),
        "outstanding": f.outstanding().normalize(),
        "liability_amount": amount.map(|a| a.normalize()),
    })
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
    let def = &program.definition;
    for p in &def.partners {
        book.entry(p.id.clone()).or_default();
    }
    book.entry(String::new()).or_default();
    Ok(book
        .into_iter()
        .map(|(partner_id, figures)| liability(def, partner_id, figures))
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
    Ok(liability(&program.definition, partner.to_string(), figures))
}

fn liability(
    def: &ProgramDefinition,
    partner_id: String,
    figures: BTreeMap<String, PartnerFigures>,
) -> Liability {
    let currencies = figures
        .into_iter()
        .filter(|(c, _)| {
            def.currency(c)
                .is_some_and(|c| c.kind == CurrencyKind::NonQualifying)
        })
        .collect();
    Liability {
        cost_per_point: def.partner(&partner_id).map(|p| p.cost_per_point),
        partner_id,
        currencies,
    }
}

/// The whole program's liability document.
pub fn program_json(program: &ProgramView, at: Option<Time>, partners: &[Liability]) -> Value {
    let money = &program.definition.money_currency;
    let mut total = PartnerFigures::default();
    let mut amount = Decimal::ZERO;
    for l in partners {
        let sum = l.sum();
        add_figures(&mut total, &sum);
        amount += l.amount(&sum).unwrap_or_default();
    }
    let mut total_json = figures_json(&total, Some(amount));
    total_json["money_currency"] = json!(money);
    json!({
        "program_id": program.program_id,
        "as_of": at.map(|t| ledger_core::time::format(&t)),
        "money_currency": money,
        "partners": partners.iter().map(|l| l.json(money)).collect::<Vec<_>>(),
        "total": total_json,
    })
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
                text(Some(f.outstanding())),
                text(l.cost_per_point),
                text(l.amount(f)),
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
