//! An in-process `JobStore` with the same contract as the SQL one (one change sequence, keyset
//! pages), for tests and the sync-workflow property test. Not used by the server.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jobin_core::domain::corpus::{CorpusFilter, Facet, FacetTally, Indexed, Position, held_ids};
use jobin_core::domain::normalize::words_match;
use jobin_core::domain::{Job, SourceId, content_hash};
use jobin_core::ports::{
    CorpusPage, CorpusPageQuery, CorpusQuery, CorpusRow, ExpiredPage, ExpiredQuery, ExpiredReason, FeedPage, FeedQuery,
    FoundJob, JobStore, JobStoreError, StoredJob, UpsertReport,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

struct Row {
    stored: StoredJob,
    hash: String,
    expired_at: Option<DateTime<Utc>>,
    expired_reason: Option<ExpiredReason>,
    /// What the corpus search reads, computed when the content is stored (as the SQL store does).
    indexed: Indexed,
}

#[derive(Default)]
struct State {
    seq: i64,
    rows: HashMap<String, Row>,
    /// seq → id, for keyset reads.
    by_seq: BTreeMap<i64, String>,
}

impl State {
    fn bump(&mut self, id: &str, old: Option<i64>) -> i64 {
        if let Some(old) = old {
            self.by_seq.remove(&old);
        }
        self.seq += 1;
        self.by_seq.insert(self.seq, id.to_owned());
        self.seq
    }
}

#[derive(Default)]
pub struct MemoryJobStore {
    state: Mutex<State>,
}

impl MemoryJobStore {
    /// Expires the active jobs among `ids` at `now`, for `reason`: how many.
    fn expire_for(&self, ids: &[String], now: DateTime<Utc>, reason: ExpiredReason) -> u64 {
        let mut st = self.state();
        let mut n = 0;
        for id in ids {
            let Some(old) = st.rows.get(id).filter(|r| r.expired_at.is_none()).map(|r| r.stored.seq) else {
                continue;
            };
            let seq = st.bump(id, Some(old));
            if let Some(r) = st.rows.get_mut(id) {
                r.expired_at = Some(now);
                r.expired_reason = Some(reason);
                r.stored.seq = seq;
            }
            n += 1;
        }
        n
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Ids of the active jobs (for tests).
    pub fn active_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> =
            self.state().rows.iter().filter(|(_, r)| r.expired_at.is_none()).map(|(id, _)| id.clone()).collect();
        ids.sort();
        ids
    }
}

/// Whether `job` matches the feed filters (the SQL store filters in SQL).
fn matches(job: &Job, q: &FeedQuery) -> bool {
    if q.country.as_deref().is_some_and(|c| job.location.country != c) {
        return false;
    }
    if q.remote.is_some_and(|r| job.remote != r) {
        return false;
    }
    if q.source.is_some_and(|s| job.source != s) {
        return false;
    }
    words_match(&q.words, &job.search_text())
}

#[async_trait]
impl JobStore for MemoryJobStore {
    async fn upsert(&self, jobs: &[Job], now: DateTime<Utc>) -> Result<UpsertReport, JobStoreError> {
        let mut st = self.state();
        let mut report = UpsertReport::default();
        for job in jobs {
            let hash = content_hash(job);
            let existing = st.rows.get(&job.id).map(|r| (r.hash == hash, r.expired_at.is_some(), r.stored.seq));
            match existing {
                None => {
                    let seq = st.bump(&job.id, None);
                    let stored =
                        StoredJob { job: job.clone(), seq, first_seen_at: now, last_seen_at: now, updated_at: now };
                    let indexed = Indexed::of(job);
                    st.rows
                        .insert(job.id.clone(), Row { stored, hash, expired_at: None, expired_reason: None, indexed });
                    report.inserted += 1;
                }
                Some((true, false, _)) => {
                    if let Some(r) = st.rows.get_mut(&job.id) {
                        r.stored.last_seen_at = r.stored.last_seen_at.max(now);
                    }
                    report.unchanged += 1;
                }
                Some((same, expired, old)) => {
                    let seq = st.bump(&job.id, Some(old));
                    if let Some(r) = st.rows.get_mut(&job.id) {
                        r.stored.job = job.clone();
                        r.indexed = Indexed::of(job);
                        r.stored.seq = seq;
                        r.stored.last_seen_at = now;
                        r.stored.updated_at = now;
                        r.hash = hash;
                        r.expired_at = None;
                        r.expired_reason = None;
                    }
                    if expired {
                        report.reactivated += 1;
                    } else {
                        debug_assert!(!same);
                        report.changed += 1;
                    }
                }
            }
        }
        Ok(report)
    }

    async fn feed(&self, q: &FeedQuery) -> Result<FeedPage, JobStoreError> {
        let st = self.state();
        let mut jobs = Vec::new();
        let mut has_more = false;
        for (_, id) in st.by_seq.range(q.after + 1..) {
            let Some(r) = st.rows.get(id) else { continue };
            if r.expired_at.is_some()
                || q.updated_since.is_some_and(|t| r.stored.updated_at < t)
                || !matches(&r.stored.job, q)
            {
                continue;
            }
            if jobs.len() == q.limit {
                has_more = true;
                break;
            }
            jobs.push(r.stored.clone());
        }
        Ok(FeedPage { jobs, has_more })
    }

    async fn expired(&self, q: &ExpiredQuery) -> Result<ExpiredPage, JobStoreError> {
        let st = self.state();
        let mut ids = Vec::new();
        let mut has_more = false;
        for (seq, id) in st.by_seq.range(q.after + 1..) {
            let Some(r) = st.rows.get(id) else { continue };
            if r.expired_at.is_none_or(|at| at < q.since) {
                continue;
            }
            if ids.len() == q.limit {
                has_more = true;
                break;
            }
            ids.push((id.clone(), *seq));
        }
        Ok(ExpiredPage { ids, has_more })
    }

    async fn expire_unseen(&self, seen_before: DateTime<Utc>, now: DateTime<Utc>) -> Result<u64, JobStoreError> {
        let ids: Vec<String> = {
            let st = self.state();
            st.rows
                .iter()
                .filter(|(_, r)| {
                    let past = r.stored.job.valid_through.is_some_and(|v| v < now);
                    // Imported postings live as long as the import lists them.
                    let unseen = r.stored.last_seen_at < seen_before && r.stored.job.source != SourceId::Import;
                    r.expired_at.is_none() && (unseen || past)
                })
                .map(|(id, _)| id.clone())
                .collect()
        };
        Ok(self.expire_for(&ids, now, ExpiredReason::Age))
    }

    async fn expire_ids(&self, ids: &[String], now: DateTime<Utc>) -> Result<u64, JobStoreError> {
        Ok(self.expire_for(ids, now, ExpiredReason::Gone))
    }

    async fn stale(
        &self,
        sources: &[SourceId],
        seen_before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<StoredJob>, JobStoreError> {
        let st = self.state();
        let mut stale: Vec<&StoredJob> = st
            .rows
            .values()
            .filter(|r| {
                r.expired_at.is_none() && sources.contains(&r.stored.job.source) && r.stored.last_seen_at < seen_before
            })
            .map(|r| &r.stored)
            .collect();
        stale.sort_by(|a, b| a.last_seen_at.cmp(&b.last_seen_at).then_with(|| a.job.id.cmp(&b.job.id)));
        Ok(stale.into_iter().take(limit).cloned().collect())
    }

    async fn expire_source_unseen(
        &self,
        source: SourceId,
        seen_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64, JobStoreError> {
        let ids: Vec<String> = {
            let st = self.state();
            st.rows
                .iter()
                .filter(|(_, r)| {
                    r.expired_at.is_none() && r.stored.job.source == source && r.stored.last_seen_at < seen_before
                })
                .map(|(id, _)| id.clone())
                .collect()
        };
        Ok(self.expire_for(&ids, now, ExpiredReason::LeftListing))
    }

    async fn corpus(&self, q: &CorpusQuery) -> Result<Vec<CorpusRow>, JobStoreError> {
        let st = self.state();
        Ok(st
            .rows
            .values()
            .filter(|r| r.expired_at.is_none() && q.matches(&r.stored.job))
            .map(|r| CorpusRow::of(&r.stored.job))
            .collect())
    }

    async fn find(&self, q: &CorpusQuery, limit: usize) -> Result<Vec<Job>, JobStoreError> {
        let st = self.state();
        let mut jobs: Vec<&Job> = st
            .rows
            .values()
            .filter(|r| r.expired_at.is_none() && q.matches(&r.stored.job))
            .map(|r| &r.stored.job)
            .collect();
        jobs.sort_by(|a, b| b.posted_at.cmp(&a.posted_at).then_with(|| a.id.cmp(&b.id)));
        Ok(jobs.into_iter().take(limit).cloned().collect())
    }

    async fn get(&self, id: &str) -> Result<Option<FoundJob>, JobStoreError> {
        let st = self.state();
        let found =
            |r: &Row| FoundJob { stored: r.stored.clone(), expired_at: r.expired_at, expired_reason: r.expired_reason };
        if let Some(r) = st.rows.get(id) {
            return Ok(Some(found(r)));
        }
        // A listing merged into another job: the active holder first, then the latest change.
        let holder = st
            .rows
            .values()
            .filter(|r| r.stored.job.merged_ids().any(|c| c == id))
            .max_by_key(|r| (r.expired_at.is_none(), r.stored.seq));
        Ok(holder.map(found))
    }

    async fn corpus_page(&self, q: &CorpusPageQuery) -> Result<CorpusPage, JobStoreError> {
        let mut hits: Vec<(StoredJob, Position)> = self
            .covered(&q.filter)
            .into_iter()
            .map(|(stored, p)| {
                let at = Position::of(&p, q.sort, &q.filter.words);
                (stored, at)
            })
            .filter(|(_, at)| q.after.as_ref().is_none_or(|after| at.after(after, q.order)))
            .collect();
        hits.sort_by(|a, b| match q.order {
            jobin_core::domain::corpus::SortOrder::Asc => a.1.cmp(&b.1),
            jobin_core::domain::corpus::SortOrder::Desc => b.1.cmp(&a.1),
        });
        let has_more = hits.len() > q.limit;
        hits.truncate(q.limit);
        Ok(CorpusPage { jobs: hits, has_more })
    }

    async fn corpus_count(&self, filter: &CorpusFilter, bound: u64) -> Result<u64, JobStoreError> {
        Ok((self.covered(filter).len() as u64).min(bound))
    }

    async fn corpus_facets(&self, filter: &CorpusFilter, facets: &[Facet]) -> Result<FacetTally, JobStoreError> {
        let covered = self.covered(filter);
        Ok(FacetTally::count(facets, covered.iter().map(|(_, p)| p)))
    }
}

impl MemoryJobStore {
    /// The active jobs `filter` covers, with their indexed fields (none another holds as a copy).
    fn covered(&self, filter: &CorpusFilter) -> Vec<(StoredJob, Indexed)> {
        let st = self.state();
        let active: Vec<&Row> = st.rows.values().filter(|r| r.expired_at.is_none()).collect();
        let held = held_ids(active.iter().map(|r| (r.stored.job.id.as_str(), r.stored.job.merged_ids().collect())));
        active
            .into_iter()
            .filter(|r| !held.contains(&r.stored.job.id) && filter.matches(&r.indexed))
            .map(|r| (r.stored.clone(), r.indexed.clone()))
            .collect()
    }
}
