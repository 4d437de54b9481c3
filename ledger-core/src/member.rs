//! A member account's state and how each event folds into it.

use crate::event::{Event, EventBody, LotDebit};
use crate::group::{GroupLink, RosterEntry};
use crate::lots::{lot_id, lot_origin, CurrencyBook, PendingLot};
use crate::transfer::TransferOut;
use crate::voucher::{Voucher, VoucherStatus};
use crate::{Decimal, Time};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberType {
    Individual,
    Corporate,
    /// A group account: a pool its members contribute to and spend from.
    Group,
}

impl MemberType {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberType::Individual => "individual",
            MemberType::Corporate => "corporate",
            MemberType::Group => "group",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "individual" => Some(MemberType::Individual),
            "corporate" => Some(MemberType::Corporate),
            "group" => Some(MemberType::Group),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    Active,
    Suspended,
    Unenrolled,
}

impl MemberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Active => "active",
            MemberStatus::Suspended => "suspended",
            MemberStatus::Unenrolled => "unenrolled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(MemberStatus::Active),
            "suspended" => Some(MemberStatus::Suspended),
            "unenrolled" => Some(MemberStatus::Unenrolled),
            _ => None,
        }
    }
}

/// What a journal (one external transaction) did, kept for retries and cancellations.
#[derive(Clone, Debug, PartialEq)]
pub struct Journal {
    pub fingerprint: String,
    pub kind: JournalKind,
    pub cancelled: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum JournalKind {
    Accrual {
        partner_id: Option<String>,
        /// Gross points credited per currency.
        credited: BTreeMap<String, Decimal>,
        /// Points of its lots that have since expired (not reversible).
        expired: BTreeMap<String, Decimal>,
    },
    Redemption {
        currency: String,
        points: Decimal,
        partner_id: Option<String>,
        lots_consumed: Vec<LotDebit>,
    },
    Cancellation,
    TierChange,
    StatusChange,
    Adjustment,
    BadgeAward,
    VoucherIssue,
    VoucherUse,
    Transfer,
    /// A transfer that arrived here: opened, or refused with why.
    TransferIn {
        refused: Option<String>,
    },
    GroupChange,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    pub id: String,
    pub member_type: MemberType,
    pub status: MemberStatus,
    pub enrolled_at: Time,
    pub channel: String,
    pub tier: Option<String>,
    pub books: BTreeMap<String, CurrencyBook>,
    pub journals: HashMap<String, Journal>,
    /// The last tier period closed by an assessment (a year).
    pub last_assessed_period: Option<i32>,
    /// Badges held, each with the end of its validity (none: forever).
    pub badges: BTreeMap<String, Option<Time>>,
    /// Redemptions ever made (cancelled ones too): milestones count them.
    pub redemptions: u64,
    /// Benefits held through the tier.
    pub benefits: BTreeSet<String>,
    /// Accruals each promotion added to (cancelled ones too), for limits.
    pub promotion_uses: BTreeMap<String, u32>,
    /// Vouchers by id, in every state.
    pub vouchers: BTreeMap<String, Voucher>,
    /// Transfers sent and not yet settled, by transfer id.
    pub transfers_out: BTreeMap<String, TransferOut>,
    /// The group the member belongs to.
    pub group: Option<GroupLink>,
    /// On a group account: its members.
    pub roster: BTreeMap<String, RosterEntry>,
}

impl Member {
    /// A member comes to exist through its `MemberEnrolled` event.
    pub fn enrolled(id: &str, event: &Event) -> Option<Member> {
        let EventBody::MemberEnrolled {
            member_type,
            enrolled_at,
            channel,
            tier,
            benefits,
        } = &event.body
        else {
            return None;
        };
        Some(Member {
            id: id.to_string(),
            member_type: *member_type,
            status: MemberStatus::Active,
            enrolled_at: *enrolled_at,
            channel: channel.clone(),
            tier: tier.clone(),
            books: BTreeMap::new(),
            journals: HashMap::new(),
            last_assessed_period: None,
            badges: BTreeMap::new(),
            redemptions: 0,
            benefits: benefits.iter().cloned().collect(),
            promotion_uses: BTreeMap::new(),
            vouchers: BTreeMap::new(),
            transfers_out: BTreeMap::new(),
            group: None,
            roster: BTreeMap::new(),
        })
    }

