//! The command service: decide against current state, append, then apply.

use crate::clock::Clock;
use crate::courier::{run_courier, Elsewhere, Parcel};
use crate::encode::{account_key, records, Next, Writer, PROGRAM_ACCOUNT};
use crate::error::CommandError;
use crate::outcome::Outcome;
use crate::rebuild::{catch_up, read_range, rebuild_partition, replay};
use crate::state::{Account, PartitionState, ProgramAccount};
use event_log::{EventLog, LogError, Queued, Record};
use ledger_core::command::Accrual;
use ledger_core::decide::{decide_program_edit, earnings, Earnings, ProgramEdit};
use ledger_core::saga::{after_duplicate, after_events, after_rejection, unfinished, FollowUp};
use ledger_core::{
    decide, Decision, Event, Member, MemberCommand, Program, ProgramDefinition, Rejection, Time,
};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use tokio::sync::{mpsc, Mutex, MutexGuard};
use tracing::{info, info_span, warn, Instrument};

/// How often a command is decided again after another writer's group took
/// its place on the log (see [`CommandService::land`]).
const ATTEMPTS: usize = 5;

pub struct CommandService {
    pub(crate) log: Arc<dyn EventLog>,
    pub(crate) clock: Arc<dyn Clock>,
    /// Shared, so a queued append's outcome is seen to even when the
    /// command waiting for it is dropped (see [`CommandService::landed`]).
    pub(crate) partitions: Vec<Arc<Mutex<PartitionState>>>,
    pub(crate) programs: RwLock<HashMap<String, ProgramAccount>>,
    /// This instance's writer id, stamped on every event it writes.
    pub(crate) writer_id: String,
    /// The log is this instance's alone and orders its writes: a single
    /// command is decided while the appends before it are synced.
    pub(crate) queues: bool,
    /// Follow-ups for other accounts, to the courier.
    outbox: mpsc::UnboundedSender<Parcel>,
    parcels: std::sync::Mutex<Option<mpsc::UnboundedReceiver<Parcel>>>,
}

/// How an append relates to the state it was decided on.
pub(crate) enum Landing {
    /// Nothing else reached the partition first: the events took effect as written.
    Direct,
    /// Other records came first and were read through the gate (ours too):
    /// these offsets took effect.
    Read(HashSet<u64>),
}

impl CommandService {
    /// Opens the service owning every partition, rebuilding all account
    /// state from the log (the embedded default, or a single Kafka writer).
    pub async fn open(log: Arc<dyn EventLog>, clock: Arc<dyn Clock>) -> Result<Self, CommandError> {
        let service = Self::unowned(log, clock);
        replay(&service).await?;
        Ok(service)
    }

    /// A service that owns no partition until [`CommandService::acquire`]
    /// (Kafka mode: the commands topic's consumer group assigns them).
    pub fn unowned(log: Arc<dyn EventLog>, clock: Arc<dyn Clock>) -> Self {
        let (outbox, parcels) = mpsc::unbounded_channel();
        CommandService {
            outbox,
            parcels: std::sync::Mutex::new(Some(parcels)),
            partitions: (0..log.partitions()).map(|_| Arc::default()).collect(),
            programs: RwLock::default(),
            writer_id: uuid::Uuid::new_v4().to_string(),
            queues: false,
            log,
            clock,
        }
    }

    /// Declares this instance its log's only writer (an embedded log it
    /// opened; nothing else appends to it): where the log can queue, a
    /// single command is then decided while the appends before it are
    /// synced, and every append lands only where this state expects it.
    pub fn sole_writer(mut self) -> Self {
        self.queues = self.log.can_queue();
        self
    }

    /// Takes a partition over: its accounts are brought up to the log's end
    /// (rebuilt from offset 0, or from where a kept state stopped).
    pub async fn acquire(&self, partition: u32) -> Result<(), CommandError> {
        let started = std::time::Instant::now();
        let mut part = self.partition(partition)?.lock().await;
        let read = rebuild_partition(self, &mut part, partition).await?;
        part.owned = true;
        self.resume_unfinished(&part);
        info!(
            partition,
            read,
            end = part.read_to,
            accounts = part.members.len(),
            secs = started.elapsed().as_secs_f64(),
            "partition acquired"
        );
        Ok(())
    }

