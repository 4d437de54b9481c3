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

/// True for a strictly positive value with at most `decimals` decimal places.
pub fn positive_with_scale(value: Decimal, decimals: u32) -> bool {
    value > Decimal::ZERO && value.normalize().scale() <= decimals
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
