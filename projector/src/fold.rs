//! How one event changes the read models. Only recorded results are used.

use crate::history;
use crate::keys;
use crate::lot_table::LotTableBuilder;
use crate::overlay::Overlay;
use crate::snapshot;
use crate::store::StoreError;
use crate::views::*;
use ledger_core::codec::EnvelopeMeta;
use ledger_core::event::{BalanceAfter, Event, EventBody, Lot, LotDebit};
use ledger_core::trail;
use ledger_core::voucher::{VoucherStatus, VoucherValue};
use ledger_core::{Decimal, Time};
use std::collections::BTreeMap;

/// Account id of program events (as written by the command side; no member
/// may take it).
pub use ledger_core::ids::PROGRAM_ACCOUNT;

/// Where an event sits in the log, its payload there and its digest.
#[derive(Clone, Copy, Debug)]
pub struct At<'a> {
    pub partition: u32,
    pub offset: u64,
    pub payload: &'a [u8],
    pub digest: &'a str,
}

/// By default a member's view and open lots are kept after every this many
/// of its events, so a view as of any point folds fewer events than this.
pub const SNAPSHOT_EVERY: u64 = 1_000;

impl At<'_> {
    fn position(&self) -> String {
        format!("{}:{}", self.partition, self.offset)
    }
}

/// Folds one event; returns false when it was skipped as a repeat or out of order.
pub fn fold(
    ov: &mut Overlay,
    meta: &EnvelopeMeta,
    event: &Event,
    at: At<'_>,
) -> Result<bool, StoreError> {
    if meta.account_id == PROGRAM_ACCOUNT {
        return fold_program(ov, meta, event, at);
    }
    let (program, member_id) = (meta.program_id.as_str(), meta.account_id.as_str());
    let expected = ov
        .member(program, member_id)?
        .as_ref()
        .map_or(0, |m| m.sequence)
        + 1;
    if meta.sequence != expected {
        tracing::warn!(
            program,
            member = member_id,
            sequence = meta.sequence,
            expected,
            "skipping repeated or out-of-order event"
        );
        return Ok(false);
    }
    // The account's business clock: the latest business time it has seen,
    // so "as of" a time is always a prefix of the account's events.
    let clock = ov
        .member(program, member_id)?
        .as_ref()
        .and_then(|m| m.clock)
        .map_or(event.occurred_at, |c| c.max(event.occurred_at));
    MemberFold {
        ov,
        program,
        member: member_id,
        clock,
    }
    .body(event)?;
    let view = ov.member(program, member_id)?;
    let Some(view) = view.as_mut() else {
        return Ok(true);
    };
    let before: BTreeMap<String, (Decimal, Decimal)> = view
        .balances
        .iter()
        .map(|(c, b)| (c.clone(), (b.available, b.arrears)))
        .collect();
    apply_balances(view, event.body.balances_after());
    view.sequence = meta.sequence;
    view.position = at.position();
    view.chain_head = at.digest.to_string();
    view.clock = Some(clock);
    let balances: BTreeMap<String, Decimal> = view
        .balances
        .iter()
        .map(|(c, b)| (c.clone(), b.available))
        .collect();
    let mut deltas = Vec::new();
    for b in event.body.balances_after() {
        let (a0, r0) = before.get(&b.currency).copied().unwrap_or_default();
        deltas.push((b.currency.clone(), b.available - a0, b.arrears - r0));
    }
    let tally = ov.tally(program, clock);
    tally.events += 1;
    for (currency, available, arrears) in &deltas {
        let t = tally.totals(currency);
        t.outstanding += *available;
        t.arrears += *arrears;
    }
    let movements: BTreeMap<String, Decimal> = deltas
        .into_iter()
        .map(|(currency, available, _)| (currency, available))
        .collect();
    let figures = history::Figures {
        partition: at.partition,
        offset: at.offset,
        hash: at.digest,
        clock,
        balances: &balances,
        movements: &movements,
        currencies: owned(trail::currencies(&event.body)),
        partners: owned(trail::partners(&event.body)),
    };
    ov.put_raw(
        keys::history(program, member_id, meta.sequence),
        history::encode(figures, at.payload),
    );
    if meta.sequence.is_multiple_of(ov.snapshot_every()) {
        snapshot(ov, program, member_id)?;
    }
    Ok(true)
}

fn owned(ids: std::collections::BTreeSet<&str>) -> Vec<String> {
    ids.into_iter().map(str::to_string).collect()
}

