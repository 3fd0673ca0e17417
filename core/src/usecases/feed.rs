//! The sync API: the feed (a cursor stream of active jobs) and the expired stream (a
//! cursor stream of expired ids), plus ingestion, which keeps the job store fresh.
//!
//! Both streams page by the store's change sequence (keyset, never OFFSET), so a page costs the
//! same at any depth, a full pass returns every active job once, and a job changed during a pass
//! comes back later in the stream.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use std::sync::Arc;
use std::time::Duration;

use crate::domain::{Country, CursorCodec, InvalidCursor, Plan, SourceId, Stream};
use crate::ports::{Clock, ExpiredQuery, FailureCause, FeedQuery, JobStore, JobStoreError, Lock, StoredJob};
use crate::usecases::{FieldError, Search, SearchQuery, SearchRequest};
use crate::{Code, ErrorCode};

/// `batch_size` of the feed: default and bounds.
pub const FEED_BATCH: (usize, usize, usize) = (100, 1, 1_000);
/// `batch_size` of the expired stream: default and bounds.
pub const EXPIRED_BATCH: (usize, usize, usize) = (1_000, 1, 10_000);
/// `expired_since` when omitted.
pub const EXPIRED_DEFAULT_LOOKBACK: ChronoDuration = ChronoDuration::hours(24);
/// The furthest back `expired_since` may go.
pub const EXPIRED_MAX_LOOKBACK: ChronoDuration = ChronoDuration::days(7);

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error(transparent)]
    Invalid(FieldError),
    /// `expired_since` is further back than the expired stream keeps ids.
    #[error("expired_since: cannot be older than 7 days")]
    SinceTooOld,
    #[error("Invalid cursor")]
    Cursor(InvalidCursor),
    #[error("The job store is unavailable; retry later.")]
    Store(JobStoreError),
}

impl ErrorCode for FeedError {
    fn code(&self) -> Code {
        match self {
            FeedError::Invalid(_) | FeedError::SinceTooOld => Code::ValidationFailed,
            FeedError::Cursor(_) => Code::InvalidCursor,
            FeedError::Store(e) if e.is_outage() => Code::DependencyUnavailable,
            FeedError::Store(_) => Code::Internal,
        }
    }
}

/// A feed request, before validation.
#[derive(Debug, Clone, Default)]
pub struct FeedRequest {
    pub cursor: Option<String>,
    /// RFC 3339. Jobs new or changed at or after this time.
    pub posted_after: Option<String>,
    pub batch_size: Option<i64>,
    pub country: Option<String>,
    pub remote: Option<bool>,
    pub source: Option<String>,
    pub q: Option<String>,
}

#[derive(Debug, Clone)]
pub struct FeedBatch<T> {
    pub items: Vec<T>,
    /// Resume after the last item (or where the request's cursor pointed when there was none).
    pub next_cursor: Option<String>,
    pub has_more: bool,
}

fn invalid(field: &'static str, reason: impl std::fmt::Display) -> FieldError {
    FieldError::new(field, reason)
}

fn batch_size(raw: Option<i64>, (default, min, max): (usize, usize, usize)) -> Result<usize, FieldError> {
    match raw {
        None => Ok(default),
        Some(n) if n >= min as i64 && n <= max as i64 => Ok(n as usize),
        Some(_) => Err(invalid("batch_size", format!("must be between {min} and {max}"))),
    }
}

fn timestamp(field: &'static str, raw: &str) -> Result<DateTime<Utc>, FieldError> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| invalid(field, "must be an RFC 3339 timestamp such as 2026-11-23T08:00:00Z"))
}

pub struct Feed {
    pub store: Arc<dyn JobStore>,
    pub cursors: CursorCodec,
}

