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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::saved_search::{RawCriteria, SearchCriteria};
    use crate::domain::{AccountId, Job, SourceId};
    use crate::ports::job_store::MockJobStore;
    use crate::ports::lock::MockLock;
    use crate::ports::match_store::MockMatchStore;
    use crate::ports::saved_search_store::MockSavedSearchStore;
    use crate::ports::{FeedPage, LockToken, SavedSearch, StoredJob};
    use crate::testing::FixedClock;
    use chrono::{DateTime, Utc};
    use mockall::Sequence;
    use std::sync::Mutex;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn search(id: i64, q: &str, created: &str) -> SavedSearch {
        SavedSearch {
            id,
            account: AccountId(id * 10),
            name: q.into(),
            criteria: SearchCriteria::parse(RawCriteria { q: Some(q.into()), ..Default::default() }).unwrap(),
            created_at: at(created),
            updated_at: at(created),
            webhook: None,
            feed_token: None,
            digest: None,
        }
    }

    fn posting(seq: i64, title: &str, updated: &str) -> StoredJob {
        let job = Job::sample(SourceId::Reed, &seq.to_string(), title, "Acme", "London");
        StoredJob { job, seq, first_seen_at: at(updated), last_seen_at: at(updated), updated_at: at(updated) }
    }

    fn landed(jobs: MockJobStore, searches: MockSavedSearchStore, matches: MockMatchStore) -> MatchLanded {
        MatchLanded {
            searches: Arc::new(searches),
            jobs: Arc::new(jobs),
            matches: Arc::new(matches),
            clock: Arc::new(FixedClock::at(1_800_000_000)),
        }
    }

    #[tokio::test]
    async fn when_nothing_landed_the_searches_are_not_read() {
        let mut jobs = MockJobStore::new();
        jobs.expect_feed().withf(|q| q.after == 41).times(1).returning(|_| Ok(FeedPage::default()));
        let mut matches = MockMatchStore::new();
        matches.expect_cursor().times(1).returning(|| Ok(41));
        // No expectation on the searches, `record` or `advance`: a call would fail the test.
        let run = landed(jobs, MockSavedSearchStore::new(), matches).run().await.unwrap();
        assert_eq!(run, MatchRun::default());
    }

    #[tokio::test]
    async fn every_page_is_matched_recorded_then_passed_and_a_search_sees_only_versions_since_it_began() {
        let mut jobs = MockJobStore::new();
        let mut pages = Sequence::new();
        jobs.expect_feed().withf(|q| q.after == 0 && q.limit == MATCH_PAGE).times(1).in_sequence(&mut pages).returning(
            |_| {
                Ok(FeedPage {
                    jobs: vec![
                        posting(1, "Rust Developer", "2026-11-01T00:00:00Z"),
                        posting(2, "Data Analyst", "2026-12-02T00:00:00Z"),
                    ],
                    has_more: true,
                })
            },
        );
        jobs.expect_feed().withf(|q| q.after == 2).times(1).in_sequence(&mut pages).returning(|_| {
            Ok(FeedPage { jobs: vec![posting(3, "Senior Rust Engineer", "2026-12-03T00:00:00Z")], has_more: false })
        });
        let mut searches = MockSavedSearchStore::new();
        searches.expect_all().times(1).returning(|| {
            // "rust" began on Dec 1: the November version of posting 1 is not reported to it.
            Ok(vec![search(7, "rust", "2026-12-01T00:00:00Z"), search(8, "analyst", "2026-10-01T00:00:00Z")])
        });
        let recorded: Arc<Mutex<Vec<(i64, String, i64)>>> = Arc::default();
        let mut matches = MockMatchStore::new();
        matches.expect_cursor().returning(|| Ok(0));
        let seen = recorded.clone();
        matches.expect_record().times(2).returning(move |found| {
            let mut seen = seen.lock().unwrap();
            seen.extend(found.iter().map(|m| (m.search, m.job_id.clone(), m.seq)));
            assert!(found.iter().all(|m| m.account == AccountId(m.search * 10)), "each match names its account");
            // One of them was recorded by an earlier, interrupted run.
            Ok(found.len().saturating_sub(usize::from(found.iter().any(|m| m.seq == 2))))
        });
        let advanced: Arc<Mutex<Vec<i64>>> = Arc::default();
        let to = advanced.clone();
        matches.expect_advance().times(2).returning(move |seq| {
            to.lock().unwrap().push(seq);
            Ok(())
        });
        let run = landed(jobs, searches, matches).run().await.unwrap();
        assert_eq!(run, MatchRun { postings: 3, matched: 2, recorded: 1 });
        assert_eq!(
            *recorded.lock().unwrap(),
            [(8, "reed:2".to_owned(), 2), (7, "reed:3".to_owned(), 3)],
            "analyst matches posting 2; rust only the version of posting 3 after it began"
        );
        assert_eq!(*advanced.lock().unwrap(), [2, 3], "the cursor passes each page once it is recorded");
    }

    #[tokio::test]
    async fn a_failed_record_leaves_the_cursor_where_it_was() {
        let mut jobs = MockJobStore::new();
        jobs.expect_feed().returning(|_| {
            Ok(FeedPage { jobs: vec![posting(5, "Rust Developer", "2026-12-05T00:00:00Z")], has_more: false })
        });
        let mut searches = MockSavedSearchStore::new();
        searches.expect_all().returning(|| Ok(vec![search(1, "rust", "2026-12-01T00:00:00Z")]));
        let mut matches = MockMatchStore::new();
        matches.expect_cursor().returning(|| Ok(4));
        matches
            .expect_record()
            .returning(|_| Err(SavedSearchStoreError::Unavailable(anyhow::anyhow!("database down"))));
        matches.expect_advance().never();
        let e = landed(jobs, searches, matches).run().await.unwrap_err();
        assert_eq!(e.code(), Code::DependencyUnavailable);
    }

    #[tokio::test]
    async fn a_cycle_runs_only_on_the_node_holding_the_lock_and_releases_it() {
        let mut lock = MockLock::new();
        lock.expect_try_acquire().withf(|name, _| name == MATCH_LOCK).times(1).returning(|_, _| Ok(None));
        let cycle = MatchCycle {
            landed: landed(MockJobStore::new(), MockSavedSearchStore::new(), MockMatchStore::new()),
            lock: Arc::new(lock),
            lock_ttl: Duration::from_secs(60),
        };
        assert_eq!(cycle.run_cycle().await.unwrap(), None, "another node holds it: nothing is read");

        let mut lock = MockLock::new();
        lock.expect_try_acquire().returning(|_, _| Ok(Some(LockToken("t".into()))));
        lock.expect_release()
            .withf(|name, token| name == MATCH_LOCK && token.0 == "t")
            .times(1)
            .returning(|_, _| Ok(true));
        let mut jobs = MockJobStore::new();
        jobs.expect_feed().returning(|_| Ok(FeedPage::default()));
        let mut matches = MockMatchStore::new();
        matches.expect_cursor().returning(|| Ok(0));
        let cycle = MatchCycle {
            landed: landed(jobs, MockSavedSearchStore::new(), matches),
            lock: Arc::new(lock),
            lock_ttl: Duration::from_secs(60),
        };
        assert_eq!(cycle.run_cycle().await.unwrap(), Some(MatchRun::default()));
    }
}
