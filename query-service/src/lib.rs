//! The query side: serves the projector's read models over HTTP. Reads can
//! wait for a consistency token (`min_position`) so a client sees its own
//! writes.

pub mod consistency;
pub mod error;
pub mod extract;
pub mod history;
pub mod liability;
pub mod lots;
pub mod member;
pub mod point;
pub mod routes;
#[cfg(test)]
mod test_support;

pub use consistency::Applied;
pub use error::QueryError;
pub use routes::router;
