//! Route table and handlers of the command side.

use super::error::ApiError;
use super::journals;
use super::json::ApiJson;
use super::path::ApiPath;
use super::receipt::receipt;
use super::requests::*;
use crate::outcome::Outcome;
use crate::runs::RunSummary;
use crate::service::CommandService;
use crate::service::Simulation;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{post, put};
use axum::{Json, Router};
use ledger_core::command::VoucherAction;
use ledger_core::decide::ProgramEdit;
use ledger_core::numbers::text;
use ledger_core::promotion::Promotion;
use ledger_core::{MemberCommand, Program, ProgramDefinition};
use serde_json::{json, Value};
use std::sync::Arc;

type Svc = State<Arc<CommandService>>;
type Reply = Result<(StatusCode, Json<Value>), ApiError>;

pub fn router(service: Arc<CommandService>) -> Router {
    Router::new()
        .route("/v1/programs/{program}", put(define_program))
        .route("/v1/programs/{program}/members", post(enroll))
        .route(
            "/v1/programs/{program}/journals",
            post(journals::journals).layer(DefaultBodyLimit::max(journals::BODY_LIMIT)),
        )
        .route(
            "/v1/programs/{program}/members/{member}/accruals",
            post(accrue),
        )
        .route(
            "/v1/programs/{program}/members/{member}/accruals/simulate",
            post(simulate),
        )
        .route(
            "/v1/programs/{program}/members/{member}/vouchers",
            post(issue_voucher),
        )
        .route(
            "/v1/programs/{program}/members/{member}/vouchers/{voucher}/{step}",
            post(voucher_step),
        )
        .route(
            "/v1/programs/{program}/promotions/{promotion}",
            put(put_promotion).delete(withdraw_promotion),
        )
        .route(
            "/v1/programs/{program}/members/{member}/redemptions",
            post(redeem),
        )
        .route(
            "/v1/programs/{program}/members/{member}/cancellations",
            post(cancel),
        )
        .route(
            "/v1/programs/{program}/members/{member}/tier-changes",
            post(change_tier),
        )
        .route(
            "/v1/programs/{program}/members/{member}/status-changes",
            post(change_status),
        )
        .route(
            "/v1/programs/{program}/members/{member}/adjustments",
            post(adjust),
        )
        .route(
            "/v1/programs/{program}/members/{member}/badges",
            post(award_badge),
        )
        .route(
            "/v1/programs/{program}/members/{member}/transfers",
            post(transfer),
        )
        .route(
            "/v1/programs/{program}/members/{group}/group-members",
            post(add_group_member),
        )
        .route(
            "/v1/programs/{program}/members/{group}/group-members/{member}/removals",
            post(remove_group_member),
        )
        .route("/v1/programs/{program}/expirations", post(expire))
        .route("/v1/programs/{program}/tier-assessments", post(assess))
        .route("/v1/programs/{program}/releases", post(release))
        .with_state(service)
}

async fn define_program(
    State(svc): Svc,
    ApiPath(program): ApiPath<String>,
    ApiJson(definition): ApiJson<ProgramDefinition>,
) -> Reply {
    let (current, outcome) = svc.define_program(&program, definition).await?;
    Ok((
        StatusCode::OK,
        Json(program_reply(&program, &current, &outcome)),
    ))
}

/// The answer to a program edit: the version now in force.
fn program_reply(program: &str, current: &Program, outcome: &Outcome) -> Value {
    json!({
        "program": program,
        "version": current.version,
        "changed": !outcome.events.is_empty(),
        "position": outcome.positions().to_string(),
    })
}

async fn put_promotion(
    State(svc): Svc,
    ApiPath((program, id)): ApiPath<(String, String)>,
    ApiJson(mut promotion): ApiJson<Promotion>,
) -> Reply {
    if promotion.id != id {
        if !promotion.id.is_empty() {
            return Err(ApiError::invalid("the body's id differs from the path's"));
        }
        promotion.id = id;
    }
    let (current, outcome) = svc
        .edit_program(&program, ProgramEdit::PutPromotion(promotion.clone()))
        .await?;
    let mut body = program_reply(&program, &current, &outcome);
    body["promotion"] = json!(current
        .definition
        .promotions
        .iter()
        .find(|p| p.id == promotion.id));
    Ok((StatusCode::OK, Json(body)))
}

