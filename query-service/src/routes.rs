//! Route table and handlers of the query side.

use crate::consistency::{self, Applied};
use crate::error::QueryError;
use crate::extract::Checked;
use crate::history::{self, HistoryQuery};
use crate::liability;
use crate::lots::{self, LotsQuery, PageOf};
use crate::member::{expiring_dates, member_body, member_json, EXPIRING_DATES};
use crate::point;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use ledger_core::Time;
use projector::as_of::{self, Cut, LotsWanted};
use projector::read_model;
use projector::{Store, StoreError};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::task::JoinError;

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

/// A read as of a past point (`as_of`, or `as_of_position` where a view
/// takes one; the others refuse it), after the consistency token.
#[derive(Deserialize)]
pub struct PointInTime {
    pub min_position: Option<String>,
    pub as_of: Option<String>,
    pub as_of_position: Option<String>,
}

/// A member view: live or as of a past point, with a page of the lots it
/// had then (`lots_limit`, `lots_cursor`).
#[derive(Deserialize)]
pub struct MemberQuery {
    pub min_position: Option<String>,
    pub as_of: Option<String>,
    pub as_of_position: Option<String>,
    pub lots_limit: Option<usize>,
    pub lots_cursor: Option<String>,
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
            get(partner_liability),
        )
        .route("/v1/programs/{program}/liability", get(program_liability))
        .route("/v1/programs/{program}/stats", get(stats))
        .route("/v1/programs/{program}/promotions", get(promotions))
        .with_state(QueryState { store, applied })
}

/// Runs a blocking read off the async workers.
async fn read<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, QueryError> + Send + 'static,
) -> Result<T, QueryError> {
    tokio::task::spawn_blocking(f).await.map_err(task_failed)?
}

/// A read that panicked is a bug (500 `internal`), not an unavailable
/// store; one that was cancelled (the runtime shutting down) is.
fn task_failed(e: JoinError) -> QueryError {
    if e.is_panic() {
        QueryError::Internal("a read task panicked".into())
    } else {
        QueryError::Store(StoreError::Task(e.to_string()))
    }
}

