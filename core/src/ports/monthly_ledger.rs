//! The quota's durable monthly counts, kept behind the meter.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::AccountId;
use crate::ports::KeyStoreError;

/// Every request admitted against a monthly quota is added here the moment it is admitted, and
/// written to the store within the ledger's stated bound (so a crash loses at most that). The count
/// it answers is the durable one plus what this node has admitted and not yet written: what the
/// meter is seeded from when it lost its count (a restart, a Redis that lost its data).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MonthlyLedger: Send + Sync {
    /// Counts one admitted request against `account`'s month containing `now`.
    fn add(&self, account: AccountId, now: DateTime<Utc>);

    /// The account's count for the month containing `now`: durable plus not yet written here.
    async fn count(&self, account: AccountId, now: DateTime<Utc>) -> Result<u64, KeyStoreError>;

    /// Writes everything still waiting and stops writing in the background (at shutdown; called
    /// more than once, the later calls do nothing). A ledger that writes at once has nothing to do.
    async fn close(&self);
}
