//! Program-wide runs (expiry, tier assessment): each member's part is decided
//! like any command; a partition's events are appended in one batch.

use crate::encode::{account_key, records, Next};
use crate::error::CommandError;
use crate::service::{apply_member, took_effect, CommandService, Landing};
use event_log::Positions;
use ledger_core::event::EventBody;
use ledger_core::{decide, Decimal, Decision, MemberCommand};
use std::collections::BTreeMap;
use tracing::{info, info_span, Instrument};

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunSummary {
    pub members_scanned: u64,
    pub members_affected: u64,
    pub events: u64,
    /// Points expired (reset, released) per currency.
    pub points: BTreeMap<String, Decimal>,
    /// Tier moves counted by (from, to).
    pub tier_moves: BTreeMap<(String, String), u64>,
    pub positions: Positions,
    /// Partitions the run covered (those this instance owns).
    pub partitions: Vec<u32>,
}

impl CommandService {
    /// Runs `command` (Expire, AssessTier or Release) for every member of the program.
    pub async fn run_for_all(
        &self,
        program_id: &str,
        command: MemberCommand,
    ) -> Result<RunSummary, CommandError> {
        let span = info_span!("program_run", program = program_id, run = ?command);
        async {
            let program = self.program_for(program_id, &command, self.clock.now())?;
            let prefix = account_key(program_id, "");
            let mut summary = RunSummary::default();
            for partition in 0..self.partitions.len() as u32 {
                let mut part = self.current(partition).await?;
                if !part.owned {
                    continue;
                }
                summary.partitions.push(partition);
                let writer = self.writer();
                let now = writer.recorded_at;
                let mut batch = Vec::new();
                let mut decided = Vec::new();
                for (key, account) in part.members.iter().filter(|(k, _)| k.starts_with(&prefix)) {
                    summary.members_scanned += 1;
                    let Decision::Events(events) = decide(
                        Some(&account.member),
                        &program,
                        &account.member.id,
                        &command,
                        now,
                    )?
                    else {
                        continue;
                    };
                    if events.is_empty() {
                        continue;
                    }
                    let after = Next {
                        sequence: account.sequence,
                        head: &account.head,
                    };
                    let (records, digests) =
                        records(writer, program_id, &account.member.id, after, &events);
                    batch.extend(records);
                    decided.push((key.clone(), account.member.id.clone(), events, digests));
                }
                if batch.is_empty() {
                    continue;
                }
                let expect = part.read_to;
                let offsets = self.write(partition, expect, batch).await?;
                // A member whose group another writer's took the place of is
                // left out (a later run catches it up).
                let landing = self.land(&mut part, partition, &offsets).await?;
                let mut offsets = offsets.into_iter();
                for (key, member_id, events, digests) in decided {
                    let mine: Vec<u64> = offsets.by_ref().take(events.len()).collect();
                    match &landing {
                        Landing::Direct => {
                            part.open.remove(&key);
                            for ((event, offset), digest) in events.iter().zip(&mine).zip(digests) {
                                apply_member(&mut part, &key, &member_id, *offset, event, digest);
                            }
                        }
                        Landing::Read(applied) if took_effect(applied, &mine) => {}
                        Landing::Read(_) => continue,
                    }
                    summary.members_affected += 1;
                    tally(&mut summary, &events);
                    for offset in mine {
                        summary.positions.merge_one(partition, offset);
                    }
                    summary.events += events.len() as u64;
                }
            }
            info!(
                affected = summary.members_affected,
                events = summary.events,
                "run finished"
            );
            Ok(summary)
        }
        .instrument(span)
        .await
    }
}

fn tally(summary: &mut RunSummary, events: &[ledger_core::Event]) {
    for event in events {
        match &event.body {
            EventBody::PointsExpired {
                currency, points, ..
            }
            | EventBody::QualifyingReset {
                currency, points, ..
            }
            | EventBody::PointsReleased {
                currency, points, ..
            } => {
                *summary.points.entry(currency.clone()).or_default() += *points;
            }
            EventBody::TierChanged {
                from_tier, to_tier, ..
            } => {
                *summary
                    .tier_moves
                    .entry((from_tier.clone(), to_tier.clone()))
                    .or_default() += 1;
            }
            _ => {}
        }
    }
}
