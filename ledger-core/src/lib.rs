//! The pure domain core of the loyalty ledger.
//!
//! No I/O, no async, no clock: time is always an argument. The two entry
//! points follow the event-sourcing split:
//! - [`decide`]: `(state, program, command, now) -> events | rejection`;
//! - [`Member::apply`] / [`ProgramState::apply`]: fold one event into state.
//!
//! Events are facts with their results (lots, consumptions, balances after),
//! so [`Member::apply`] never re-runs a business rule.

pub mod chain;
pub mod codec;
pub mod command;
pub mod command_codec;
pub mod decide;
pub mod event;
pub mod fingerprint;
pub mod group;
pub mod ids;
pub mod lots;
pub mod member;
pub mod numbers;
pub mod open_lots;
pub mod program;
pub mod promotion;
pub mod rejection;
pub mod saga;
pub mod sequence;
pub mod time;
pub mod trail;
pub mod transfer;
pub mod voucher;

pub use command::{Accrual, Command, MemberCommand};
pub use decide::{decide, decide_program, Decision};
pub use event::{Event, EventBody};
pub use member::{Member, MemberStatus, MemberType};
pub use program::{Program, ProgramDefinition, ProgramState};
pub use rejection::Rejection;

/// Points and money are exact decimals.
pub type Decimal = rust_decimal::Decimal;
/// Business and record times are UTC.
pub type Time = chrono::DateTime<chrono::Utc>;
pub(crate) use chrono::Datelike;
