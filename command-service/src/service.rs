//! The command service: decide against current state, append, then apply.

use crate::clock::Clock;
use crate::encode::{account_key, records, PROGRAM_ACCOUNT};
use crate::error::CommandError;
use crate::outcome::Outcome;
use crate::rebuild::{read_range, replay};
use crate::state::{Account, PartitionState, ProgramAccount};
use event_log::EventLog;
use ledger_core::{
    decide, decide_program, Decision, Event, Member, MemberCommand, Program, ProgramDefinition,
    Rejection,
};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tokio::sync::Mutex;
use tracing::{info_span, Instrument};

pub struct CommandService {
    pub(crate) log: Arc<dyn EventLog>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) partitions: Vec<Mutex<PartitionState>>,
    pub(crate) programs: RwLock<HashMap<String, ProgramAccount>>,
}

impl CommandService {
    /// Opens the service over a log, rebuilding all account state from it.
    pub async fn open(log: Arc<dyn EventLog>, clock: Arc<dyn Clock>) -> Result<Self, CommandError> {
        let service = CommandService {
            partitions: (0..log.partitions()).map(|_| Mutex::default()).collect(),
            programs: RwLock::default(),
            log,
            clock,
        };
        replay(&service).await?;
        Ok(service)
    }

    pub fn log(&self) -> &Arc<dyn EventLog> {
        &self.log
    }

    /// The program version in force, if the program exists.
    pub fn program(&self, program_id: &str) -> Option<Arc<Program>> {
        let programs = self.programs.read().unwrap_or_else(|e| e.into_inner());
        programs.get(program_id)?.current.clone()
    }

    /// Ids of all programs.
    pub fn program_ids(&self) -> Vec<String> {
        let programs = self.programs.read().unwrap_or_else(|e| e.into_inner());
        programs.keys().cloned().collect()
    }

    /// Defines a program or a new version of it. An unchanged definition writes nothing.
    pub async fn define_program(
        &self,
        program_id: &str,
        definition: ProgramDefinition,
    ) -> Result<(Arc<Program>, Outcome), CommandError> {
        let span = info_span!("define_program", program = program_id);
        async {
            let key = account_key(program_id, PROGRAM_ACCOUNT);
            let partition = self.log.partition_for(&key);
            let _guard = self.partitions[partition as usize].lock().await;
            let (state, sequence) = {
                let programs = self.programs.read().unwrap_or_else(|e| e.into_inner());
                programs
                    .get(program_id)
                    .map(|p| (p.state.clone(), p.sequence))
                    .unwrap_or_default()
            };
            let now = self.clock.now();
            let events = decide_program(&state, program_id, definition, now)?;
            let offsets = self
                .append(
                    partition,
                    program_id,
                    PROGRAM_ACCOUNT,
                    sequence + 1,
                    &events,
                )
                .await?;
            for event in &events {
                self.apply_program(program_id, event);
            }
            let program = self
                .program(program_id)
                .ok_or_else(|| Rejection::ProgramNotFound(program_id.to_string()))?;
            Ok((
                program,
                Outcome {
                    events,
                    partition,
                    offsets,
                    duplicate: false,
                    tier: None,
                },
            ))
        }
        .instrument(span)
        .await
    }

    /// Decides and records one member command.
    pub async fn execute(
        &self,
        program_id: &str,
        member_id: &str,
        command: MemberCommand,
    ) -> Result<Outcome, CommandError> {
        let span = info_span!(
            "command",
            program = program_id,
            member = member_id,
            kind = command_kind(&command)
        );
        async {
            let program = self
                .program(program_id)
                .ok_or_else(|| Rejection::ProgramNotFound(program_id.to_string()))?;
            let key = account_key(program_id, member_id);
            let partition = self.log.partition_for(&key);
            let mut part = self.partitions[partition as usize].lock().await;
            let account = part.members.get(&key);
            let now = self.clock.now();
            match decide(
                account.map(|a| &a.member),
                &program,
                member_id,
                &command,
                now,
            )? {
                Decision::Duplicate => {
                    let account =
                        account.ok_or_else(|| Rejection::MemberNotFound(member_id.into()))?;
                    let tx = command.transaction_id().unwrap_or_default();
                    let (first, count) = account.receipts.get(tx).copied().unwrap_or((0, 0));
                    let tier = account.member.tier.clone();
                    drop(part);
                    let events = read_range(&*self.log, partition, first, count).await?;
                    Ok(Outcome {
                        events,
                        partition,
                        offsets: (first..first + u64::from(count)).collect(),
                        duplicate: true,
                        tier,
                    })
                }
                Decision::Events(events) => {
                    let sequence = account.map_or(0, |a| a.sequence) + 1;
                    let offsets = self
                        .append(partition, program_id, member_id, sequence, &events)
                        .await?;
                    for (event, offset) in events.iter().zip(&offsets) {
                        apply_member(&mut part, &key, member_id, *offset, event);
                    }
                    let tier = part.members.get(&key).and_then(|a| a.member.tier.clone());
                    Ok(Outcome {
                        events,
                        partition,
                        offsets,
                        duplicate: false,
                        tier,
                    })
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Appends an account's events (nothing for none).
    pub(crate) async fn append(
        &self,
        partition: u32,
        program_id: &str,
        account_id: &str,
        first_sequence: u64,
        events: &[Event],
    ) -> Result<Vec<u64>, CommandError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let recs = records(
            program_id,
            account_id,
            first_sequence,
            events,
            self.clock.now(),
        );
        Ok(self.log.append(partition, recs).await?)
    }

    /// Folds a program event into the program registry.
    pub(crate) fn apply_program(&self, program_id: &str, event: &Event) {
        let ledger_core::EventBody::ProgramDefined {
            version,
            definition,
        } = &event.body
        else {
            return;
        };
        let mut programs = self.programs.write().unwrap_or_else(|e| e.into_inner());
        let account = programs.entry(program_id.to_string()).or_default();
        let program = Program {
            id: program_id.to_string(),
            version: *version,
            defined_at: event.occurred_at,
            definition: definition.clone(),
        };
        account.current = Some(Arc::new(program.clone()));
        account.state.apply(program);
        account.sequence += 1;
    }
}

/// Folds a member event into the partition's state, noting where its journal sits.
pub(crate) fn apply_member(
    part: &mut PartitionState,
    key: &str,
    member_id: &str,
    offset: u64,
    event: &Event,
) {
    match part.members.get_mut(key) {
        Some(account) => {
            account.member.apply(event);
            account.sequence += 1;
            note_receipt(account, event, offset);
        }
        None => {
            if let Some(member) = Member::enrolled(member_id, event) {
                let mut account = Account {
                    member,
                    sequence: 1,
                    receipts: HashMap::new(),
                };
                note_receipt(&mut account, event, offset);
                part.members.insert(key.to_string(), account);
            }
        }
    }
}

fn note_receipt(account: &mut Account, event: &Event, offset: u64) {
    if account.member.journals.contains_key(&event.transaction_id) {
        account
            .receipts
            .entry(event.transaction_id.clone())
            .or_insert((offset, 0))
            .1 += 1;
    }
}

fn command_kind(c: &MemberCommand) -> &'static str {
    match c {
        MemberCommand::Enroll { .. } => "enroll",
        MemberCommand::Accrue(_) => "accrue",
        MemberCommand::Redeem { .. } => "redeem",
        MemberCommand::Cancel { .. } => "cancel",
        MemberCommand::ChangeTier { .. } => "change_tier",
        MemberCommand::Expire { .. } => "expire",
        MemberCommand::AssessTier { .. } => "assess_tier",
    }
}
