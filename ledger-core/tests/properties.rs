//! Property tests over random command sequences on one member:
//! - every book: available = open lots - arrears = earned - redeemed - expired,
//!   lots positive, arrears only without open lots, never negative otherwise;
//! - a rejection or a duplicate changes nothing;
//! - replaying the accepted events (also through the protobuf wire form)
//!   reproduces the state exactly;
//! - partner outstanding, folded from the events, sums to the members' total;
//! - the running balances recorded on events match the state.

mod support;

use chrono::Duration;
use ledger_core::codec::{from_envelope, to_envelope, EnvelopeMeta};
use ledger_core::event::{Event, EventBody};
use ledger_core::program::CurrencyKind;
use ledger_core::{decide, Decimal, Decision, Member, MemberCommand};
use loyalty_proto::{EventEnvelope, Message};
use proptest::prelude::*;
use std::collections::BTreeMap;
use support::*;

#[derive(Clone, Debug)]
enum Op {
    Buy {
        cents: u32,
        app: bool,
    },
    Credit {
        currency: usize,
        points: u32,
        partner: Option<usize>,
    },
    Redeem {
        currency: usize,
        points: u32,
    },
    Cancel {
        pick: usize,
    },
    Retry {
        pick: usize,
        change: bool,
    },
    Tier {
        level: usize,
    },
    Expire {
        days: u16,
    },
    Assess,
}

const CURRENCIES: [&str; 3] = ["POINTS", "STATUS", "MILES"];
const PARTNERS: [&str; 2] = ["hotel", "airline"];
const TIERS: [&str; 3] = ["Bronze", "Silver", "Gold"];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (1u32..40_000, any::<bool>()).prop_map(|(cents, app)| Op::Buy { cents, app }),
        3 => (0usize..3, 1u32..3000, proptest::option::of(0usize..2))
            .prop_map(|(currency, points, partner)| Op::Credit { currency, points, partner }),
        4 => (0usize..3, 1u32..4000).prop_map(|(currency, points)| Op::Redeem { currency, points }),
        3 => (0usize..64).prop_map(|pick| Op::Cancel { pick }),
        1 => (0usize..64, any::<bool>()).prop_map(|(pick, change)| Op::Retry { pick, change }),
        1 => (0usize..3).prop_map(|level| Op::Tier { level }),
        1 => (0u16..500).prop_map(|days| Op::Expire { days }),
        1 => Just(Op::Assess),
    ]
}

/// Everything a run produced: the final state and the accepted events.
struct Run {
    member: Member,
    events: Vec<Event>,
}

fn run(ops: &[Op]) -> Result<Run, TestCaseError> {
    let mut scenario = given(&[]);
    let mut events = scenario.decide(&enroll()).expect("enroll");
    scenario.fold(&events);
    let mut sent: Vec<MemberCommand> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let at = t(2026, 1, 3) + Duration::days(i as i64 * 5);
        scenario.now = at;
        let tx = format!("tx{i}");
        let command = match op {
            Op::Buy { cents, app } => {
                let amount = format!("{}.{:02}", cents / 100, cents % 100);
                if *app {
                    accrue_with(&tx, &amount, at, "app")
                } else {
                    purchase(&tx, &amount, at)
                }
            }
            Op::Credit {
                currency,
                points,
                partner,
            } => credit(
                &tx,
                CURRENCIES[*currency],
                &points.to_string(),
                partner.map(|p| PARTNERS[p]),
                at,
            ),
            Op::Redeem { currency, points } => {
                redeem(&tx, CURRENCIES[*currency], &points.to_string(), at)
            }
            Op::Cancel { pick } => {
                let cancels = if sent.is_empty() {
                    "nope".to_string()
                } else {
                    tx_of(&sent[pick % sent.len()])
                };
                cancel(&tx, &cancels, at)
            }
            Op::Retry { pick, change } => {
                if sent.is_empty() {
                    continue;
                }
                let original = sent[pick % sent.len()].clone();
                if *change {
                    changed(original)
                } else {
                    original
                }
            }
            Op::Tier { level } => MemberCommand::ChangeTier {
                transaction_id: tx.clone(),
                tier: TIERS[*level].into(),
                reason: "agent".into(),
            },
            Op::Expire { days } => expire(at + Duration::days(i64::from(*days))),
            Op::Assess => assess(at),
        };
        let before = scenario.member.clone();
        match decide(
            scenario.member.as_ref(),
            &scenario.program,
            MEMBER,
            &command,
            at,
        ) {
            Ok(Decision::Events(new)) => {
                for e in &new {
                    scenario.fold(std::slice::from_ref(e));
                    check_balances_after(scenario.member.as_ref().unwrap(), e)?;
                }
                if command.transaction_id().is_some() {
                    sent.push(command);
                }
                events.extend(new);
            }
            Ok(Decision::Duplicate) | Err(_) => {
                prop_assert_eq!(
                    &scenario.member,
                    &before,
                    "a rejection or duplicate changed state"
                );
            }
        }
        check_books(scenario.member.as_ref().unwrap())?;
    }
    Ok(Run {
        member: scenario.member.unwrap(),
        events,
    })
}

