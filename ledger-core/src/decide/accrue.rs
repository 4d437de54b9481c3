//! Accruing points: earn rules and explicit points become credits; each
//! credit pays arrears first and opens a lot with its expiry; crossing a tier
//! threshold upgrades the member.

use super::context::{Context, Scratch};
use super::earn::earnings;
use super::groups::contribute;
use super::tier::upgrade;
use crate::command::Accrual;
use crate::event::{Credit, Event, EventBody, Lot, RuleContribution};
use crate::lots::{lot_id, CurrencyBook, PendingLot};
use crate::program::{CurrencyDef, ExpiryModel};
use crate::time::add_months;
use crate::{Decimal, Time};

pub(crate) fn accrue(ctx: &Context, a: &Accrual) -> Vec<Event> {
    let def = &ctx.program.definition;
    let earned = earnings(ctx.program, ctx.member, a);
    let rules = &earned.rules;
    let mut scratch = Scratch::default();
    let mut credits = Vec::new();
    for (code, points) in earned.totals() {
        let Some(currency) = def.currency(code) else {
            continue;
        };
        let book = scratch.book(ctx.member, code);
        let escrow = pending_days(ctx, currency, rules).filter(|_| points > Decimal::ZERO);
        if let Some(days) = escrow {
            let lot = new_lot(
                currency,
                &a.transaction_id,
                a.occurred_at,
                points,
                a.partner_id.clone(),
            );
            let release_at = a.occurred_at + chrono::Duration::days(i64::from(days));
            book.pending.push(PendingLot {
                lot: lot.clone(),
                release_at,
            });
            extend_activity(book, currency, a.occurred_at);
            credits.push(Credit {
                currency: code.to_string(),
                points,
                arrears_settled: Decimal::ZERO,
                lot: Some(lot),
                partner_id: a.partner_id.clone(),
                pending_until: Some(release_at),
            });
            continue;
        }
        let (settled, rest) = book.plan_credit(points);
        let lot = (rest > Decimal::ZERO).then(|| {
            new_lot(
                currency,
                &a.transaction_id,
                a.occurred_at,
                rest,
                a.partner_id.clone(),
            )
        });
        book.arrears -= settled;
        if let Some(lot) = &lot {
            book.open(lot.clone());
        }
        extend_activity(book, currency, a.occurred_at);
        credits.push(Credit {
            currency: code.to_string(),
            points,
            arrears_settled: settled,
            lot,
            partner_id: a.partner_id.clone(),
            pending_until: None,
        });
    }
    let balances_after = scratch.balances_after();
    let opened: Vec<Lot> = credits
        .iter()
        .filter(|c| c.pending_until.is_none())
        .filter_map(|c| c.lot.clone())
        .collect();
    let mut events = vec![ctx.event(
        &a.transaction_id,
        a.occurred_at,
        EventBody::PointsAccrued {
            amount: a.amount,
            channel: a.channel.clone().unwrap_or_default(),
            product_category: a.product_category.clone().unwrap_or_default(),
            partner_id: a.partner_id.clone(),
            credits,
            rules: earned.rules.clone(),
            promotions: earned.promotions.clone(),
            balances_after,
        },
    )];
    events.extend(contribute(
        ctx,
        &mut scratch,
        &a.transaction_id,
        a.occurred_at,
        &opened,
    ));
    events.extend(upgrade(ctx, &scratch, &a.transaction_id, a.occurred_at));
    events
}

/// How long a credit in `currency` is escrowed: the longest of the
/// currency's and its contributing rules' `pending_days`.
fn pending_days(ctx: &Context, currency: &CurrencyDef, rules: &[RuleContribution]) -> Option<u32> {
    let def = &ctx.program.definition;
    rules
        .iter()
        .filter(|r| r.currency == currency.code)
        .filter_map(|r| def.earn_rules.iter().find(|e| e.id == r.rule_id))
        .filter_map(|e| e.pending_days)
        .chain(currency.pending_days)
        .max()
}

/// The lot a credit of `points` opens, expiring as its currency says.
pub(super) fn new_lot(
    currency: &CurrencyDef,
    transaction_id: &str,
    earned_at: Time,
    points: Decimal,
    partner_id: Option<String>,
) -> Lot {
    Lot {
        lot_id: lot_id(transaction_id, &currency.code),
        currency: currency.code.clone(),
        points,
        expires_at: (currency.expiry.model == ExpiryModel::FixedPeriod)
            .then(|| add_months(earned_at, currency.expiry.months.unwrap_or(0))),
        partner_id,
        earned_at,
    }
}

/// Activity-based expiry for a credit that is not member activity (a
/// release, an adjustment): a deadline from `at` only when there is none,
/// so the points can lapse.
pub(super) fn ensure_activity(book: &mut CurrencyBook, currency: &CurrencyDef, at: Time) {
    if book.activity_expires_at.is_none() {
        extend_activity(book, currency, at);
    }
}

/// Activity-based expiry: member activity at `at` pushes the deadline out.
pub(super) fn extend_activity(book: &mut CurrencyBook, currency: &CurrencyDef, at: Time) {
    if currency.expiry.model == ExpiryModel::Activity {
        let due = add_months(at, currency.expiry.months.unwrap_or(0));
        book.activity_expires_at = Some(book.activity_expires_at.map_or(due, |d| d.max(due)));
    }
}
