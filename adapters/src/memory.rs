//! In-process adapters for the embedded default (one node): cache, lock, usage meter; and an
//! in-process job store for tests.

pub mod cache;
pub mod job_store;
pub mod kept_answers;
pub mod lock;
pub mod meter;

pub use cache::MemoryCache;
pub use job_store::MemoryJobStore;
pub use kept_answers::MemoryKeptAnswers;
pub use lock::MemoryLock;
pub use meter::MemoryMeter;
