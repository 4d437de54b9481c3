//! Point-in-time parameters: `as_of` (a business time, RFC 3339, or a UTC
//! date meaning the end of that day) and `as_of_position` (a log position
//! list such as `0:42`).

use crate::error::QueryError;
use chrono::{Duration, NaiveDate};
use event_log::Positions;
use ledger_core::Time;
use projector::as_of::Cut;

/// `as_of` as a time: RFC 3339, or `YYYY-MM-DD` for the last microsecond of
/// that UTC day (what finance means by "as of the quarter end").
pub fn parse_time(text: &str) -> Result<Time, QueryError> {
    if let Some(t) = ledger_core::time::parse(text) {
        return Ok(t);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.succ_opt())
        .and_then(|next| next.and_hms_opt(0, 0, 0))
        .map(|midnight| midnight.and_utc() - Duration::microseconds(1))
        .ok_or_else(|| {
            QueryError::Invalid(format!(
                "as_of {text:?} is not an RFC 3339 time or a date such as 2026-03-31"
            ))
        })
}

/// The start of a range: RFC 3339, or `YYYY-MM-DD` for the first
/// microsecond of that UTC day.
pub fn parse_start(text: &str) -> Result<Time, QueryError> {
    match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(d) => Ok(d.and_time(chrono::NaiveTime::MIN).and_utc()),
        Err(_) => parse_time(text),
    }
}

/// An optional `as_of` time.
pub fn time(as_of: Option<&str>) -> Result<Option<Time>, QueryError> {
    as_of.filter(|t| !t.is_empty()).map(parse_time).transpose()
}

/// The cut of a member view: at most one of `as_of` and `as_of_position`.
pub fn cut(as_of: Option<&str>, as_of_position: Option<&str>) -> Result<Option<Cut>, QueryError> {
    match (time(as_of)?, as_of_position) {
        (Some(_), Some(_)) => Err(QueryError::Invalid(
            "give as_of or as_of_position, not both".into(),
        )),
        (Some(t), None) => Ok(Some(Cut::Time(t))),
        (None, Some(p)) => position(p).map(|p| Some(Cut::Position(p))),
        (None, None) => Ok(None),
    }
}

/// `as_of_position`: at least one `partition:offset`. An empty or
/// comma-only list names no event at all, so it is a 400 rather than the
/// view before the first event (a misleading 404).
pub fn position(text: &str) -> Result<Positions, QueryError> {
    match text.parse::<Positions>() {
        Ok(p) if !p.is_empty() => Ok(p),
        _ => Err(QueryError::Invalid(format!(
            "as_of_position {text:?} is not a position such as 0:42"
        ))),
    }
}

/// The cut of program totals (statistics, liability): a business time only.
/// They are kept in time buckets, not by log position, so `as_of_position`
/// is refused rather than ignored (the live figures labelled as of it).
pub fn time_only(
    as_of: Option<&str>,
    as_of_position: Option<&str>,
) -> Result<Option<Time>, QueryError> {
    if as_of_position.is_some() {
        return Err(QueryError::Invalid(
            "as_of_position is not supported on statistics and liability: give as_of (a business time)"
                .into(),
        ));
    }
    time(as_of)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_means_the_end_of_that_utc_day() {
        let t = parse_time("2026-03-31").unwrap();
        assert_eq!(ledger_core::time::format(&t), "2026-03-31T23:59:59.999999Z");
        let t = parse_time("2026-03-31T10:00:00+02:00").unwrap();
        assert_eq!(ledger_core::time::format(&t), "2026-03-31T08:00:00.000000Z");
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("2026-02-30").is_err());
    }

    #[test]
    fn a_cut_is_a_time_or_a_position_never_both() {
        assert!(matches!(
            cut(Some("2026-01-01"), None),
            Ok(Some(Cut::Time(_)))
        ));
        assert!(matches!(
            cut(None, Some("0:4,1:2")),
            Ok(Some(Cut::Position(_)))
        ));
        assert!(cut(Some("2026-01-01"), Some("0:4")).is_err());
        assert!(cut(None, Some("four")).is_err());
        assert!(matches!(cut(Some(""), None), Ok(None)));
    }

    #[test]
    fn a_position_cut_names_at_least_one_position() {
        for empty in ["", ",", ",,", " "] {
            assert!(
                matches!(cut(None, Some(empty)), Err(QueryError::Invalid(_))),
                "{empty:?}"
            );
        }
        assert_eq!(position("0:4,").unwrap().to_string(), "0:4");
    }

    #[test]
    fn totals_refuse_a_position_cut() {
        assert!(matches!(time_only(None, None), Ok(None)));
        assert!(matches!(time_only(Some("2026-01-31"), None), Ok(Some(_))));
        for p in ["0:4", "", ","] {
            let e = time_only(None, Some(p)).unwrap_err();
            assert!(
                matches!(&e, QueryError::Invalid(m) if m.contains("as_of_position is not supported")),
                "{e}"
            );
        }
        assert!(time_only(Some("last week"), None).is_err());
    }
}
