//! Errors of the command side: business rejections (values from the core)
//! and infrastructure failures, kept apart.

use event_log::LogError;
use ledger_core::codec::CodecError;
use ledger_core::Rejection;

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Rejected(#[from] Rejection),
    #[error("event log: {0}")]
    Log(#[from] LogError),
    /// Another instance owns the partition (Kafka mode).
    #[error("partition {partition} is owned by another command-service instance")]
    NotOwner { partition: u32 },
    /// Other writers' events kept taking this command's place on the log.
    #[error("partition {partition} is contended by another writer; retry")]
    Contended { partition: u32 },
    #[error("undecodable event at {partition}:{offset}: {source}")]
    Codec {
        partition: u32,
        offset: u64,
        source: CodecError,
    },
    #[error("undecodable record at {partition}:{offset}: {message}")]
    Decode {
        partition: u32,
        offset: u64,
        message: String,
    },
}
