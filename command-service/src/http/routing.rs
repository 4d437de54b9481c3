//! Routing commands to their partition's owner when several command-service
//! instances share the work (Kafka mode). A request for a partition this
//! instance does not own is forwarded once to the owner announced on the
//! owners topic; with no owner known, or the owner unreachable, it is
//! answered 503 `not_owner` (retry). A program-wide run goes to every owner
//! and their summaries are added up.

use super::error::ApiError;
use super::json::body_bytes;
use crate::encode::{account_key, PROGRAM_ACCOUNT};
use crate::owners::{Owner, OwnerDirectory};
use crate::service::CommandService;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use event_log::Positions;
use ledger_core::Decimal;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

/// Header marking a request forwarded by another instance (never forwarded again).
pub const FORWARDED: &str = "x-loyalty-forwarded";

#[derive(Clone)]
pub struct Routing {
    pub service: Arc<CommandService>,
    pub owners: Arc<OwnerDirectory>,
    pub client: reqwest::Client,
}

impl Routing {
    pub fn new(service: Arc<CommandService>, owners: Arc<OwnerDirectory>) -> Self {
        Routing {
            service,
            owners,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
        }
    }
}

/// What a request is addressed to.
enum Target {
    /// One account's partition.
    Account(String),
    /// Every partition (expiry, tier assessment).
    Run,
    Other,
}

fn target(method: &Method, path: &str, body: &[u8]) -> Target {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        (&Method::PUT, ["v1", "programs", p])
        | (&Method::PUT | &Method::DELETE, ["v1", "programs", p, "promotions", _]) => {
            Target::Account(account_key(p, PROGRAM_ACCOUNT))
        }
        (&Method::POST, ["v1", "programs", p, "members"]) => {
            match serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|v| v.get("member_id")?.as_str().map(str::to_string))
            {
                Some(m) => Target::Account(account_key(p, &m)),
                None => Target::Other,
            }
        }
        (&Method::POST, ["v1", "programs", p, "members", m, _, ..]) => {
            Target::Account(account_key(p, m))
        }
        (&Method::POST, ["v1", "programs", _, "expirations" | "tier-assessments" | "releases"]) => {
            Target::Run
        }
        _ => Target::Other,
    }
}

/// Middleware: serve locally what this instance owns, forward the rest.
pub async fn route_to_owner(State(routing): State<Routing>, req: Request, next: Next) -> Response {
    let forwarded = req.headers().contains_key(FORWARDED);
    let (parts, body) = req.into_parts();
    let bytes = match body_bytes(Request::new(body), &()).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let target = target(&parts.method, parts.uri.path(), &bytes);
    let local = Request::from_parts(parts.clone(), Body::from(bytes.clone()));
    if forwarded {
        return next.run(local).await;
    }
    match target {
        Target::Other => next.run(local).await,
        Target::Account(key) => {
            let partition = routing.service.log().partition_for(&key);
            if routing.service.owns(partition).await {
                return next.run(local).await;
            }
            match routing.owners.owner(partition) {
                Some(owner) if owner.instance != routing.owners.me().instance => {
                    forward(&routing.client, &owner, &parts, bytes)
                        .await
                        .unwrap_or_else(IntoResponse::into_response)
                }
                _ => next.run(local).await,
            }
        }
        Target::Run => fan_out(&routing, next.run(local).await, &parts, bytes)
            .await
            .unwrap_or_else(|response| response),
    }
}

async fn forward(
    client: &reqwest::Client,
    owner: &Owner,
    parts: &axum::http::request::Parts,
    body: Bytes,
) -> Result<Response, ApiError> {
    let path = parts
        .uri
        .path_and_query()
        .map_or(parts.uri.path(), |p| p.as_str());
    let url = format!("{}{}", owner.url.trim_end_matches('/'), path);
    let mut request = client
        .request(parts.method.clone(), &url)
        .header(FORWARDED, "1")
        .body(body);
    if let Some(ct) = parts.headers.get(header::CONTENT_TYPE) {
        request = request.header(header::CONTENT_TYPE, ct);
    }
    let unreachable = |e: reqwest::Error| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_owner",
            format!(
                "the partition's owner {} is unreachable: {e}; retry",
                owner.url
            ),
        )
    };
    let reply = request.send().await.map_err(unreachable)?;
    let status = reply.status();
    let content_type = reply.headers().get(header::CONTENT_TYPE).cloned();
    let bytes = reply.bytes().await.map_err(unreachable)?;
    let mut response = (status, bytes).into_response();
    if let Some(ct) = content_type {
        response.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    Ok(response)
}

