//! Decimal helpers: precision checks, rounding and canonical text.

use crate::Decimal;
use rust_decimal::RoundingStrategy;
use serde::{Deserialize, Serialize};

/// How computed points are rounded to the program's points precision.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    #[default]
    Down,
    Nearest,
}

impl Rounding {
    pub fn round(self, value: Decimal, decimals: u32) -> Decimal {
        let strategy = match self {
            Rounding::Down => RoundingStrategy::ToZero,
            Rounding::Nearest => RoundingStrategy::MidpointAwayFromZero,
        };
        value.round_dp_with_strategy(decimals, strategy).normalize()
    }
}

/// Largest amount or points one command may carry (10^12). With the caps on
/// rates and multipliers in program validation, rule arithmetic cannot
/// overflow a decimal.
pub const MAX_QUANTITY: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0);
/// Largest points-per-unit rate and multiplier a program may define.
pub const MAX_RATE: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

/// True for a value in (0, 10^12] with at most `decimals` decimal places.
pub fn positive_with_scale(value: Decimal, decimals: u32) -> bool {
    value > Decimal::ZERO && value <= MAX_QUANTITY && value.normalize().scale() <= decimals
}

/// True for a value in [0, 10^12] with at most `decimals` decimal places.
pub fn non_negative_with_scale(value: Decimal, decimals: u32) -> bool {
    value.is_zero() || positive_with_scale(value, decimals)
}

/// Canonical text of a decimal ("120", "0.5").
pub fn text(value: Decimal) -> String {
    value.normalize().to_string()
}

/// Parses canonical text; empty text is zero (proto3 default).
pub fn parse(s: &str) -> Option<Decimal> {
    if s.is_empty() {
        return Some(Decimal::ZERO);
    }
    s.parse::<Decimal>().ok().map(|d| d.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_are_what_they_say() {
        assert_eq!(MAX_QUANTITY, Decimal::from(1_000_000_000_000u64));
        assert_eq!(MAX_RATE, Decimal::from(1_000_000u64));
    }
}
