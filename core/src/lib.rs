//! JobIn's domain core: validated domain types, the ports adapters implement, and the use cases the
//! HTTP surface calls. It performs no I/O of its own; `make arch-check` keeps it that way.

pub mod domain;
pub mod error;
pub mod ports;
pub mod services;
#[cfg(test)]
pub(crate) mod testing;
pub mod usecases;

pub use error::{Code, ErrorCode};