    /// Whether the member holds `badge` at `at` (awarded and not lapsed).
    pub fn holds_badge(&self, badge: &str, at: Time) -> bool {
        self.badges
            .get(badge)
            .is_some_and(|until| until.is_none_or(|u| u > at))
    }

    pub fn book(&self, currency: &str) -> Option<&CurrencyBook> {
        self.books.get(currency)
    }

    /// The book of a currency, empty when the member never held it.
    pub fn book_or_default(&self, currency: &str) -> CurrencyBook {
        self.books.get(currency).cloned().unwrap_or_default()
    }

    fn book_mut(&mut self, currency: &str) -> &mut CurrencyBook {
        self.books.entry(currency.to_string()).or_default()
    }

    /// Folds one event. Only recorded results are used: no rule runs here.
    pub fn apply(&mut self, event: &Event) {
        match &event.body {
            EventBody::ProgramDefined { .. } | EventBody::MemberEnrolled { .. } => {}
            EventBody::PointsAccrued {
                partner_id,
                credits,
                promotions,
                ..
            } => {
                let used: BTreeSet<&String> = promotions.iter().map(|p| &p.promotion_id).collect();
                for id in used {
                    *self.promotion_uses.entry(id.clone()).or_default() += 1;
                }
                let mut credited = BTreeMap::new();
                for c in credits {
                    let book = self.book_mut(&c.currency);
                    match (c.pending_until, &c.lot) {
                        // Escrowed: earned when released.
                        (Some(release_at), Some(lot)) => book.pending.push(PendingLot {
                            lot: lot.clone(),
                            release_at,
                        }),
                        _ => {
                            book.arrears -= c.arrears_settled;
                            book.earned += c.points;
                            if let Some(lot) = &c.lot {
                                book.open(lot.clone());
                            }
                        }
                    }
                    credited.insert(c.currency.clone(), c.points);
                }
                self.record(
                    event,
                    JournalKind::Accrual {
                        partner_id: partner_id.clone(),
                        credited,
                        expired: BTreeMap::new(),
                    },
                );
            }
            EventBody::PointsRedeemed {
                currency,
                points,
                partner_id,
                lots_consumed,
                arrears_created,
                ..
            } => {
                let book = self.book_mut(currency);
                book.debit(lots_consumed);
                book.arrears += *arrears_created;
                book.redeemed += *points;
                self.redemptions += 1;
                self.record(
                    event,
                    JournalKind::Redemption {
                        currency: currency.clone(),
                        points: *points,
                        partner_id: partner_id.clone(),
                        lots_consumed: lots_consumed.clone(),
                    },
                );
            }
            EventBody::PointsExpired {
                currency,
                points,
                lots_expired,
                ..
            } => {
                let book = self.book_mut(currency);
                book.debit(lots_expired);
                book.expired += *points;
                self.note_lapsed(lots_expired);
            }
            EventBody::AccrualCancelled {
                cancels, reversals, ..
            } => {
                for r in reversals {
                    let book = self.book_mut(&r.currency);
                    book.withdraw_pending(&lot_id(cancels, &r.currency), r.pending_reversed);
                    book.debit(&r.lots_debited);
                    book.arrears += r.arrears_created;
                    book.earned -= r.points - r.pending_reversed;
                }
                self.mark_cancelled(cancels);
                self.record(event, JournalKind::Cancellation);
            }
            EventBody::RedemptionCancelled {
                cancels,
                currency,
                points,
                arrears_settled,
                lots_restored,
                ..
            } => {
                let book = self.book_mut(currency);
                book.arrears -= *arrears_settled;
                book.redeemed -= *points;
                for lot in lots_restored {
                    book.open(lot.clone());
                }
                self.mark_cancelled(cancels);
                self.record(event, JournalKind::Cancellation);
            }
            EventBody::TierChanged {
                to_tier,
                kind,
                period,
                benefits_granted,
                benefits_revoked,
                ..
            } => {
                self.tier = Some(to_tier.clone());
                for b in benefits_revoked {
                    self.benefits.remove(b);
                }
                self.benefits.extend(benefits_granted.iter().cloned());
                if let Some(p) = period {
                    self.last_assessed_period = Some(*p);
                }
                if *kind == crate::event::TierChangeKind::Manual {
                    self.record(event, JournalKind::TierChange);
                }
            }
            EventBody::QualifyingReset {
                currency,
                points,
                period,
                lots_reset,
                ..
            } => {
                let book = self.book_mut(currency);
                book.debit(lots_reset);
                book.expired += *points;
                self.last_assessed_period = Some(*period);
                self.note_lapsed(lots_reset);
            }
            EventBody::MemberStatusChanged { to, .. } => {
                self.status = *to;
                self.record(event, JournalKind::StatusChange);
            }
            EventBody::PointsForfeited {
                currency,
                points,
                lots_forfeited,
                pending_forfeited,
                ..
            } => {
                let book = self.book_mut(currency);
                book.debit(lots_forfeited);
                book.debit_pending(pending_forfeited);
                book.expired += *points;
                self.note_lapsed(lots_forfeited);
            }
            EventBody::PointsAdjusted {
                currency,
                points,
                arrears_settled,
                lot,
                lots_debited,
                ..
            } => {
                let book = self.book_mut(currency);
                book.arrears -= *arrears_settled;
                if let Some(lot) = lot {
                    book.open(lot.clone());
                }
                book.debit(lots_debited);
                book.earned += *points;
                self.record(event, JournalKind::Adjustment);
            }
            EventBody::PointsReleased {
                currency,
                points,
                released,
                arrears_settled,
                lots_opened,
                ..
            } => {
                let book = self.book_mut(currency);
                book.debit_pending(released);
                book.arrears -= *arrears_settled;
                book.earned += *points;
                for lot in lots_opened {
                    book.open(lot.clone());
                }
            }
            EventBody::VoucherIssued {
                voucher_id,
                definition,
                value,
                valid_until,
                source,
                ..
            } => {
                self.vouchers.insert(
                    voucher_id.clone(),
                    Voucher {
                        voucher_id: voucher_id.clone(),
                        definition: definition.clone(),
                        value: value.clone(),
                        remaining: value.face_value(),
                        valid_until: *valid_until,
                        status: VoucherStatus::Issued,
                        issued_by: event.transaction_id.clone(),
                    },
                );
                // A bought or earned voucher rides on its transaction's journal.
                if source == "manual" {
                    self.record(event, JournalKind::VoucherIssue);
                }
            }
            EventBody::VoucherReserved { voucher_id } => {
                self.voucher_to(voucher_id, VoucherStatus::Reserved);
                self.record(event, JournalKind::VoucherUse);
            }
            EventBody::VoucherRedeemed {
                voucher_id,
                remaining,
                ..
            } => {
                if let Some(v) = self.vouchers.get_mut(voucher_id) {
                    v.remaining = *remaining;
                }
                self.voucher_to(voucher_id, VoucherStatus::after_redemption(*remaining));
                self.record(event, JournalKind::VoucherUse);
            }
            EventBody::VoucherCancelled { voucher_id, .. } => {
                self.voucher_to(voucher_id, VoucherStatus::Cancelled);
                // Cancelled with its purchase: the cancellation's journal holds.
                if !self.journals.contains_key(&event.transaction_id) {
                    self.record(event, JournalKind::VoucherUse);
                }
            }
            EventBody::VoucherExpired { voucher_id, .. } => {
                self.voucher_to(voucher_id, VoucherStatus::Expired);
            }
            EventBody::PointsTransferredOut { .. }
            | EventBody::PointsTransferredIn { .. }
            | EventBody::TransferRefused { .. }
            | EventBody::TransferSettled { .. } => self.apply_transfer(event),
            EventBody::GroupMemberAdded { .. }
            | EventBody::GroupMemberConfirmed { .. }
            | EventBody::GroupMemberRemoved { .. }
            | EventBody::GroupJoined { .. }
            | EventBody::GroupLeft { .. } => self.apply_group(event),
            EventBody::PoolSpent { .. } => self.record(event, JournalKind::GroupChange),
            EventBody::BadgeAwarded {
                badge,
                milestone,
                valid_until,
                ..
            } => {
                self.badges.insert(badge.clone(), *valid_until);
                // A milestone award rides on another command's journal.
                if milestone.is_none() {
                    self.record(event, JournalKind::BadgeAward);
                }
            }
        }
        self.take_activity(event);
    }

