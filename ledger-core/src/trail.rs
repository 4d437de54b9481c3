//! The audit trail of one event: the lots it opened and the lots it took
//! points from, and the currencies and partners it concerns. Read off the
//! recorded facts, for history filters and an auditor's "why".

use crate::event::{EventBody, Lot, LotDebit};
use std::collections::BTreeSet;

/// Lots the event opened (or restored) on the account.
pub fn lots_opened(body: &EventBody) -> Vec<&Lot> {
    use EventBody::*;
    match body {
        PointsAccrued { credits, .. } => credits
            .iter()
            .filter(|c| c.pending_until.is_none())
            .filter_map(|c| c.lot.as_ref())
            .collect(),
        RedemptionCancelled { lots_restored, .. } | TransferSettled { lots_restored, .. } => {
            lots_restored.iter().collect()
        }
        PointsReleased { lots_opened, .. } | PointsTransferredIn { lots_opened, .. } => {
            lots_opened.iter().collect()
        }
        PointsAdjusted { lot, .. } => lot.iter().collect(),
        _ => Vec::new(),
    }
}

/// Points the event took out of lots (consumed, expired, reversed,
/// forfeited, sent), lot by lot.
pub fn lots_debited(body: &EventBody) -> Vec<&LotDebit> {
    use EventBody::*;
    match body {
        PointsRedeemed { lots_consumed, .. } => lots_consumed.iter().collect(),
        PointsExpired { lots_expired, .. } => lots_expired.iter().collect(),
        QualifyingReset { lots_reset, .. } => lots_reset.iter().collect(),
        PointsForfeited { lots_forfeited, .. } => lots_forfeited.iter().collect(),
        AccrualCancelled { reversals, .. } => reversals
            .iter()
            .flat_map(|r| r.lots_debited.iter())
            .collect(),
        PointsAdjusted { lots_debited, .. } | PointsTransferredOut { lots_debited, .. } => {
            lots_debited.iter().collect()
        }
        _ => Vec::new(),
    }
}

/// Currencies whose points or balances the event concerns.
pub fn currencies(body: &EventBody) -> BTreeSet<&str> {
    use EventBody::*;
    let mut out: BTreeSet<&str> = body
        .balances_after()
        .iter()
        .map(|b| b.currency.as_str())
        .collect();
    match body {
        PointsAccrued { credits, .. } => out.extend(credits.iter().map(|c| c.currency.as_str())),
        AccrualCancelled { reversals, .. } => {
            out.extend(reversals.iter().map(|r| r.currency.as_str()))
        }
        PointsRedeemed { currency, .. }
        | PointsExpired { currency, .. }
        | RedemptionCancelled { currency, .. }
        | QualifyingReset { currency, .. }
        | PointsForfeited { currency, .. }
        | PointsReleased { currency, .. }
        | PointsAdjusted { currency, .. }
        | PointsTransferredOut { currency, .. }
        | PointsTransferredIn { currency, .. }
        | TransferSettled { currency, .. }
        | PoolSpent { currency, .. } => {
            out.insert(currency.as_str());
        }
        _ => {}
    }
    out
}