impl Feed {
    pub async fn execute(&self, req: FeedRequest) -> Result<FeedBatch<StoredJob>, FeedError> {
        let limit = batch_size(req.batch_size, FEED_BATCH).map_err(FeedError::Invalid)?;
        let updated_since = match req.posted_after.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(raw) => Some(timestamp("posted_after", raw).map_err(FeedError::Invalid)?),
            None => None,
        };
        let country = match req.country.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(raw) => Some(Country::parse(raw).map_err(|e| FeedError::Invalid(invalid("country", e)))?),
            None => None,
        };
        let source = match req.source.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(raw) => Some(SourceId::parse(&raw.to_ascii_lowercase()).ok_or_else(|| {
                FeedError::Invalid(invalid(
                    "source",
                    "must be one of adzuna, remotive, findwork, reed, arbeitnow, themuse",
                ))
            })?),
            None => None,
        };
        let q = req.q.as_deref().map(str::trim).unwrap_or_default();
        if q.chars().count() > crate::usecases::search::MAX_QUERY_CHARS {
            return Err(FeedError::Invalid(invalid("q", "must be at most 200 characters")));
        }
        let words = crate::domain::normalize::query_words(q);
        // The cursor is bound to the filters: the same filters must come with it.
        let filters = format!(
            "posted_after={};country={};remote={:?};source={};q={}",
            updated_since.map(|t| t.timestamp_micros()).unwrap_or_default(),
            country.map(Country::code).unwrap_or_default(),
            req.remote,
            source.map(SourceId::as_str).unwrap_or_default(),
            words.join(" "),
        );
        let after = match req.cursor.as_deref().filter(|c| !c.trim().is_empty()) {
            Some(raw) => self.cursors.decode(Stream::Feed, raw, &filters).map_err(FeedError::Cursor)?.0,
            None => 0,
        };
        let query = FeedQuery {
            after,
            updated_since,
            country: country.map(|c| c.iso().to_owned()),
            remote: req.remote,
            source,
            words,
            limit,
        };
        let page = self.store.feed(&query).await.map_err(FeedError::Store)?;
        let last = page.jobs.last().map(|j| j.seq).unwrap_or(after);
        let next_cursor = (last > 0).then(|| self.cursors.encode(Stream::Feed, last, 0, &filters));
        Ok(FeedBatch { items: page.jobs, next_cursor, has_more: page.has_more })
    }
}

pub struct Expired {
    pub store: Arc<dyn JobStore>,
    pub cursors: CursorCodec,
    pub clock: Arc<dyn Clock>,
}

impl Expired {
    /// `expired_since`: RFC 3339, default 24 hours ago, at most 7 days ago.
    pub async fn execute(
        &self,
        expired_since: Option<&str>,
        batch: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<FeedBatch<String>, FeedError> {
        let now = self.clock.now();
        let limit = batch_size(batch, EXPIRED_BATCH).map_err(FeedError::Invalid)?;
        let given = expired_since.map(str::trim).filter(|s| !s.is_empty());
        // The cursor is bound to the `expired_since` given (or to its absence); it carries the
        // resolved time, so a pass with the default 24 h keeps one starting point throughout.
        let filters = format!("expired_since={}", given.unwrap_or("default"));
        let (after, anchored) = match cursor.filter(|c| !c.trim().is_empty()) {
            Some(raw) => {
                let (seq, anchor) = self.cursors.decode(Stream::Expired, raw, &filters).map_err(FeedError::Cursor)?;
                (seq, DateTime::<Utc>::from_timestamp_micros(anchor))
            }
            None => (0, None),
        };
        let since = match (anchored, given) {
            (Some(t), _) => t,
            (None, Some(raw)) => timestamp("expired_since", raw).map_err(FeedError::Invalid)?,
            (None, None) => now - EXPIRED_DEFAULT_LOOKBACK,
        };
        if since < now - EXPIRED_MAX_LOOKBACK {
            return Err(FeedError::SinceTooOld);
        }
        let page = self.store.expired(&ExpiredQuery { after, since, limit }).await.map_err(FeedError::Store)?;
        let last = page.ids.last().map(|(_, seq)| *seq).unwrap_or(after);
        let next_cursor =
            (last > 0).then(|| self.cursors.encode(Stream::Expired, last, since.timestamp_micros().max(0), &filters));
        Ok(FeedBatch { items: page.ids.into_iter().map(|(id, _)| id).collect(), next_cursor, has_more: page.has_more })
    }
}

/// What one ingestion cycle did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestReport {
    /// False when another node held the cycle's lock (nothing was done here).
    pub ran: bool,
    pub queries: usize,
    /// Jobs the watch queries returned (merged).
    pub fetched: usize,
    pub expired: u64,
    /// Boards that failed, by the class of their failure: how many watch queries each failed.
    pub failures: std::collections::BTreeMap<(SourceId, FailureCause), usize>,
    /// Boards not asked because this server has no credentials for them (once per board).
    pub unconfigured: std::collections::BTreeSet<SourceId>,
}

