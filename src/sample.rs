//! The sample program "Cloud Kicks Insiders", loaded by `loyalty serve`.

use ledger_core::ProgramDefinition;

pub const SAMPLE_PROGRAM_ID: &str = "cloud-kicks";

pub const SAMPLE_PROGRAM_JSON: &str = r#"{
  "name": "Cloud Kicks Insiders",
  "money_currency": "USD",
  "currencies": [
    {"code": "POINTS", "kind": "non_qualifying", "expiry": {"model": "fixed_period", "months": 12}},
    {"code": "STATUS", "kind": "qualifying", "expiry": {"model": "none"}}
  ],
  "tiers": {
    "currency": "STATUS",
    "period": "calendar_year",
    "levels": [
      {"name": "Bronze", "min": "0", "benefits": ["birthday-gift"]},
      {"name": "Silver", "min": "500", "benefits": ["birthday-gift", "free-shipping"],
       "negative_limits": {"POINTS": "500"}},
      {"name": "Gold", "min": "2000", "benefits": ["birthday-gift", "free-shipping", "early-access"],
       "negative_limits": {"POINTS": "2000"}}
    ]
  },
  "earn_rules": [
    {"id": "base", "points_per_unit": {"POINTS": "10", "STATUS": "1"}},
    {"id": "app-double-points", "multiplier": "2", "currencies": ["POINTS"], "when": {"channel": "app"}},
    {"id": "gold-bonus", "multiplier": "1.25", "currencies": ["POINTS"], "when": {"tier": "Gold"}},
    {"id": "web-orders", "multiplier": "1.5", "currencies": ["POINTS"], "when": {"channel": "web"}, "pending_days": 30}
  ],
  "rounding": "down",
  "partners": [
    {"id": "skyline-hotels", "cost_per_point": "0.004"}
  ],
  "benefits": [
    {"id": "birthday-gift", "name": "Birthday gift"},
    {"id": "free-shipping", "name": "Free shipping"},
    {"id": "early-access", "name": "Early access to drops"}
  ],
  "promotions": [
    {"id": "sneaker-week", "name": "Triple points on sneakers",
     "when": {"product_category": "sneakers", "from": "2026-01-01T00:00:00Z", "until": "2030-01-01T00:00:00Z"},
     "reward": {"kind": "multiplier", "multiplier": "3", "currencies": ["POINTS"]},
     "limit_per_member": 5},
    {"id": "welcome-bonus", "name": "Welcome bonus on a first web order over 25",
     "when": {"channel": "web", "max_member_days": 30, "min_amount": "25"},
     "reward": {"kind": "bonus", "points": {"POINTS": "500"}},
     "limit_per_member": 1}
  ],
  "vouchers": [
    {"id": "ten-off", "name": "10 USD off", "value": {"kind": "face_value", "amount": "10"},
     "valid_days": 90, "price": {"currency": "POINTS", "points": "1000"}},
    {"id": "gold-welcome", "name": "20% off for new Gold members", "value": {"kind": "percent", "percent": "20"},
     "valid_days": 60, "issue_on_tier": "Gold"}
  ],
  "badges": [
    {"id": "first-reward", "name": "First reward", "award_on": {"milestone": "first_redemption"}},
    {"id": "gold-club", "name": "Gold club", "valid_months": 12, "award_on": {"milestone": "tier_reached", "tier": "Gold"}},
    {"id": "ambassador", "name": "Ambassador", "valid_months": 6}
  ]
}"#;

pub fn sample_program() -> ProgramDefinition {
    // The sample is a constant checked by a unit test below.
    serde_json::from_str(SAMPLE_PROGRAM_JSON).expect("the sample program parses")
}

#[cfg(test)]
mod tests {
    #[test]
    fn sample_program_is_valid() {
        super::sample_program().validate().unwrap();
    }
}
