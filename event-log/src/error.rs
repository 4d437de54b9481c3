//! Errors of a log.

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("log i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("log corrupt: {0}")]
    Corrupt(String),
    #[error("no partition {0}")]
    NoSuchPartition(u32),
    #[error("the log is closed")]
    Closed,
    #[error("the log in {0} is used by another process")]
    Locked(String),
    #[error("record too large: {0} bytes")]
    TooLarge(usize),
    #[error("log backend: {0}")]
    Backend(String),
}
