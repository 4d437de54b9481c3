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
      {"name": "Bronze", "min": "0"},
      {"name": "Silver", "min": "500"},
      {"name": "Gold", "min": "2000"}
    ]
  },
  "earn_rules": [
    {"id": "base", "points_per_unit": {"POINTS": "10", "STATUS": "1"}},
    {"id": "app-double-points", "multiplier": "2", "currencies": ["POINTS"], "when": {"channel": "app"}},
    {"id": "gold-bonus", "multiplier": "1.25", "currencies": ["POINTS"], "when": {"tier": "Gold"}}
  ],
  "rounding": "down",
  "partners": [
    {"id": "skyline-hotels", "cost_per_point": "0.004"}
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
