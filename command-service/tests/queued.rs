//! Single commands are decided while the appends before them are synced
//! (queued appends): when one of those does not land, the commands decided
//! on it fail too, nothing decided on it reaches the log, and the state the
//! next command is decided on is the log's again.

#[allow(dead_code)]
mod common;

use async_trait::async_trait;
use command_service::{Clock, CommandError, CommandService, Outcome};
use common::definition;
use event_log::{Durability, EmbeddedLog, EventLog, LogError, LogReader, Queued, Record};
use ledger_core::member::MemberType;
use ledger_core::{Accrual, Decimal, MemberCommand, Rejection, Time};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

const PROGRAM: &str = "queued";

struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> Time {
        "2026-06-01T00:00:00Z".parse().unwrap()
    }
}

/// The embedded log, except that the queued append armed by [`Flaky::arm`]
/// is not written: it fails with an i/o error once the test releases it.
struct Flaky {
    inner: Arc<EmbeddedLog>,
    armed: Mutex<Option<oneshot::Receiver<()>>>,
}

impl Flaky {
    /// The next queued append fails when the returned sender is dropped.
    fn arm(&self) -> oneshot::Sender<()> {
        let (release, wait) = oneshot::channel();
        *self.armed.lock().unwrap() = Some(wait);
        release
    }
}

#[async_trait]
impl EventLog for Flaky {
    fn partitions(&self) -> u32 {
        self.inner.partitions()
    }
    async fn append(&self, partition: u32, records: Vec<Record>) -> Result<Vec<u64>, LogError> {
        self.inner.append(partition, records).await
    }
    fn can_queue(&self) -> bool {
        true
    }
    fn queue(&self, partition: u32, expect: u64, records: Vec<Record>) -> Result<Queued, LogError> {
        let Some(wait) = self.armed.lock().unwrap().take() else {
            return self.inner.queue(partition, expect, records);
        };
        let (answer, queued) = oneshot::channel();
        tokio::spawn(async move {
            let _ = wait.await;
            let lost = std::io::Error::other("disk gone");
            let _ = answer.send(Err(LogError::Io(lost)));
        });
        Ok(queued)
    }
    async fn end_offsets(&self) -> Result<Vec<u64>, LogError> {
        self.inner.end_offsets().await
    }
    async fn reader(&self, start: Vec<u64>) -> Result<Box<dyn LogReader>, LogError> {
        self.inner.reader(start).await
    }
    async fn partition_reader(
        &self,
        partition: u32,
        start: u64,
    ) -> Result<Box<dyn LogReader>, LogError> {
        self.inner.partition_reader(partition, start).await
    }
}

fn accrual(tx: &str, points: u32) -> MemberCommand {
    MemberCommand::Accrue(Accrual {
        transaction_id: tx.to_string(),
        occurred_at: "2026-02-01T00:00:00Z".parse().unwrap(),
        amount: None,
        points: BTreeMap::from([("POINTS".to_string(), Decimal::from(points))]),
        partner_id: None,
        channel: None,
        product_category: None,
    })
}

fn points(service_member: &ledger_core::Member) -> Decimal {
    service_member
        .book("POINTS")
        .map(|b| b.available())
        .unwrap_or_default()
}

/// A sole writer on a one-partition [`Flaky`] log in `dir`, with member "m"
/// enrolled in the program.
async fn enrolled(dir: &std::path::Path) -> (Arc<Flaky>, Arc<dyn EventLog>, Arc<CommandService>) {
    let flaky = Arc::new(Flaky {
        inner: EmbeddedLog::open(dir, 1, Durability::Sync).unwrap(),
        armed: Mutex::new(None),
    });
    let log: Arc<dyn EventLog> = flaky.clone();
    let service = Arc::new(
        CommandService::open(log.clone(), Arc::new(FixedClock))
            .await
            .unwrap()
            .sole_writer(),
    );
    service.define_program(PROGRAM, definition()).await.unwrap();
    let enroll = MemberCommand::Enroll {
        member_type: MemberType::Individual,
        enrolled_at: "2026-01-01T00:00:00Z".parse().unwrap(),
        channel: None,
    };
    service.execute(PROGRAM, "m", enroll).await.unwrap();
    (flaky, log, service)
}

/// A command for "m" started on a task of its own, given the time to be
/// decided and queued.
async fn in_flight(
    service: &Arc<CommandService>,
    command: MemberCommand,
) -> tokio::task::JoinHandle<Result<Outcome, CommandError>> {
    let s = service.clone();
    let task = tokio::spawn(async move { s.execute(PROGRAM, "m", command).await });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    task
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_decided_on_an_append_that_did_not_land_fail_and_the_state_is_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let (flaky, log, service) = enrolled(dir.path()).await;
    service
        .execute(PROGRAM, "m", accrual("t1", 100))
        .await
        .unwrap();
    let end_before = log.end_offsets().await.unwrap();

    // t2's append hangs, then fails; t3 is decided on t2 meanwhile.
    let release = flaky.arm();
    let t2 = in_flight(&service, accrual("t2", 20)).await;
    let t3 = in_flight(&service, accrual("t3", 3)).await;
    drop(release);
    let t2 = t2.await.unwrap();
    let t3 = t3.await.unwrap();
    assert!(t2.is_err(), "t2 did not land: {t2:?}");
    assert!(t3.is_err(), "t3 was decided on t2: {t3:?}");
    assert_eq!(
        log.end_offsets().await.unwrap(),
        end_before,
        "nothing decided on t2 was written"
    );

    // The state is the log's again: t1 only; retries of t2 and t3 take effect.
    let m = service.member(PROGRAM, "m").await.unwrap();
    assert_eq!(points(&m), Decimal::from(100));
    let again = service
        .execute(PROGRAM, "m", accrual("t2", 20))
        .await
        .unwrap();
    assert!(!again.duplicate, "t2 never landed, so it is no repeat");
    service
        .execute(PROGRAM, "m", accrual("t3", 3))
        .await
        .unwrap();
    let m = service.member(PROGRAM, "m").await.unwrap();
    assert_eq!(points(&m), Decimal::from(123));

    // A replay of the log agrees.
    let fresh = CommandService::open(log.clone(), Arc::new(FixedClock))
        .await
        .unwrap();
    let replayed = fresh.member(PROGRAM, "m").await.unwrap();
    assert_eq!(points(&replayed), Decimal::from(123));
    assert_eq!(replayed.journals.len(), m.journals.len());
}

