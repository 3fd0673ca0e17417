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

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UsageLog: Send + Sync {
    /// Appends the records in one transaction: all or none. The same transaction adds the
    /// records with `monthly` set to their account's durable monthly count. `Err(Unavailable)` when
    /// the store cannot be reached (the writer keeps the batch and retries).
    async fn append(&self, records: &[UsageRecord]) -> Result<(), KeyStoreError>;

    /// The durable count of `account`'s requests counted against the monthly quota in the calendar
    /// month (UTC) containing `now`: what the meter is seeded from.
    async fn monthly_count(&self, account: AccountId, now: DateTime<Utc>) -> Result<u64, KeyStoreError>;

    /// The account's records, newest first, at most `limit`.
    async fn recent(&self, account: AccountId, limit: u64) -> Result<Vec<UsageRecord>, KeyStoreError>;
}
