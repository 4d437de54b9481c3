//! The one place the command side reads the wall clock; the core never does.

use ledger_core::Time;

pub trait Clock: Send + Sync {
    fn now(&self) -> Time;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Time {
        ledger_core::time::truncate(chrono::Utc::now())
    }
}
