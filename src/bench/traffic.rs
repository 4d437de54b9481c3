//! Journal items (the `POST .../journals` shape) for benchmarks: members
//! enrolled, then store, app and web purchases, partner hotel stays,
//! returns and redemptions, each at a business time one step after the
//! previous command, so a run spans a realistic calendar.

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

pub struct Traffic {
    rng: StdRng,
    prefix: String,
    members: u32,
    start: DateTime<Utc>,
    step: Duration,
    /// Commands made so far (also makes transaction ids unique).
    made: u64,
}

impl Traffic {
    /// `members` members named `<prefix>-<n>`; business time starts at
    /// `start` and moves `step` per command.
    pub fn new(
        seed: u64,
        prefix: &str,
        members: u32,
        start: DateTime<Utc>,
        step: Duration,
    ) -> Self {
        Traffic {
            rng: StdRng::seed_from_u64(seed),
            prefix: prefix.to_string(),
            members: members.max(1),
            start,
            step,
            made: 0,
        }
    }

    pub fn member(&self, n: u32) -> String {
        format!("{}-{n}", self.prefix)
    }

    pub fn enrollment(&self, n: u32) -> Value {
        json!({"type": "enrollment", "member_id": self.member(n), "member_type": "individual",
               "enrolled_at": self.start, "channel": "app"})
    }

    /// Every member's enrollment, in chunks of `chunk`.
    pub fn enrollments(&self, chunk: usize) -> Vec<Vec<Value>> {
        let all: Vec<Value> = (0..self.members).map(|n| self.enrollment(n)).collect();
        all.chunks(chunk.max(1)).map(<[Value]>::to_vec).collect()
    }

    /// The next command, for a random member.
    pub fn next(&mut self) -> Value {
        let n = self.rng.random_range(0..self.members);
        self.next_for(n)
    }

    /// The next command for member `n`: mostly purchases, some hotel
    /// stays, returns of an earlier purchase and redemptions.
    pub fn next_for(&mut self, n: u32) -> Value {
        self.made += 1;
        let member = self.member(n);
        let at = self.start + self.step * (self.made as i32);
        let tx = format!("{}-{}", self.prefix, self.made);
        let roll: f64 = self.rng.random();
        if roll < 0.04 {
            let points = self.rng.random_range(200..2000).to_string();
            return json!({"type": "accrual", "member_id": member, "transaction_id": tx,
                          "occurred_at": at, "points": {"POINTS": points},
                          "partner_id": "skyline-hotels"});
        }
        if roll < 0.16 {
            let points = (self.rng.random_range(1..8) * 250).to_string();
            return json!({"type": "redemption", "member_id": member, "transaction_id": tx,
                          "occurred_at": at, "currency": "POINTS", "points": points});
        }
        if roll < 0.19 && self.made > 1 {
            // A return of some earlier purchase (rejected when that was
            // not this member's, as a mistyped receipt would be).
            let earlier = self.rng.random_range(1..self.made);
            return json!({"type": "cancellation", "member_id": member, "transaction_id": tx,
                          "cancels": format!("{}-{earlier}", self.prefix),
                          "occurred_at": at, "reason": "returned"});
        }
        let cents: u32 = self.rng.random_range(500..30_000);
        let channel = ["store", "store", "app", "web"][self.rng.random_range(0..4)];
        let category = ["running", "lifestyle", "sneakers"][self.rng.random_range(0..3)];
        json!({"type": "accrual", "member_id": member, "transaction_id": tx, "occurred_at": at,
               "amount": format!("{}.{:02}", cents / 100, cents % 100),
               "channel": channel, "product_category": category})
    }

    /// The next `n` commands.
    pub fn batch(&mut self, n: usize) -> Vec<Value> {
        (0..n).map(|_| self.next()).collect()
    }
}
