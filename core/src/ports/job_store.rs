//! Every job we have seen, kept fresh by search and ingestion, and read back as the feed / expired
//! sync streams.
//!
//! Contract: each stored change (insert, content change, reactivation, expiry) takes the next value
//! of one store-wide change sequence (`seq`), and a reader never sees a change with a higher `seq`
//! before every lower one is visible (the store serializes its writers on the sequence). So a
//! client paging by `seq` never skips a change, and a job changed during a pass shows up again
//! later in the stream.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::corpus::{CorpusFilter, CorpusSort, Facet, FacetTally, Position, SortOrder};
use crate::domain::normalize::words_match;
use crate::domain::{Job, JobFacts, SourceId};

#[derive(Debug, thiserror::Error)]
pub enum JobStoreError {
    /// The store cannot be reached (connection refused or lost, pool exhausted): an outage.
    #[error("the job store is unreachable")]
    Unavailable(#[source] anyhow::Error),
    /// The store answered but refused or failed the operation (a value it cannot hold, a stored
    /// row that does not decode): a defect, not an outage.
    #[error("the job store failed the operation")]
    Failed(#[source] anyhow::Error),
}

impl JobStoreError {
    pub fn is_outage(&self) -> bool {
        matches!(self, JobStoreError::Unavailable(_))
    }
}

/// A stored job with its bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredJob {
    pub job: Job,
    /// The change sequence value of its latest change.
    pub seq: i64,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// Moves only when the content changes (or the job comes back after expiring).
    pub updated_at: DateTime<Utc>,
}

/// A stored job looked up by id, active or not.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundJob {
    pub stored: StoredJob,
    /// When it expired; `None` while active.
    pub expired_at: Option<DateTime<Utc>>,
    /// Why it expired; `None` while active, or when it expired before reasons were recorded.
    pub expired_reason: Option<ExpiredReason>,
}

/// Why a posting expired: the store records it with the expiry, from the way it was expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExpiredReason {
    /// A full listing that used to hold it no longer does (`JobStore::expire_source_unseen`).
    LeftListing,
    /// Its board reported it gone (`JobStore::expire_ids`).
    Gone,
    /// Not seen by any fetch for the expiry age, or past the closing date its board gave
    /// (`JobStore::expire_unseen`).
    Age,
}

impl ExpiredReason {
    pub const ALL: [ExpiredReason; 3] = [ExpiredReason::LeftListing, ExpiredReason::Gone, ExpiredReason::Age];

    pub const fn as_str(self) -> &'static str {
        match self {
            ExpiredReason::LeftListing => "left_listing",
            ExpiredReason::Gone => "gone",
            ExpiredReason::Age => "age",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpsertReport {
    pub inserted: usize,
    /// Content changed: new `updated_at` and `seq`.
    pub changed: usize,
    /// Expired, then seen again: active again with a new `updated_at` and `seq`.
    pub reactivated: usize,
    /// Same content: only `last_seen_at` moves (never backwards).
    pub unchanged: usize,
}

/// One page of active jobs after `after` (a `seq`), oldest change first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedQuery {
    pub after: i64,
    /// Only jobs whose `updated_at` is at or after this.
    pub updated_since: Option<DateTime<Utc>>,
    /// ISO alpha-2 upper case, as in `location.country`.
    pub country: Option<String>,
    pub remote: Option<bool>,
    pub source: Option<SourceId>,
    /// Folded words (`normalize::query_words`) that must each start a word of the job's
    /// `search_text` (title, company, skills).
    pub words: Vec<String>,
    pub limit: usize,
}

/// The active stored postings a market figure (or the store-backed import source) covers.
/// [`CorpusQuery::matches`] is the reference: a store answers with exactly the active jobs it
/// accepts, whatever index it uses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CorpusQuery {
    /// Folded words that must each start a word of the job's `search_text` (title, company,
    /// skills).
    pub words: Vec<String>,
    /// Folded words that must each start a word of the job's `place_text` (city, region,
    /// country code).
    pub place_words: Vec<String>,
    /// ISO alpha-2 upper case: only postings located in this country (`location.country`).
    pub country: Option<String>,
    /// Only postings with a listing (the job's own or a merged copy) from one of these; empty
    /// means any source.
    pub sources: Vec<SourceId>,
    /// Only postings posted at or after this (undated postings are then left out).
    pub posted_since: Option<DateTime<Utc>>,
}

impl CorpusQuery {
    pub fn matches(&self, job: &Job) -> bool {
        self.country.as_deref().is_none_or(|c| job.location.country == c)
            && (self.sources.is_empty() || self.sources.iter().any(|s| job.source_mask() & s.bit() != 0))
            && self.posted_since.is_none_or(|since| job.posted_at.is_some_and(|p| p >= since))
            && words_match(&self.words, &job.search_text())
            && words_match(&self.place_words, &job.place_text())
    }
}

