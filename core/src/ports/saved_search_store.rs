//! Saved searches, per account (issue 20). Every read and write but [`SavedSearchStore::all`]
//! names the account: another account's search is as absent as one that never existed.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::saved_search::SearchCriteria;
use crate::domain::{AccountId, SecretHash};

#[derive(Debug, thiserror::Error)]
pub enum SavedSearchStoreError {
    /// The store cannot be reached: an outage.
    #[error("the saved-search store is unreachable")]
    Unavailable(#[source] anyhow::Error),
    /// The store answered but failed the operation (or holds a row that no longer checks): a
    /// defect.
    #[error("the saved-search store failed the operation")]
    Failed(#[source] anyhow::Error),
}

/// A stored saved search.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedSearch {
    pub id: i64,
    pub account: AccountId,
    pub name: String,
    pub criteria: SearchCriteria,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Where matches are POSTed, if anywhere.
    pub webhook: Option<Webhook>,
    /// The peppered hash of the Atom feed's read token, if the feed is on.
    pub feed_token: Option<SecretHash>,
    /// The daily email digest, if on.
    pub digest: Option<DigestState>,
}

/// Where a search's daily digest stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestState {
    /// The newest match reported (or the newest when the digest was turned on).
    pub sent_through: i64,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A saved search's webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub url: String,
    /// Random, stored; the signing secret is derived from it with the server's pepper.
    pub nonce: String,
    /// Since when every attempt has failed (none succeeded since), if so.
    pub failing_since: Option<DateTime<Utc>>,
    /// When it was disabled for failing too long; no delivery is made until the URL is set again.
    pub disabled_at: Option<DateTime<Utc>>,
}

/// A change to a webhook. Setting one (re-)enables it and forgets its failures.
#[derive(Debug, Clone, PartialEq)]
pub enum WebhookChange {
    /// Removes the webhook (its pending deliveries are no longer attempted).
    Remove,
    /// Sets the URL; with `nonce`, a new secret (else the current one stays).
    Set { url: String, nonce: Option<String> },
}

/// What `create` did.
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    Saved(Box<SavedSearch>),
    /// The account already holds `cap` saved searches; nothing was written.
    AtCap {
        cap: u64,
    },
}

/// One slice of an account's saved searches (by id), and how many it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedSearchPage {
    pub items: Vec<SavedSearch>,
    pub total: u64,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SavedSearchStore: Send + Sync {
    /// Stores a new saved search of `account` (with its webhook, `(url, nonce)`, if any) unless
    /// it already holds `cap` of them; the count and the insert are one step, so concurrent
    /// creates never pass the cap.
    async fn create(
        &self,
        account: AccountId,
        name: String,
        criteria: SearchCriteria,
        webhook: Option<(String, String)>,
        cap: u64,
        now: DateTime<Utc>,
    ) -> Result<Created, SavedSearchStoreError>;

    /// `Ok(None)` when `account` has no saved search `id`.
    async fn get(&self, account: AccountId, id: i64) -> Result<Option<SavedSearch>, SavedSearchStoreError>;

    /// Replaces the name and criteria; `Ok(None)` when there is no such search (nothing written).
    async fn update(
        &self,
        account: AccountId,
        id: i64,
        name: String,
        criteria: SearchCriteria,
        now: DateTime<Utc>,
    ) -> Result<Option<SavedSearch>, SavedSearchStoreError>;

    /// Changes the webhook; `Ok(None)` when there is no such search (nothing written).
    async fn set_webhook(
        &self,
        account: AccountId,
        id: i64,
        change: WebhookChange,
        now: DateTime<Utc>,
    ) -> Result<Option<SavedSearch>, SavedSearchStoreError>;

    /// Sets (or with `None` revokes) the feed token's hash; `Ok(None)` when there is no such
    /// search.
    async fn set_feed_token(
        &self,
        account: AccountId,
        id: i64,
        token: Option<SecretHash>,
        now: DateTime<Utc>,
    ) -> Result<Option<SavedSearch>, SavedSearchStoreError>;

    /// Turns the daily digest on (reporting matches newer than `sent_through`) or off (`None`);
    /// `Ok(None)` when there is no such search.
    async fn set_digest(
        &self,
        account: AccountId,
        id: i64,
        sent_through: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Option<SavedSearch>, SavedSearchStoreError>;

    /// The searches with a digest on that sent none since `sent_before` (or none at all).
    async fn due_digests(&self, sent_before: DateTime<Utc>) -> Result<Vec<SavedSearch>, SavedSearchStoreError>;

    /// Notes a digest sent at `at`, reporting matches through `through`.
    async fn digest_sent(&self, id: i64, through: i64, at: DateTime<Utc>) -> Result<(), SavedSearchStoreError>;

    /// The search with this id, whoever owns it (the feed, whose token is the credential).
    async fn find(&self, id: i64) -> Result<Option<SavedSearch>, SavedSearchStoreError>;

    /// `Ok(false)` when there is no such search.
    async fn delete(&self, account: AccountId, id: i64) -> Result<bool, SavedSearchStoreError>;

    /// `account`'s saved searches by id, `limit` of them after skipping `offset`, and the total.
    async fn list(&self, account: AccountId, offset: u64, limit: u64)
    -> Result<SavedSearchPage, SavedSearchStoreError>;

    /// Every saved search of every account, by id (what matching indexes).
    async fn all(&self) -> Result<Vec<SavedSearch>, SavedSearchStoreError>;
}
