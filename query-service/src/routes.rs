//! Route table and handlers of the query side.

use crate::consistency::Applied;
use crate::error::QueryError;
use crate::member::{expiring_dates, member_json};
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use ledger_core::program::CurrencyKind;
use ledger_core::Decimal;
use projector::read_model;
use projector::Store;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Clone)]
pub struct QueryState {
    pub store: Arc<Store>,
    pub applied: Applied,
}

type Reply = Result<Json<Value>, QueryError>;

#[derive(Deserialize)]
pub struct Consistency {
    pub min_position: Option<String>,
}

#[derive(Deserialize)]
pub struct Page {
    pub min_position: Option<String>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

pub fn router(store: Arc<Store>, applied: Applied) -> Router {
    Router::new()
        .route("/v1/programs/{program}", get(program))
        .route("/v1/programs/{program}/members/{member}", get(member))
        .route(
            "/v1/programs/{program}/members/{member}/ledger",
            get(ledger),
        )
        .route("/v1/programs/{program}/members/{member}/lots", get(lots))
        .route(
            "/v1/programs/{program}/members/{member}/expiring",
            get(expiring),
        )
        .route(
            "/v1/programs/{program}/partners/{partner}/liability",
            get(liability),
        )
        .route("/v1/programs/{program}/stats", get(stats))
        .route("/v1/programs/{program}/promotions", get(promotions))
        .with_state(QueryState { store, applied })
}

/// Runs a blocking read off the async workers.
async fn read<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, QueryError> + Send + 'static,
) -> Result<T, QueryError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| QueryError::Store(projector::StoreError::Task(e.to_string())))?
}

async fn program(
    State(s): State<QueryState>,
    Path(p): Path<String>,
    Query(c): Query<Consistency>,
) -> Reply {
    s.applied.wait_for(c.min_position.as_deref()).await?;
    let view =
        read(move || read_model::program(&s.store, &p)?.ok_or_else(|| QueryError::program(&p)))
            .await?;
    Ok(Json(json!({
        "program_id": view.program_id,
        "name": view.name,
        "version": view.version,
        "definition": view.definition,
        "versions": view.versions,
    })))
}

/// Current promotions (as the latest program version has them), each with
/// every version it had.
async fn promotions(
    State(s): State<QueryState>,
    Path(p): Path<String>,
    Query(c): Query<Consistency>,
) -> Reply {
    s.applied.wait_for(c.min_position.as_deref()).await?;
    let view =
        read(move || read_model::program(&s.store, &p)?.ok_or_else(|| QueryError::program(&p)))
            .await?;
    let list: Vec<Value> = view
        .promotions
        .iter()
        .map(|(id, history)| {
            let current = view.definition.promotions.iter().find(|p| &p.id == id);
            json!({
                "promotion_id": id,
                "active_in_current_version": current.is_some(),
                "version": history.last().map(|h| h.version),
                "versions": history,
            })
        })
        .collect();
    Ok(Json(
        json!({ "program_id": view.program_id, "promotions": list }),
    ))
}

async fn member(
    State(s): State<QueryState>,
    Path((p, m)): Path<(String, String)>,
    Query(c): Query<Consistency>,
) -> Reply {
    s.applied.wait_for(c.min_position.as_deref()).await?;
    read(move || {
        let view =
            read_model::member(&s.store, &p, &m)?.ok_or_else(|| missing(&s.store, &p, &m))?;
        let lots = read_model::lots(&s.store, &p, &m)?;
        Ok(Json(member_json(&view, &lots)))
    })
    .await
}

/// Member not found, or its whole program.
fn missing(store: &Store, program: &str, member: &str) -> QueryError {
    match read_model::program(store, program) {
        Ok(Some(_)) => QueryError::member(member),
        _ => QueryError::program(program),
    }
}

const MAX_PAGE: usize = 1000;

async fn ledger(
    State(s): State<QueryState>,
    Path((p, m)): Path<(String, String)>,
    Query(q): Query<Page>,
) -> Reply {
    s.applied.wait_for(q.min_position.as_deref()).await?;
    let limit = q.limit.unwrap_or(100);
    if limit == 0 || limit > MAX_PAGE {
        return Err(QueryError::Invalid(format!("limit must be 1-{MAX_PAGE}")));
    }
    let after = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(
            c.parse::<u64>()
                .map_err(|_| QueryError::Invalid("cursor is not one this API returned".into()))?,
        ),
        None => None,
    };
    read(move || {
        read_model::member(&s.store, &p, &m)?.ok_or_else(|| missing(&s.store, &p, &m))?;
        let entries = read_model::ledger(&s.store, &p, &m, after, limit)?;
        let next = (entries.len() == limit)
            .then(|| entries.last().map(|e| e.sequence.to_string()))
            .flatten();
        Ok(Json(json!({"entries": entries, "next_cursor": next})))
    })
    .await
}

