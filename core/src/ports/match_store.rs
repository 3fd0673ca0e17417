//! What matching has produced (issue 20): one `job.matched` event per saved search, posting and
//! version of the posting (`updated_at`), and how far through the job store's change stream
//! (`seq`) matching has read.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::AccountId;
use crate::ports::SavedSearchStoreError;

/// A match to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMatch {
    pub search: i64,
    pub account: AccountId,
    pub job_id: String,
    /// The version of the posting that matched (its `updated_at`): a posting changed or back from
    /// expiry matches again, the same version never twice.
    pub job_updated_at: DateTime<Utc>,
    /// The posting's change sequence value when it matched.
    pub seq: i64,
    pub created_at: DateTime<Utc>,
}

/// A recorded match.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchEvent {
    pub id: i64,
    pub event: NewMatch,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MatchStore: Send + Sync {
    /// Records the matches not recorded before (same search, job and version) and answers how
    /// many were new; a repeat is skipped, never an error, so a run retried after a crash
    /// produces each event once.
    async fn record(&self, matches: &[NewMatch]) -> Result<usize, SavedSearchStoreError>;

    /// The last `seq` matching has read (0 before the first run).
    async fn cursor(&self) -> Result<i64, SavedSearchStoreError>;

    /// Moves the cursor forward to `seq` (never back).
    async fn advance(&self, seq: i64) -> Result<(), SavedSearchStoreError>;

    /// `account`'s matches of saved search `search`, newest first, at most `limit`; with
    /// `before`, only those recorded before the match of that id (the next page).
    async fn recent(
        &self,
        account: AccountId,
        search: i64,
        before: Option<i64>,
        limit: u64,
    ) -> Result<Vec<MatchEvent>, SavedSearchStoreError>;
}
