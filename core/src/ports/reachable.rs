//! A shared dependency whose reachability the health check reports (the Redis several nodes share).

use async_trait::async_trait;

#[async_trait]
pub trait Reachable: Send + Sync {
    /// Whether the dependency answers now (never errors: unreachable is `false`).
    async fn ping(&self) -> bool;
}
