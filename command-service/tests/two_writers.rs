//! Two command-service instances fighting over every partition of one log
//! (what a rebalance can briefly cause: a paused old owner and the new one
//! both writing). Commands for the same members go to either instance,
//! retries included. Whatever interleaving the log ends up with, every
//! transaction takes effect exactly once, no command is half applied, and
//! a fresh rebuild, the two writers' states and the sum of the amounts agree.

mod common;

use command_service::{CommandError, CommandService, SystemClock};
use common::definition;
use event_log::{Durability, EmbeddedLog, EventLog};
use ledger_core::member::MemberType;
use ledger_core::{Accrual, Decimal, MemberCommand};
use std::collections::BTreeMap;
use std::sync::Arc;

const PROGRAM: &str = "fight";
const MEMBERS: usize = 6;
const COMMANDS: usize = 240;

fn accrual(tx: &str, amount: u32) -> MemberCommand {
    MemberCommand::Accrue(Accrual {
        transaction_id: tx.to_string(),
        occurred_at: "2026-03-01T10:00:00Z".parse().unwrap(),
        amount: Some(Decimal::from(amount)),
        points: BTreeMap::new(),
        partner_id: None,
        channel: None,
        product_category: None,
    })
}

/// Sends a command until it is settled; "contended" is the only retryable answer here.
async fn settle(service: &CommandService, member: &str, command: MemberCommand) {
    loop {
        match service.execute(PROGRAM, member, command.clone()).await {
            Ok(_) => return,
            Err(CommandError::Contended { .. }) => tokio::task::yield_now().await,
            Err(e) => panic!("{member}: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_writers_on_one_partition_never_double_or_half_apply() {
    let dir = tempfile::tempdir().unwrap();
    let log: Arc<dyn EventLog> = EmbeddedLog::open(dir.path(), 2, Durability::Buffered).unwrap();
    let a = Arc::new(
        CommandService::open(log.clone(), Arc::new(SystemClock))
            .await
            .unwrap(),
    );
    a.define_program(PROGRAM, definition()).await.unwrap();
    for m in 0..MEMBERS {
        let enroll = MemberCommand::Enroll {
            member_type: MemberType::Individual,
            enrolled_at: "2026-01-01T00:00:00Z".parse().unwrap(),
            channel: None,
        };
        a.execute(PROGRAM, &format!("m{m}"), enroll).await.unwrap();
    }
    // The second writer takes every partition over while the first still writes.
    let b = Arc::new(CommandService::unowned(log.clone(), Arc::new(SystemClock)));
    for p in 0..log.partitions() {
        b.acquire(p).await.unwrap();
    }

    let mut expected: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut tasks = Vec::new();
    for i in 0..COMMANDS {
        let member = format!("m{}", i % MEMBERS);
        let amount = (i % 7 + 1) as u32;
        *expected.entry(member.clone()).or_default() += Decimal::from(amount);
        let (first, second) = if i % 2 == 0 {
            (a.clone(), b.clone())
        } else {
            (b.clone(), a.clone())
        };
        let tx = format!("t{i}");
        tasks.push(tokio::spawn(async move {
            settle(&first, &member, accrual(&tx, amount)).await;
            // Every third command is retried on the other writer: a duplicate, never a second effect.
            if i % 3 == 0 {
                settle(&second, &member, accrual(&tx, amount)).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }

    let fresh = CommandService::open(log.clone(), Arc::new(SystemClock))
        .await
        .unwrap();
    // The writers did fight: the log holds records that never took effect
    // (groups another writer's took the place of).
    let written: u64 = log.end_offsets().await.unwrap().iter().sum();
    let effective = 1 + MEMBERS as u64 * 2 + COMMANDS as u64;
    println!("{written} records written, at least {effective} took effect");
    assert!(
        written > effective,
        "no contention happened: {written} records"
    );
    // Bring both writers' states to the log's end (their own catch-up path).
    for p in 0..log.partitions() {
        a.acquire(p).await.unwrap();
        b.acquire(p).await.unwrap();
    }
    let rebuilt = common::exactly_once(&fresh, PROGRAM, &expected, COMMANDS / MEMBERS).await;
    for (member, rebuilt) in &rebuilt {
        assert_eq!(
            a.member(PROGRAM, member).await.as_ref(),
            Some(rebuilt),
            "{member}: writer a agrees"
        );
        assert_eq!(
            b.member(PROGRAM, member).await.as_ref(),
            Some(rebuilt),
            "{member}: writer b agrees"
        );
    }
}
