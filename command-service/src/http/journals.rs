//! `POST /v1/programs/{program}/journals`: many member commands in one
//! request, each answered on its own (`results[i]` answers `commands[i]`
//! with the status and body its single endpoint would give). A malformed
//! item is answered 400 and the others still go through. `position` covers
//! every accepted command (a read with it as `min_position` sees them all).

use super::error::ApiError;
use super::json::ApiJson;
use super::path::ApiPath;
use super::receipt::receipt;
use super::requests::*;
use crate::batch::Journal;
use crate::service::CommandService;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use event_log::Positions;
use ledger_core::{MemberCommand, Time};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

/// Most commands one request may carry.
pub const MAX_COMMANDS: usize = 5_000;
/// Largest body of a batch (other routes take 1 MiB).
pub const BODY_LIMIT: usize = 8 << 20;

#[derive(Deserialize)]
pub struct JournalsRequest {
    commands: Vec<Value>,
}

pub async fn journals(
    State(svc): State<Arc<CommandService>>,
    ApiPath(program): ApiPath<String>,
    ApiJson(req): ApiJson<JournalsRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if req.commands.len() > MAX_COMMANDS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_commands",
            format!("at most {MAX_COMMANDS} commands per request"),
        ));
    }
    let now = svc.clock.now();
    let parsed: Vec<Result<Journal, ApiError>> = req
        .commands
        .into_iter()
        .map(|item| parse_journal(item, now))
        .collect();
    let valid: Vec<Journal> = parsed
        .iter()
        .filter_map(|p| p.as_ref().ok())
        .cloned()
        .collect();
    let mut answers = svc.execute_batch(&program, &valid).await.into_iter();
    let mut accepted = 0usize;
    let mut position = Positions::default();
    let results: Vec<Value> = parsed
        .into_iter()
        .map(|p| {
            let answer = p.and_then(|j| {
                let outcome = answers
                    .next()
                    .ok_or_else(|| ApiError::invalid("no answer"))??;
                Ok((j, outcome))
            });
            match answer {
                Ok((j, outcome)) => {
                    accepted += 1;
                    position.merge(&outcome.positions());
                    let status = if outcome.duplicate { 200 } else { 201 };
                    let mut body = receipt(&outcome, j.command.transaction_id());
                    body["member_id"] = json!(j.member_id);
                    body["status"] = json!(status);
                    body
                }
                Err(e) => json!({
                    "status": e.status.as_u16(),
                    "error": {"code": e.code, "message": e.message},
                }),
            }
        })
        .collect();
    let rejected = results.len() - accepted;
    Ok((
        StatusCode::OK,
        Json(json!({
            "accepted": accepted,
            "rejected": rejected,
            "position": position.to_string(),
            "results": results,
        })),
    ))
}

/// One item: `{"type": ..., "member_id": ..., <that command's fields>}`.
pub fn parse_journal(item: Value, now: Time) -> Result<Journal, ApiError> {
    let kind = item
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid("each command needs a \"type\""))?
        .to_string();
    if kind == "enrollment" {
        let (member_id, command) = body::<EnrollRequest>(item)?.into_command(now)?;
        return Ok(Journal { member_id, command });
    }
    let member_id = item
        .get("member_id")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid("each command needs a \"member_id\""))?
        .to_string();
    let command: MemberCommand = match kind.as_str() {
        "accrual" => body::<AccrualRequest>(item)?.into(),
        "redemption" => body::<RedemptionRequest>(item)?.into(),
        "cancellation" => body::<CancellationRequest>(item)?.into(),
        "adjustment" => body::<AdjustmentRequest>(item)?.into(),
        "transfer" => body::<TransferRequest>(item)?.into(),
        "tier_change" => body::<TierChangeRequest>(item)?.into(),
        "status_change" => body::<StatusChangeRequest>(item)?.into(),
        "badge" => body::<BadgeRequest>(item)?.into(),
        "voucher_issue" => body::<VoucherIssueRequest>(item)?.into(),
        other => {
            return Err(ApiError::invalid(format!(
                "unknown command type {other:?}: enrollment, accrual, redemption, cancellation, \
                 adjustment, transfer, tier_change, status_change, badge, voucher_issue"
            )))
        }
    };
    Ok(Journal { member_id, command })
}

fn body<T: DeserializeOwned>(item: Value) -> Result<T, ApiError> {
    serde_json::from_value(item).map_err(|e| ApiError::invalid(format!("invalid command: {e}")))
}