fn tx_of(c: &MemberCommand) -> String {
    c.transaction_id().unwrap_or_default().to_string()
}

/// The same transaction id with another body.
fn changed(c: MemberCommand) -> MemberCommand {
    match c {
        MemberCommand::Accrue(mut a) => {
            a.product_category = Some("changed".into());
            MemberCommand::Accrue(a)
        }
        MemberCommand::Redeem {
            transaction_id,
            occurred_at,
            currency,
            points,
            partner_id,
        } => MemberCommand::Redeem {
            transaction_id,
            occurred_at,
            currency,
            points: points + Decimal::ONE,
            partner_id,
        },
        MemberCommand::Cancel {
            transaction_id,
            cancels,
            occurred_at,
            ..
        } => MemberCommand::Cancel {
            transaction_id,
            cancels,
            occurred_at,
            reason: "other".into(),
        },
        MemberCommand::ChangeTier {
            transaction_id,
            tier,
            ..
        } => MemberCommand::ChangeTier {
            transaction_id,
            tier,
            reason: "other".into(),
        },
        other => other,
    }
}

fn check_books(m: &Member) -> Result<(), TestCaseError> {
    for (code, b) in &m.books {
        let lots: Decimal = b.lots.iter().map(|l| l.points).sum();
        prop_assert_eq!(b.available(), lots - b.arrears, "{} available", code);
        prop_assert!(
            b.lots.iter().all(|l| l.points > Decimal::ZERO),
            "{} has an empty lot",
            code
        );
        prop_assert!(b.arrears >= Decimal::ZERO, "{} negative arrears", code);
        prop_assert!(
            b.arrears.is_zero() || b.lots.is_empty(),
            "{}: arrears beside open lots",
            code
        );
        prop_assert!(
            b.available() >= Decimal::ZERO || b.arrears > Decimal::ZERO,
            "{} negative",
            code
        );
        prop_assert_eq!(
            b.available(),
            b.earned - b.redeemed - b.expired,
            "{} figures",
            code
        );
    }
    Ok(())
}

fn check_balances_after(m: &Member, e: &Event) -> Result<(), TestCaseError> {
    for b in e.body.balances_after() {
        let book = m.book(&b.currency).cloned().unwrap_or_default();
        prop_assert_eq!(b.available, book.available());
        prop_assert_eq!(b.arrears, book.arrears);
        prop_assert_eq!(b.activity_expires_at, book.activity_expires_at);
    }
    Ok(())
}

fn replay(events: &[Event]) -> Option<Member> {
    let mut member: Option<Member> = None;
    for e in events {
        match &mut member {
            Some(m) => m.apply(e),
            None => member = Member::enrolled(MEMBER, e),
        }
    }
    member
}

fn through_the_wire(e: &Event, seq: u64) -> Event {
    let meta = EnvelopeMeta {
        event_id: format!("e{seq}"),
        program_id: "kicks".into(),
        account_id: MEMBER.into(),
        sequence: seq,
        recorded_at: t(2026, 1, 1),
    };
    let bytes = to_envelope(e, &meta).encode_to_vec();
    from_envelope(&EventEnvelope::decode(bytes.as_slice()).unwrap()).unwrap()
}

