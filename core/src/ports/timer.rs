//! Waiting, as a port, so use cases can bound calls by time without a runtime dependency.

use futures::future::BoxFuture;
use std::time::Duration;

pub trait Timer: Send + Sync {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}
