//! Adapters: each `jobin-core` port implemented against a real system (`db`, `crypto`) or
//! in-process (`memory`). Driver errors are mapped to the port's error type here; a `DbErr` never
//! crosses into core.

pub mod clock;
pub mod crypto;
pub mod db;
pub mod email;
pub mod fakes;
pub mod liveness;
pub mod llm;
pub mod memory;
pub mod metrics;
pub mod monthly_ledger;
pub mod outbound;
pub mod payment;
pub mod principal_cache;
pub mod principal_news;
pub mod redis;
pub mod sources;
pub mod webhook_sender;

pub use clock::{SystemClock, TokioTimer};
#[cfg(feature = "testing")]
pub mod testing;