/// Keeps the member's view and open lots as they stand now.
fn snapshot(ov: &mut Overlay, program: &str, member: &str) -> Result<(), StoreError> {
    let Some(view) = ov.member(program, member)?.clone() else {
        return Ok(());
    };
    let mut lots = LotTableBuilder::default();
    ov.visit_member_lots(program, member, |_, lot| lots.push(lot))?;
    let key = keys::snapshot(program, member, view.sequence);
    ov.put_raw(key, snapshot::encode(&view, lots.finish()));
    Ok(())
}

fn fold_program(
    ov: &mut Overlay,
    meta: &EnvelopeMeta,
    event: &Event,
    at: At<'_>,
) -> Result<bool, StoreError> {
    let EventBody::ProgramDefined {
        version,
        definition,
    } = &event.body
    else {
        return Ok(false);
    };
    let program = meta.program_id.as_str();
    let doc = ov.program(program)?;
    let expected = doc.as_ref().map_or(0, |p| p.sequence) + 1;
    if meta.sequence != expected {
        return Ok(false);
    }
    let (mut versions, mut promotions) = doc
        .take()
        .map(|p| (p.versions, p.promotions))
        .unwrap_or_default();
    for promotion in &definition.promotions {
        let history = promotions.entry(promotion.id.clone()).or_default();
        if history
            .last()
            .is_none_or(|h| h.version != promotion.version)
        {
            history.push(PromotionVersionView {
                version: promotion.version,
                program_version: *version,
                defined_at: event.occurred_at,
                promotion: promotion.clone(),
            });
        }
    }
    versions.push(ProgramVersionView {
        version: *version,
        defined_at: event.occurred_at,
        effective_from: Some(definition.effective_from.unwrap_or(event.occurred_at)),
        position: at.position(),
        partner_costs: Some(
            definition
                .partners
                .iter()
                .map(|p| (p.id.clone(), p.cost_per_point))
                .collect(),
        ),
    });
    *doc = Some(ProgramView {
        program_id: program.to_string(),
        name: definition.name.clone(),
        version: *version,
        sequence: meta.sequence,
        chain_head: at.digest.to_string(),
        definition: definition.clone(),
        versions,
        promotions,
    });
    ov.tally(program, event.occurred_at).events += 1;
    Ok(true)
}

fn apply_balances(view: &mut MemberView, balances: &[BalanceAfter]) {
    for b in balances {
        let bal = view.balances.entry(b.currency.clone()).or_default();
        bal.available = b.available;
        bal.pending = b.pending;
        bal.arrears = b.arrears;
        bal.activity_expires_at = b.activity_expires_at;
    }
}

/// Which partner figure a movement changes.
#[derive(Clone, Copy)]
enum Figure {
    Issued,
    Redeemed,
    Expired,
    Cancelled,
}

impl Figure {
    fn of_partner(self, f: &mut PartnerFigures) -> &mut Decimal {
        match self {
            Figure::Issued => &mut f.issued,
            Figure::Redeemed => &mut f.redeemed,
            Figure::Expired => &mut f.expired,
            Figure::Cancelled => &mut f.cancelled,
        }
    }

    fn of_totals(self, t: &mut CurrencyTotals) -> &mut Decimal {
        match self {
            Figure::Issued => &mut t.issued,
            Figure::Redeemed => &mut t.redeemed,
            Figure::Expired => &mut t.expired,
            Figure::Cancelled => &mut t.cancelled,
        }
    }
}

struct MemberFold<'a, 'o> {
    ov: &'a mut Overlay<'o>,
    program: &'a str,
    member: &'a str,
    /// The business time the event's changes to totals count at.
    clock: ledger_core::Time,
}

