//! The batch path (`POST .../journals`): many commands decided in order on
//! working copies and appended once per partition must come out exactly as
//! the same commands one at a time: the same answers, the same events, the
//! same accounts, the same state after a replay of the log; a retried batch
//! writes nothing; and a batch that another writer's records overtake is
//! decided again without any transaction taking effect twice.

mod common;

use command_service::batch::Journal;
use command_service::{Clock, CommandError, CommandService, Outcome};
use common::definition;
use event_log::{Durability, EmbeddedLog, EventLog};
use ledger_core::member::MemberType;
use ledger_core::{Accrual, Decimal, MemberCommand, Time};
use std::collections::BTreeMap;
use std::sync::Arc;

const PROGRAM: &str = "batch";
const MEMBERS: usize = 12;

struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> Time {
        "2026-06-01T00:00:00Z".parse().unwrap()
    }
}

fn at(minutes: usize) -> Time {
    let start: Time = "2026-02-01T00:00:00Z".parse().unwrap();
    start + chrono::Duration::minutes(minutes as i64)
}

fn accrual(tx: &str, amount: u32, minutes: usize) -> MemberCommand {
    MemberCommand::Accrue(Accrual {
        transaction_id: tx.to_string(),
        occurred_at: at(minutes),
        amount: Some(Decimal::from(amount)),
        points: BTreeMap::new(),
        partner_id: None,
        channel: amount.is_multiple_of(3).then(|| "app".to_string()),
        product_category: None,
    })
}

fn journal(member: usize, command: MemberCommand) -> Journal {
    Journal {
        member_id: format!("m{member}"),
        command,
    }
}

/// Purchase number `i`, always the same journal.
fn purchase(i: usize) -> Journal {
    journal(
        (i * 7) % MEMBERS,
        accrual(&format!("t{i}"), (i % 90 + 10) as u32, i),
    )
}

/// Enrollments, accruals, redemptions (some too large), returns of earlier
/// purchases (some of another member's), commands for a member never
/// enrolled, and repeats of earlier transactions, some in the same chunk.
fn journals() -> Vec<Journal> {
    let mut out: Vec<Journal> = (0..MEMBERS)
        .map(|m| {
            journal(
                m,
                MemberCommand::Enroll {
                    member_type: MemberType::Individual,
                    enrolled_at: at(0),
                    channel: None,
                },
            )
        })
        .collect();
    for i in 1..400usize {
        let member = (i * 7) % MEMBERS;
        let j = match i % 10 {
            0..=5 => purchase(i),
            6 | 7 => journal(
                member,
                MemberCommand::Redeem {
                    transaction_id: format!("t{i}"),
                    occurred_at: at(i),
                    currency: "POINTS".into(),
                    points: Decimal::from((i % 9 + 1) * 40),
                    partner_id: None,
                    by_member: None,
                },
            ),
            8 => journal(
                member,
                MemberCommand::Cancel {
                    transaction_id: format!("t{i}"),
                    cancels: format!("t{}", i - 8),
                    occurred_at: at(i),
                    reason: "returned".into(),
                },
            ),
            // A retry of a purchase: sometimes in the same chunk, sometimes not.
            _ if i % 20 == 9 => purchase(i - 4),
            _ => journal(member, accrual(&format!("t{i}"), 5, i)),
        };
        out.push(j);
        if i % 50 == 0 {
            out.push(Journal {
                member_id: "never-enrolled".into(),
                command: accrual(&format!("ghost{i}"), 10, i),
            });
        }
    }
    out
}

async fn service(dir: &std::path::Path) -> (Arc<dyn EventLog>, CommandService) {
    let log: Arc<dyn EventLog> = EmbeddedLog::open(dir, 4, Durability::Buffered).unwrap();
    let service = CommandService::open(log.clone(), Arc::new(FixedClock))
        .await
        .unwrap();
    service.define_program(PROGRAM, definition()).await.unwrap();
    (log, service)
}

/// What an answer says, without where it landed.
fn gist(answer: &Result<Outcome, CommandError>) -> String {
    match answer {
        Ok(o) => format!(
            "ok duplicate={} tier={:?} events={:?}",
            o.duplicate,
            o.tier,
            o.events.iter().map(|e| &e.body).collect::<Vec<_>>()
        ),
        Err(e) => format!("err {e}"),
    }
}

