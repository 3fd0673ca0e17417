//! A job board: one search, already normalized into [`Job`]s.

use async_trait::async_trait;
use std::time::Duration;

use crate::domain::{Country, Job, SourceId};

/// What a board is asked. Boards map what they support to their own parameters and filter the
/// rest on our side (keywords, location, country).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceQuery {
    /// Keywords, non-empty.
    pub q: String,
    /// City or region, free text.
    pub location: Option<String>,
    pub country: Country,
    /// The most listings to return (the adapter pages until it has them or the board runs out).
    pub limit: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The board needs credentials that are not configured.
    #[error("no credentials are configured for this board")]
    Unconfigured,
    /// Our own request budget for the board is spent for now (protects the operator's key).
    #[error("the request budget for this board is spent until {retry_after:?}")]
    BudgetExhausted { retry_after: Option<Duration> },
    /// The board refused our credentials (401/403).
    #[error("the board refused the credentials (HTTP {status})")]
    Unauthorized { status: u16 },
    /// The board rate-limited us (429), with its `Retry-After` when given.
    #[error("the board rate-limited the request")]
    RateLimited { retry_after: Option<Duration> },
    /// The board answered with another error status.
    #[error("the board answered HTTP {status}")]
    Upstream { status: u16 },
    /// The board did not answer in time.
    #[error("the board did not answer in time")]
    Timeout,
    /// The board answered with a body we cannot read.
    #[error("the board's answer could not be read: {0}")]
    InvalidResponse(String),
    /// Connection-level failure.
    #[error("the board could not be reached")]
    Network(#[source] anyhow::Error),
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait JobSource: Send + Sync {
    fn id(&self) -> SourceId;

    /// Up to `query.limit` jobs matching the query, normalized, each with `id` =
    /// `source:native_id` and the board's link-back `url`. An empty list when nothing matches.
    /// MUST return `Unconfigured` without any request when credentials are missing,
    /// `BudgetExhausted` without any request when the budget is spent, and the matching
    /// variant for every other failure (never panics on a malformed answer).
    async fn search(&self, query: &SourceQuery) -> Result<Vec<Job>, SourceError>;
}