async fn program(
    State(s): State<QueryState>,
    Checked(Path(p)): Checked<Path<String>>,
    Checked(Query(c)): Checked<Query<Consistency>>,
) -> Reply {
    s.applied.wait_for_token(c.min_position.as_deref()).await?;
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
    Checked(Path(p)): Checked<Path<String>>,
    Checked(Query(c)): Checked<Query<Consistency>>,
) -> Reply {
    s.applied.wait_for_token(c.min_position.as_deref()).await?;
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
    Checked(Path((p, m))): Checked<Path<(String, String)>>,
    Checked(Query(q)): Checked<Query<MemberQuery>>,
) -> Result<Response, QueryError> {
    let mut wanted = consistency::token(q.min_position.as_deref())?;
    let cut = point::cut(q.as_of.as_deref(), q.as_of_position.as_deref())?;
    let page = PageOf::parse(q.lots_limit, q.lots_cursor.as_deref())?;
    // A position not applied yet would give the live view labelled as of
    // it: the cut is a consistency token too.
    if let Some(Cut::Position(at)) = &cut {
        wanted.merge(at);
    }
    s.applied.wait_for(&wanted).await?;
    let Some(cut) = cut else {
        // The live view is a point read and a short walk of the expiring
        // index, tens of microseconds: done on the worker, as handing it to
        // the blocking pool cost more (two thread switches and the pool's
        // lock) than the read itself.
        let view =
            read_model::member(&s.store, &p, &m)?.ok_or_else(|| missing(&s.store, &p, &m))?;
        let fixed = read_model::expiring(&s.store, &p, &m, EXPIRING_DATES)?;
        return Ok(Json(member_body(&view, &fixed)).into_response());
    };
    read(move || {
        let wanted = LotsWanted {
            after: page.after,
            limit: page.limit,
            dates: EXPIRING_DATES,
        };
        let at = match as_of::member_page(&s.store, &p, &m, &cut, &wanted)? {
            Some(found) => found,
            None => {
                return Err(match missing(&s.store, &p, &m) {
                    QueryError::NotFound { code, .. } if code == "member_not_found" => {
                        QueryError::NotFound {
                            code,
                            what: "member",
                            id: format!("{m} (at that point)"),
                        }
                    }
                    other => other,
                })
            }
        };
        let mut body = member_json(&at.view, &at.expiring);
        let (rows, next) = lots::page_json(at.lots, page.limit);
        body["open_lots"] = json!(at.open_lots);
        body["lots"] = rows;
        body["lots_next_cursor"] = next;
        body["as_of"] = json!(q.as_of);
        body["as_of_position"] = json!(q.as_of_position);
        Ok(Json(body).into_response())
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

async fn ledger(
    State(s): State<QueryState>,
    Checked(Path((p, m))): Checked<Path<(String, String)>>,
    Checked(Query(q)): Checked<Query<HistoryQuery>>,
) -> Reply {
    let wanted = consistency::token(q.min_position.as_deref())?;
    let limit = q.limit.unwrap_or(100);
    if limit == 0 || limit > history::MAX_PAGE {
        return Err(QueryError::Invalid(format!(
            "limit must be 1-{}",
            history::MAX_PAGE
        )));
    }
    let after = history::parse_cursor(q.cursor.as_deref())?;
    let filter = history::Filter::parse(&q)?;
    s.applied.wait_for(&wanted).await?;
    read(move || {
        let view =
            read_model::member(&s.store, &p, &m)?.ok_or_else(|| missing(&s.store, &p, &m))?;
        let span = history::Span {
            after,
            limit,
            applied: view.sequence,
        };
        Ok(Json(history::page(&s.store, &p, &m, &filter, span)?))
    })
    .await
}

async fn lots(
    State(s): State<QueryState>,
    Checked(Path((p, m))): Checked<Path<(String, String)>>,
    Checked(Query(q)): Checked<Query<LotsQuery>>,
) -> Reply {
    let wanted = consistency::token(q.min_position.as_deref())?;
    let page = PageOf::parse(q.limit, q.cursor.as_deref())?;
    s.applied.wait_for(&wanted).await?;
    read(move || {
        read_model::member(&s.store, &p, &m)?.ok_or_else(|| missing(&s.store, &p, &m))?;
        let rows = read_model::lots_page(&s.store, &p, &m, page.after.as_deref(), page.limit + 1)?;
        let (rows, next) = lots::page_json(rows, page.limit);
        Ok(Json(json!({"lots": rows, "next_cursor": next})))
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
    Checked(Path((p, m))): Checked<Path<(String, String)>>,
    Checked(Query(q)): Checked<Query<Expiring>>,
) -> Reply {
    let wanted = consistency::token(q.min_position.as_deref())?;
    let dates = q.dates.unwrap_or(10);
    if dates == 0 || dates > MAX_DATES {
        return Err(QueryError::Invalid(format!("dates must be 1-{MAX_DATES}")));
    }
    s.applied.wait_for(&wanted).await?;
    read(move || {
        let view =
            read_model::member(&s.store, &p, &m)?.ok_or_else(|| missing(&s.store, &p, &m))?;
        let fixed = read_model::expiring(&s.store, &p, &m, dates)?;
        Ok(Json(json!({
            "member_id": m,
            "expiring": expiring_dates(&view, &fixed, dates),
        })))
    })
    .await
}

/// The business time of a statistics or liability read, once its
/// parameters are valid and its consistency token is applied.
async fn totals_at(s: &QueryState, q: &PointInTime) -> Result<Option<Time>, QueryError> {
    let at = point::time_only(q.as_of.as_deref(), q.as_of_position.as_deref())?;
    s.applied.wait_for_token(q.min_position.as_deref()).await?;
    Ok(at)
}

async fn partner_liability(
    State(s): State<QueryState>,
    Checked(Path((p, partner))): Checked<Path<(String, String)>>,
    Checked(Query(q)): Checked<Query<PointInTime>>,
) -> Reply {
    let at = totals_at(&s, &q).await?;
    read(move || {
        let program = read_model::program(&s.store, &p)?.ok_or_else(|| QueryError::program(&p))?;
        let l = liability::one(&s.store, &program, &partner, at)?;
        let mut body = l.json(&program.definition.money_currency)?;
        body["as_of"] = json!(at.map(|t| ledger_core::time::format(&t)));
        Ok(Json(body))
    })
    .await
}

/// Every partner's liability and the total, as JSON or (`Accept: text/csv`) CSV.
async fn program_liability(
    State(s): State<QueryState>,
    Checked(Path(p)): Checked<Path<String>>,
    Checked(Query(q)): Checked<Query<PointInTime>>,
    headers: HeaderMap,
) -> Result<Response, QueryError> {
    let at = totals_at(&s, &q).await?;
    let wants_csv = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/csv"));
    read(move || {
        let program = read_model::program(&s.store, &p)?.ok_or_else(|| QueryError::program(&p))?;
        let partners = liability::all(&s.store, &program, at)?;
        if wants_csv {
            let body = liability::program_csv(&program, &partners)?;
            return Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response());
        }
        Ok(Json(liability::program_json(&program, at, &partners)?).into_response())
    })
    .await
}

async fn stats(
    State(s): State<QueryState>,
    Checked(Path(p)): Checked<Path<String>>,
    Checked(Query(q)): Checked<Query<PointInTime>>,
) -> Reply {
    let at = totals_at(&s, &q).await?;
    read(move || {
        let program = read_model::program(&s.store, &p)?.ok_or_else(|| QueryError::program(&p))?;
        let (stats, version) = match at {
            Some(t) => (
                as_of::totals(&s.store, &p, t)?.stats(),
                program
                    .versions
                    .iter()
                    .filter(|v| v.defined_at <= t)
                    .map(|v| v.version)
                    .next_back(),
            ),
            None => (
                read_model::stats(&s.store, &p)?.unwrap_or_default(),
                Some(program.version),
            ),
        };
        Ok(Json(json!({
            "program_id": p,
            "as_of": at.map(|t| ledger_core::time::format(&t)),
            "program_version": version,
            "members": stats.members,
            "members_by_tier": stats.members_by_tier,
            "members_by_status": stats.members_by_status,
            "currencies": stats.currencies,
            "events": stats.events,
        })))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    #[tokio::test]
    async fn a_read_that_panics_is_internal_not_store_unavailable() {
        let e = read(|| -> Result<(), QueryError> { panic!("a read bug") })
            .await
            .unwrap_err();
        assert!(matches!(e, QueryError::Internal(_)), "{e}");
        assert_eq!(
            e.into_response().status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