    /// Stops writing a partition; its state is kept in case it comes back.
    pub async fn release(&self, partition: u32) {
        if let Ok(lock) = self.partition(partition) {
            lock.lock().await.owned = false;
            info!(partition, "partition released");
        }
    }

    /// Drops the state of every partition not owned now.
    pub async fn forget_released(&self) {
        for lock in &self.partitions {
            let mut part = lock.lock().await;
            if !part.owned {
                part.forget();
            }
        }
    }

    /// The partitions this instance owns now.
    pub async fn owned(&self) -> Vec<u32> {
        let mut owned = Vec::new();
        for (p, lock) in self.partitions.iter().enumerate() {
            if lock.lock().await.owned {
                owned.push(p as u32);
            }
        }
        owned
    }

    /// A member as this instance knows it (a copy).
    pub async fn member(&self, program_id: &str, member_id: &str) -> Option<Member> {
        let key = account_key(program_id, member_id);
        let partition = self.log.partition_for(&key);
        let part = self.current(partition).await.ok()?;
        part.members.get(&key).map(|a| a.member.clone())
    }

    /// Whether this instance owns `partition` now.
    pub async fn owns(&self, partition: u32) -> bool {
        match self.partition(partition) {
            Ok(lock) => lock.lock().await.owned,
            Err(_) => false,
        }
    }

    fn partition(&self, partition: u32) -> Result<&Arc<Mutex<PartitionState>>, CommandError> {
        self.partitions
            .get(partition as usize)
            .ok_or(CommandError::Log(event_log::LogError::NoSuchPartition(
                partition,
            )))
    }

