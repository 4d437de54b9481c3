//! A given/when/then harness for the member aggregate: given past events,
//! when a command is decided, then expect events or a rejection.

#![allow(dead_code)]

use chrono::{TimeZone, Utc};
use ledger_core::command::{Accrual, Adjustment, MemberCommand};
use ledger_core::event::{Event, EventBody};
use ledger_core::member::{MemberStatus, MemberType};
use ledger_core::program::{Program, ProgramDefinition};
use ledger_core::{decide, Decimal, Decision, Member, Rejection, Time};
use std::collections::BTreeMap;

pub mod ledger;

pub const MEMBER: &str = "m-1";

pub fn t(y: i32, mo: u32, d: u32) -> Time {
    Utc.with_ymd_and_hms(y, mo, d, 12, 0, 0).unwrap()
}

pub fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// The sample-like program the tests run against.
pub fn program() -> Program {
    let definition: ProgramDefinition = serde_json::from_value(serde_json::json!({
        "name": "Test Kicks",
        "money_currency": "EUR",
        "currencies": [
            {"code": "POINTS", "kind": "non_qualifying", "expiry": {"model": "fixed_period", "months": 12}},
            {"code": "STATUS", "kind": "qualifying"},
            {"code": "MILES", "kind": "non_qualifying", "expiry": {"model": "activity", "months": 6}}
        ],
        "tiers": {"currency": "STATUS", "period": "calendar_year", "levels": [
            {"name": "Bronze", "min": 0}, {"name": "Silver", "min": 500}, {"name": "Gold", "min": 2000}
        ]},
        "earn_rules": [
            {"id": "base", "points_per_unit": {"POINTS": "1", "STATUS": "1"}},
            {"id": "app-double", "multiplier": "2", "when": {"channel": "app"}},
            {"id": "gold-bonus", "multiplier": "1.5", "currencies": ["POINTS"], "when": {"tier": "Gold"}}
        ],
        "rounding": "down",
        "partners": [{"id": "hotel", "cost_per_point": "0.01"}, {"id": "airline", "cost_per_point": "0.02"}]
    }))
    .unwrap();
    definition.validate().unwrap();
    Program {
        id: "kicks".into(),
        version: 1,
        defined_at: t(2026, 1, 1),
        definition,
    }
}

pub struct Scenario {
    pub program: Program,
    pub member: Option<Member>,
    pub now: Time,
}

pub struct Outcome {
    pub result: Result<Decision, Rejection>,
    pub member: Option<Member>,
}

/// Given the member's past events (decided one command at a time).
pub fn given(commands: &[MemberCommand]) -> Scenario {
    let mut s = Scenario {
        program: program(),
        member: None,
        now: t(2026, 6, 1),
    };
    for c in commands {
        let events = s
            .decide(c)
            .unwrap_or_else(|r| panic!("given {c:?} rejected: {r}"));
        s.fold(&events);
    }
    s
}

impl Scenario {
    pub fn decide(&self, c: &MemberCommand) -> Result<Vec<Event>, Rejection> {
        match decide(self.member.as_ref(), &self.program, MEMBER, c, self.now)? {
            Decision::Events(e) => Ok(e),
            Decision::Duplicate => Ok(Vec::new()),
        }
    }

    pub fn fold(&mut self, events: &[Event]) {
        for e in events {
            match &mut self.member {
                Some(m) => m.apply(e),
                None => self.member = Member::enrolled(MEMBER, e),
            }
        }
    }

    /// When the command is decided (and its events folded).
    pub fn when(mut self, c: MemberCommand) -> Outcome {
        let result = decide(self.member.as_ref(), &self.program, MEMBER, &c, self.now);
        if let Ok(Decision::Events(events)) = &result {
            self.fold(events);
        }
        Outcome {
            result,
            member: self.member,
        }
    }
}

impl Outcome {
    pub fn then_events(&self) -> &[Event] {
        match &self.result {
            Ok(Decision::Events(e)) => e,
            other => panic!("expected events, got {other:?}"),
        }
    }

    pub fn then_rejected(&self, code: &str) -> &Rejection {
        match &self.result {
            Err(r) => {
                assert_eq!(r.code(), code, "rejection {r:?}");
                r
            }
            other => panic!("expected rejection {code}, got {other:?}"),
        }
    }

    pub fn then_duplicate(&self) {
        assert_eq!(self.result, Ok(Decision::Duplicate));
    }

    pub fn available(&self, currency: &str) -> Decimal {
        self.member
            .as_ref()
            .and_then(|m| m.book(currency))
            .map(|b| b.available())
            .unwrap_or_default()
    }

    pub fn tier(&self) -> Option<String> {
        self.member.as_ref().and_then(|m| m.tier.clone())
    }

    pub fn status(&self) -> Option<MemberStatus> {
        self.member.as_ref().map(|m| m.status)
    }
}

pub fn body(events: &[Event], i: usize) -> &EventBody {
    &events[i].body
}

pub fn enroll() -> MemberCommand {
    MemberCommand::Enroll {
        member_type: MemberType::Individual,
        enrolled_at: t(2026, 1, 2),
        channel: Some("store".into()),
    }
}

pub fn purchase(tx: &str, amount: &str, at: Time) -> MemberCommand {
    MemberCommand::Accrue(Accrual {
        transaction_id: tx.into(),
        occurred_at: at,
        amount: Some(dec(amount)),
        points: BTreeMap::new(),
        partner_id: None,
        channel: None,
        product_category: None,
    })
}

pub fn accrue_with(tx: &str, amount: &str, at: Time, channel: &str) -> MemberCommand {
    let MemberCommand::Accrue(mut a) = purchase(tx, amount, at) else {
        unreachable!()
    };
    a.channel = Some(channel.into());
    MemberCommand::Accrue(a)
}

pub fn credit(
    tx: &str,
    currency: &str,
    points: &str,
    partner: Option<&str>,
    at: Time,
) -> MemberCommand {
    MemberCommand::Accrue(Accrual {
        transaction_id: tx.into(),
        occurred_at: at,
        amount: None,
        points: BTreeMap::from([(currency.to_string(), dec(points))]),
        partner_id: partner.map(str::to_string),
        channel: None,
        product_category: None,
    })
}

pub fn redeem(tx: &str, currency: &str, points: &str, at: Time) -> MemberCommand {
    MemberCommand::Redeem {
        transaction_id: tx.into(),
        occurred_at: at,
        currency: currency.into(),
        points: dec(points),
        partner_id: None,
        by_member: None,
    }
}

pub fn cancel(tx: &str, cancels: &str, at: Time) -> MemberCommand {
    MemberCommand::Cancel {
        transaction_id: tx.into(),
        cancels: cancels.into(),
        occurred_at: at,
        reason: "customer return".into(),
    }
}

pub fn expire(as_of: Time) -> MemberCommand {
    MemberCommand::Expire { as_of }
}

pub fn assess(as_of: Time) -> MemberCommand {
    MemberCommand::AssessTier { as_of }
}

pub fn status(tx: &str, status: MemberStatus, at: Time) -> MemberCommand {
    MemberCommand::ChangeStatus {
        transaction_id: tx.into(),
        status,
        occurred_at: at,
        reason: "member request".into(),
    }
}

pub fn adjust(tx: &str, currency: &str, points: &str, at: Time) -> MemberCommand {
    MemberCommand::Adjust(Adjustment {
        transaction_id: tx.into(),
        occurred_at: at,
        currency: currency.into(),
        points: dec(points),
        actor: "agent-7".into(),
        reason: "goodwill".into(),
    })
}
