//! Route table and handlers of the command side.

use super::error::ApiError;
use super::json::ApiJson;
use super::receipt::receipt;
use super::requests::*;
use crate::runs::RunSummary;
use crate::service::CommandService;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{post, put};
use axum::{Json, Router};
use ledger_core::numbers::text;
use ledger_core::{MemberCommand, ProgramDefinition};
use serde_json::{json, Value};
use std::sync::Arc;

type Svc = State<Arc<CommandService>>;
type Reply = Result<(StatusCode, Json<Value>), ApiError>;

pub fn router(service: Arc<CommandService>) -> Router {
    Router::new()
        .route("/v1/programs/{program}", put(define_program))
        .route("/v1/programs/{program}/members", post(enroll))
        .route(
            "/v1/programs/{program}/members/{member}/accruals",
            post(accrue),
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
        .route("/v1/programs/{program}/expirations", post(expire))
        .route("/v1/programs/{program}/tier-assessments", post(assess))
        .route("/v1/programs/{program}/releases", post(release))
        .with_state(service)
}

async fn define_program(
    State(svc): Svc,
    Path(program): Path<String>,
    ApiJson(definition): ApiJson<ProgramDefinition>,
) -> Reply {
    let (current, outcome) = svc.define_program(&program, definition).await?;
    Ok((
        StatusCode::OK,
        Json(json!({
            "program": program,
            "version": current.version,
            "changed": !outcome.events.is_empty(),
            "position": outcome.positions().to_string(),
        })),
    ))
}

async fn enroll(
    State(svc): Svc,
    Path(program): Path<String>,
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
    Path((p, m)): Path<(String, String)>,
    ApiJson(r): ApiJson<AccrualRequest>,
) -> Reply {
    member_command(&svc, &p, &m, r.into()).await
}

async fn redeem(
    State(svc): Svc,
    Path((p, m)): Path<(String, String)>,
    ApiJson(r): ApiJson<RedemptionRequest>,
) -> Reply {
    member_command(&svc, &p, &m, r.into()).await
}

async fn cancel(
    State(svc): Svc,
    Path((p, m)): Path<(String, String)>,
    ApiJson(r): ApiJson<CancellationRequest>,
) -> Reply {
    member_command(&svc, &p, &m, r.into()).await
}

async fn change_tier(
    State(svc): Svc,
    Path((p, m)): Path<(String, String)>,
    ApiJson(r): ApiJson<TierChangeRequest>,
) -> Reply {
    member_command(&svc, &p, &m, r.into()).await
}

async fn change_status(
    State(svc): Svc,
    Path((p, m)): Path<(String, String)>,
    ApiJson(r): ApiJson<StatusChangeRequest>,
) -> Reply {
    member_command(&svc, &p, &m, r.into()).await
}

async fn adjust(
    State(svc): Svc,
    Path((p, m)): Path<(String, String)>,
    ApiJson(r): ApiJson<AdjustmentRequest>,
) -> Reply {
    member_command(&svc, &p, &m, r.into()).await
}

async fn award_badge(
    State(svc): Svc,
    Path((p, m)): Path<(String, String)>,
    ApiJson(r): ApiJson<BadgeRequest>,
) -> Reply {
    member_command(&svc, &p, &m, r.into()).await
}

async fn expire(
    State(svc): Svc,
    Path(program): Path<String>,
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
    Path(program): Path<String>,
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
    Path(program): Path<String>,
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
