//! What an accepted command produced: its events and where they landed.

use event_log::Positions;
use ledger_core::Event;

#[derive(Clone, Debug)]
pub struct Outcome {
    pub events: Vec<Event>,
    pub partition: u32,
    /// Offset of each event, in order.
    pub offsets: Vec<u64>,
    /// True when this is a retry answered from the original events.
    pub duplicate: bool,
    /// The member's tier after the command (None for programs without tiers).
    pub tier: Option<String>,
}

impl Outcome {
    /// A command's events as newly written at `offsets`.
    pub fn written(
        events: Vec<Event>,
        partition: u32,
        offsets: Vec<u64>,
        tier: Option<String>,
    ) -> Self {
        Outcome {
            events,
            partition,
            offsets,
            duplicate: false,
            tier,
        }
    }

    /// The consistency token: position of the last event (empty when none was written).
    pub fn positions(&self) -> Positions {
        let mut p = Positions::default();
        if let Some(last) = self.offsets.last() {
            p.merge_one(self.partition, *last);
        }
        p
    }
}