    fn apply_transfer(&mut self, event: &Event) {
        match &event.body {
            EventBody::PointsTransferredOut { .. } => {
                let Some((transfer_id, sent)) = TransferOut::sent_by(event) else {
                    return;
                };
                let book = self.book_mut(&sent.currency);
                book.debit(&sent.lots);
                book.transferred -= sent.points;
                let pool = sent.pool;
                self.transfers_out.insert(transfer_id.to_string(), sent);
                // A pool contribution rides on its accrual's journal.
                if !pool {
                    self.record(event, JournalKind::Transfer);
                }
            }
            EventBody::PointsTransferredIn {
                currency,
                points,
                arrears_settled,
                lots_opened,
                ..
            } => {
                let book = self.book_mut(currency);
                book.arrears -= *arrears_settled;
                book.transferred += *points;
                for lot in lots_opened {
                    book.open(lot.clone());
                }
                self.record(event, JournalKind::TransferIn { refused: None });
            }
            EventBody::TransferRefused { reason, .. } => {
                let refused = Some(reason.clone());
                self.record(event, JournalKind::TransferIn { refused });
            }
            EventBody::TransferSettled {
                transfer_id,
                currency,
                arrears_settled,
                lots_restored,
                ..
            } => {
                self.transfers_out.remove(transfer_id);
                let book = self.book_mut(currency);
                book.arrears -= *arrears_settled;
                book.transferred += crate::lots::total_of(lots_restored) + *arrears_settled;
                for lot in lots_restored {
                    book.open(lot.clone());
                }
            }
            _ => {}
        }
    }