    /// The writer identity stamped on records written now.
    pub(crate) fn writer(&self) -> Writer<'_> {
        Writer {
            id: &self.writer_id,
            recorded_at: self.clock.now(),
        }
    }

    /// This instance's writer id (stamped on its events, announced as owner).
    pub fn writer_id(&self) -> &str {
        &self.writer_id
    }

    pub fn log(&self) -> &Arc<dyn EventLog> {
        &self.log
    }

    /// The program's latest version, if the program exists.
    pub fn program(&self, program_id: &str) -> Option<Arc<Program>> {
        let programs = self.programs.read().unwrap_or_else(|e| e.into_inner());
        programs.get(program_id)?.state.current().cloned()
    }

    /// The program version that decides `command`: the one in force at its
    /// business time.
    pub fn program_for(
        &self,
        program_id: &str,
        command: &MemberCommand,
        now: Time,
    ) -> Result<Arc<Program>, Rejection> {
        let programs = self.programs.read().unwrap_or_else(|e| e.into_inner());
        programs
            .get(program_id)
            .and_then(|p| p.state.for_command(command, now))
            .cloned()
            .ok_or_else(|| Rejection::ProgramNotFound(program_id.to_string()))
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
        self.edit_program(program_id, ProgramEdit::Define(definition))
            .await
    }

    /// Edits a program into its next version, decided on the latest version
    /// under the program partition's lock (so concurrent edits never lose
    /// one another).
    pub async fn edit_program(
        &self,
        program_id: &str,
        edit: ProgramEdit,
    ) -> Result<(Arc<Program>, Outcome), CommandError> {
        let span = info_span!("define_program", program = program_id);
        async {
            let key = account_key(program_id, PROGRAM_ACCOUNT);
            let partition = self.log.partition_for(&key);
            let mut part = self.current(partition).await?;
            let mut attempt = 0;
            let (events, offsets) = loop {
                if !part.owned {
                    return Err(CommandError::NotOwner { partition });
                }
                let (state, sequence, head) = {
                    let programs = self.programs.read().unwrap_or_else(|e| e.into_inner());
                    programs
                        .get(program_id)
                        .map(|p| (p.state.clone(), p.sequence, p.head.clone()))
                        .unwrap_or_default()
                };
                let now = self.clock.now();
                let events = decide_program_edit(&state, program_id, edit.clone(), now)?;
                let after = Next {
                    sequence,
                    head: &head,
                };
                let expect = part.read_to;
                let (offsets, digests) = self
                    .append(
                        partition,
                        expect,
                        program_id,
                        PROGRAM_ACCOUNT,
                        after,
                        &events,
                    )
                    .await?;
                match self.land(&mut part, partition, &offsets).await? {
                    Landing::Direct => {
                        let mut programs = self.programs.write().unwrap_or_else(|e| e.into_inner());
                        let account = programs.entry(program_id.to_string()).or_default();
                        // The program follower (Kafka mode) may have read
                        // these very records before the append was answered:
                        // nothing else reached the partition, so a moved
                        // sequence means ours are applied already.
                        if account.sequence == sequence {
                            account.open = None;
                            for (event, digest) in events.iter().zip(digests) {
                                apply_program(account, program_id, event, digest);
                            }
                        }
                        break (events, offsets);
                    }
                    Landing::Read(applied) if took_effect(&applied, &offsets) => {
                        break (events, offsets)
                    }
                    Landing::Read(_) => superseded(&mut attempt, partition)?,
                }
            };
            let program = self
                .program(program_id)
                .ok_or_else(|| Rejection::ProgramNotFound(program_id.to_string()))?;
            Ok((program, Outcome::written(events, partition, offsets, None)))
        }
        .instrument(span)
        .await
    }

    /// Decides and records one member command. If another writer's group
    /// took its place on the log, it is decided again on the state that now
    /// includes that group.
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
        let result = self
            .record(program_id, member_id, &command)
            .instrument(span)
            .await;
        if let Err(CommandError::Rejected(r)) = &result {
            self.post(program_id, after_rejection(member_id, &command, r));
        }
        result
    }

    /// Decides a member command and appends its events (or finds its
    /// earlier result), posting what it asks of other accounts.
    async fn record(
        &self,
        program_id: &str,
        member_id: &str,
        command: &MemberCommand,
    ) -> Result<Outcome, CommandError> {
        {
            let program = self.program_for(program_id, command, self.clock.now())?;
            let key = account_key(program_id, member_id);
            let partition = self.log.partition_for(&key);
            let mut part = self.current(partition).await?;
            let mut attempt = 0;
            loop {
                if !part.owned {
                    return Err(CommandError::NotOwner { partition });
                }
                let account = part.members.get(&key);
                let now = self.clock.now();
                let decided = decide(
                    account.map(|a| &a.member),
                    &program,
                    member_id,
                    command,
                    now,
                );
                let decision = match decided {
                    Ok(decision) => decision,
                    Err(rejection) => {
                        let barrier = self.barrier(&part, partition)?;
                        drop(part);
                        settled(barrier).await?;
                        return Err(rejection.into());
                    }
                };
                let events = match decision {
                    Decision::Duplicate => {
                        let account =
                            account.ok_or_else(|| Rejection::MemberNotFound(member_id.into()))?;
                        let follow_ups = after_duplicate(&account.member, command);
                        let tx = command.transaction_id().unwrap_or_default();
                        let (first, count) = account.receipts.get(tx).copied().unwrap_or((0, 0));
                        let tier = account.member.tier.clone();
                        drop(part);
                        // Read back before anything follows from it: the
                        // original may still be syncing, or not have landed.
                        let events = read_range(&*self.log, partition, &key, first, count).await?;
                        self.post(program_id, follow_ups);
                        return Ok(Outcome {
                            events,
                            partition,
                            offsets: (first..first + u64::from(count)).collect(),
                            duplicate: true,
                            tier,
                        });
                    }
                    Decision::Events(events) => events,
                };
                let after = Next {
                    sequence: account.map_or(0, |a| a.sequence),
                    head: account.map_or("", |a| a.head.as_str()),
                };
                let expect = part.read_to;
                if self.queues && !events.is_empty() {
                    let (recs, digests) =
                        records(self.writer(), program_id, member_id, after, &events);
                    let answer = self.log.queue(partition, expect, recs)?;
                    // Counted now, so the next command on this partition is
                    // decided while these are synced; undone (read again)
                    // if they do not land.
                    let offsets: Vec<u64> = (expect..expect + events.len() as u64).collect();
                    part.read_to = expect + events.len() as u64;
                    let tier =
                        apply_written(&mut part, &key, member_id, &events, &offsets, digests);
                    let generation = part.generation;
                    drop(part);
                    let follow_ups = parcels(program_id, after_events(member_id, &events));
                    self.landed(partition, generation, answer, offsets.clone(), follow_ups)
                        .await?;
                    return Ok(Outcome::written(events, partition, offsets, tier));
                }
                let (offsets, digests) = self
                    .append(partition, expect, program_id, member_id, after, &events)
                    .await?;
                let took = match self.land(&mut part, partition, &offsets).await? {
                    Landing::Direct => {
                        apply_written(&mut part, &key, member_id, &events, &offsets, digests);
                        true
                    }
                    Landing::Read(applied) => took_effect(&applied, &offsets),
                };
                if !took {
                    superseded(&mut attempt, partition)?;
                    continue;
                }
                let tier = part.members.get(&key).and_then(|a| a.member.tier.clone());
                self.post(program_id, after_events(member_id, &events));
                return Ok(Outcome::written(events, partition, offsets, tier));
            }
        }
    }

    /// Hands follow-ups to the courier.
    pub(crate) fn post(&self, program_id: &str, follow_ups: Vec<FollowUp>) {
        for parcel in parcels(program_id, follow_ups) {
            // The courier lives as long as the service.
            let _ = self.outbox.send(parcel);
        }
    }

    /// Starts delivering follow-ups (once; later calls do nothing).
    pub fn start_courier(self: &Arc<Self>, elsewhere: Elsewhere) {
        let parcels = self
            .parcels
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(parcels) = parcels {
            tokio::spawn(run_courier(self.clone(), parcels, elsewhere));
        }
    }

    /// Asks again what the partition's accounts still wait for from other
    /// accounts (a transfer in flight, a member not yet confirmed): after a
    /// restart or a move, their follow-ups may never have been delivered.
    pub(crate) fn resume_unfinished(&self, part: &PartitionState) {
        for (key, account) in &part.members {
            let Some((program_id, _)) = key.split_once('/') else {
                continue;
            };
            self.post(program_id, unfinished(&account.member));
        }
    }

    /// The partition of a member account.
    pub fn partition_of(&self, program_id: &str, member_id: &str) -> u32 {
        self.log.partition_for(&account_key(program_id, member_id))
    }

    /// Decides an accrual without writing it: the events it would produce
    /// now and what earned what (promotions that did not apply, with why).
    pub async fn simulate(
        &self,
        program_id: &str,
        member_id: &str,
        accrual: Accrual,
    ) -> Result<Simulation, CommandError> {
        let span = info_span!("simulate", program = program_id, member = member_id);
        async {
            let command = MemberCommand::Accrue(accrual.clone());
            let now = self.clock.now();
            let program = self.program_for(program_id, &command, now)?;
            let key = account_key(program_id, member_id);
            let partition = self.log.partition_for(&key);
            let part = self.current(partition).await?;
            if !part.owned {
                return Err(CommandError::NotOwner { partition });
            }
            let account = part
                .members
                .get(&key)
                .ok_or_else(|| Rejection::MemberNotFound(member_id.to_string()))?;
            let events = match decide(Some(&account.member), &program, member_id, &command, now)? {
                Decision::Events(events) => events,
                Decision::Duplicate => Vec::new(),
            };
            Ok(Simulation {
                earnings: earnings(&program, &account.member, &accrual),
                duplicate: events.is_empty(),
                tier: account.member.tier.clone(),
                events,
                program_version: program.version,
            })
        }
        .instrument(span)
        .await
    }

    /// Appends an account's events (nothing for none); returns their
    /// offsets and digests.
    pub(crate) async fn append(
        &self,
        partition: u32,
        expect: u64,
        program_id: &str,
        account_id: &str,
        after: Next<'_>,
        events: &[Event],
    ) -> Result<(Vec<u64>, Vec<String>), CommandError> {
        if events.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let (recs, digests) = records(self.writer(), program_id, account_id, after, events);
        Ok((self.write(partition, expect, recs).await?, digests))
    }

    /// Appends records decided on a state current to `expect` and waits
    /// until they are durable. A sole writer's land only at `expect`,
    /// behind any queued append the state counts.
    pub(crate) async fn write(
        &self,
        partition: u32,
        expect: u64,
        recs: Vec<Record>,
    ) -> Result<Vec<u64>, CommandError> {
        if !self.queues {
            if recs.is_empty() {
                return Ok(Vec::new());
            }
            return Ok(self.log.append(partition, recs).await?);
        }
        // With no records this is a barrier: what was decided here (a
        // batch's rejections) stands once the appends before it landed.
        let answer = self.log.queue(partition, expect, recs)?;
        Ok(answer.await.map_err(|_| LogError::Closed)??)
    }

    /// Queues nothing behind the appends the partition's state counts, so
    /// it is answered once they all landed, or with the error (`Moved`) of
    /// one that did not (the state was never on the log). Taken under the
    /// lock; `None` where appends are awaited under it (nothing in flight).
    fn barrier(
        &self,
        part: &PartitionState,
        partition: u32,
    ) -> Result<Option<Queued>, CommandError> {
        if !self.queues {
            return Ok(None);
        }
        Ok(Some(self.log.queue(partition, part.read_to, Vec::new())?))
    }

    /// Waits for a queued append the partition's state already counts. If
    /// it did not land, the state is marked stale (once for all the appends
    /// that fail together: by generation), so it is read again from the log
    /// before the next decision, and the error is the caller's. The outcome
    /// is seen to on a task of its own, so a command dropped while waiting
    /// (its client gone) still leaves a state that agrees with the log, and
    /// its follow-ups (posted once it landed) still go out.
    async fn landed(
        &self,
        partition: u32,
        generation: u64,
        answer: Queued,
        offsets: Vec<u64>,
        follow_ups: Vec<Parcel>,
    ) -> Result<(), CommandError> {
        let lock = self.partition(partition)?.clone();
        let outbox = self.outbox.clone();
        let outcome = tokio::spawn(async move {
            let error = match answer.await {
                Ok(Ok(written)) if written == offsets => {
                    for parcel in follow_ups {
                        let _ = outbox.send(parcel);
                    }
                    return Ok(());
                }
                Ok(Ok(written)) => LogError::Corrupt(format!(
                    "partition {partition}: records queued for {offsets:?} landed at {written:?}"
                )),
                Ok(Err(e)) => e,
                Err(_) => LogError::Closed,
            };
            warn!(partition, error = %error, "a queued append did not land; the partition will be read again");
            let mut part = lock.lock().await;
            // A re-read since this was decided bumped the generation.
            if part.generation == generation {
                part.stale = true;
            }
            Err(error)
        });
        match outcome.await {
            Ok(result) => Ok(result?),
            Err(e) => Err(CommandError::Log(LogError::Backend(e.to_string()))),
        }
    }

    /// A partition's state, locked, current to what landed on the log.
    pub(crate) async fn current(
        &self,
        partition: u32,
    ) -> Result<MutexGuard<'_, PartitionState>, CommandError> {
        let mut part = self.partition(partition)?.lock().await;
        if part.stale {
            self.reread(&mut part, partition).await?;
        }
        Ok(part)
    }

    /// Reads a stale partition's accounts again from the start of the log.
    async fn reread(&self, part: &mut PartitionState, partition: u32) -> Result<(), CommandError> {
        *part = PartitionState {
            owned: part.owned,
            stale: true,
            generation: part.generation + 1,
            ..PartitionState::default()
        };
        let read = rebuild_partition(self, part, partition).await?;
        part.stale = false;
        info!(partition, records = read, "partition state read again");
        Ok(())
    }

    /// After an append at `offsets`: when it directly follows the state's
    /// end, nothing else reached the partition in between and the caller
    /// applies its events. Otherwise another writer appended too (a stale
    /// owner during a rebalance, or a retry of ours that did land): the
    /// records from the state's end are read through the sequence gate,
    /// ours included, exactly as every reader of the log will read them.
    pub(crate) async fn land(
        &self,
        part: &mut PartitionState,
        partition: u32,
        offsets: &[u64],
    ) -> Result<Landing, CommandError> {
        let (Some(&first), Some(&last)) = (offsets.first(), offsets.last()) else {
            return Ok(Landing::Direct);
        };
        let from = part.read_to;
        if from == first && last - first + 1 == offsets.len() as u64 {
            part.read_to = last + 1;
            return Ok(Landing::Direct);
        }
        warn!(
            partition,
            expected = from,
            first,
            "another writer reached this partition first; reading its records"
        );
        // On failure the state stays current to `from`; reading again is
        // harmless, the gate skips what it already applied.
        let applied = catch_up(self, part, partition, from, last + 1).await?;
        part.read_to = last + 1;
        Ok(Landing::Read(applied))
    }
}

