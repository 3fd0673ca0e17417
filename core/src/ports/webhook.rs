//! Webhook deliveries of saved searches (issue 20): the queue of `job.matched` events to send
//! (filled by the match store in the same transaction that records the matches, so an event is
//! queued exactly when it is produced), the transport that sends one, and the encoder that
//! writes an event's body in the API's wire format.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::AccountId;
use crate::ports::{FoundJob, MatchEvent, SavedSearchStoreError};

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Waiting for its next attempt (`next_attempt_at`).
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed; kept, and sent again only when asked (`retry`).
    Dead,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 3] = [DeliveryState::Pending, DeliveryState::Delivered, DeliveryState::Dead];

    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dead => "dead",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// One attempt to deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<u16>,
    pub latency_ms: u32,
    /// Why it failed, when it did (a transport error, a timeout, a non-2xx status).
    pub error: Option<String>,
}

/// A delivery with its attempts, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: i64,
    pub search: i64,
    pub account: AccountId,
    pub event: MatchEvent,
    pub state: DeliveryState,
    /// When the next attempt is due (pending deliveries only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub attempts: Vec<Attempt>,
    pub created_at: DateTime<Utc>,
}

/// A delivery taken for one attempt, with what sending it needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    pub delivery: i64,
    pub event: MatchEvent,
    /// Attempts made before this one.
    pub attempts: u32,
    pub url: String,
    /// The webhook's stored nonce (its secret is derived from it).
    pub nonce: String,
    pub search_name: String,
    /// When the webhook started failing without a success since, if it has.
    pub failing_since: Option<DateTime<Utc>>,
}

/// What an attempt leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Delivered,
    RetryAt(DateTime<Utc>),
    Dead,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DeliveryStore: Send + Sync {
    /// Takes up to `limit` due pending deliveries of enabled webhooks for `lease` (another node
    /// skips them until then; a node that dies mid-delivery leaves them to be taken again when
    /// the lease ends): at most `per_account` of any one account, none of the accounts in `skip`
    /// (those the caller is busy with), the accounts waiting longest first and each account's
    /// oldest due first.
    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: usize,
        per_account: usize,
        skip: &[AccountId],
    ) -> Result<Vec<Claimed>, SavedSearchStoreError>;

    /// Ends the lease on a claimed delivery without an attempt (it is due again at once).
    async fn release(&self, delivery: i64) -> Result<(), SavedSearchStoreError>;

    /// Records the attempt and its outcome, ends the lease, and keeps the webhook's failure
    /// record: a success clears `failing_since`, a failure sets it if unset.
    async fn finish(&self, claimed: &Claimed, attempt: Attempt, next: Next) -> Result<(), SavedSearchStoreError>;

    /// Disables the webhook of `search` (no delivery is claimed until its URL is set again).
    async fn disable(&self, search: i64, now: DateTime<Utc>) -> Result<(), SavedSearchStoreError>;

    /// `account`'s deliveries of `search`, newest first, at most `limit`, before delivery id
    /// `before` if given.
    async fn list(
        &self,
        account: AccountId,
        search: i64,
        before: Option<i64>,
        limit: u64,
    ) -> Result<Vec<Delivery>, SavedSearchStoreError>;

    /// Makes the delivery pending and due at `now` (whatever its state); `Ok(None)` when the
    /// account has no such delivery of that search.
    async fn retry(
        &self,
        account: AccountId,
        search: i64,
        delivery: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<Delivery>, SavedSearchStoreError>;
}

/// Why a send failed before the receiver answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SendFailure(pub String);

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WebhookSender: Send + Sync {
    /// POSTs `body` (JSON) to `url` with the signature header, following no redirect, within a
    /// bounded time; answers the receiver's status.
    async fn post(&self, url: &str, body: &[u8], signature: &str) -> Result<u16, SendFailure>;
}

/// Writes events in the API's wire format.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait EventEncoder: Send + Sync {
    /// A `job.matched` event with the posting as stored now (if it still is).
    #[allow(clippy::needless_lifetimes)] // mockall needs the lifetime named
    fn matched<'a>(&self, event: &MatchEvent, job: Option<&'a FoundJob>) -> Vec<u8>;
    /// A `test` event for the webhook of `search`.
    fn test(&self, search: i64, created: DateTime<Utc>) -> Vec<u8>;
}