impl IngestReport {
    /// `adzuna dns ×2, reed timeout ×1` (or `none`), for the cycle's log line.
    pub fn failures_summary(&self) -> String {
        if self.failures.is_empty() {
            return "none".to_owned();
        }
        let parts: Vec<String> =
            self.failures.iter().map(|((board, cause), n)| format!("{board} {cause} ×{n}")).collect();
        parts.join(", ")
    }

    /// Whether no board answered a single watch query (every one asked failed).
    pub fn all_failed(&self) -> bool {
        self.queries > 0 && self.fetched == 0 && !self.failures.is_empty()
    }
}

/// The name of the lock one ingestion cycle holds (one node runs a given cycle).
pub const INGEST_LOCK: &str = "ingest-cycle";

/// One ingestion cycle: each watch query through search's fan-out (asking every board of the
/// Scale plan, within each board's request budget; the job store records what comes back), then
/// the expiry of jobs not seen for `expire_after`.
pub struct Ingest {
    pub search: Search,
    pub store: Arc<dyn JobStore>,
    pub lock: Arc<dyn Lock>,
    pub clock: Arc<dyn Clock>,
    /// `(q, country)` pairs.
    pub watch: Vec<(String, String)>,
    pub expire_after: Duration,
    /// How long a cycle may hold the lock.
    pub lock_ttl: Duration,
}

impl Ingest {
    pub async fn run_cycle(&self) -> Result<IngestReport, JobStoreError> {
        let token = match self.lock.try_acquire(INGEST_LOCK, self.lock_ttl).await {
            Ok(Some(t)) => t,
            Ok(None) => return Ok(IngestReport::default()),
            Err(e) => {
                tracing::warn!(error = %e, "ingestion lock unavailable; cycle skipped");
                return Ok(IngestReport::default());
            }
        };
        let mut report = IngestReport { ran: true, ..Default::default() };
        for (q, country) in &self.watch {
            let req = SearchRequest {
                q: Some(q.clone()),
                country: Some(country.clone()),
                plan: Some(Plan::Scale),
                ..Default::default()
            };
            match SearchQuery::parse(req) {
                Ok(query) => {
                    let out = self.search.refresh(&query).await;
                    report.queries += 1;
                    report.fetched += out.jobs.len();
                    for r in &out.sources {
                        if let Some(cause) = r.cause {
                            *report.failures.entry((r.source, cause)).or_default() += 1;
                        } else if r.status == crate::usecases::search::SourceStatus::Unconfigured {
                            report.unconfigured.insert(r.source);
                        }
                    }
                }
                Err(e) => tracing::warn!(%q, %country, error = %e, "watch query refused"),
            }
        }
        let now = self.clock.now();
        let horizon = ChronoDuration::from_std(self.expire_after).unwrap_or(ChronoDuration::days(7));
        let expired = self.store.expire_unseen(now - horizon, now).await;
        if let Err(e) = self.lock.release(INGEST_LOCK, &token).await {
            tracing::warn!(error = %e, "ingestion lock not released; it expires by itself");
        }
        report.expired = expired?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::job_store::MockJobStore;
    use crate::ports::{ExpiredPage, FeedPage};
    use crate::testing::FixedClock;

    const NOW: i64 = 1_764_547_200;

    fn feed(store: MockJobStore) -> Feed {
        Feed { store: Arc::new(store), cursors: CursorCodec::new(b"test-key") }
    }

    fn expired(store: MockJobStore) -> Expired {
        Expired { store: Arc::new(store), cursors: CursorCodec::new(b"test-key"), clock: Arc::new(FixedClock::at(NOW)) }
    }

    fn field(e: FeedError) -> &'static str {
        match e {
            FeedError::Invalid(f) => f.field,
            other => panic!("not a field error: {other:?}"),
        }
    }

