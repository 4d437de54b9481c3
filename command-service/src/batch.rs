//! Many member commands of one program at once (`POST .../journals`): each
//! partition's share is decided in order on working copies of its accounts
//! (so a later command sees an earlier one's effect), appended in ONE log
//! append (one group commit, one fsync) and then applied. Every command is
//! answered on its own: accepted, a duplicate, or rejected.

use crate::encode::{account_key, records, Next};
use crate::error::CommandError;
use crate::outcome::Outcome;
use crate::rebuild::read_range;
use crate::service::{note_receipt, took_effect, CommandService, Landing};
use crate::state::{Account, PartitionState};
use event_log::LogError;
use ledger_core::saga::{after_duplicate, after_events, after_rejection};
use ledger_core::{decide, Decision, Event, Member, MemberCommand, Rejection, Time};
use std::collections::{BTreeMap, HashMap};
use tracing::{info_span, Instrument};

/// One command of a batch, for one member.
#[derive(Clone, Debug)]
pub struct Journal {
    pub member_id: String,
    pub command: MemberCommand,
}

/// Each journal's answer, in the order given.
pub type Answers = Vec<Result<Outcome, CommandError>>;

/// An account as the batch has decided it so far.
struct Working {
    member: Option<Member>,
    sequence: u64,
    head: String,
    /// Whether the batch writes events for it.
    written: bool,
}

impl Working {
    fn of(account: Option<&Account>) -> Self {
        Working {
            member: account.map(|a| a.member.clone()),
            sequence: account.map_or(0, |a| a.sequence),
            head: account.map_or_else(String::new, |a| a.head.clone()),
            written: false,
        }
    }

    fn apply(&mut self, member_id: &str, events: &[Event], digests: &[String]) {
        for event in events {
            match &mut self.member {
                Some(member) => member.apply(event),
                None => self.member = Member::enrolled(member_id, event),
            }
        }
        self.sequence += events.len() as u64;
        if let Some(last) = digests.last() {
            self.head = last.clone();
        }
        self.written = true;
    }
}

/// A journal decided into events, waiting for the append.
struct Planned {
    index: usize,
    key: String,
    events: Vec<Event>,
    /// Its records' place in the partition's append.
    first_record: usize,
    tier: Option<String>,
}

/// How one journal of a partition's share came out before the append.
enum Decided {
    Planned(Planned),
    /// Answered now (a rejection).
    Answered(usize, Result<Outcome, CommandError>),
    /// A retry of a journal written earlier: its events are read back.
    OnLog {
        index: usize,
        first: u64,
        count: u32,
        tier: Option<String>,
    },
    /// A retry of a journal earlier in this very batch.
    Repeat {
        index: usize,
        of: usize,
        tier: Option<String>,
    },
}

/// What a partition's share came to: answers, and journals another
/// writer's records took the place of (decided again one by one).
#[derive(Default)]
struct ShareResult {
    answers: Vec<(usize, Result<Outcome, CommandError>)>,
    again: Vec<usize>,
}

impl ShareResult {
    /// Every journal of the share answered with the same error.
    fn failed(share: Vec<usize>, e: &CommandError) -> Self {
        ShareResult {
            answers: share.into_iter().map(|i| (i, Err(shared(e)))).collect(),
            again: Vec::new(),
        }
    }
}

impl CommandService {
    /// Decides and records `journals` (all of `program_id`), one append
    /// per partition; partitions proceed concurrently.
    pub async fn execute_batch(&self, program_id: &str, journals: &[Journal]) -> Answers {
        let span = info_span!(
            "journal_batch",
            program = program_id,
            commands = journals.len()
        );
        async {
            let mut shares: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
            for (i, j) in journals.iter().enumerate() {
                let partition = self.partition_of(program_id, &j.member_id);
                shares.entry(partition).or_default().push(i);
            }
            let results = futures::future::join_all(
                shares
                    .into_iter()
                    .map(|(p, share)| self.execute_share(program_id, p, journals, share)),
            )
            .await;
            let mut answers: Vec<Option<Result<Outcome, CommandError>>> =
                journals.iter().map(|_| None).collect();
            let mut again = Vec::new();
            for result in results {
                for (i, answer) in result.answers {
                    answers[i] = Some(answer);
                }
                again.extend(result.again);
            }
            again.sort_unstable();
            for i in again {
                let j = &journals[i];
                answers[i] = Some(
                    self.execute(program_id, &j.member_id, j.command.clone())
                        .await,
                );
            }
            answers
                .into_iter()
                .map(|a| a.unwrap_or(Err(CommandError::Log(LogError::Closed))))
                .collect()
        }
        .instrument(span)
        .await
    }