/// Partners the event concerns: the accrual's or redemption's partner and
/// the issuer of every lot it opened or debited.
pub fn partners(body: &EventBody) -> BTreeSet<&str> {
    use EventBody::*;
    let mut out = BTreeSet::new();
    match body {
        PointsAccrued {
            partner_id,
            credits,
            ..
        } => {
            out.extend(partner_id.as_deref());
            out.extend(credits.iter().filter_map(|c| c.partner_id.as_deref()));
        }
        PointsRedeemed { partner_id, .. } | RedemptionCancelled { partner_id, .. } => {
            out.extend(partner_id.as_deref());
        }
        AccrualCancelled { reversals, .. } => {
            out.extend(reversals.iter().filter_map(|r| r.partner_id.as_deref()));
        }
        PointsReleased { released, .. } => {
            out.extend(released.iter().filter_map(|d| d.partner_id.as_deref()));
        }
        _ => {}
    }
    out.extend(
        lots_opened(body)
            .iter()
            .filter_map(|l| l.partner_id.as_deref()),
    );
    out.extend(
        lots_debited(body)
            .iter()
            .filter_map(|d| d.partner_id.as_deref()),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{BalanceAfter, Credit, RuleContribution};
    use crate::Decimal;
    use chrono::{TimeZone, Utc};

    fn lot(id: &str, points: i64, partner: Option<&str>) -> Lot {
        Lot {
            lot_id: id.into(),
            currency: "PTS".into(),
            points: Decimal::from(points),
            expires_at: None,
            partner_id: partner.map(str::to_string),
            earned_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        }
    }

    fn debit(id: &str, points: i64, partner: Option<&str>) -> LotDebit {
        let l = lot(id, points, partner);
        LotDebit {
            lot_id: l.lot_id,
            currency: l.currency,
            points: l.points,
            partner_id: l.partner_id,
            expires_at: l.expires_at,
            earned_at: l.earned_at,
        }
    }

    fn after(currency: &str) -> BalanceAfter {
        BalanceAfter {
            currency: currency.into(),
            available: Decimal::ZERO,
            pending: Decimal::ZERO,
            arrears: Decimal::ZERO,
            activity_expires_at: None,
        }
    }

    #[test]
    fn an_accrual_opens_the_lots_of_its_spendable_credits_only() {
        let credit = |c: &str, id: &str, pending: bool| Credit {
            currency: c.into(),
            points: Decimal::from(10),
            arrears_settled: Decimal::ZERO,
            lot: Some(lot(id, 10, Some("hotel"))),
            partner_id: Some("hotel".into()),
            pending_until: pending.then(|| Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap()),
        };
        let body = EventBody::PointsAccrued {
            amount: None,
            channel: "web".into(),
            product_category: String::new(),
            partner_id: Some("hotel".into()),
            credits: vec![credit("PTS", "L1", false), credit("MILES", "L2", true)],
            rules: vec![RuleContribution {
                rule_id: "base".into(),
                currency: "PTS".into(),
                points: Decimal::from(10),
            }],
            promotions: vec![],
            balances_after: vec![after("PTS")],
        };
        let opened: Vec<&str> = lots_opened(&body)
            .iter()
            .map(|l| l.lot_id.as_str())
            .collect();
        assert_eq!(opened, ["L1"], "the escrowed credit opens nothing yet");
        assert!(lots_debited(&body).is_empty());
        assert_eq!(currencies(&body), BTreeSet::from(["MILES", "PTS"]));
        assert_eq!(partners(&body), BTreeSet::from(["hotel"]));
    }

    #[test]
    fn a_redemption_names_the_partners_of_the_lots_it_consumed() {
        let body = EventBody::PointsRedeemed {
            currency: "PTS".into(),
            points: Decimal::from(15),
            partner_id: None,
            lots_consumed: vec![debit("L0", 5, None), debit("L1", 10, Some("hotel"))],
            arrears_created: Decimal::ZERO,
            by_member: None,
            balances_after: vec![after("PTS")],
        };
        let debited: Vec<&str> = lots_debited(&body)
            .iter()
            .map(|d| d.lot_id.as_str())
            .collect();
        assert_eq!(debited, ["L0", "L1"]);
        assert!(lots_opened(&body).is_empty());
        assert_eq!(partners(&body), BTreeSet::from(["hotel"]));
        assert_eq!(currencies(&body), BTreeSet::from(["PTS"]));
    }

    #[test]
    fn a_transfer_debits_the_sender_and_opens_at_the_receiver() {
        let out = EventBody::PointsTransferredOut {
            transfer_id: "t1".into(),
            to_member: "bob".into(),
            currency: "PTS".into(),
            points: Decimal::from(7),
            reason: String::new(),
            pool: false,
            lots_debited: vec![debit("L1", 7, Some("air"))],
            balances_after: vec![after("PTS")],
        };
        let into = EventBody::PointsTransferredIn {
            transfer_id: "t1".into(),
            from_member: "ada".into(),
            currency: "PTS".into(),
            points: Decimal::from(7),
            pool: false,
            arrears_settled: Decimal::ZERO,
            lots_opened: vec![lot("L1", 7, Some("air"))],
            balances_after: vec![after("PTS")],
        };
        assert_eq!(lots_debited(&out).len(), 1);
        assert_eq!(lots_opened(&into).len(), 1);
        assert_eq!(partners(&out), partners(&into));
    }
}