async fn withdraw_promotion(
    State(svc): Svc,
    ApiPath((program, id)): ApiPath<(String, String)>,
) -> Reply {
    let (current, outcome) = svc
        .edit_program(&program, ProgramEdit::WithdrawPromotion(id))
        .await?;
    Ok((
        StatusCode::OK,
        Json(program_reply(&program, &current, &outcome)),
    ))
}

async fn enroll(
    State(svc): Svc,
    ApiPath(program): ApiPath<String>,
    ApiJson(req): ApiJson<EnrollRequest>,
) -> Reply {
    let now = svc.clock.now();
    let (member, command) = req.into_command(now)?;
    let outcome = svc.execute(&program, &member, command).await?;
    let mut body = receipt(&outcome, None);
    body["member_id"] = json!(member);
    Ok((StatusCode::CREATED, Json(body)))
}

async fn member_command(
    svc: &CommandService,
    program: &str,
    member: &str,
    command: MemberCommand,
) -> Reply {
    let tx = command.transaction_id().map(str::to_string);
    let outcome = svc.execute(program, member, command).await?;
    let status = if outcome.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(receipt(&outcome, tx.as_deref()))))
}

async fn accrue(
    State(svc): Svc,
    ApiPath((p, m)): ApiPath<(String, String)>,
    ApiJson(r): ApiJson<AccrualRequest>,
) -> Reply {
    member_command(&svc, &p, &m, r.into()).await
}

/// A dry run of an accrual: what it would earn and why; nothing is written.
async fn simulate(
    State(svc): Svc,
    ApiPath((p, m)): ApiPath<(String, String)>,
    ApiJson(mut r): ApiJson<AccrualRequest>,
) -> Reply {
    if r.transaction_id.is_empty() {
        r.transaction_id = "simulation".into();
    }
    let sim = svc.simulate(&p, &m, r.into()).await?;
    Ok((StatusCode::OK, Json(simulation_json(&sim))))
}

async fn issue_voucher(
    State(svc): Svc,
    ApiPath((p, m)): ApiPath<(String, String)>,
    ApiJson(r): ApiJson<VoucherIssueRequest>,
) -> Reply {
    member_command(&svc, &p, &m, r.into()).await
}

/// `reservations`, `redemptions` or `cancellations` of one voucher.
async fn voucher_step(
    State(svc): Svc,
    ApiPath((p, m, voucher, step)): ApiPath<(String, String, String, String)>,
    ApiJson(r): ApiJson<VoucherStepRequest>,
) -> Reply {
    let action = match step.as_str() {
        "reservations" => VoucherAction::Reserve,
        "redemptions" => VoucherAction::Redeem { amount: r.amount },
        "cancellations" => VoucherAction::Cancel {
            reason: r.reason.clone().unwrap_or_default(),
        },
        _ => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "voucher steps are reservations, redemptions and cancellations",
            ))
        }
    };
    member_command(&svc, &p, &m, r.into_command(voucher, action)).await
}

async fn redeem(
    State(svc): Svc,
    ApiPath((p, m)): ApiPath<(String, String)>,
    ApiJson(r): ApiJson<RedemptionRequest>,
) -> Reply {
    member_command(&svc, &p, &m, r.into()).await
}

async fn cancel(
    State(svc): Svc,
    ApiPath((p, m)): ApiPath<(String, String)>,
    ApiJson(r): ApiJson<CancellationRequest>,
) -> Reply {
    member_command(&svc, &p, &m, r.into()).await
}

async fn change_tier(
    State(svc): Svc,
    ApiPath((p, m)): ApiPath<(String, String)>,
    ApiJson(r): ApiJson<TierChangeRequest>,
) -> Reply {
    member_command(&svc, &p, &m, r.into()).await
}

async fn change_status(
    State(svc): Svc,
    ApiPath((p, m)): ApiPath<(String, String)>,
    ApiJson(r): ApiJson<StatusChangeRequest>,
) -> Reply {
    member_command(&svc, &p, &m, r.into()).await
}

