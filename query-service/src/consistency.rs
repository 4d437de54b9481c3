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

impl Applied {
    pub fn new(offsets: watch::Receiver<Vec<u64>>) -> Self {
        Applied {
            offsets,
            max_wait: Duration::from_secs(5),
        }
    }

    /// Waits until every position in the token is applied.
    pub async fn wait_for(&self, token: Option<&str>) -> Result<(), QueryError> {
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Ok(());
        };
        let wanted: Positions = token.parse().map_err(|_| {
            QueryError::Invalid(format!(
                "min_position {token:?} is not a position such as 0:42"
            ))
        })?;
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
            _ => Err(QueryError::PositionNotReached(token.to_string())),
        }
    }
}
