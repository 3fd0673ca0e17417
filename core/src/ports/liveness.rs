//! Whether a posting is still open, asked of the place it is published (the liveness pass).

use async_trait::async_trait;

/// What a posting's page said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// The page is there and does not say the job is closed.
    Alive,
    /// 404 or 410, a redirect to a search or listing page instead of the posting, or a page that
    /// says the job is closed.
    Gone,
    /// No answer to go by (timeout, connection failure, 429, 5xx, another status, or a
    /// destination the outbound policy refuses): the posting is left as it is.
    Unknown,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LivenessProbe: Send + Sync {
    /// Asks `url` (a posting's link-back URL, as its board gave it: untrusted), within the outbound
    /// policy and a time bound; never fails.
    async fn check(&self, url: &str) -> Liveness;
}
