//! Wire form of events: domain [`Event`]s to and from the protobuf
//! [`EventEnvelope`]. The envelope's infrastructure fields (event id,
//! account, sequence, recorded_at) come from the writer as [`EnvelopeMeta`].

use crate::event::*;
use crate::member::{MemberStatus, MemberType};
use crate::numbers::{parse as parse_dec, text};
use crate::time::{format, format_opt, parse as parse_time};
use crate::voucher::VoucherValue;
use crate::{Decimal, Time};
use loyalty_proto::v1 as pb;
use loyalty_proto::{Body, EventEnvelope};

mod transfers;

/// Envelope fields that the log writer owns.
#[derive(Clone, Debug, PartialEq)]
pub struct EnvelopeMeta {
    pub event_id: String,
    pub program_id: String,
    pub account_id: String,
    pub sequence: u64,
    /// The command's group of events (see [`crate::sequence`]).
    pub group_first: u64,
    pub group_last: u64,
    pub writer_id: String,
    pub recorded_at: Time,
    /// Digest of the account's previous event (see [`crate::chain`]).
    pub prev_hash: String,
}

impl EnvelopeMeta {
    /// Where the event stands in its account's sequence.
    pub fn stamp(&self) -> crate::sequence::Stamp<'_> {
        crate::sequence::Stamp {
            sequence: self.sequence,
            group_first: self.group_first,
            group_last: self.group_last,
            writer: &self.writer_id,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CodecError {
    #[error("event has no body")]
    MissingBody,
    #[error("field {field}: bad value {value:?}")]
    BadField { field: &'static str, value: String },
    #[error("program definition: {0}")]
    Definition(String),
}

/// Encodes a domain event with its envelope metadata.
pub fn to_envelope(event: &Event, meta: &EnvelopeMeta) -> EventEnvelope {
    EventEnvelope {
        event_id: meta.event_id.clone(),
        program_id: meta.program_id.clone(),
        account_id: meta.account_id.clone(),
        sequence: meta.sequence,
        occurred_at: format(&event.occurred_at),
        recorded_at: format(&meta.recorded_at),
        schema_version: loyalty_proto::SCHEMA_VERSION,
        transaction_id: event.transaction_id.clone(),
        program_version: event.program_version,
        command_fingerprint: event.fingerprint.clone(),
        group_first: meta.group_first,
        group_last: meta.group_last,
        writer_id: meta.writer_id.clone(),
        prev_hash: meta.prev_hash.clone(),
        body: Some(body_to_proto(&event.body)),
    }
}

/// Decodes the domain event of an envelope.
pub fn from_envelope(env: &EventEnvelope) -> Result<Event, CodecError> {
    let body = env.body.as_ref().ok_or(CodecError::MissingBody)?;
    Ok(Event {
        transaction_id: env.transaction_id.clone(),
        occurred_at: time("occurred_at", &env.occurred_at)?,
        program_version: env.program_version,
        fingerprint: env.command_fingerprint.clone(),
        body: body_from_proto(body)?,
    })
}

/// Where an envelope's event stands in its account's sequence.
pub fn stamp_of(env: &EventEnvelope) -> crate::sequence::Stamp<'_> {
    crate::sequence::Stamp {
        sequence: env.sequence,
        group_first: env.group_first,
        group_last: env.group_last,
        writer: &env.writer_id,
    }
}

/// The envelope's metadata.
pub fn meta_of(env: &EventEnvelope) -> Result<EnvelopeMeta, CodecError> {
    Ok(EnvelopeMeta {
        event_id: env.event_id.clone(),
        program_id: env.program_id.clone(),
        account_id: env.account_id.clone(),
        sequence: env.sequence,
        group_first: env.group_first,
        group_last: env.group_last,
        writer_id: env.writer_id.clone(),
        recorded_at: time("recorded_at", &env.recorded_at)?,
        prev_hash: env.prev_hash.clone(),
    })
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

fn some(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

fn dec(field: &'static str, s: &str) -> Result<Decimal, CodecError> {
    parse_dec(s).ok_or_else(|| CodecError::BadField {
        field,
        value: s.to_string(),
    })
}

/// A decimal added after schema version 1: empty in older events means 0.
fn dec_or_zero(field: &'static str, s: &str) -> Result<Decimal, CodecError> {
    if s.is_empty() {
        Ok(Decimal::ZERO)
    } else {
        dec(field, s)
    }
}

fn time(field: &'static str, s: &str) -> Result<Time, CodecError> {
    parse_time(s).ok_or_else(|| CodecError::BadField {
        field,
        value: s.to_string(),
    })
}

fn time_opt(field: &'static str, s: &str) -> Result<Option<Time>, CodecError> {
    if s.is_empty() {
        Ok(None)
    } else {
        time(field, s).map(Some)
    }
}

fn lot_to(l: &Lot) -> pb::Lot {
    pb::Lot {
        lot_id: l.lot_id.clone(),
        currency: l.currency.clone(),
        points: text(l.points),
        expires_at: format_opt(&l.expires_at),
        partner_id: opt(&l.partner_id),
        earned_at: format(&l.earned_at),
    }
}

fn lot_from(l: &pb::Lot) -> Result<Lot, CodecError> {
    Ok(Lot {
        lot_id: l.lot_id.clone(),
        currency: l.currency.clone(),
        points: dec("lot.points", &l.points)?,
        expires_at: time_opt("lot.expires_at", &l.expires_at)?,
        partner_id: some(&l.partner_id),
        earned_at: time("lot.earned_at", &l.earned_at)?,
    })
}

fn debit_to(d: &LotDebit) -> pb::LotDebit {
    pb::LotDebit {
        lot_id: d.lot_id.clone(),
        currency: d.currency.clone(),
        points: text(d.points),
        partner_id: opt(&d.partner_id),
        expires_at: format_opt(&d.expires_at),
        earned_at: format(&d.earned_at),
    }
}

fn debit_from(d: &pb::LotDebit) -> Result<LotDebit, CodecError> {
    Ok(LotDebit {
        lot_id: d.lot_id.clone(),
        currency: d.currency.clone(),
        points: dec("debit.points", &d.points)?,
        partner_id: some(&d.partner_id),
        expires_at: time_opt("debit.expires_at", &d.expires_at)?,
        earned_at: time("debit.earned_at", &d.earned_at)?,
    })
}

fn debits_to(ds: &[LotDebit]) -> Vec<pb::LotDebit> {
    ds.iter().map(debit_to).collect()
}

fn debits_from(ds: &[pb::LotDebit]) -> Result<Vec<LotDebit>, CodecError> {
    ds.iter().map(debit_from).collect()
}

fn balances_to(bs: &[BalanceAfter]) -> Vec<pb::BalanceAfter> {
    bs.iter()
        .map(|b| pb::BalanceAfter {
            currency: b.currency.clone(),
            available: text(b.available),
            pending: text(b.pending),
            arrears: text(b.arrears),
            activity_expires_at: format_opt(&b.activity_expires_at),
        })
        .collect()
}

fn balances_from(bs: &[pb::BalanceAfter]) -> Result<Vec<BalanceAfter>, CodecError> {
    bs.iter()
        .map(|b| {
            Ok(BalanceAfter {
                currency: b.currency.clone(),
                available: dec("balance.available", &b.available)?,
                pending: dec_or_zero("balance.pending", &b.pending)?,
                arrears: dec("balance.arrears", &b.arrears)?,
                activity_expires_at: time_opt(
                    "balance.activity_expires_at",
                    &b.activity_expires_at,
                )?,
            })
        })
        .collect()
}

fn body_to_proto(body: &EventBody) -> Body {
    match body {
        EventBody::ProgramDefined {
            version,
            definition,
        } => Body::ProgramDefined(pb::ProgramDefined {
            version: *version,
            name: definition.name.clone(),
            definition_json: serde_json::to_string(definition).unwrap_or_default(),
        }),
        EventBody::MemberEnrolled {
            member_type,
            enrolled_at,
            channel,
            tier,
            benefits,
        } => Body::MemberEnrolled(pb::MemberEnrolled {
            member_type: member_type.as_str().to_string(),
            enrolled_at: format(enrolled_at),
            channel: channel.clone(),
            tier: opt(tier),
            benefits: benefits.clone(),
        }),
        EventBody::PointsAccrued {
            amount,
            channel,
            product_category,
            partner_id,
            credits,
            rules,
            promotions,
            balances_after,
        } => Body::PointsAccrued(pb::PointsAccrued {
            amount: amount.map(text).unwrap_or_default(),
            channel: channel.clone(),
            product_category: product_category.clone(),
            partner_id: opt(partner_id),
            credits: credits
                .iter()
                .map(|c| pb::Credit {
                    currency: c.currency.clone(),
                    points: text(c.points),
                    arrears_settled: text(c.arrears_settled),
                    lot: c.lot.as_ref().map(lot_to),
                    partner_id: opt(&c.partner_id),
                    pending_until: format_opt(&c.pending_until),
                })
                .collect(),
            rules: rules
                .iter()
                .map(|r| pb::RuleContribution {
                    rule_id: r.rule_id.clone(),
                    currency: r.currency.clone(),
                    points: text(r.points),
                })
                .collect(),
            promotions: promotions
                .iter()
                .map(|p| pb::PromotionContribution {
                    promotion_id: p.promotion_id.clone(),
                    version: p.version,
                    currency: p.currency.clone(),
                    points: text(p.points),
                })
                .collect(),
            balances_after: balances_to(balances_after),
        }),
        EventBody::PointsRedeemed {
            currency,
            points,
            partner_id,
            lots_consumed,
            arrears_created,
            by_member,
            balances_after,
        } => Body::PointsRedeemed(pb::PointsRedeemed {
            currency: currency.clone(),
            points: text(*points),
            partner_id: opt(partner_id),
            lots_consumed: debits_to(lots_consumed),
            balances_after: balances_to(balances_after),
            arrears_created: text(*arrears_created),
            by_member: opt(by_member),
        }),
        EventBody::PointsExpired {
            currency,
            points,
            model,
            as_of,
            lots_expired,
            balances_after,
        } => Body::PointsExpired(pb::PointsExpired {
            currency: currency.clone(),
            points: text(*points),
            model: model.clone(),
            as_of: format(as_of),
            lots_expired: debits_to(lots_expired),
            balances_after: balances_to(balances_after),
        }),
        EventBody::AccrualCancelled {
            cancels,
            reason,
            reversals,
            balances_after,
        } => Body::AccrualCancelled(pb::AccrualCancelled {
            cancels: cancels.clone(),
            reason: reason.clone(),
            reversals: reversals
                .iter()
                .map(|r| pb::CreditReversal {
                    currency: r.currency.clone(),
                    points: text(r.points),
                    lots_debited: debits_to(&r.lots_debited),
                    arrears_created: text(r.arrears_created),
                    partner_id: opt(&r.partner_id),
                    pending_reversed: text(r.pending_reversed),
                })
                .collect(),
            balances_after: balances_to(balances_after),
        }),
        EventBody::RedemptionCancelled {
            cancels,
            reason,
            currency,
            points,
            partner_id,
            lots_returned,
            arrears_settled,
            lots_restored,
            balances_after,
        } => Body::RedemptionCancelled(pb::RedemptionCancelled {
            cancels: cancels.clone(),
            reason: reason.clone(),
            currency: currency.clone(),
            points: text(*points),
            partner_id: opt(partner_id),
            lots_returned: debits_to(lots_returned),
            arrears_settled: text(*arrears_settled),
            lots_restored: lots_restored.iter().map(lot_to).collect(),
            balances_after: balances_to(balances_after),
        }),
        EventBody::TierChanged {
            from_tier,
            to_tier,
            kind,
            reason,
            qualifying_points,
            period,
            benefits_granted,
            benefits_revoked,
        } => Body::TierChanged(pb::TierChanged {
            from_tier: from_tier.clone(),
            to_tier: to_tier.clone(),
            kind: kind.as_str().to_string(),
            reason: reason.clone(),
            qualifying_points: text(*qualifying_points),
            period: period.map(|p| p.to_string()).unwrap_or_default(),
            benefits_granted: benefits_granted.clone(),
            benefits_revoked: benefits_revoked.clone(),
        }),
        EventBody::QualifyingReset {
            currency,
            points,
            period,
            lots_reset,
            balances_after,
        } => Body::QualifyingReset(pb::QualifyingReset {
            currency: currency.clone(),
            points: text(*points),
            period: period.to_string(),
            lots_reset: debits_to(lots_reset),
            balances_after: balances_to(balances_after),
        }),
        EventBody::MemberStatusChanged { from, to, reason } => {
            Body::MemberStatusChanged(pb::MemberStatusChanged {
                from: from.as_str().to_string(),
                to: to.as_str().to_string(),
                reason: reason.clone(),
            })
        }
        EventBody::PointsForfeited {
            currency,
            points,
            lots_forfeited,
            pending_forfeited,
            balances_after,
        } => Body::PointsForfeited(pb::PointsForfeited {
            currency: currency.clone(),
            points: text(*points),
            lots_forfeited: debits_to(lots_forfeited),
            balances_after: balances_to(balances_after),
            pending_forfeited: debits_to(pending_forfeited),
        }),
        EventBody::PointsReleased {
            currency,
            points,
            as_of,
            released,
            arrears_settled,
            lots_opened,
            balances_after,
        } => Body::PointsReleased(pb::PointsReleased {
            currency: currency.clone(),
            points: text(*points),
            as_of: format(as_of),
            released: debits_to(released),
            arrears_settled: text(*arrears_settled),
            lots_opened: lots_opened.iter().map(lot_to).collect(),
            balances_after: balances_to(balances_after),
        }),
        EventBody::PointsAdjusted {
            currency,
            points,
            actor,
            reason,
            arrears_settled,
            lot,
            lots_debited,
            balances_after,
        } => Body::PointsAdjusted(pb::PointsAdjusted {
            currency: currency.clone(),
            points: text(*points),
            actor: actor.clone(),
            reason: reason.clone(),
            arrears_settled: text(*arrears_settled),
            lot: lot.as_ref().map(lot_to),
            lots_debited: debits_to(lots_debited),
            balances_after: balances_to(balances_after),
        }),
        EventBody::BadgeAwarded {
            badge,
            reason,
            milestone,
            valid_until,
        } => Body::BadgeAwarded(pb::BadgeAwarded {
            badge: badge.clone(),
            reason: reason.clone(),
            milestone: opt(milestone),
            valid_until: format_opt(valid_until),
        }),
        EventBody::VoucherIssued {
            voucher_id,
            definition,
            value,
            valid_until,
            source,
            reason,
        } => {
            let (face_value, percent) = match value {
                VoucherValue::FaceValue { amount } => (text(*amount), String::new()),
                VoucherValue::Percent { percent } => (String::new(), text(*percent)),
            };
            Body::VoucherIssued(pb::VoucherIssued {
                voucher_id: voucher_id.clone(),
                definition: definition.clone(),
                face_value,
                percent,
                valid_until: format(valid_until),
                source: source.clone(),
                reason: reason.clone(),
            })
        }
        EventBody::VoucherReserved { voucher_id } => Body::VoucherReserved(pb::VoucherReserved {
            voucher_id: voucher_id.clone(),
        }),
        EventBody::VoucherRedeemed {
            voucher_id,
            amount,
            remaining,
        } => Body::VoucherRedeemed(pb::VoucherRedeemed {
            voucher_id: voucher_id.clone(),
            amount: amount.map(text).unwrap_or_default(),
            remaining: remaining.map(text).unwrap_or_default(),
        }),
        EventBody::VoucherCancelled { voucher_id, reason } => {
            Body::VoucherCancelled(pb::VoucherCancelled {
                voucher_id: voucher_id.clone(),
                reason: reason.clone(),
            })
        }
        EventBody::VoucherExpired {
            voucher_id,
            remaining,
        } => Body::VoucherExpired(pb::VoucherExpired {
            voucher_id: voucher_id.clone(),
            remaining: remaining.map(text).unwrap_or_default(),
        }),
        EventBody::PointsTransferredOut { .. }
        | EventBody::PointsTransferredIn { .. }
        | EventBody::TransferRefused { .. }
        | EventBody::TransferSettled { .. }
        | EventBody::GroupMemberAdded { .. }
        | EventBody::GroupMemberConfirmed { .. }
        | EventBody::GroupMemberRemoved { .. }
        | EventBody::GroupJoined { .. }
        | EventBody::GroupLeft { .. }
        | EventBody::PoolSpent { .. } => transfers::to_proto(body),
    }
}

/// An optional decimal: empty text is none.
fn dec_opt(field: &'static str, s: &str) -> Result<Option<Decimal>, CodecError> {
    if s.is_empty() {
        Ok(None)
    } else {
        dec(field, s).map(Some)
    }
}

fn voucher_value(v: &pb::VoucherIssued) -> Result<VoucherValue, CodecError> {
    match (v.face_value.is_empty(), v.percent.is_empty()) {
        (false, true) => Ok(VoucherValue::FaceValue {
            amount: dec("face_value", &v.face_value)?,
        }),
        (true, false) => Ok(VoucherValue::Percent {
            percent: dec("percent", &v.percent)?,
        }),
        _ => Err(CodecError::BadField {
            field: "face_value",
            value: format!("{:?} with percent {:?}", v.face_value, v.percent),
        }),
    }
}

fn status(field: &'static str, s: &str) -> Result<MemberStatus, CodecError> {
    MemberStatus::parse(s).ok_or_else(|| CodecError::BadField {
        field,
        value: s.to_string(),
    })
}

fn period(s: &str) -> Result<i32, CodecError> {
    s.parse().map_err(|_| CodecError::BadField {
        field: "period",
        value: s.to_string(),
    })
}

fn body_from_proto(body: &Body) -> Result<EventBody, CodecError> {
    Ok(match body {
        Body::ProgramDefined(p) => EventBody::ProgramDefined {
            version: p.version,
            definition: serde_json::from_str(&p.definition_json)
                .map_err(|e| CodecError::Definition(e.to_string()))?,
        },
        Body::MemberEnrolled(m) => EventBody::MemberEnrolled {
            member_type: MemberType::parse(&m.member_type).ok_or_else(|| CodecError::BadField {
                field: "member_type",
                value: m.member_type.clone(),
            })?,
            enrolled_at: time("enrolled_at", &m.enrolled_at)?,
            channel: m.channel.clone(),
            tier: some(&m.tier),
            benefits: m.benefits.clone(),
        },
        Body::PointsAccrued(a) => EventBody::PointsAccrued {
            amount: if a.amount.is_empty() {
                None
            } else {
                Some(dec("amount", &a.amount)?)
            },
            channel: a.channel.clone(),
            product_category: a.product_category.clone(),
            partner_id: some(&a.partner_id),
            credits: a
                .credits
                .iter()
                .map(|c| {
                    Ok(Credit {
                        currency: c.currency.clone(),
                        points: dec("credit.points", &c.points)?,
                        arrears_settled: dec("credit.arrears_settled", &c.arrears_settled)?,
                        lot: c.lot.as_ref().map(lot_from).transpose()?,
                        partner_id: some(&c.partner_id),
                        pending_until: time_opt("credit.pending_until", &c.pending_until)?,
                    })
                })
                .collect::<Result<_, CodecError>>()?,
            rules: a
                .rules
                .iter()
                .map(|r| {
                    Ok(RuleContribution {
                        rule_id: r.rule_id.clone(),
                        currency: r.currency.clone(),
                        points: dec("rule.points", &r.points)?,
                    })
                })
                .collect::<Result<_, CodecError>>()?,
            promotions: a
                .promotions
                .iter()
                .map(|p| {
                    Ok(PromotionContribution {
                        promotion_id: p.promotion_id.clone(),
                        version: p.version,
                        currency: p.currency.clone(),
                        points: dec("promotion.points", &p.points)?,
                    })
                })
                .collect::<Result<_, CodecError>>()?,
            balances_after: balances_from(&a.balances_after)?,
        },
        Body::PointsRedeemed(r) => EventBody::PointsRedeemed {
            currency: r.currency.clone(),
            points: dec("points", &r.points)?,
            partner_id: some(&r.partner_id),
            lots_consumed: debits_from(&r.lots_consumed)?,
            arrears_created: dec("arrears_created", &r.arrears_created)?,
            by_member: some(&r.by_member),
            balances_after: balances_from(&r.balances_after)?,
        },
        Body::PointsExpired(e) => EventBody::PointsExpired {
            currency: e.currency.clone(),
            points: dec("points", &e.points)?,
            model: e.model.clone(),
            as_of: time("as_of", &e.as_of)?,
            lots_expired: debits_from(&e.lots_expired)?,
            balances_after: balances_from(&e.balances_after)?,
        },
        Body::AccrualCancelled(c) => EventBody::AccrualCancelled {
            cancels: c.cancels.clone(),
            reason: c.reason.clone(),
            reversals: c
                .reversals
                .iter()
                .map(|r| {
                    Ok(CreditReversal {
                        currency: r.currency.clone(),
                        points: dec("reversal.points", &r.points)?,
                        lots_debited: debits_from(&r.lots_debited)?,
                        arrears_created: dec("reversal.arrears_created", &r.arrears_created)?,
                        partner_id: some(&r.partner_id),
                        pending_reversed: dec_or_zero(
                            "reversal.pending_reversed",
                            &r.pending_reversed,
                        )?,
                    })
                })
                .collect::<Result<_, CodecError>>()?,
            balances_after: balances_from(&c.balances_after)?,
        },
        Body::RedemptionCancelled(c) => EventBody::RedemptionCancelled {
            cancels: c.cancels.clone(),
            reason: c.reason.clone(),
            currency: c.currency.clone(),
            points: dec("points", &c.points)?,
            partner_id: some(&c.partner_id),
            lots_returned: debits_from(&c.lots_returned)?,
            arrears_settled: dec("arrears_settled", &c.arrears_settled)?,
            lots_restored: c
                .lots_restored
                .iter()
                .map(lot_from)
                .collect::<Result<_, _>>()?,
            balances_after: balances_from(&c.balances_after)?,
        },
        Body::TierChanged(t) => EventBody::TierChanged {
            from_tier: t.from_tier.clone(),
            to_tier: t.to_tier.clone(),
            kind: TierChangeKind::parse(&t.kind).ok_or_else(|| CodecError::BadField {
                field: "kind",
                value: t.kind.clone(),
            })?,
            reason: t.reason.clone(),
            qualifying_points: dec("qualifying_points", &t.qualifying_points)?,
            period: if t.period.is_empty() {
                None
            } else {
                Some(period(&t.period)?)
            },
            benefits_granted: t.benefits_granted.clone(),
            benefits_revoked: t.benefits_revoked.clone(),
        },
        Body::QualifyingReset(q) => EventBody::QualifyingReset {
            currency: q.currency.clone(),
            points: dec("points", &q.points)?,
            period: period(&q.period)?,
            lots_reset: debits_from(&q.lots_reset)?,
            balances_after: balances_from(&q.balances_after)?,
        },
        Body::MemberStatusChanged(c) => EventBody::MemberStatusChanged {
            from: status("from", &c.from)?,
            to: status("to", &c.to)?,
            reason: c.reason.clone(),
        },
        Body::PointsForfeited(f) => EventBody::PointsForfeited {
            currency: f.currency.clone(),
            points: dec("points", &f.points)?,
            lots_forfeited: debits_from(&f.lots_forfeited)?,
            pending_forfeited: debits_from(&f.pending_forfeited)?,
            balances_after: balances_from(&f.balances_after)?,
        },
        Body::PointsReleased(r) => EventBody::PointsReleased {
            currency: r.currency.clone(),
            points: dec("points", &r.points)?,
            as_of: time("as_of", &r.as_of)?,
            released: debits_from(&r.released)?,
            arrears_settled: dec("arrears_settled", &r.arrears_settled)?,
            lots_opened: r
                .lots_opened
                .iter()
                .map(lot_from)
                .collect::<Result<_, _>>()?,
            balances_after: balances_from(&r.balances_after)?,
        },
        Body::PointsAdjusted(a) => EventBody::PointsAdjusted {
            currency: a.currency.clone(),
            points: dec("points", &a.points)?,
            actor: a.actor.clone(),
            reason: a.reason.clone(),
            arrears_settled: dec("arrears_settled", &a.arrears_settled)?,
            lot: a.lot.as_ref().map(lot_from).transpose()?,
            lots_debited: debits_from(&a.lots_debited)?,
            balances_after: balances_from(&a.balances_after)?,
        },
        Body::BadgeAwarded(b) => EventBody::BadgeAwarded {
            badge: b.badge.clone(),
            reason: b.reason.clone(),
            milestone: some(&b.milestone),
            valid_until: time_opt("valid_until", &b.valid_until)?,
        },
        Body::VoucherIssued(v) => EventBody::VoucherIssued {
            voucher_id: v.voucher_id.clone(),
            definition: v.definition.clone(),
            value: voucher_value(v)?,
            valid_until: time("valid_until", &v.valid_until)?,
            source: v.source.clone(),
            reason: v.reason.clone(),
        },
        Body::VoucherReserved(v) => EventBody::VoucherReserved {
            voucher_id: v.voucher_id.clone(),
        },
        Body::VoucherRedeemed(v) => EventBody::VoucherRedeemed {
            voucher_id: v.voucher_id.clone(),
            amount: dec_opt("amount", &v.amount)?,
            remaining: dec_opt("remaining", &v.remaining)?,
        },
        Body::VoucherCancelled(v) => EventBody::VoucherCancelled {
            voucher_id: v.voucher_id.clone(),
            reason: v.reason.clone(),
        },
        Body::VoucherExpired(v) => EventBody::VoucherExpired {
            voucher_id: v.voucher_id.clone(),
            remaining: dec_opt("remaining", &v.remaining)?,
        },
        Body::PointsTransferredOut(_)
        | Body::PointsTransferredIn(_)
        | Body::TransferRefused(_)
        | Body::TransferSettled(_)
        | Body::GroupMemberAdded(_)
        | Body::GroupMemberConfirmed(_)
        | Body::GroupMemberRemoved(_)
        | Body::GroupJoined(_)
        | Body::GroupLeft(_)
        | Body::PoolSpent(_) => transfers::from_proto(body)?,
    })
}
