//! Each account's billing state (the payment provider's customer and subscription, status) and
//! the webhook events already applied.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::{Account, AccountId, Plan};
use crate::ports::KeyStoreError;

/// Whether the account's payments are in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillingStatus {
    /// On Free and never subscribed (nothing to pay or manage). Never stored: what the account view
    /// reports for such an account.
    None,
    /// Paid and up to date (or a plan the operator set).
    Active,
    /// A payment failed; the plan is kept while the provider retries.
    PastDue,
    /// The subscription ended (the account is on Free).
    Canceled,
}

impl BillingStatus {
    /// Every status.
    pub const ALL: [BillingStatus; 4] =
        [BillingStatus::None, BillingStatus::Active, BillingStatus::PastDue, BillingStatus::Canceled];

    pub const fn as_str(self) -> &'static str {
        match self {
            BillingStatus::None => "none",
            BillingStatus::Active => "active",
            BillingStatus::PastDue => "past_due",
            BillingStatus::Canceled => "canceled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingRecord {
    pub account: Account,
    pub customer: Option<String>,
    pub subscription: Option<String>,
    pub status: BillingStatus,
    /// `created` of the newest subscription-state event applied (unix seconds).
    pub last_event_at: Option<i64>,
}

/// What one event changes; `None` keeps the stored value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BillingChange {
    pub plan: Option<Plan>,
    pub status: Option<BillingStatus>,
    pub customer: Option<String>,
    pub subscription: Option<String>,
    pub last_event_at: Option<i64>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait BillingStore: Send + Sync {
    /// The account's billing record (accounts without billing history: `Active`, no ids);
    /// `Ok(None)` if the account does not exist.
    async fn billing(&self, account: AccountId) -> Result<Option<BillingRecord>, KeyStoreError>;

    /// The record of the account whose provider subscription, else customer, is this one.
    async fn find_by_provider_ids(
        &self,
        subscription: Option<String>,
        customer: Option<String>,
    ) -> Result<Option<BillingRecord>, KeyStoreError>;

    /// Records `event_id` and applies `change` to `account` in one transaction. `Ok(false)` when the
    /// event was recorded before (a replay): nothing is written then. `account = None` records the
    /// event only (an event for no known account is acknowledged once).
    async fn apply_event(
        &self,
        event_id: &str,
        account: Option<AccountId>,
        change: &BillingChange,
        now: DateTime<Utc>,
    ) -> Result<bool, KeyStoreError>;
}
