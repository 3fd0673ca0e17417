//! Matching postings as they land (issue 20): reads the job store's change stream (`seq`) from
//! where the last run stopped — exactly the postings inserted, changed or back from expiry since
//! then, each with its version (`updated_at`) — finds the saved searches each matches through the
//! word index, records one match per (search, posting, version), then moves the cursor past the
//! page. A run that stops half-way is run again from the cursor: the matches it had recorded are
//! skipped (the store keeps each once), so none is produced twice and none is lost. A search
//! matches only postings of versions at or after its creation (a new search does not report the
//! corpus as it was). One node runs it at a time (the caller holds the lock).

use std::sync::Arc;
use std::time::Duration;

use crate::domain::saved_search::SearchIndex;
use crate::ports::{
    Clock, FeedQuery, JobStore, JobStoreError, Lock, MatchStore, NewMatch, SavedSearchStore, SavedSearchStoreError,
};
use crate::{Code, ErrorCode};

/// Postings read per page of the change stream.
pub const MATCH_PAGE: usize = 1_000;
/// The name of the lock one matching run holds (one node matches at a time).
pub const MATCH_LOCK: &str = "match-landed";

pub struct MatchLanded {
    pub searches: Arc<dyn SavedSearchStore>,
    pub jobs: Arc<dyn JobStore>,
    pub matches: Arc<dyn MatchStore>,
    pub clock: Arc<dyn Clock>,
}

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MatchRun {
    /// Postings read from the change stream.
    pub postings: usize,
    /// (search, posting) matches found.
    pub matched: usize,
    /// Of those, the ones not recorded before.
    pub recorded: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    #[error(transparent)]
    Searches(#[from] SavedSearchStoreError),
    #[error(transparent)]
    Jobs(#[from] JobStoreError),
}

impl ErrorCode for MatchError {
    fn code(&self) -> Code {
        match self {
            MatchError::Searches(SavedSearchStoreError::Unavailable(_)) => Code::DependencyUnavailable,
            MatchError::Jobs(e) if e.is_outage() => Code::DependencyUnavailable,
            MatchError::Searches(_) | MatchError::Jobs(_) => Code::Internal,
        }
    }
}

impl MatchLanded {
    /// Matches every posting landed since the last run, to the end of the change stream.
    pub async fn run(&self) -> Result<MatchRun, MatchError> {
        let mut run = MatchRun::default();
        let page_after = |after| FeedQuery { after, limit: MATCH_PAGE, ..FeedQuery::default() };
        let mut page = self.jobs.feed(&page_after(self.matches.cursor().await?)).await?;
        if page.jobs.is_empty() {
            // Nothing landed (most runs): the searches are not read.
            return Ok(run);
        }
        let searches = self.searches.all().await?;
        let index = SearchIndex::new(searches.iter().map(|s| (s, s.criteria.matcher())));
        while let Some(last) = page.jobs.last().map(|j| j.seq) {
            let now = self.clock.now();
            let mut found = Vec::new();
            if !index.is_empty() {
                for stored in &page.jobs {
                    for search in index.matching(&stored.job) {
                        if stored.updated_at >= search.created_at {
                            found.push(NewMatch {
                                search: search.id,
                                account: search.account,
                                job_id: stored.job.id.clone(),
                                job_updated_at: stored.updated_at,
                                seq: stored.seq,
                                created_at: now,
                            });
                        }
                    }
                }
            }
            run.postings += page.jobs.len();
            run.matched += found.len();
            run.recorded += self.matches.record(&found).await?;
            self.matches.advance(last).await?;
            if !page.has_more {
                break;
            }
            page = self.jobs.feed(&page_after(last)).await?;
        }
        if run.postings > 0 {
            tracing::info!(
                postings = run.postings,
                matched = run.matched,
                recorded = run.recorded,
                "saved-search matching"
            );
        }
        Ok(run)
    }
}

/// [`MatchLanded`] run by one node at a time: each node calls `run_cycle` on a schedule; the one
/// that takes the lock matches, the others skip. A lock held past its life (a node that died, or
/// a run longer than `lock_ttl`) lets another node run from the cursor; what both record is kept
/// once.
pub struct MatchCycle {
    pub landed: MatchLanded,
    pub lock: Arc<dyn Lock>,
    pub lock_ttl: Duration,
}

impl MatchCycle {
    /// `Ok(None)` when another node holds the lock or the lock cannot be reached (the next cycle
    /// tries again).
    pub async fn run_cycle(&self) -> Result<Option<MatchRun>, MatchError> {
        let token = match self.lock.try_acquire(MATCH_LOCK, self.lock_ttl).await {
            Ok(Some(t)) => t,
            Ok(None) => return Ok(None),
            Err(e) => {
                tracing::warn!(error = %e, "matching lock unavailable; run skipped");
                return Ok(None);
            }
        };
        let run = self.landed.run().await;
        if let Err(e) = self.lock.release(MATCH_LOCK, &token).await {
            tracing::warn!(error = %e, "matching lock not released; it expires by itself");
        }
        run.map(Some)
    }
}