async fn lots(
    State(s): State<QueryState>,
    Path((p, m)): Path<(String, String)>,
    Query(c): Query<Consistency>,
) -> Reply {
    s.applied.wait_for(c.min_position.as_deref()).await?;
    read(move || {
        read_model::member(&s.store, &p, &m)?.ok_or_else(|| missing(&s.store, &p, &m))?;
        let lots = read_model::lots(&s.store, &p, &m)?;
        Ok(Json(json!({"lots": lots})))
    })
    .await
}

#[derive(Deserialize)]
pub struct Expiring {
    pub min_position: Option<String>,
    pub dates: Option<usize>,
}

/// At most this many dates per request.
const MAX_DATES: usize = 100;

async fn expiring(
    State(s): State<QueryState>,
    Path((p, m)): Path<(String, String)>,
    Query(q): Query<Expiring>,
) -> Reply {
    s.applied.wait_for(q.min_position.as_deref()).await?;
    let dates = q.dates.unwrap_or(10);
    if dates == 0 || dates > MAX_DATES {
        return Err(QueryError::Invalid(format!("dates must be 1-{MAX_DATES}")));
    }
    read(move || {
        let view =
            read_model::member(&s.store, &p, &m)?.ok_or_else(|| missing(&s.store, &p, &m))?;
        let lots = read_model::lots(&s.store, &p, &m)?;
        Ok(Json(json!({
            "member_id": m,
            "expiring": expiring_dates(&view, &lots, dates),
        })))
    })
    .await
}

async fn liability(
    State(s): State<QueryState>,
    Path((p, partner)): Path<(String, String)>,
    Query(c): Query<Consistency>,
) -> Reply {
    s.applied.wait_for(c.min_position.as_deref()).await?;
    read(move || {
        let program = read_model::program(&s.store, &p)?.ok_or_else(|| QueryError::program(&p))?;
        let def = program
            .definition
            .partner(&partner)
            .ok_or_else(|| QueryError::partner(&partner))?;
        let cost = def.cost_per_point;
        // Qualifying points are not a liability: only spendable currencies count.
        let figures: Vec<_> = read_model::partner(&s.store, &p, &partner)?
            .into_iter()
            .filter(|(currency, _)| {
                program
                    .definition
                    .currency(currency)
                    .is_some_and(|c| c.kind == CurrencyKind::NonQualifying)
            })
            .collect();
        let mut sum = projector::views::PartnerFigures::default();
        let mut by_currency = serde_json::Map::new();
        for (currency, f) in &figures {
            sum.issued += f.issued;
            sum.redeemed += f.redeemed;
            sum.expired += f.expired;
            sum.cancelled += f.cancelled;
            by_currency.insert(currency.clone(), figures_json(f, cost));
        }
        let mut body = figures_json(&sum, cost);
        body["partner_id"] = json!(partner);
        body["cost_per_point"] = json!(cost.normalize());
        body["money_currency"] = json!(program.definition.money_currency);
        body["currencies"] = Value::Object(by_currency);
        Ok(Json(body))
    })
    .await
}

fn figures_json(f: &projector::views::PartnerFigures, cost: Decimal) -> Value {
    json!({
        "issued": f.issued.normalize(),
        "redeemed": f.redeemed.normalize(),
        "expired": f.expired.normalize(),
        "cancelled": f.cancelled.normalize(),
        "outstanding": f.outstanding().normalize(),
        "liability_amount": (f.outstanding() * cost).normalize(),
    })
}

async fn stats(
    State(s): State<QueryState>,
    Path(p): Path<String>,
    Query(c): Query<Consistency>,
) -> Reply {
    s.applied.wait_for(c.min_position.as_deref()).await?;
    read(move || {
        let program = read_model::program(&s.store, &p)?.ok_or_else(|| QueryError::program(&p))?;
        let stats = read_model::stats(&s.store, &p)?.unwrap_or_default();
        Ok(Json(json!({
            "program_id": p,
            "program_version": program.version,
            "members": stats.members,
            "members_by_tier": stats.members_by_tier,
            "members_by_status": stats.members_by_status,
            "currencies": stats.currencies,
            "events": stats.events,
        })))
    })
    .await
}
