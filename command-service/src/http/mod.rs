//! The command side's HTTP routes (axum). Every write answers with the
//! `position` of its last event: pass it as `min_position` to a read to see
//! your own write.

mod error;
mod journals;
mod json;
mod path;
mod receipt;
mod requests;
mod routes;
pub mod routing;

pub use error::ApiError;
pub use journals::parse_journal;
pub use json::ApiJson;
pub use routes::router;