#[tokio::test]
async fn a_batch_answers_and_records_what_one_at_a_time_would() {
    let (one_dir, batch_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (_, single) = service(one_dir.path()).await;
    let (log, batched) = service(batch_dir.path()).await;
    let all = journals();
    let mut expected = Vec::new();
    for j in &all {
        expected.push(gist(
            &single
                .execute(PROGRAM, &j.member_id, j.command.clone())
                .await,
        ));
    }
    let mut got = Vec::new();
    let mut chunks = Vec::new();
    for chunk in all.chunks(37) {
        let answers = batched.execute_batch(PROGRAM, chunk).await;
        assert_eq!(answers.len(), chunk.len());
        got.extend(answers.iter().map(gist));
        chunks.push((chunk, answers));
    }
    for (i, (e, g)) in expected.iter().zip(&got).enumerate() {
        assert_eq!(e, g, "journal {i}: {:?}", all[i]);
    }
    assert!(got.iter().any(|g| g.starts_with("ok duplicate=true")));
    assert!(got.iter().any(|g| g.contains("insufficient")));
    assert!(got.iter().any(|g| g.contains("never-enrolled")));

    // The same accounts, in the batch writer's memory and after a replay.
    let replayed = CommandService::open(log.clone(), Arc::new(FixedClock))
        .await
        .unwrap();
    for m in 0..MEMBERS {
        let id = format!("m{m}");
        let one = single.member(PROGRAM, &id).await.expect("member");
        assert_eq!(
            batched.member(PROGRAM, &id).await.as_ref(),
            Some(&one),
            "{id}"
        );
        assert_eq!(
            replayed.member(PROGRAM, &id).await.as_ref(),
            Some(&one),
            "{id}"
        );
    }

    // A retried batch writes nothing and answers with the first offsets.
    let end: u64 = log.end_offsets().await.unwrap().iter().sum();
    let (chunk, first) = &chunks[3];
    let again = batched.execute_batch(PROGRAM, chunk).await;
    assert_eq!(log.end_offsets().await.unwrap().iter().sum::<u64>(), end);
    for (a, f) in again.iter().zip(first) {
        if let (Ok(a), Ok(f)) = (a, f) {
            assert!(a.duplicate);
            if !f.duplicate {
                assert_eq!((a.partition, &a.offsets), (f.partition, &f.offsets));
                assert_eq!(a.events, f.events);
            }
        }
    }
}

/// Sends a journal until it is settled ("contended" is the only retryable answer here).
async fn settle(service: &CommandService, j: &Journal) {
    loop {
        match service
            .execute(PROGRAM, &j.member_id, j.command.clone())
            .await
        {
            Ok(_) => return,
            Err(CommandError::Contended { .. }) => tokio::task::yield_now().await,
            Err(e) => panic!("{}: {e}", j.member_id),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batches_overtaken_by_another_writer_take_effect_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let (log, a) = service(dir.path()).await;
    let a = Arc::new(a);
    let enrollments: Vec<Journal> = journals().into_iter().take(MEMBERS).collect();
    a.execute_batch(PROGRAM, &enrollments).await;
    // A second writer takes every partition over while the first still writes.
    let b = Arc::new(CommandService::unowned(log.clone(), Arc::new(FixedClock)));
    for p in 0..log.partitions() {
        b.acquire(p).await.unwrap();
    }
    let mut expected: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut tasks = Vec::new();
    for round in 0..30usize {
        let chunk: Vec<Journal> = (0..MEMBERS)
            .map(|m| {
                let amount = (round + m) as u32 % 5 + 1;
                // Amounts divisible by 3 are app purchases: status counts double.
                let status = if amount.is_multiple_of(3) {
                    2 * amount
                } else {
                    amount
                };
                *expected.entry(format!("m{m}")).or_default() += Decimal::from(status);
                journal(m, accrual(&format!("r{round}m{m}"), amount, round))
            })
            .collect();
        let (a, b) = (a.clone(), b.clone());
        tasks.push(tokio::spawn(async move {
            // Batches on one writer, the same commands one by one on the other.
            let (answers, singles) = tokio::join!(a.execute_batch(PROGRAM, &chunk), async {
                let mut out = Vec::new();
                for j in &chunk {
                    out.push(b.execute(PROGRAM, &j.member_id, j.command.clone()).await);
                }
                out
            });
            for (j, answer) in chunk
                .iter()
                .chain(&chunk)
                .zip(answers.iter().chain(&singles))
            {
                match answer {
                    Ok(_) => {}
                    // Both writers may give up on the same command: settle it.
                    Err(CommandError::Contended { .. }) => settle(&a, j).await,
                    Err(e) => panic!("{e}"),
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let written: u64 = log.end_offsets().await.unwrap().iter().sum();
    let effective = 1 + MEMBERS as u64 * (1 + 30);
    println!("{written} records written, {effective} took effect");
    assert!(written > effective, "the writers never overtook each other");
    let fresh = CommandService::open(log.clone(), Arc::new(FixedClock))
        .await
        .unwrap();
    common::exactly_once(&fresh, PROGRAM, &expected, 30).await;
}
