//! `loyalty audit member <program> <member>`: a member's history as a
//! table, oldest first, with the balance after every event and why it
//! happened (journal, rules and promotions, lots opened and debited). Reads
//! the query API page by page, so it works beside a running ledger in
//! either mode, with the API's filters.

use anyhow::Context;
use serde_json::Value;

#[derive(clap::Subcommand)]
pub enum AuditCommand {
    /// A member's history with running balances.
    Member(MemberAudit),
}

#[derive(clap::Args)]
pub struct MemberAudit {
    pub program: String,
    pub member: String,
    /// Base URL of the query API (`loyalty serve` or the query service).
    #[arg(
        long,
        env = "LOYALTY_QUERY_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub url: String,
    /// Only these event types (comma-separated).
    #[arg(long)]
    pub event_type: Option<String>,
    #[arg(long)]
    pub currency: Option<String>,
    #[arg(long)]
    pub partner: Option<String>,
    /// Business-time range (RFC 3339 or a date), inclusive.
    #[arg(long)]
    pub from: Option<String>,
    #[arg(long)]
    pub to: Option<String>,
}

pub async fn run(cmd: AuditCommand) -> anyhow::Result<()> {
    match cmd {
        AuditCommand::Member(args) => member(args).await,
    }
}

async fn member(args: MemberAudit) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let url = ledger_url(&args.url, &args.program, &args.member)?;
    let mut query: Vec<(&str, String)> = vec![("limit", "1000".into())];
    for (name, value) in [
        ("event_type", &args.event_type),
        ("currency", &args.currency),
        ("partner", &args.partner),
        ("from", &args.from),
        ("to", &args.to),
    ] {
        if let Some(v) = value {
            query.push((name, v.clone()));
        }
    }
    println!(
        "{:>6}  {:<27}  {:<22}  {:<24}  {:<18}  {:<18}  why",
        "seq", "occurred_at", "event", "transaction", "movement", "balance after"
    );
    let mut cursor: Option<String> = None;
    let mut shown = 0u64;
    loop {
        let mut q = query.clone();
        if let Some(c) = &cursor {
            q.push(("cursor", c.clone()));
        }
        let resp = client
            .get(url.clone())
            .query(&q)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?;
        let status = resp.status();
        if !status.is_success() {
            let text = resp.text().await.unwrap_or_default();
            anyhow::bail!("GET {url}: {status}: {}", api_error(&text));
        }
        let body: Value = resp.json().await.context("the ledger page")?;
        for e in body["entries"].as_array().into_iter().flatten() {
            println!("{}", row(e));
            shown += 1;
        }
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    println!("{shown} entries");
    Ok(())
}

/// `<base>/v1/programs/<program>/members/<member>/ledger`, each id
/// percent-encoded as one path segment (a `/`, `?` or `%` in an id stays in
/// the id). A dot segment cannot be sent at all (URLs resolve it away) and
/// is never an id the ledger accepts.
fn ledger_url(base: &str, program: &str, member: &str) -> anyhow::Result<reqwest::Url> {
    for id in [program, member] {
        anyhow::ensure!(
            !matches!(id, "." | ".."),
            "{id:?} is not a program or member id"
        );
    }
    let mut url = reqwest::Url::parse(base).with_context(|| format!("--url {base:?}"))?;
    url.path_segments_mut()
        .map_err(|_| anyhow::anyhow!("--url {base:?} cannot take a path"))?
        .pop_if_empty()
        .extend(["v1", "programs", program, "members", member, "ledger"]);
    Ok(url)
}

/// An error answer as `code: message`, or as the server sent it when it is
/// not the API's error shape (a proxy's page, say).
fn api_error(text: &str) -> String {
    let body: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    match (
        body["error"]["code"].as_str(),
        body["error"]["message"].as_str(),
    ) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        _ => text.trim().to_string(),
    }
}

/// One table row.
fn row(e: &Value) -> String {
    format!(
        "{:>6}  {:<27}  {:<22}  {:<24}  {:<18}  {:<18}  {}",
        e["sequence"],
        text(&e["occurred_at"]),
        text(&e["event_type"]),
        text(&e["transaction_id"]),
        amounts(&e["movements"], true),
        amounts(&e["balances"], false),
        why(&e["why"])
    )
}

fn text(v: &Value) -> String {
    v.as_str().map(str::to_string).unwrap_or_default()
}

/// `{CODE: n}` as `CODE n` (signed for movements).
fn amounts(map: &Value, signed: bool) -> String {
    let Some(map) = map.as_object() else {
        return String::new();
    };
    map.iter()
        .map(|(code, n)| {
            let n = n
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| n.to_string());
            if signed && !n.starts_with('-') {
                format!("{code} +{n}")
            } else {
                format!("{code} {n}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rules, promotions and lots of an entry, briefly.
fn why(w: &Value) -> String {
    let mut parts = Vec::new();
    let list = |v: &Value, f: &dyn Fn(&Value) -> String| -> Vec<String> {
        v.as_array().into_iter().flatten().map(f).collect()
    };
    let rules = list(&w["rules"], &|r| {
        format!("{} {}", text(&r["rule_id"]), number(&r["points"]))
    });
    if !rules.is_empty() {
        parts.push(format!("rules {}", rules.join(" ")));
    }
    let promotions = list(&w["promotions"], &|p| {
        format!(
            "{} v{} {}",
            text(&p["promotion_id"]),
            p["version"],
            number(&p["points"])
        )
    });
    if !promotions.is_empty() {
        parts.push(format!("promotions {}", promotions.join(" ")));
    }
    let opened = list(&w["lots_opened"], &|l| {
        format!("{} {}", text(&l["lot_id"]), number(&l["points"]))
    });
    if !opened.is_empty() {
        parts.push(format!("lots +{}", opened.join(" +")));
    }
    let debited = list(&w["lots_debited"], &|l| {
        format!("{} {}", text(&l["lot_id"]), number(&l["points"]))
    });
    if !debited.is_empty() {
        parts.push(format!("lots -{}", debited.join(" -")));
    }
    parts.join("; ")
}

fn number(v: &Value) -> String {
    v.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_one_encoded_path_segment_each() {
        let url = ledger_url("http://h:1/api/", "fx", "a/b?c%d").unwrap();
        assert_eq!(
            url.as_str(),
            "http://h:1/api/v1/programs/fx/members/a%2Fb%3Fc%25d/ledger"
        );
        assert!(ledger_url("http://h:1", "fx", "..").is_err());
    }

    #[test]
    fn an_error_shows_its_code_and_message() {
        let body = r#"{"error":{"code":"member_not_found","message":"member x not found"}}"#;
        assert_eq!(api_error(body), "member_not_found: member x not found");
        assert_eq!(api_error("Bad Gateway\n"), "Bad Gateway");
    }
}