/// Whether every event at `offsets` took effect.
pub(crate) fn took_effect(applied: &HashSet<u64>, offsets: &[u64]) -> bool {
    offsets.iter().all(|o| applied.contains(o))
}

/// Counts an attempt whose group another writer's took the place of.
fn superseded(attempt: &mut usize, partition: u32) -> Result<(), CommandError> {
    *attempt += 1;
    warn!(
        partition,
        attempt = *attempt,
        "another writer's events took effect first; deciding again"
    );
    if *attempt >= ATTEMPTS {
        return Err(CommandError::Contended { partition });
    }
    Ok(())
}

/// What an accrual would do, decided but not written.
pub struct Simulation {
    pub events: Vec<Event>,
    pub earnings: Earnings,
    /// The transaction id was already used: nothing would be written.
    pub duplicate: bool,
    /// The member's tier before the accrual.
    pub tier: Option<String>,
    pub program_version: u32,
}

/// Folds a program event into its program account.
pub(crate) fn apply_program(
    account: &mut ProgramAccount,
    program_id: &str,
    event: &Event,
    digest: String,
) {
    account.head = digest;
    let ledger_core::EventBody::ProgramDefined {
        version,
        definition,
    } = &event.body
    else {
        return;
    };
    let program = Program {
        id: program_id.to_string(),
        version: *version,
        defined_at: event.occurred_at,
        definition: definition.clone(),
    };
    account.state.apply(program);
    account.sequence += 1;
}

