//! What every decision needs: the program in force, the member, the
//! command's fingerprint and the current time.

use crate::event::{BalanceAfter, Event, EventBody};
use crate::lots::CurrencyBook;
use crate::member::Member;
use crate::program::Program;
use crate::Time;
use std::collections::BTreeMap;

pub(crate) struct Context<'a> {
    pub program: &'a Program,
    pub member: &'a Member,
    pub fingerprint: String,
    pub now: Time,
}

impl<'a> Context<'a> {
    pub fn new(program: &'a Program, member: &'a Member, fingerprint: String, now: Time) -> Self {
        Context {
            program,
            member,
            fingerprint,
            now,
        }
    }

    pub fn event(&self, transaction_id: &str, occurred_at: Time, body: EventBody) -> Event {
        Event {
            transaction_id: transaction_id.to_string(),
            occurred_at,
            program_version: self.program.version,
            fingerprint: self.fingerprint.clone(),
            body,
        }
    }
}

/// Scratch copies of the books a decision touches, to compute balances after.
#[derive(Default)]
pub(crate) struct Scratch {
    pub books: BTreeMap<String, CurrencyBook>,
}

impl Scratch {
    pub fn book(&mut self, member: &Member, currency: &str) -> &mut CurrencyBook {
        self.books
            .entry(currency.to_string())
            .or_insert_with(|| member.book_or_default(currency))
    }

    pub fn balances_after(&self) -> Vec<BalanceAfter> {
        self.books
            .iter()
            .map(|(code, book)| book.balance_after(code))
            .collect()
    }
}
