//! Mutual exclusion across requests (and, with a shared backend, across nodes).

use async_trait::async_trait;
use std::time::Duration;

/// Proof of ownership of a held lock; only its holder can release it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockToken(pub String);

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("the lock backend is unreachable")]
    Unavailable(#[source] anyhow::Error),
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Lock: Send + Sync {
    /// Takes `name` for at most `ttl` (the lock expires by itself if the holder dies).
    /// `Ok(None)` if another holder has it; never waits.
    async fn try_acquire(&self, name: &str, ttl: Duration) -> Result<Option<LockToken>, LockError>;

    /// Releases `name` if `token` still owns it. `Ok(false)` if it had expired or been taken by
    /// someone else, in which case nothing is changed.
    async fn release(&self, name: &str, token: &LockToken) -> Result<bool, LockError>;
}
