//! In-process adapters for the embedded default (one node): lock and usage meter.

pub mod lock;
pub mod meter;

pub use lock::MemoryLock;
pub use meter::MemoryMeter;