/// Folds a member event into the partition's state, noting where its journal sits.
pub(crate) fn apply_member(
    part: &mut PartitionState,
    key: &str,
    member_id: &str,
    offset: u64,
    event: &Event,
    digest: String,
) {
    match part.members.get_mut(key) {
        Some(account) => {
            account.member.apply(event);
            account.sequence += 1;
            account.head = digest;
            note_receipt(account, event, offset);
        }
        None => {
            if let Some(member) = Member::enrolled(member_id, event) {
                let mut account = Account {
                    member,
                    sequence: 1,
                    head: digest,
                    receipts: HashMap::new(),
                };
                note_receipt(&mut account, event, offset);
                part.members.insert(key.to_string(), account);
            }
        }
    }
}

pub(crate) fn note_receipt(account: &mut Account, event: &Event, offset: u64) {
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
        MemberCommand::ChangeStatus { .. } => "change_status",
        MemberCommand::Adjust(_) => "adjust",
        MemberCommand::AwardBadge { .. } => "award_badge",
        MemberCommand::IssueVoucher { .. } => "issue_voucher",
        MemberCommand::UseVoucher(_) => "use_voucher",
        MemberCommand::Expire { .. } => "expire",
        MemberCommand::AssessTier { .. } => "assess_tier",
        MemberCommand::Release { .. } => "release",
        MemberCommand::Transfer(_) => "transfer",
        MemberCommand::ReceiveTransfer(_) => "receive_transfer",
        MemberCommand::SettleTransfer { .. } => "settle_transfer",
        MemberCommand::AddGroupMember(_) => "add_group_member",
        MemberCommand::RemoveGroupMember { .. } => "remove_group_member",
        MemberCommand::ConfirmGroupMember { .. } => "confirm_group_member",
        MemberCommand::JoinGroup { .. } => "join_group",
        MemberCommand::LeaveGroup { .. } => "leave_group",
        MemberCommand::NotePoolSpending { .. } => "note_pool_spending",
    }
}

/// Applies a member command's events, written at `offsets`, to the
/// partition's state; answers the member's tier after them.
fn apply_written(
    part: &mut PartitionState,
    key: &str,
    member_id: &str,
    events: &[Event],
    offsets: &[u64],
    digests: Vec<String>,
) -> Option<String> {
    part.open.remove(key);
    for ((event, offset), digest) in events.iter().zip(offsets).zip(digests) {
        apply_member(part, key, member_id, *offset, event, digest);
    }
    part.members.get(key).and_then(|a| a.member.tier.clone())
}

/// Follow-ups of a program's account, addressed to the courier.
fn parcels(program_id: &str, follow_ups: Vec<FollowUp>) -> Vec<Parcel> {
    follow_ups
        .into_iter()
        .map(|follow_up| Parcel {
            program_id: program_id.to_string(),
            follow_up,
        })
        .collect()
}

/// Waits for a [`CommandService::barrier`]: a rejection decided on a state
/// with appends in flight is answered only once they landed; had one
/// failed, the answer is its error (to be retried), not the rejection.
async fn settled(barrier: Option<Queued>) -> Result<(), CommandError> {
    if let Some(answer) = barrier {
        answer.await.map_err(|_| LogError::Closed)??;
    }
    Ok(())
}
