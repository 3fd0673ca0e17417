//! In-process adapters for the embedded default (one node): cache, lock, usage meter, and the
//! no-op job store.

pub mod cache;
pub mod job_store;
pub mod lock;
pub mod meter;

pub use cache::MemoryCache;
pub use job_store::NoopJobStore;
pub use lock::MemoryLock;
pub use meter::MemoryMeter;
