//! Following every program in Kafka mode. A program's own events live in one
//! partition, written by that partition's owner, but every instance decides
//! member commands against it: so each instance reads program events from
//! every partition (the key tells them apart without decoding).

use crate::error::CommandError;
use crate::rebuild::admit_program_record;
use crate::service::CommandService;
use event_log::SnapshotReader;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Reads program events from the start, sets `caught_up` once the log's end
/// at start is reached, then follows new ones until the process ends.
pub async fn follow_programs(
    service: Arc<CommandService>,
    caught_up: watch::Sender<bool>,
) -> Result<(), CommandError> {
    let log = service.log().clone();
    let mut snapshot = SnapshotReader::open(&*log, 10_000).await?;
    while let Some(batch) = snapshot.next_batch().await? {
        for record in &batch {
            admit_program_record(&service, record)?;
        }
    }
    let mut reader = log.reader(snapshot.end().to_vec()).await?;
    caught_up.send_replace(true);
    loop {
        for record in reader.poll(10_000, Duration::from_millis(500)).await? {
            admit_program_record(&service, &record)?;
        }
    }
}
