//! Read-your-writes: a read carrying `min_position` waits (bounded) until
//! the projector has applied that position on every partition it names.

use crate::error::QueryError;
use event_log::Positions;
use std::time::Duration;
use tokio::sync::watch;

/// Applied offsets (next offset per partition), as published by the projector.
#[derive(Clone)]
pub struct Applied {
    pub offsets: watch::Receiver<Vec<u64>>,
    pub max_wait: Duration,
}

/// A `min_position` token; absent or empty waits for nothing. Parsed
/// before any wait, so a bad one is an immediate 400.
pub fn token(text: Option<&str>) -> Result<Positions, QueryError> {
    match text.filter(|t| !t.is_empty()) {
        None => Ok(Positions::default()),
        Some(t) => t.parse().map_err(|_| {
            QueryError::Invalid(format!("min_position {t:?} is not a position such as 0:42"))
        }),
    }
}

impl Applied {
    pub fn new(offsets: watch::Receiver<Vec<u64>>) -> Self {
        Applied {
            offsets,
            max_wait: Duration::from_secs(5),
        }
    }

    /// Parses a `min_position` token and waits for it (for reads with no
    /// other parameter to check first).
    pub async fn wait_for_token(&self, text: Option<&str>) -> Result<(), QueryError> {
        self.wait_for(&token(text)?).await
    }

    /// Waits until every position wanted is applied: 503
    /// `position_not_reached` after `max_wait`.
    pub async fn wait_for(&self, wanted: &Positions) -> Result<(), QueryError> {
        if wanted.is_empty() {
            return Ok(());
        }
        let reached = |applied: &Vec<u64>| {
            wanted
                .iter()
                .all(|(p, o)| applied.get(*p as usize).is_some_and(|next| *next > *o))
        };
        let mut rx = self.offsets.clone();
        let outcome = tokio::time::timeout(self.max_wait, rx.wait_for(reached))
            .await
            .map(|r| r.is_ok());
        match outcome {
            Ok(true) => Ok(()),
            _ => Err(QueryError::PositionNotReached(wanted.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_parsed_before_any_wait() {
        assert!(token(None).unwrap().is_empty());
        assert!(token(Some("")).unwrap().is_empty());
        assert_eq!(token(Some("1:4,0:2")).unwrap().to_string(), "0:2,1:4");
        assert!(matches!(token(Some("soon")), Err(QueryError::Invalid(_))));
    }

    #[tokio::test]
    async fn waits_until_applied_or_answers_not_reached() {
        let (tx, rx) = watch::channel(vec![3, 0]);
        let applied = Applied {
            offsets: rx,
            max_wait: Duration::from_millis(50),
        };
        applied.wait_for(&"0:2".parse().unwrap()).await.unwrap();
        let later: Positions = "0:2,1:0".parse().unwrap();
        assert!(matches!(
            applied.wait_for(&later).await,
            Err(QueryError::PositionNotReached(p)) if p == "0:2,1:0"
        ));
        tx.send_replace(vec![3, 1]);
        applied.wait_for(&later).await.unwrap();
    }
}