    /// One partition's journals: decided under its lock, appended once.
    async fn execute_share(
        &self,
        program_id: &str,
        partition: u32,
        journals: &[Journal],
        share: Vec<usize>,
    ) -> ShareResult {
        let span = info_span!("journal_share", partition, commands = share.len());
        async {
            let mut part = match self.current(partition).await {
                Ok(part) => part,
                Err(e) => return ShareResult::failed(share, &e),
            };
            if !part.owned {
                return ShareResult::failed(share, &CommandError::NotOwner { partition });
            }
            let now = self.clock.now();
            let writer = self.writer();
            let mut work: HashMap<String, Working> = HashMap::new();
            let mut recs = Vec::new();
            let mut decided = Vec::with_capacity(share.len());
            let mut planned_tx: HashMap<(String, String), usize> = HashMap::new();
            // Follow-ups of rejections and repeats: decided on the state the
            // share's write lands behind, so posted once it stands (in Kafka
            // mode that state is on the log already).
            let mut deferred = Vec::new();
            for i in share {
                let j = &journals[i];
                let key = account_key(program_id, &j.member_id);
                let w = work
                    .entry(key.clone())
                    .or_insert_with(|| Working::of(part.members.get(&key)));
                let d = match self.decide_one(program_id, j, w, now) {
                    Err(r) => {
                        deferred.extend(after_rejection(&j.member_id, &j.command, &r));
                        Decided::Answered(i, Err(r.into()))
                    }
                    Ok(Decision::Duplicate) => {
                        let tx = j.command.transaction_id().unwrap_or_default().to_string();
                        let member = w.member.as_ref();
                        if let Some(m) = member {
                            deferred.extend(after_duplicate(m, &j.command));
                        }
                        let tier = member.and_then(|m| m.tier.clone());
                        match planned_tx.get(&(key.clone(), tx.clone())) {
                            Some(&of) => Decided::Repeat { index: i, of, tier },
                            None => {
                                let (first, count) = part
                                    .members
                                    .get(&key)
                                    .and_then(|a| a.receipts.get(&tx).copied())
                                    .unwrap_or((0, 0));
                                Decided::OnLog {
                                    index: i,
                                    first,
                                    count,
                                    tier,
                                }
                            }
                        }
                    }
                    Ok(Decision::Events(events)) => {
                        let after = Next {
                            sequence: w.sequence,
                            head: &w.head,
                        };
                        let (r, digests) =
                            records(writer, program_id, &j.member_id, after, &events);
                        w.apply(&j.member_id, &events, &digests);
                        if let Some(tx) = j.command.transaction_id() {
                            planned_tx.insert((key.clone(), tx.to_string()), i);
                        }
                        let first_record = recs.len();
                        recs.extend(r);
                        Decided::Planned(Planned {
                            index: i,
                            key,
                            tier: w.member.as_ref().and_then(|m| m.tier.clone()),
                            events,
                            first_record,
                        })
                    }
                };
                decided.push(d);
            }
            let expect = part.read_to;
            let written = self.write(partition, expect, recs).await;
            let landed = match written {
                Ok(offsets) => self
                    .land(&mut part, partition, &offsets)
                    .await
                    .map(|landing| (offsets, landing)),
                Err(e) => Err(e),
            };
            let mut result = ShareResult::default();
            let mut outcomes: HashMap<usize, Outcome> = HashMap::new();
            let mut on_log = Vec::new();
            match landed {
                // The rejections were decided on the same state as the
                // failed write (with a sole writer, on appends that did not
                // land): they are that error too, to be retried.
                Err(e) => {
                    if !self.queues {
                        self.post(program_id, deferred);
                    }
                    for d in decided {
                        match d {
                            Decided::Answered(i, Err(CommandError::Rejected(_))) if self.queues => {
                                result.answers.push((i, Err(shared(&e))))
                            }
                            Decided::Answered(i, a) => result.answers.push((i, a)),
                            Decided::Planned(p) => result.answers.push((p.index, Err(shared(&e)))),
                            Decided::Repeat { index, .. } => {
                                result.answers.push((index, Err(shared(&e))))
                            }
                            Decided::OnLog { .. } => on_log.push(d),
                        }
                    }
                }
                Ok((offsets, landing)) => {
                    self.post(program_id, deferred);
                    if let Landing::Direct = landing {
                        commit(&mut part, work, &decided, &offsets);
                    }
                    for d in decided {
                        match d {
                            Decided::Answered(i, a) => result.answers.push((i, a)),
                            Decided::Planned(p) => {
                                let offsets = offsets
                                    [p.first_record..p.first_record + p.events.len()]
                                    .to_vec();
                                let took = match &landing {
                                    Landing::Direct => true,
                                    Landing::Read(applied) => took_effect(applied, &offsets),
                                };
                                if !took {
                                    result.again.push(p.index);
                                    continue;
                                }
                                let member_id = &journals[p.index].member_id;
                                self.post(program_id, after_events(member_id, &p.events));
                                let outcome =
                                    Outcome::written(p.events, partition, offsets, p.tier);
                                outcomes.insert(p.index, outcome.clone());
                                result.answers.push((p.index, Ok(outcome)));
                            }
                            Decided::Repeat { index, of, tier } => match outcomes.get(&of) {
                                Some(o) => result.answers.push((
                                    index,
                                    Ok(Outcome {
                                        duplicate: true,
                                        tier,
                                        ..o.clone()
                                    }),
                                )),
                                None => result.again.push(index),
                            },
                            Decided::OnLog { .. } => on_log.push(d),
                        }
                    }
                }
            }
            drop(part);
            for d in on_log {
                if let Decided::OnLog {
                    index,
                    first,
                    count,
                    tier,
                } = d
                {
                    let key = account_key(program_id, &journals[index].member_id);
                    let answer = read_range(&*self.log, partition, &key, first, count)
                        .await
                        .map(|events| Outcome {
                            events,
                            partition,
                            offsets: (first..first + u64::from(count)).collect(),
                            duplicate: true,
                            tier,
                        });
                    result.answers.push((index, answer));
                }
            }
            result
        }
        .instrument(span)
        .await
    }

