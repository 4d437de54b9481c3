//! What the command-service tests share: the fixture program and the
//! exactly-once check of a log two writers fought over.

use command_service::CommandService;
use ledger_core::{Decimal, Member, ProgramDefinition};
use std::collections::BTreeMap;

pub fn definition() -> ProgramDefinition {
    serde_json::from_str(include_str!("../../../tests/fixtures/program.json")).expect("fixture")
}

/// Checks every member rebuilt by `fresh` (a service opened on the log)
/// holds the STATUS points of its transactions exactly once, in `journals`
/// journals; returns the rebuilt members.
pub async fn exactly_once(
    fresh: &CommandService,
    program: &str,
    expected: &BTreeMap<String, Decimal>,
    journals: usize,
) -> BTreeMap<String, Member> {
    let mut rebuilt = BTreeMap::new();
    for (member, amount) in expected {
        let m = fresh.member(program, member).await.expect("member");
        let status = m.book("STATUS").map(|b| b.available()).unwrap_or_default();
        assert_eq!(status, *amount, "{member}: every transaction exactly once");
        assert_eq!(
            m.journals.len(),
            journals,
            "{member}: one journal per transaction"
        );
        rebuilt.insert(member.clone(), m);
    }
    rebuilt
}
