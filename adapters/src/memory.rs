//! In-process adapters for the embedded default (one node): cache, lock and usage meter.

pub mod cache;
pub mod lock;
pub mod meter;

pub use cache::MemoryCache;
pub use lock::MemoryLock;
pub use meter::MemoryMeter;