impl MemberFold<'_, '_> {
    fn body(&mut self, event: &Event) -> Result<(), StoreError> {
        match &event.body {
            EventBody::ProgramDefined { .. } => {}
            EventBody::MemberEnrolled {
                member_type,
                enrolled_at,
                channel,
                tier,
                benefits,
            } => {
                *self.ov.member(self.program, self.member)? = Some(MemberView {
                    program_id: self.program.to_string(),
                    member_id: self.member.to_string(),
                    member_type: member_type.as_str().to_string(),
                    status: "active".to_string(),
                    tier: tier.clone(),
                    enrolled_at: *enrolled_at,
                    channel: channel.clone(),
                    sequence: 0,
                    position: String::new(),
                    chain_head: String::new(),
                    clock: None,
                    balances: BTreeMap::new(),
                    badges: BTreeMap::new(),
                    benefits: benefits.iter().cloned().collect(),
                    vouchers: BTreeMap::new(),
                    group: None,
                    roster: BTreeMap::new(),
                    transfers_in_flight: BTreeMap::new(),
                });
                let tally = self.ov.tally(self.program, self.clock);
                tally.members += 1;
                tally.status_moved(None, "active");
                tally.tier_moved(None, tier.as_deref());
            }
            EventBody::PointsAccrued { credits, .. } => {
                // Escrowed credits are issued when released.
                for c in credits.iter().filter(|c| c.pending_until.is_none()) {
                    self.balance(&c.currency, |b| b.earned += c.points)?;
                    self.figure(
                        c.partner_id.as_deref(),
                        &c.currency,
                        Figure::Issued,
                        c.points,
                    );
                    if let Some(lot) = &c.lot {
                        self.open_lot(lot)?;
                    }
                }
            }
            EventBody::PointsRedeemed {
                currency,
                points,
                lots_consumed,
                arrears_created,
                ..
            } => {
                self.balance(currency, |b| b.redeemed += *points)?;
                self.debit_lots(lots_consumed, Some(Figure::Redeemed))?;
                // Below zero, within the tier's limit: owed to the program.
                if !arrears_created.is_zero() {
                    self.figure(None, currency, Figure::Redeemed, *arrears_created);
                }
            }
            // Breakage: expiry, the qualifying reset and forfeiture alike.
            EventBody::PointsExpired {
                currency,
                points,
                lots_expired: lots,
                ..
            }
            | EventBody::QualifyingReset {
                currency,
                points,
                lots_reset: lots,
                ..
            }
            | EventBody::PointsForfeited {
                currency,
                points,
                lots_forfeited: lots,
                ..
            } => {
                self.balance(currency, |b| b.expired += *points)?;
                self.debit_lots(lots, Some(Figure::Expired))?;
            }
            EventBody::AccrualCancelled { reversals, .. } => {
                for r in reversals {
                    let issued = r.points - r.pending_reversed;
                    self.balance(&r.currency, |b| b.earned -= issued)?;
                    self.figure(
                        r.partner_id.as_deref(),
                        &r.currency,
                        Figure::Cancelled,
                        issued,
                    );
                    self.debit_lots(&r.lots_debited, None)?;
                }
            }
            EventBody::RedemptionCancelled {
                currency,
                points,
                lots_returned,
                lots_restored,
                ..
            } => {
                self.balance(currency, |b| b.redeemed -= *points)?;
                for d in lots_returned {
                    self.figure(
                        d.partner_id.as_deref(),
                        &d.currency,
                        Figure::Redeemed,
                        -d.points,
                    );
                }
                // The part no lot covered was redeemed on the program's account.
                let overdrawn = *points - ledger_core::lots::total(lots_returned);
                if !overdrawn.is_zero() {
                    self.figure(None, currency, Figure::Redeemed, -overdrawn);
                }
                for lot in lots_restored {
                    self.open_lot(lot)?;
                }
            }
            EventBody::TierChanged {
                from_tier,
                to_tier,
                benefits_granted,
                benefits_revoked,
                ..
            } => {
                if let Some(view) = self.ov.member(self.program, self.member)?.as_mut() {
                    view.tier = Some(to_tier.clone());
                    for b in benefits_revoked {
                        view.benefits.remove(b);
                    }
                    view.benefits.extend(benefits_granted.iter().cloned());
                }
                self.ov
                    .tally(self.program, self.clock)
                    .tier_moved(Some(from_tier), Some(to_tier));
            }
            EventBody::MemberStatusChanged { from, to, .. } => {
                if let Some(view) = self.ov.member(self.program, self.member)?.as_mut() {
                    view.status = to.as_str().to_string();
                }
                self.ov
                    .tally(self.program, self.clock)
                    .status_moved(Some(from.as_str()), to.as_str());
            }
            EventBody::PointsAdjusted {
                currency,
                points,
                lot,
                lots_debited,
                ..
            } => {
                self.balance(currency, |b| b.earned += *points)?;
                if *points > Decimal::ZERO {
                    self.figure(None, currency, Figure::Issued, *points);
                }
                if let Some(lot) = lot {
                    self.open_lot(lot)?;
                }
                self.debit_lots(lots_debited, Some(Figure::Cancelled))?;
            }
            EventBody::PointsReleased {
                currency,
                points,
                released,
                lots_opened,
                ..
            } => {
                self.balance(currency, |b| b.earned += *points)?;
                for d in released {
                    self.figure(
                        d.partner_id.as_deref(),
                        &d.currency,
                        Figure::Issued,
                        d.points,
                    );
                }
                for lot in lots_opened {
                    self.open_lot(lot)?;
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
                let (kind, amount) = match value {
                    VoucherValue::FaceValue { amount } => ("face_value", *amount),
                    VoucherValue::Percent { percent } => ("percent", *percent),
                };
                if let Some(view) = self.ov.member(self.program, self.member)?.as_mut() {
                    view.vouchers.insert(
                        voucher_id.clone(),
                        VoucherView {
                            definition: definition.clone(),
                            kind: kind.to_string(),
                            value: amount,
                            remaining: value.face_value(),
                            status: VoucherStatus::Issued.as_str().to_string(),
                            issued_at: event.occurred_at,
                            valid_until: *valid_until,
                            source: source.clone(),
                        },
                    );
                }
            }
            EventBody::VoucherReserved { voucher_id } => {
                self.voucher(voucher_id, VoucherStatus::Reserved, None)?;
            }
            EventBody::VoucherRedeemed {
                voucher_id,
                remaining,
                ..
            } => {
                let status = VoucherStatus::after_redemption(*remaining);
                self.voucher(voucher_id, status, Some(*remaining))?;
            }
            EventBody::VoucherCancelled { voucher_id, .. } => {
                self.voucher(voucher_id, VoucherStatus::Cancelled, None)?;
            }
            EventBody::VoucherExpired { voucher_id, .. } => {
                self.voucher(voucher_id, VoucherStatus::Expired, None)?;
            }
            EventBody::PointsTransferredOut { .. }
            | EventBody::PointsTransferredIn { .. }
            | EventBody::TransferRefused { .. }
            | EventBody::TransferSettled { .. } => self.transfer(event)?,
            EventBody::GroupMemberAdded { .. }
            | EventBody::GroupMemberConfirmed { .. }
            | EventBody::GroupMemberRemoved { .. }
            | EventBody::GroupJoined { .. }
            | EventBody::GroupLeft { .. } => self.group(event)?,
            // A line in the spender's history; the group's redemption moved the points.
            EventBody::PoolSpent { .. } => {}
            EventBody::BadgeAwarded {
                badge,
                reason,
                milestone,
                valid_until,
            } => {
                if let Some(view) = self.ov.member(self.program, self.member)?.as_mut() {
                    view.badges.insert(
                        badge.clone(),
                        BadgeView {
                            awarded_at: event.occurred_at,
                            valid_until: *valid_until,
                            milestone: milestone.clone(),
                            reason: reason.clone(),
                        },
                    );
                }
            }
        }
        Ok(())
    }

    /// Transfers move lots between accounts: partner and program figures
    /// stay as they are (the points remain outstanding).
    fn transfer(&mut self, event: &Event) -> Result<(), StoreError> {
        match &event.body {
            EventBody::PointsTransferredOut {
                transfer_id,
                to_member,
                currency,
                points,
                pool,
                lots_debited,
                ..
            } => {
                self.balance(currency, |b| b.transferred -= *points)?;
                self.debit_lots(lots_debited, None)?;
                if let Some(view) = self.ov.member(self.program, self.member)?.as_mut() {
                    view.transfers_in_flight.insert(
                        transfer_id.clone(),
                        TransferView {
                            to_member: to_member.clone(),
                            currency: currency.clone(),
                            points: *points,
                            pool: *pool,
                            sent_at: event.occurred_at,
                        },
                    );
                }
            }
            EventBody::PointsTransferredIn {
                currency,
                points,
                lots_opened,
                ..
            } => {
                self.balance(currency, |b| b.transferred += *points)?;
                for lot in lots_opened {
                    self.open_lot(lot)?;
                }
            }
            EventBody::TransferSettled {
                transfer_id,
                currency,
                arrears_settled,
                lots_restored,
                ..
            } => {
                let back = ledger_core::lots::total_of(lots_restored) + *arrears_settled;
                self.balance(currency, |b| b.transferred += back)?;
                for lot in lots_restored {
                    self.open_lot(lot)?;
                }
                if let Some(view) = self.ov.member(self.program, self.member)?.as_mut() {
                    view.transfers_in_flight.remove(transfer_id);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn group(&mut self, event: &Event) -> Result<(), StoreError> {
        let Some(view) = self.ov.member(self.program, self.member)?.as_mut() else {
            return Ok(());
        };
        match &event.body {
            EventBody::GroupMemberAdded {
                member_id,
                contribution_percent,
                may_redeem,
            } => {
                view.roster.insert(
                    member_id.clone(),
                    RosterView {
                        contribution_percent: *contribution_percent,
                        may_redeem: *may_redeem,
                        confirmed: false,
                        added_at: event.occurred_at,
                    },
                );
            }
            EventBody::GroupMemberConfirmed { member_id } => {
                if let Some(entry) = view.roster.get_mut(member_id) {
                    entry.confirmed = true;
                }
            }
            EventBody::GroupMemberRemoved { member_id, .. } => {
                view.roster.remove(member_id);
            }
            EventBody::GroupJoined {
                group_id,
                contribution_percent,
                may_redeem,
                ..
            } => {
                view.group = Some(GroupLinkView {
                    group_id: group_id.clone(),
                    contribution_percent: *contribution_percent,
                    may_redeem: *may_redeem,
                });
            }
            EventBody::GroupLeft { group_id, .. }
                if view.group.as_ref().is_some_and(|g| &g.group_id == group_id) =>
            {
                view.group = None;
            }
            _ => {}
        }
        Ok(())
    }

    /// Moves a voucher to `status` and, when given, its face value left.
    fn voucher(
        &mut self,
        voucher_id: &str,
        status: VoucherStatus,
        remaining: Option<Option<Decimal>>,
    ) -> Result<(), StoreError> {
        let view = self.ov.member(self.program, self.member)?;
        if let Some(v) = view.as_mut().and_then(|m| m.vouchers.get_mut(voucher_id)) {
            v.status = status.as_str().to_string();
            if let Some(r) = remaining {
                v.remaining = r;
            }
        }
        Ok(())
    }

    fn balance(
        &mut self,
        currency: &str,
        change: impl FnOnce(&mut BalanceView),
    ) -> Result<(), StoreError> {
        if let Some(view) = self.ov.member(self.program, self.member)?.as_mut() {
            change(view.balances.entry(currency.to_string()).or_default());
        }
        Ok(())
    }

    /// Partner and program totals. Partner figures are kept for every
    /// currency: which ones are liabilities is the reader's business, so the
    /// fold never depends on another account's events (the program's).
    fn figure(&mut self, partner: Option<&str>, currency: &str, figure: Figure, points: Decimal) {
        let tally = self.ov.tally(self.program, self.clock);
        *figure.of_totals(tally.totals(currency)) += points;
        *figure.of_partner(tally.partner(partner.unwrap_or(""), currency)) += points;
    }

    fn open_lot(&mut self, lot: &Lot) -> Result<(), StoreError> {
        let doc = self
            .ov
            .lot(self.program, self.member, &lot.currency, &lot.lot_id)?;
        let expires_at = match doc {
            Some(open) => {
                open.points += lot.points;
                open.expires_at
            }
            None => {
                *doc = Some(LotView::from(lot));
                lot.expires_at
            }
        };
        self.expiring(expires_at, &lot.currency, lot.points)
    }

    /// Keeps the member's points by expiry date in step with its lots.
    fn expiring(
        &mut self,
        at: Option<Time>,
        currency: &str,
        change: Decimal,
    ) -> Result<(), StoreError> {
        let Some(at) = at else {
            return Ok(());
        };
        let doc = self.ov.expiring(self.program, self.member, at, currency)?;
        let points = doc.as_ref().map_or(Decimal::ZERO, |d| d.points) + change;
        *doc = (points > Decimal::ZERO).then(|| ExpiringPoints {
            expires_at: at,
            currency: currency.to_string(),
            points,
        });
        Ok(())
    }

    fn debit_lots(
        &mut self,
        debits: &[LotDebit],
        figure: Option<Figure>,
    ) -> Result<(), StoreError> {
        for d in debits {
            let doc = self
                .ov
                .lot(self.program, self.member, &d.currency, &d.lot_id)?;
            if let Some(open) = doc {
                let taken = d.points.min(open.points);
                let expires_at = open.expires_at;
                open.points -= d.points;
                if open.points <= Decimal::ZERO {
                    *doc = None;
                }
                self.expiring(expires_at, &d.currency, -taken)?;
            }
            if let Some(f) = figure {
                self.figure(d.partner_id.as_deref(), &d.currency, f, d.points);
            }
        }
        Ok(())
    }
}
