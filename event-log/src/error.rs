//! Errors of a log.

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("log i/o: {0}")]
    Io(#[from] std::io::Error),
    /// Stored data that fails its checks where no crash can explain it.
    #[error("log corrupt: {0}")]
    Corrupt(String),
    #[error("no partition {0}")]
    NoSuchPartition(u32),
    /// The log was shut down before the operation completed.
    #[error("the log is closed")]
    Closed,
    #[error("the log in {0} is used by another process")]
    Locked(String),
    #[error("record too large: {0} bytes")]
    TooLarge(usize),
    /// A record or argument the log cannot take (nothing was written).
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("log backend: {0}")]
    Backend(String),
    /// The broker acknowledged a record without saying where it is (a
    /// retried send of a record it already had). It is on the log; callers
    /// find it by reading, as after any failed append.
    #[error("partition {0}: a record was acknowledged without its offset")]
    OffsetUnknown(u32),
    /// A queued append expected the partition to end elsewhere: something
    /// queued before it did not land. Nothing of it was written.
    #[error("partition {partition}: append expected offset {expected}, the log ends at {end}")]
    Moved {
        partition: u32,
        expected: u64,
        end: u64,
    },
}