    /// Decides one journal on its account's working copy.
    fn decide_one(
        &self,
        program_id: &str,
        journal: &Journal,
        working: &Working,
        now: Time,
    ) -> Result<Decision, Rejection> {
        let program = self.program_for(program_id, &journal.command, now)?;
        let decision = decide(
            working.member.as_ref(),
            &program,
            &journal.member_id,
            &journal.command,
            now,
        )?;
        if matches!(decision, Decision::Duplicate) && working.member.is_none() {
            return Err(Rejection::MemberNotFound(journal.member_id.clone()));
        }
        Ok(decision)
    }
}

/// After a direct landing: the working accounts become the partition's,
/// each journal's events noted at their offsets (to answer retries).
fn commit(
    part: &mut PartitionState,
    work: HashMap<String, Working>,
    decided: &[Decided],
    offsets: &[u64],
) {
    for (key, w) in work {
        let (true, Some(member)) = (w.written, w.member) else {
            continue;
        };
        part.open.remove(&key);
        let receipts = part
            .members
            .remove(&key)
            .map(|a| a.receipts)
            .unwrap_or_default();
        let account = Account {
            member,
            sequence: w.sequence,
            head: w.head,
            receipts,
        };
        part.members.insert(key, account);
    }
    for d in decided {
        let Decided::Planned(p) = d else { continue };
        if let Some(account) = part.members.get_mut(&p.key) {
            let at = &offsets[p.first_record..p.first_record + p.events.len()];
            for (event, offset) in p.events.iter().zip(at) {
                note_receipt(account, event, *offset);
            }
        }
    }
}

/// The same infrastructure failure, answered to every journal it stopped.
fn shared(e: &CommandError) -> CommandError {
    match e {
        CommandError::NotOwner { partition } => CommandError::NotOwner {
            partition: *partition,
        },
        CommandError::Contended { partition } => CommandError::Contended {
            partition: *partition,
        },
        CommandError::Rejected(r) => CommandError::Rejected(r.clone()),
        other => CommandError::Log(LogError::Backend(other.to_string())),
    }
}
