//! Several accounts of one program, with the ledger's follow-ups delivered
//! between them the way the command service does: given/when/then across
//! accounts (transfers, groups).

use super::{program, t};
use ledger_core::command::MemberCommand;
use ledger_core::event::{Event, EventBody};
use ledger_core::member::MemberType;
use ledger_core::program::Program;
use ledger_core::saga::{after_duplicate, after_events, after_rejection, FollowUp};
use ledger_core::{decide, Decimal, Decision, Member, Rejection, Time};
use std::collections::{BTreeMap, VecDeque};

pub struct Ledger {
    pub program: Program,
    pub accounts: BTreeMap<String, Member>,
    pub events: Vec<(String, Event)>,
    pub now: Time,
    /// Follow-ups not delivered yet (`hold` keeps them here).
    pub outbox: VecDeque<FollowUp>,
    pub hold: bool,
    /// Every follow-up delivered, in order.
    pub delivered: Vec<FollowUp>,
}

impl Default for Ledger {
    fn default() -> Self {
        Ledger {
            program: program(),
            accounts: BTreeMap::new(),
            events: Vec::new(),
            now: t(2026, 6, 1),
            outbox: VecDeque::new(),
            hold: false,
            delivered: Vec::new(),
        }
    }
}

impl Ledger {
    pub fn enroll(&mut self, id: &str, member_type: MemberType) {
        let enroll = MemberCommand::Enroll {
            member_type,
            enrolled_at: t(2026, 1, 1),
            channel: None,
        };
        self.run(id, enroll).expect("enrolled");
    }

    /// Decides a command on `account`, then delivers every follow-up it
    /// leads to (unless held). Returns the command's own decision.
    pub fn run(&mut self, account: &str, command: MemberCommand) -> Result<Decision, Rejection> {
        let decision = self.decide(account, &command);
        if !self.hold {
            self.flush();
        }
        decision
    }

    /// Delivers held follow-ups until none are left.
    pub fn flush(&mut self) {
        while let Some(f) = self.outbox.pop_front() {
            self.decide(&f.member_id, &f.command).ok();
            self.delivered.push(f);
        }
    }

    /// Delivers one follow-up again (a repeat after a restart).
    pub fn redeliver(&mut self, f: FollowUp) {
        self.decide(&f.member_id, &f.command).ok();
        self.flush();
    }

    fn decide(&mut self, account: &str, command: &MemberCommand) -> Result<Decision, Rejection> {
        let member = self.accounts.get(account);
        let result = decide(member, &self.program, account, command, self.now);
        let follow = match &result {
            Ok(Decision::Events(events)) => {
                self.fold(account, events);
                after_events(account, events)
            }
            Ok(Decision::Duplicate) => match self.accounts.get(account) {
                Some(m) => after_duplicate(m, command),
                None => Vec::new(),
            },
            Err(r) => after_rejection(account, command, r),
        };
        self.outbox.extend(follow);
        result
    }

    fn fold(&mut self, account: &str, events: &[Event]) {
        for e in events {
            match self.accounts.get_mut(account) {
                Some(m) => m.apply(e),
                None => {
                    if let Some(m) = Member::enrolled(account, e) {
                        self.accounts.insert(account.to_string(), m);
                    }
                }
            }
            self.events.push((account.to_string(), e.clone()));
        }
    }

    pub fn member(&self, account: &str) -> &Member {
        &self.accounts[account]
    }

    pub fn available(&self, account: &str, currency: &str) -> Decimal {
        self.accounts
            .get(account)
            .and_then(|m| m.book(currency))
            .map(|b| b.available())
            .unwrap_or_default()
    }

    /// The names of an account's events, in order.
    pub fn history(&self, account: &str) -> Vec<&'static str> {
        self.events
            .iter()
            .filter(|(a, _)| a == account)
            .map(|(_, e)| e.body.name())
            .collect()
    }

    /// An account's last event of a kind.
    pub fn last(&self, account: &str, name: &str) -> &EventBody {
        &self.last_event(account, name).body
    }

    /// An account's last event of a kind, whole.
    pub fn last_event(&self, account: &str, name: &str) -> &Event {
        self.events
            .iter()
            .rev()
            .find(|(a, e)| a == account && e.body.name() == name)
            .map(|(_, e)| e)
            .unwrap_or_else(|| panic!("{account} has no {name}"))
    }
}