async fn adjust(
    State(svc): Svc,
    ApiPath((p, m)): ApiPath<(String, String)>,
    ApiJson(r): ApiJson<AdjustmentRequest>,
) -> Reply {
    member_command(&svc, &p, &m, r.into()).await
}

async fn award_badge(
    State(svc): Svc,
    ApiPath((p, m)): ApiPath<(String, String)>,
    ApiJson(r): ApiJson<BadgeRequest>,
) -> Reply {
    member_command(&svc, &p, &m, r.into()).await
}

/// Sends points to another member: accepted here once they left the
/// sender; the receiver's side follows (see the member views).
async fn transfer(
    State(svc): Svc,
    ApiPath((p, m)): ApiPath<(String, String)>,
    ApiJson(r): ApiJson<TransferRequest>,
) -> Reply {
    member_command(&svc, &p, &m, r.into()).await
}

async fn add_group_member(
    State(svc): Svc,
    ApiPath((p, g)): ApiPath<(String, String)>,
    ApiJson(r): ApiJson<GroupMemberRequest>,
) -> Reply {
    member_command(&svc, &p, &g, r.into()).await
}

async fn remove_group_member(
    State(svc): Svc,
    ApiPath((p, g, m)): ApiPath<(String, String, String)>,
    ApiJson(r): ApiJson<GroupRemovalRequest>,
) -> Reply {
    member_command(&svc, &p, &g, r.into_command(m)).await
}

async fn expire(
    State(svc): Svc,
    ApiPath(program): ApiPath<String>,
    ApiJson(r): ApiJson<RunRequest>,
) -> Reply {
    let as_of = ledger_core::time::truncate(r.as_of);
    program_run(
        &svc,
        &program,
        "expiration",
        MemberCommand::Expire { as_of },
    )
    .await
}

async fn assess(
    State(svc): Svc,
    ApiPath(program): ApiPath<String>,
    ApiJson(r): ApiJson<RunRequest>,
) -> Reply {
    let as_of = ledger_core::time::truncate(r.as_of);
    program_run(
        &svc,
        &program,
        "tier_assessment",
        MemberCommand::AssessTier { as_of },
    )
    .await
}

async fn release(
    State(svc): Svc,
    ApiPath(program): ApiPath<String>,
    ApiJson(r): ApiJson<RunRequest>,
) -> Reply {
    let as_of = ledger_core::time::truncate(r.as_of);
    program_run(&svc, &program, "release", MemberCommand::Release { as_of }).await
}

async fn program_run(
    svc: &CommandService,
    program: &str,
    run: &str,
    command: MemberCommand,
) -> Reply {
    let summary = svc.run_for_all(program, command).await?;
    Ok((StatusCode::OK, Json(summary_json(run, &summary))))
}

fn summary_json(run: &str, s: &RunSummary) -> Value {
    let points: serde_json::Map<_, _> = s
        .points
        .iter()
        .map(|(k, v)| (k.clone(), json!(text(*v))))
        .collect();
    let moves: Vec<_> = s
        .tier_moves
        .iter()
        .map(|((from, to), n)| json!({"from": from, "to": to, "members": n}))
        .collect();
    json!({
        "run": run,
        "members_scanned": s.members_scanned,
        "members_affected": s.members_affected,
        "events": s.events,
        "points": points,
        "tier_moves": moves,
        "position": s.positions.to_string(),
        "partitions": s.partitions,
    })
}

fn simulation_json(sim: &Simulation) -> Value {
    let outcome = Outcome {
        events: sim.events.clone(),
        partition: 0,
        offsets: Vec::new(),
        duplicate: sim.duplicate,
        tier: sim.tier.clone(),
    };
    let mut body = receipt(&outcome, None);
    if let Some(map) = body.as_object_mut() {
        map.remove("position");
    }
    body["simulated"] = json!(true);
    body["duplicate"] = json!(sim.duplicate);
    body["program_version"] = json!(sim.program_version);
    let not_applied: Vec<_> = sim
        .earnings
        .not_applied
        .iter()
        .map(|(id, why)| json!({"promotion_id": id, "reason": why}))
        .collect();
    body["promotions_not_applied"] = json!(not_applied);
    body
}