/// A command dropped while its append syncs (its client gone) still leaves
/// the state agreeing with the log when that append does not land.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_command_whose_append_fails_leaves_the_state_true_to_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let (flaky, log, service) = enrolled(dir.path()).await;
    let release = flaky.arm();
    let t1 = in_flight(&service, accrual("t1", 40)).await;
    t1.abort();
    assert!(t1.await.unwrap_err().is_cancelled());
    drop(release);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    service
        .execute(PROGRAM, "m", accrual("t2", 5))
        .await
        .unwrap();
    let m = service.member(PROGRAM, "m").await.unwrap();
    assert_eq!(points(&m), Decimal::from(5), "t1 never landed");
    let replayed = CommandService::open(log.clone(), Arc::new(FixedClock))
        .await
        .unwrap()
        .member(PROGRAM, "m")
        .await
        .unwrap();
    assert_eq!(points(&replayed), Decimal::from(5));
}

/// A retry that arrives while the original's append syncs is answered from
/// the log once it is there, and is no success when the original never got
/// there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_of_a_command_whose_append_fails_is_not_answered_as_a_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let (flaky, _, service) = enrolled(dir.path()).await;
    let release = flaky.arm();
    let original = in_flight(&service, accrual("t1", 40)).await;
    let retry = in_flight(&service, accrual("t1", 40)).await;
    drop(release);
    assert!(original.await.unwrap().is_err());
    let retry = retry.await.unwrap();
    assert!(retry.is_err(), "the original never landed: {retry:?}");
    let again = service
        .execute(PROGRAM, "m", accrual("t1", 40))
        .await
        .unwrap();
    assert!(!again.duplicate);
    let twice = service
        .execute(PROGRAM, "m", accrual("t1", 40))
        .await
        .unwrap();
    assert!(twice.duplicate, "now it is on the log");
    assert_eq!(twice.events.len(), again.events.len());
    let m = service.member(PROGRAM, "m").await.unwrap();
    assert_eq!(points(&m), Decimal::from(40));
}

fn redemption(tx: &str, points: u32) -> MemberCommand {
    MemberCommand::Redeem {
        transaction_id: tx.to_string(),
        occurred_at: "2026-03-01T00:00:00Z".parse().unwrap(),
        currency: "POINTS".to_string(),
        points: Decimal::from(points),
        partner_id: None,
        by_member: None,
    }
}

/// A rejection decided on an append still syncing stands only once that
/// append landed: r2 is refused for points that r1 spent, and r1 never
/// reaches the log, so r2's answer is r1's error (to be retried), not
/// "insufficient points"; alone and in a batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_decided_on_an_append_that_did_not_land_is_not_answered() {
    let dir = tempfile::tempdir().unwrap();
    let (flaky, _, service) = enrolled(dir.path()).await;
    service
        .execute(PROGRAM, "m", accrual("t1", 100))
        .await
        .unwrap();
    let insufficient = |r: &Result<Outcome, CommandError>| {
        matches!(
            r,
            Err(CommandError::Rejected(Rejection::InsufficientPoints { .. }))
        )
    };

    let release = flaky.arm();
    let r1 = in_flight(&service, redemption("r1", 80)).await;
    let r2 = in_flight(&service, redemption("r2", 50)).await;
    drop(release);
    assert!(r1.await.unwrap().is_err());
    let r2 = r2.await.unwrap();
    assert!(
        r2.is_err() && !insufficient(&r2),
        "r2 was refused on r1: {r2:?}"
    );

    let release = flaky.arm();
    let r3 = in_flight(&service, redemption("r3", 80)).await;
    let s = service.clone();
    let batch = tokio::spawn(async move {
        let journal = command_service::batch::Journal {
            member_id: "m".into(),
            command: redemption("r4", 50),
        };
        s.execute_batch(PROGRAM, &[journal]).await
    });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    drop(release);
    assert!(r3.await.unwrap().is_err());
    let answers = batch.await.unwrap();
    assert!(
        answers[0].is_err() && !insufficient(&answers[0]),
        "r4 was refused on r3: {:?}",
        answers[0]
    );

    // Decided again on the log's state, the redemptions take effect.
    for tx in ["r2", "r4"] {
        service
            .execute(PROGRAM, "m", redemption(tx, 50))
            .await
            .unwrap_or_else(|e| panic!("{tx}: {e}"));
    }
    let m = service.member(PROGRAM, "m").await.unwrap();
    assert_eq!(points(&m), Decimal::ZERO);
    // With nothing in flight a rejection is answered as one.
    let r5 = service.execute(PROGRAM, "m", redemption("r5", 1)).await;
    assert!(insufficient(&r5), "{r5:?}");
}
