//! The usage log: one row per authenticated request, written in batches.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::AccountId;
use crate::ports::KeyStoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRecord {
    pub at: DateTime<Utc>,
    pub account: AccountId,
    /// The key's display prefix; `None` for a login session.
    pub key_prefix: Option<String>,
    /// The operation as the HTTP layer names it (method and route).
    pub endpoint: String,
    pub status: u16,
    pub cache_hit: bool,
    pub latency_ms: u32,
    /// The request was counted against the account's monthly quota (an admitted data request).
    pub monthly: bool,
}

/// Requests to add to an account's durable monthly count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthlyAdd {
    pub account: AccountId,
    /// The calendar month (UTC) as `yyyymm` ([`month_key`]).
    pub month: i32,
    pub count: u64,
}

/// The calendar month (UTC) of `t` as `yyyymm`: the key of a durable monthly count.
pub fn month_key(t: DateTime<Utc>) -> i32 {
    use chrono::Datelike;
    t.year() * 100 + i32::try_from(t.month()).unwrap_or(1)
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UsageLog: Send + Sync {
    /// Appends the records in one transaction: all or none (the history; the quota's durable
    /// counts are kept by [`UsageLog::add_monthly`]). `Err(Unavailable)` when the store cannot be
    /// reached (the writer keeps the batch and retries).
    async fn append(&self, records: &[UsageRecord]) -> Result<(), KeyStoreError>;

    /// Adds to the durable monthly counts, all in one transaction: all or none.
    async fn add_monthly(&self, adds: &[MonthlyAdd]) -> Result<(), KeyStoreError>;

    /// The durable count of `account`'s requests counted against the monthly quota in the calendar
    /// month (UTC) containing `now`: what the meter is seeded from.
    async fn monthly_count(&self, account: AccountId, now: DateTime<Utc>) -> Result<u64, KeyStoreError>;

    /// The account's records, newest first, at most `limit`.
    async fn recent(&self, account: AccountId, limit: u64) -> Result<Vec<UsageRecord>, KeyStoreError>;
}