/// Runs a program-wide run here and on every other owner; adds the
/// summaries up. Partitions no owner covered make the answer 503 (running
/// again is harmless: what was done is not done twice).
async fn fan_out(
    routing: &Routing,
    local: Response,
    parts: &axum::http::request::Parts,
    body: Bytes,
) -> Result<Response, Response> {
    let mut total = summary_of(local).await?;
    let partitions = routing.service.log().partitions();
    let others: BTreeMap<String, Owner> = (0..partitions)
        .filter_map(|p| routing.owners.owner(p))
        .filter(|o| o.instance != routing.owners.me().instance)
        .map(|o| (o.instance.clone(), o))
        .collect();
    for owner in others.values() {
        let reply = forward(&routing.client, owner, parts, body.clone())
            .await
            .map_err(IntoResponse::into_response)?;
        merge(&mut total, &summary_of(reply).await?);
    }
    let covered: BTreeSet<u64> = total["partitions"]
        .as_array()
        .map(|ps| ps.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    let missing: Vec<u32> = (0..partitions)
        .filter(|p| !covered.contains(&u64::from(*p)))
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_owner",
            format!("partitions {missing:?} have no reachable owner yet; the run covered the others, run it again"),
        )
        .into_response());
    }
    Ok((StatusCode::OK, axum::Json(total)).into_response())
}

/// A run's JSON summary, or the response itself when it is not one (an
/// error answered as it came).
async fn summary_of(response: Response) -> Result<Value, Response> {
    if response.status() != StatusCode::OK {
        return Err(response);
    }
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .map_err(|e| {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_owner", e.to_string())
                .into_response()
        })?;
    Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Adds run summary `b` into `a`.
fn merge(a: &mut Value, b: &Value) {
    for field in ["members_scanned", "members_affected", "events"] {
        let sum = a[field].as_u64().unwrap_or(0) + b[field].as_u64().unwrap_or(0);
        a[field] = json!(sum);
    }
    let mut points: BTreeMap<String, Decimal> = BTreeMap::new();
    for side in [&*a, b] {
        for (currency, v) in side["points"].as_object().into_iter().flatten() {
            let n: Decimal = v.as_str().and_then(|s| s.parse().ok()).unwrap_or_default();
            *points.entry(currency.clone()).or_default() += n;
        }
    }
    let mut moves: BTreeMap<(String, String), u64> = BTreeMap::new();
    for side in [&*a, b] {
        for m in side["tier_moves"].as_array().into_iter().flatten() {
            let key = (
                m["from"].as_str().unwrap_or_default().to_string(),
                m["to"].as_str().unwrap_or_default().to_string(),
            );
            *moves.entry(key).or_default() += m["members"].as_u64().unwrap_or(0);
        }
    }
    let mut position = Positions::default();
    let mut partitions = BTreeSet::new();
    for side in [&*a, b] {
        if let Some(p) = side["position"]
            .as_str()
            .and_then(|s| s.parse::<Positions>().ok())
        {
            position.merge(&p);
        }
        partitions.extend(
            side["partitions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_u64),
        );
    }
    let points: Map<String, Value> = points
        .into_iter()
        .map(|(c, n)| (c, json!(ledger_core::numbers::text(n))))
        .collect();
    a["points"] = Value::Object(points);
    a["tier_moves"] = json!(moves
        .into_iter()
        .map(|((from, to), n)| json!({"from": from, "to": to, "members": n}))
        .collect::<Vec<_>>());
    a["position"] = json!(position.to_string());
    a["partitions"] = json!(partitions);
}
