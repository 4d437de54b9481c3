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
