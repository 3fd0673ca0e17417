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
    /// The board's host name did not resolve.
    #[error("the board's host name could not be resolved")]
    Unresolved(#[source] anyhow::Error),
    /// Connection-level failure.
    #[error("the board could not be reached")]
    Network(#[source] anyhow::Error),
}

/// Why a board failed, in classes a client and an operator can act on (no internal detail):
/// its name did not resolve, the connection failed, it did not answer in time, it answered an
/// HTTP 4xx (refused credentials, rate limit, bad request) or 5xx, or its answer could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureCause {
    Dns,
    Connect,
    Timeout,
    #[serde(rename = "http_4xx")]
    Http4xx,
    #[serde(rename = "http_5xx")]
    Http5xx,
    Parse,
}

impl FailureCause {
    pub const ALL: [FailureCause; 6] = [
        FailureCause::Dns,
        FailureCause::Connect,
        FailureCause::Timeout,
        FailureCause::Http4xx,
        FailureCause::Http5xx,
        FailureCause::Parse,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            FailureCause::Dns => "dns",
            FailureCause::Connect => "connect",
            FailureCause::Timeout => "timeout",
            FailureCause::Http4xx => "http_4xx",
            FailureCause::Http5xx => "http_5xx",
            FailureCause::Parse => "parse",
        }
    }

    /// What the class means, in words for a notice.
    pub const fn describe(self) -> &'static str {
        match self {
            FailureCause::Dns => "its host name did not resolve",
            FailureCause::Connect => "the connection to it failed",
            FailureCause::Timeout => "it did not answer in time",
            FailureCause::Http4xx => "it refused the request (HTTP 4xx)",
            FailureCause::Http5xx => "it answered with a server error (HTTP 5xx)",
            FailureCause::Parse => "its answer could not be read",
        }
    }
}

impl std::fmt::Display for FailureCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl SourceError {
    /// The failure's class; `None` when the board was not asked (not configured, budget spent).
    pub const fn cause(&self) -> Option<FailureCause> {
        match self {
            SourceError::Unconfigured | SourceError::BudgetExhausted { .. } => None,
            SourceError::Unauthorized { .. } | SourceError::RateLimited { .. } => Some(FailureCause::Http4xx),
            SourceError::Upstream { status } if *status >= 500 => Some(FailureCause::Http5xx),
            SourceError::Upstream { .. } => Some(FailureCause::Http4xx),
            SourceError::Timeout => Some(FailureCause::Timeout),
            SourceError::InvalidResponse(_) => Some(FailureCause::Parse),
            SourceError::Unresolved(_) => Some(FailureCause::Dns),
            SourceError::Network(_) => Some(FailureCause::Connect),
        }
    }
}

/// One page of a board's whole listing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListingPage {
    pub jobs: Vec<Job>,
    /// Whether the board has a page after this one.
    pub has_next: bool,
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

    /// Page `page` (0 is the first, newest postings first where the board orders them) of the
    /// board's whole listing, for a board that publishes one (every posting it holds, whatever it
    /// is about); `Ok(None)` for a board that only answers searches. One request per call, within
    /// the board's budget; errors as for `search`.
    async fn listing_page(&self, _page: u32) -> Result<Option<ListingPage>, SourceError> {
        Ok(None)
    }
}
