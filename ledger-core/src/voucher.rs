//! Vouchers: program definitions (a face value or a percentage, a validity,
//! optionally a price in points and a tier that earns one) and the vouchers
//! a member holds, with their life cycle.

use crate::ids::{valid_id, valid_text};
use crate::numbers::positive_with_scale;
use crate::program::{CurrencyKind, ProgramDefinition};
use crate::{Decimal, Time};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VoucherDef {
    pub id: String,
    pub name: String,
    pub value: VoucherValue,
    /// Days from issue until it lapses.
    pub valid_days: u32,
    /// What it costs when bought with points (not for sale when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<VoucherPrice>,
    /// Issued automatically on an upgrade into this tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_on_tier: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VoucherValue {
    /// Money off, usable in parts until spent.
    FaceValue { amount: Decimal },
    /// A percentage off one purchase.
    Percent { percent: Decimal },
}

impl VoucherValue {
    /// Face value a voucher starts with (none for a percentage).
    pub fn face_value(&self) -> Option<Decimal> {
        match self {
            VoucherValue::FaceValue { amount } => Some(*amount),
            VoucherValue::Percent { .. } => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VoucherPrice {
    pub currency: String,
    pub points: Decimal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoucherStatus {
    Issued,
    Reserved,
    Redeemed,
    Cancelled,
    Expired,
}

impl VoucherStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VoucherStatus::Issued => "issued",
            VoucherStatus::Reserved => "reserved",
            VoucherStatus::Redeemed => "redeemed",
            VoucherStatus::Cancelled => "cancelled",
            VoucherStatus::Expired => "expired",
        }
    }

    /// After a redemption leaving `remaining` face value: spent when nothing
    /// is left (or it was a percentage), else usable again (unreserved).
    pub fn after_redemption(remaining: Option<Decimal>) -> VoucherStatus {
        if remaining.is_none_or(|r| r.is_zero()) {
            VoucherStatus::Redeemed
        } else {
            VoucherStatus::Issued
        }
    }

    /// Still usable (not spent, cancelled or lapsed).
    pub fn is_open(self) -> bool {
        matches!(self, VoucherStatus::Issued | VoucherStatus::Reserved)
    }
}

/// A voucher a member holds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Voucher {
    pub voucher_id: String,
    pub definition: String,
    pub value: VoucherValue,
    /// Face value left (face-value vouchers).
    pub remaining: Option<Decimal>,
    pub valid_until: Time,
    pub status: VoucherStatus,
    /// The transaction that issued it.
    pub issued_by: String,
}

impl Voucher {
    /// Untouched since issue: its purchase may still be refunded.
    pub fn unused(&self) -> bool {
        self.status.is_open()
            && match (&self.value, self.remaining) {
                (VoucherValue::FaceValue { amount }, Some(left)) => left == *amount,
                _ => true,
            }
    }
}

/// The id of the voucher of definition `def` issued by transaction `tx`
/// (no '/', so a plain transaction id gives a path-safe voucher id).
pub fn voucher_id(tx: &str, def: &str) -> String {
    format!("{tx}:{def}")
}

impl VoucherDef {
    pub(crate) fn validate(&self, def: &ProgramDefinition) -> Result<(), String> {
        let id = &self.id;
        if self.name.trim().is_empty() || !valid_text(&self.name) {
            return Err(format!(
                "voucher {id}: name must be 1-256 printable characters"
            ));
        }
        match &self.value {
            VoucherValue::FaceValue { amount } => {
                if !positive_with_scale(*amount, def.money_decimals()) {
                    return Err(format!(
                        "voucher {id}: amount must be a positive {} amount",
                        def.money_currency
                    ));
                }
            }
            VoucherValue::Percent { percent } => {
                if *percent <= Decimal::ZERO || *percent > Decimal::ONE_HUNDRED {
                    return Err(format!("voucher {id}: percent must be > 0 and <= 100"));
                }
            }
        }
        if !(1..=3650).contains(&self.valid_days) {
            return Err(format!("voucher {id}: valid_days must be 1-3650"));
        }
        if let Some(price) = &self.price {
            match def.currency(&price.currency) {
                Some(c) if c.kind == CurrencyKind::NonQualifying => {}
                _ => {
                    return Err(format!(
                        "voucher {id}: price needs a spendable currency, not {}",
                        price.currency
                    ))
                }
            }
            if !positive_with_scale(price.points, def.points_decimals) {
                return Err(format!("voucher {id}: price points must be > 0"));
            }
        }
        if let Some(tier) = &self.issue_on_tier {
            if def.tier_index(tier).is_none() {
                return Err(format!("voucher {id}: unknown tier {tier}"));
            }
        }
        Ok(())
    }
}

/// Validates a program's vouchers: ids unique, each one sound.
pub(crate) fn validate_all(def: &ProgramDefinition) -> Result<(), String> {
    let mut ids = std::collections::BTreeSet::new();
    for v in &def.vouchers {
        if !valid_id(&v.id) || !ids.insert(&v.id) {
            return Err(format!("voucher id {:?} is invalid or repeated", v.id));
        }
        v.validate(def)?;
    }
    Ok(())
}