    fn apply_group(&mut self, event: &Event) {
        match &event.body {
            EventBody::GroupMemberAdded {
                member_id,
                contribution_percent,
                may_redeem,
            } => {
                self.roster.insert(
                    member_id.clone(),
                    RosterEntry {
                        contribution_percent: *contribution_percent,
                        may_redeem: *may_redeem,
                        added_by: event.transaction_id.clone(),
                        added_at: event.occurred_at,
                        confirmed: false,
                    },
                );
            }
            EventBody::GroupMemberConfirmed { member_id } => {
                if let Some(entry) = self.roster.get_mut(member_id) {
                    entry.confirmed = true;
                }
                // An answer: no journal of its own.
                return;
            }
            EventBody::GroupMemberRemoved { member_id, .. } => {
                self.roster.remove(member_id);
            }
            EventBody::GroupJoined {
                group_id,
                contribution_percent,
                may_redeem,
                ..
            } => {
                self.group = Some(GroupLink {
                    group_id: group_id.clone(),
                    contribution_percent: *contribution_percent,
                    may_redeem: *may_redeem,
                });
            }
            EventBody::GroupLeft { group_id, .. } => {
                if self.group.as_ref().is_some_and(|g| &g.group_id == group_id) {
                    self.group = None;
                }
            }
            _ => return,
        }
        // A member leaving because the pool returned its contribution rides
        // on that transfer's settlement.
        if !self.journals.contains_key(&event.transaction_id) {
            self.record(event, JournalKind::GroupChange);
        }
    }

    /// Remembers on each originating accrual how much of its lots lapsed,
    /// so a later cancellation reverses only what is still there to reverse.
    fn note_lapsed(&mut self, debits: &[LotDebit]) {
        for d in debits {
            if let Some(journal) = self.journals.get_mut(lot_origin(&d.lot_id)) {
                if let JournalKind::Accrual { expired, .. } = &mut journal.kind {
                    *expired.entry(d.currency.clone()).or_default() += d.points;
                }
            }
        }
    }

    fn voucher_to(&mut self, voucher_id: &str, status: VoucherStatus) {
        if let Some(v) = self.vouchers.get_mut(voucher_id) {
            v.status = status;
        }
    }

    fn mark_cancelled(&mut self, transaction_id: &str) {
        if let Some(j) = self.journals.get_mut(transaction_id) {
            j.cancelled = true;
        }
    }

    fn record(&mut self, event: &Event, kind: JournalKind) {
        self.journals.insert(
            event.transaction_id.clone(),
            Journal {
                fingerprint: event.fingerprint.clone(),
                kind,
                cancelled: false,
            },
        );
    }

    /// The activity expiry date is a recorded result on the running balances.
    fn take_activity(&mut self, event: &Event) {
        for b in event.body.balances_after() {
            self.book_mut(&b.currency).activity_expires_at = b.activity_expires_at;
        }
    }
}
