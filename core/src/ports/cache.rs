//! A byte cache with per-entry TTL (search results in step 3). A cache is an optimisation: callers
//! treat `Err` as a miss.

use async_trait::async_trait;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("the cache backend is unreachable")]
    Unavailable(#[source] anyhow::Error),
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Cache: Send + Sync {
    /// The value stored under `key` if present and not expired; `Ok(None)` on a miss.
    /// `Err(Unavailable)` when the backend cannot be reached (callers treat it as a miss).
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError>;

    /// Stores `value` under `key` for `ttl`, replacing any previous value. A bounded cache may
    /// evict other entries to make room. `Err(Unavailable)` as for `get`.
    async fn set(&self, key: &str, value: Vec<u8>, ttl: Duration) -> Result<(), CacheError>;
}