/// issued - redeemed - expired - cancelled per partner, for spendable currencies.
fn partner_outstanding(events: &[Event]) -> BTreeMap<Option<String>, Decimal> {
    let spendable = |c: &str| {
        program()
            .definition
            .currency(c)
            .is_some_and(|d| d.kind == CurrencyKind::NonQualifying)
    };
    let mut out: BTreeMap<Option<String>, Decimal> = BTreeMap::new();
    let mut add = |p: &Option<String>, c: &str, v: Decimal| {
        if spendable(c) {
            *out.entry(p.clone()).or_default() += v;
        }
    };
    for e in events {
        match &e.body {
            EventBody::PointsAccrued { credits, .. } => credits
                .iter()
                .for_each(|c| add(&c.partner_id, &c.currency, c.points)),
            EventBody::PointsRedeemed { lots_consumed, .. } => lots_consumed
                .iter()
                .for_each(|d| add(&d.partner_id, &d.currency, -d.points)),
            EventBody::PointsExpired { lots_expired, .. } => lots_expired
                .iter()
                .for_each(|d| add(&d.partner_id, &d.currency, -d.points)),
            EventBody::AccrualCancelled { reversals, .. } => reversals
                .iter()
                .for_each(|r| add(&r.partner_id, &r.currency, -r.points)),
            EventBody::RedemptionCancelled { lots_returned, .. } => lots_returned
                .iter()
                .for_each(|d| add(&d.partner_id, &d.currency, d.points)),
            _ => {}
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn books_stay_consistent_and_rejections_change_nothing(ops in proptest::collection::vec(op(), 1..60)) {
        run(&ops)?;
    }

    #[test]
    fn replaying_the_events_reproduces_the_state(ops in proptest::collection::vec(op(), 1..60)) {
        let r = run(&ops)?;
        let replayed = replay(&r.events);
        prop_assert_eq!(replayed.as_ref(), Some(&r.member));
        let wired: Vec<Event> = r.events.iter().enumerate().map(|(i, e)| through_the_wire(e, i as u64 + 1)).collect();
        prop_assert_eq!(&wired, &r.events, "events survive the protobuf wire form");
    }

    #[test]
    fn partner_outstanding_sums_to_the_total(ops in proptest::collection::vec(op(), 1..60)) {
        let r = run(&ops)?;
        let by_partner: Decimal = partner_outstanding(&r.events).values().copied().sum();
        let total: Decimal = ["POINTS", "MILES"].iter().filter_map(|c| r.member.book(c)).map(|b| b.available()).sum();
        prop_assert_eq!(by_partner, total);
    }

    #[test]
    fn tier_upgrades_are_never_missed(ops in proptest::collection::vec(op(), 1..60)) {
        let r = run(&ops)?;
        let def = program().definition;
        let mut member = Member::enrolled(MEMBER, &r.events[0]).unwrap();
        for (i, e) in r.events.iter().enumerate().skip(1) {
            member.apply(e);
            let EventBody::PointsAccrued { credits, .. } = &e.body else { continue };
            if !credits.iter().any(|c| c.currency == "STATUS") {
                continue;
            }
            // The upgrade, if any, is the next event of the same command.
            let tier = match r.events.get(i + 1) {
                Some(Event { body: EventBody::TierChanged { to_tier, .. }, transaction_id, .. })
                    if *transaction_id == e.transaction_id => Some(to_tier.clone()),
                _ => member.tier.clone(),
            };
            let status = member.book("STATUS").map(|b| b.available()).unwrap_or_default();
            let reached = def.tier_reached(status).and_then(|l| def.tier_index(&l.name)).unwrap_or(0);
            let current = tier.as_deref().and_then(|t| def.tier_index(t)).unwrap_or(0);
            prop_assert!(current >= reached, "tier {} below the level {} that {} STATUS reach", current, reached, status);
        }
    }
}
