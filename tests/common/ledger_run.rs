//! A ledger driven in process by random steps (command service on an
//! embedded log, a live projector folding in random batch sizes): what the
//! read-model properties run against.

use chrono::{TimeZone, Utc};
use command_service::{Clock, CommandService};
use event_log::{Durability, EmbeddedLog, EventLog};
use ledger_core::command::Accrual;
use ledger_core::member::MemberType;
use ledger_core::{MemberCommand, Time};
use projector::{apply_records, Store};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

pub struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> Time {
        Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
    }
}

#[derive(Clone, Debug)]
pub enum Step {
    Buy { member: u8, cents: u32, app: bool },
    Hotel { member: u8, points: u32 },
    Redeem { member: u8, points: u32 },
    CancelLast { member: u8 },
    Expire,
    Assess,
    Project { max: usize },
}

pub fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0u8..5, 100u32..50_000, any::<bool>()).prop_map(|(member, cents, app)| Step::Buy { member, cents, app }),
        1 => (0u8..5, 1u32..3000).prop_map(|(member, points)| Step::Hotel { member, points }),
        2 => (0u8..5, 1u32..3000).prop_map(|(member, points)| Step::Redeem { member, points }),
        1 => (0u8..5).prop_map(|member| Step::CancelLast { member }),
        1 => Just(Step::Expire),
        1 => Just(Step::Assess),
        2 => (1usize..40).prop_map(|max| Step::Project { max }),
    ]
}

pub fn dump(store: &Store) -> Vec<projector::store::RawEntry> {
    store.entries().map(|r| r.unwrap()).collect()
}

pub async fn project(log: &dyn EventLog, store: &Store, max: usize) {
    let start = store.applied_offsets(log.partitions()).unwrap();
    let mut reader = log.reader(start).await.unwrap();
    let batch = reader
        .poll(max, std::time::Duration::from_millis(1))
        .await
        .unwrap();
    if !batch.is_empty() {
        apply_records(store, &batch).unwrap();
    }
}

/// The program's members.
pub const MEMBERS: u8 = 5;

/// A ledger with the fixture program "p" and members m0..m4 enrolled at
/// 2026-01-01; `live` is the live projector's store.
pub struct Ledger {
    pub log: Arc<dyn EventLog>,
    pub svc: CommandService,
    pub live: Store,
}

pub fn t0() -> Time {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

impl Ledger {
    pub async fn open(dir: &Path, live: Store) -> Ledger {
        let log: Arc<dyn EventLog> =
            EmbeddedLog::open(&dir.join("log"), 3, Durability::Buffered).unwrap();
        let svc = CommandService::open(log.clone(), Arc::new(FixedClock))
            .await
            .unwrap();
        let definition = serde_json::from_str(include_str!("../fixtures/program.json")).unwrap();
        svc.define_program("p", definition).await.unwrap();
        for m in 0..MEMBERS {
            let enroll = MemberCommand::Enroll {
                member_type: MemberType::Individual,
                enrolled_at: t0(),
                channel: None,
            };
            svc.execute("p", &format!("m{m}"), enroll).await.unwrap();
        }
        Ledger { log, svc, live }
    }

    /// Plays the steps, step `i` at business time `at(i)`.
    pub async fn play(&self, steps: Vec<Step>, at: impl Fn(usize) -> Time) {
        let mut last: BTreeMap<u8, String> = BTreeMap::new();
        for (i, s) in steps.into_iter().enumerate() {
            let at = at(i);
            let tx = format!("t{i}");
            let (member, command) = match s {
                Step::Buy { member, cents, app } => {
                    (member, accrual(&tx, at, Some(cents), None, app))
                }
                Step::Hotel { member, points } => {
                    (member, accrual(&tx, at, None, Some(points), false))
                }
                Step::Redeem { member, points } => (
                    member,
                    MemberCommand::Redeem {
                        transaction_id: tx.clone(),
                        occurred_at: at,
                        currency: "POINTS".into(),
                        points: points.into(),
                        partner_id: None,
                        by_member: None,
                    },
                ),
                Step::CancelLast { member } => {
                    let Some(cancels) = last.get(&member).cloned() else {
                        continue;
                    };
                    (
                        member,
                        MemberCommand::Cancel {
                            transaction_id: tx.clone(),
                            cancels,
                            occurred_at: at,
                            reason: "return".into(),
                        },
                    )
                }
                Step::Expire => {
                    self.svc
                        .run_for_all("p", MemberCommand::Expire { as_of: at })
                        .await
                        .unwrap();
                    continue;
                }
                Step::Assess => {
                    self.svc
                        .run_for_all("p", MemberCommand::AssessTier { as_of: at })
                        .await
                        .unwrap();
                    continue;
                }
                Step::Project { max } => {
                    project(&*self.log, &self.live, max).await;
                    continue;
                }
            };
            // Business rejections are fine here; infrastructure errors are not.
            match self.svc.execute("p", &format!("m{member}"), command).await {
                Ok(_) => {
                    last.insert(member, tx);
                }
                Err(command_service::CommandError::Rejected(_)) => {}
                Err(e) => panic!("{e}"),
            }
        }
    }

    /// Lets the live projector fold everything written so far.
    pub async fn catch_up(&self) {
        loop {
            let before = self.live.applied_offsets(self.log.partitions()).unwrap();
            project(&*self.log, &self.live, 50).await;
            if self.live.applied_offsets(self.log.partitions()).unwrap() == before {
                break;
            }
        }
    }
}

pub fn accrual(
    tx: &str,
    at: Time,
    cents: Option<u32>,
    points: Option<u32>,
    app: bool,
) -> MemberCommand {
    MemberCommand::Accrue(Accrual {
        transaction_id: tx.to_string(),
        occurred_at: at,
        amount: cents.map(|c| ledger_core::Decimal::new(i64::from(c), 2)),
        points: points
            .map(|p| BTreeMap::from([("POINTS".to_string(), p.into())]))
            .unwrap_or_default(),
        partner_id: points.map(|_| "hotel".to_string()),
        channel: app.then(|| "app".to_string()),
        product_category: None,
    })
}
