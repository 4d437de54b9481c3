//! The JSON answer to a member command, built from its events so a retry
//! answers with exactly what the original produced.

use crate::outcome::Outcome;
use ledger_core::event::EventBody;
use ledger_core::numbers::text;
use ledger_core::time::format_opt;
use ledger_core::voucher::VoucherStatus;
use ledger_core::Decimal;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub fn receipt(outcome: &Outcome, transaction_id: Option<&str>) -> Value {
    let mut out = Map::new();
    if let Some(tx) = transaction_id {
        out.insert("transaction_id".into(), json!(tx));
    }
    let names: Vec<_> = outcome.events.iter().map(|e| e.body.name()).collect();
    out.insert("events".into(), json!(names));
    let mut credited: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut balances = Map::new();
    let mut tier = outcome.tier.clone();
    for event in &outcome.events {
        match &event.body {
            EventBody::PointsAccrued {
                credits,
                rules,
                promotions,
                ..
            } => {
                for c in credits {
                    *credited.entry(c.currency.clone()).or_default() += c.points;
                }
                let rules: Vec<_> = rules
                    .iter()
                    .map(|r| json!({"rule_id": r.rule_id, "currency": r.currency, "points": text(r.points)}))
                    .collect();
                out.insert("rules".into(), json!(rules));
                let promotions: Vec<_> = promotions
                    .iter()
                    .map(|p| json!({"promotion_id": p.promotion_id, "version": p.version, "currency": p.currency, "points": text(p.points)}))
                    .collect();
                out.insert("promotions".into(), json!(promotions));
            }
            EventBody::PointsRedeemed {
                currency,
                points,
                lots_consumed,
                ..
            } => {
                out.insert("redeemed".into(), json!({currency: text(*points)}));
                let lots: Vec<_> = lots_consumed
                    .iter()
                    .map(|d| json!({"lot_id": d.lot_id, "points": text(d.points), "partner_id": d.partner_id}))
                    .collect();
                out.insert("lots_consumed".into(), json!(lots));
            }
            EventBody::AccrualCancelled {
                cancels, reversals, ..
            } => {
                out.insert("cancels".into(), json!(cancels));
                let reversed: Map<_, _> = reversals
                    .iter()
                    .map(|r| (r.currency.clone(), json!(text(r.points))))
                    .collect();
                out.insert("reversed".into(), Value::Object(reversed));
            }
            EventBody::RedemptionCancelled {
                cancels,
                currency,
                points,
                ..
            } => {
                out.insert("cancels".into(), json!(cancels));
                out.insert("restored".into(), json!({currency: text(*points)}));
            }
            EventBody::TierChanged {
                from_tier, to_tier, ..
            } => {
                out.insert("previous_tier".into(), json!(from_tier));
                tier = Some(to_tier.clone());
            }
            EventBody::MemberStatusChanged { from, to, .. } => {
                out.insert("previous_status".into(), json!(from.as_str()));
                out.insert("status".into(), json!(to.as_str()));
            }
            EventBody::PointsForfeited {
                currency, points, ..
            } => {
                let forfeited = out.entry("forfeited").or_insert_with(|| json!({}));
                forfeited[currency] = json!(text(*points));
            }
            EventBody::PointsAdjusted {
                currency, points, ..
            } => {
                out.insert("adjusted".into(), json!({currency: text(*points)}));
            }
            EventBody::BadgeAwarded {
                badge, valid_until, ..
            } => {
                let badges = out.entry("badges").or_insert_with(|| json!([]));
                if let Some(list) = badges.as_array_mut() {
                    list.push(json!({"badge": badge, "valid_until": valid_until}));
                }
            }
            EventBody::VoucherIssued {
                voucher_id,
                definition,
                valid_until,
                source,
                ..
            } => {
                let issued = out.entry("vouchers_issued").or_insert_with(|| json!([]));
                if let Some(list) = issued.as_array_mut() {
                    list.push(json!({"voucher_id": voucher_id, "definition": definition, "valid_until": valid_until, "source": source}));
                }
            }
            EventBody::VoucherReserved { voucher_id } => {
                out.insert(
                    "voucher".into(),
                    json!({"voucher_id": voucher_id, "status": "reserved"}),
                );
            }
            EventBody::VoucherRedeemed {
                voucher_id,
                amount,
                remaining,
            } => {
                let status = VoucherStatus::after_redemption(*remaining).as_str();
                out.insert("voucher".into(), json!({"voucher_id": voucher_id, "status": status, "amount": amount.map(text), "remaining": remaining.map(text)}));
            }
            EventBody::VoucherCancelled { voucher_id, .. } => {
                out.insert(
                    "voucher".into(),
                    json!({"voucher_id": voucher_id, "status": "cancelled"}),
                );
            }
            _ => {}
        }
        for b in event.body.balances_after() {
            balances.insert(
                b.currency.clone(),
                json!({
                    "available": text(b.available),
                    "pending": text(b.pending),
                    "arrears": text(b.arrears),
                    "activity_expires_at": Some(format_opt(&b.activity_expires_at)).filter(|s| !s.is_empty()),
                }),
            );
        }
    }
    if !credited.is_empty() || names.contains(&"PointsAccrued") {
        let credited: Map<_, _> = credited
            .into_iter()
            .map(|(k, v)| (k, json!(text(v))))
            .collect();
        out.insert("credited".into(), Value::Object(credited));
    }
    out.insert("balances".into(), Value::Object(balances));
    out.insert("tier".into(), json!(tier));
    out.insert("position".into(), json!(outcome.positions().to_string()));
    Value::Object(out)
}