    #[tokio::test]
    async fn the_filters_reach_the_store_normalized() {
        let mut store = MockJobStore::new();
        store
            .expect_feed()
            .withf(|q| {
                q.after == 0
                    && q.limit == 250
                    && q.country.as_deref() == Some("GB")
                    && q.source == Some(SourceId::Reed)
                    && q.words == ["rust", "developer"]
                    && q.updated_since.map(|t| t.timestamp()) == Some(1_764_547_200)
            })
            .times(1)
            .returning(|_| Ok(FeedPage { jobs: vec![], has_more: false }));
        let req = FeedRequest {
            batch_size: Some(250),
            posted_after: Some(" 2025-12-01T00:00:00Z ".into()),
            country: Some("GB".into()),
            source: Some("Reed".into()),
            q: Some("  Rust Developer ".into()),
            ..Default::default()
        };
        let batch = feed(store).execute(req).await.unwrap();
        assert!(batch.items.is_empty() && !batch.has_more && batch.next_cursor.is_none());
    }

    #[tokio::test]
    async fn bad_fields_are_named_before_the_store_is_asked() {
        let f = feed(MockJobStore::new());
        let cases = [
            (FeedRequest { batch_size: Some(0), ..Default::default() }, "batch_size"),
            (FeedRequest { batch_size: Some(1001), ..Default::default() }, "batch_size"),
            (FeedRequest { posted_after: Some("yesterday".into()), ..Default::default() }, "posted_after"),
            (FeedRequest { country: Some("xx".into()), ..Default::default() }, "country"),
            (FeedRequest { source: Some("monster".into()), ..Default::default() }, "source"),
            (FeedRequest { q: Some("x".repeat(201)), ..Default::default() }, "q"),
        ];
        for (req, name) in cases {
            assert_eq!(field(f.execute(req).await.unwrap_err()), name);
        }
        let e = f.execute(FeedRequest { cursor: Some("garbled".into()), ..Default::default() }).await.unwrap_err();
        assert_eq!(e.code(), Code::InvalidCursor);
    }

    #[tokio::test]
    async fn expired_ids_default_to_a_day_refuse_over_a_week_and_keep_their_start_through_the_cursor() {
        let day = ChronoDuration::days(1);
        let now = DateTime::<Utc>::from_timestamp(NOW, 0).unwrap();
        let mut store = MockJobStore::new();
        store
            .expect_expired()
            .withf(move |q| q.after == 0 && q.since == now - day)
            .times(1)
            .returning(|_| Ok(ExpiredPage { ids: vec![("reed:1".into(), 41), ("reed:2".into(), 42)], has_more: true }));
        // The next page: after the cursor's seq, from the same start although time has passed.
        store
            .expect_expired()
            .withf(move |q| q.after == 42 && q.since == now - day)
            .times(1)
            .returning(|_| Ok(ExpiredPage { ids: vec![], has_more: false }));
        let e = expired(store);
        let first = e.execute(None, None, None).await.unwrap();
        assert_eq!((first.items, first.has_more), (vec!["reed:1".to_owned(), "reed:2".to_owned()], true));
        let cursor = first.next_cursor.unwrap();
        let next = e.execute(None, None, Some(&cursor)).await.unwrap();
        assert!(next.items.is_empty() && !next.has_more);
        // The cursor is bound to the `expired_since` it was made with.
        let other = e.execute(Some("2025-11-30T00:00:00Z"), None, Some(&cursor)).await.unwrap_err();
        assert_eq!(other.code(), Code::InvalidCursor);

        let too_old = e.execute(Some("2025-11-01T00:00:00Z"), None, None).await.unwrap_err();
        assert!(matches!(too_old, FeedError::SinceTooOld));
        assert_eq!(field(e.execute(None, Some(0), None).await.unwrap_err()), "batch_size");
    }
}
