//! Time helpers: one text form (RFC 3339, UTC, microseconds) everywhere, so
//! a time survives a round trip through the log unchanged.

use crate::Time;
use chrono::{DateTime, Months, SecondsFormat, SubsecRound, Utc};

/// Canonical text of a time.
pub fn format(t: &Time) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Parses RFC 3339 (any offset) into UTC, truncated to microseconds.
pub fn parse(s: &str) -> Option<Time> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc).trunc_subsecs(6))
}

/// Truncates to the precision the log keeps.
pub fn truncate(t: Time) -> Time {
    t.trunc_subsecs(6)
}

/// `t` plus whole calendar months (end-of-month clamps, as chrono does).
pub fn add_months(t: Time, months: u32) -> Time {
    t.checked_add_months(Months::new(months))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Start of the calendar year `year` (UTC).
pub fn year_start(year: i32) -> Time {
    use chrono::TimeZone;
    Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Optional time as text, empty when absent (proto3 style).
pub fn format_opt(t: &Option<Time>) -> String {
    t.as_ref().map(format).unwrap_or_default()
}