/// What analytics read of one matching posting.
#[derive(Debug, Clone, PartialEq)]
pub struct CorpusRow {
    pub id: String,
    /// The ids of the other listings merged into this job (its `copies` but itself).
    pub copies: Vec<String>,
    pub facts: JobFacts,
}

impl CorpusRow {
    pub fn of(job: &Job) -> Self {
        CorpusRow {
            id: job.id.clone(),
            copies: job.merged_ids().map(str::to_owned).collect(),
            facts: JobFacts::of(job),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedPage {
    pub jobs: Vec<StoredJob>,
    /// Whether more matching jobs follow the last one returned.
    pub has_more: bool,
}

/// One page of jobs expired at or after `since`, after `after` (a `seq`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredQuery {
    pub after: i64,
    pub since: DateTime<Utc>,
    pub limit: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpiredPage {
    /// `(id, seq)`, in `seq` order.
    pub ids: Vec<(String, i64)>,
    pub has_more: bool,
}

/// One page of a corpus search: active postings `filter` covers, in `sort` and `order`, strictly
/// after `after` (keyset), at most `limit`.
#[derive(Debug, Clone, PartialEq)]
pub struct CorpusPageQuery {
    pub filter: CorpusFilter,
    pub sort: CorpusSort,
    pub order: SortOrder,
    pub after: Option<Position>,
    pub limit: usize,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CorpusPage {
    /// Each posting with its position in the order (the next page's `after` is the last one's).
    pub jobs: Vec<(StoredJob, Position)>,
    pub has_more: bool,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Records the jobs (merged, with their copies) by id, seen at `now`. Search callers log `Err`
    /// and go on: a search never fails because the store did.
    async fn upsert(&self, jobs: &[Job], now: DateTime<Utc>) -> Result<UpsertReport, JobStoreError>;

    /// Active jobs matching `q` with `seq > q.after`, by `seq`.
    async fn feed(&self, q: &FeedQuery) -> Result<FeedPage, JobStoreError>;

    /// Ids of currently expired jobs with `expired_at >= q.since` and `seq > q.after`, by `seq`.
    async fn expired(&self, q: &ExpiredQuery) -> Result<ExpiredPage, JobStoreError>;

    /// Expires, at `now`, every active job last seen before `seen_before` (imported postings
    /// excepted: they live as long as the import lists them, see `expire_source_unseen`) or past
    /// its `valid_through`; returns how many.
    async fn expire_unseen(&self, seen_before: DateTime<Utc>, now: DateTime<Utc>) -> Result<u64, JobStoreError>;

    /// Expires, at `now`, the active jobs among `ids` (a board reported them gone); returns how many.
    async fn expire_ids(&self, ids: &[String], now: DateTime<Utc>) -> Result<u64, JobStoreError>;

    /// Expires, at `now`, every active job of `source` last seen before `seen_before` (a full
    /// listing such as the import file no longer has them); returns how many.
    async fn expire_source_unseen(
        &self,
        source: SourceId,
        seen_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64, JobStoreError>;

    /// Up to `limit` active jobs of `sources` (their own listing, not a copy) last seen before
    /// `seen_before`, the longest unseen first, then by id (the liveness pass's next batch).
    async fn stale(
        &self,
        sources: &[SourceId],
        seen_before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<StoredJob>, JobStoreError>;

    /// The facts of every active job `q` matches, in no particular order (analytics; matched
    /// with the database's text index, never by loading every row).
    async fn corpus(&self, q: &CorpusQuery) -> Result<Vec<CorpusRow>, JobStoreError>;

    /// Up to `limit` active jobs `q` matches, newest posting first (undated last), then by id.
    async fn find(&self, q: &CorpusQuery, limit: usize) -> Result<Vec<Job>, JobStoreError>;

    /// The job with this id, active or expired; failing that, the job that lists `id` among
    /// its merged copies (an active one first). `Ok(None)` when neither exists.
    async fn get(&self, id: &str) -> Result<Option<FoundJob>, JobStoreError>;

    /// One page of a corpus search (`Indexed` fields, `CorpusFilter::matches`, `Position::of`),
    /// costing the same at any depth.
    async fn corpus_page(&self, q: &CorpusPageQuery) -> Result<CorpusPage, JobStoreError>;

    /// How many active postings `filter` covers, counting no further than `bound`.
    async fn corpus_count(&self, filter: &CorpusFilter, bound: u64) -> Result<u64, JobStoreError>;

    /// The counts of `facets` over the active postings `filter` covers (`FacetTally::count`).
    async fn corpus_facets(&self, filter: &CorpusFilter, facets: &[Facet]) -> Result<FacetTally, JobStoreError>;
}
