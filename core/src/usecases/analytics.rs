//! What salary, trends and insight share: the corpus they are computed over (every active posting
//! in the job store that matches the query and the caller's plan's sources, plus imported
//! postings), their 6-hour result cache, and the query they answer for.
//!
//! Before reading the corpus, the query is searched live through the search cache (as
//! a search would), so the store holds the boards' current answer for it; ingestion keeps
//! the rest fresh. Matching is `CorpusQuery::matches`: word prefixes of `q` in the title,
//! company and skills, of `location` in the city, region and country code; postings located in
//! the country; a listing from one of the plan's sources or the import; optionally posted on or
//! after `since`. A job stored twice (once alone, once merged into another job's `copies`) counts
//! once.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::domain::normalize::{parse_iso_datetime, query_words};
use crate::domain::{JobFacts, Plan, SourceId};
use crate::ports::{Cache, Clock, CorpusQuery, CorpusRow, JobStore, JobStoreError};
use crate::services::ai::AiError;
use crate::usecases::FieldError;
use crate::usecases::search::{
    PARTIAL_TTL, Search, SearchError, SearchOutcome, SearchQuery, SearchRequest, SourceStatus,
};
use crate::{Code, ErrorCode};

/// How long an analytics answer stays cached (the document's 6 hours).
pub const ANALYTICS_TTL: Duration = Duration::from_secs(6 * 3600);

/// `q`, `location`, `country`, `since` as the client sent them, and the caller's plan.
#[derive(Debug, Clone, Default)]
pub struct AnalyticsRequest {
    pub q: Option<String>,
    pub location: Option<String>,
    pub country: Option<String>,
    /// ISO date (`2026-01-31`) or date-time: only postings posted on or after it.
    pub since: Option<String>,
    pub plan: Option<Plan>,
}

impl AnalyticsRequest {
    fn search(&self) -> SearchRequest {
        SearchRequest {
            q: self.q.clone(),
            location: self.location.clone(),
            country: self.country.clone(),
            remote: false,
            plan: self.plan,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    #[error(transparent)]
    Query(#[from] SearchError),
    #[error(transparent)]
    Ai(#[from] AiError),
    #[error(transparent)]
    Store(#[from] JobStoreError),
}

impl ErrorCode for AnalyticsError {
    fn code(&self) -> Code {
        match self {
            AnalyticsError::Query(e) => e.code(),
            AnalyticsError::Ai(e) => e.code(),
            AnalyticsError::Store(e) if e.is_outage() => Code::DependencyUnavailable,
            AnalyticsError::Store(_) => Code::Internal,
        }
    }
}

/// What a figure covers: the matching postings and the time range they were posted in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    /// Matching postings (each job once).
    pub postings: usize,
    /// Earliest and latest posting date among them; `None` when none is dated.
    pub posted_from: Option<DateTime<Utc>>,
    pub posted_to: Option<DateTime<Utc>>,
    /// The `since` the answer was restricted to.
    pub since: Option<DateTime<Utc>>,
    /// When the figures were computed (a cached answer keeps its time).
    pub as_of: DateTime<Utc>,
}

/// The validated query an analytics answer is about.
#[derive(Debug, Clone)]
pub(crate) struct Subject {
    /// Normalized query + plan (+ since), for cache keys.
    pub key: String,
    /// The query searched live before the corpus is read (its `q`, `location` and `country` are
    /// the report's).
    pub query: SearchQuery,
    pub corpus: CorpusQuery,
}

/// The matching postings' facts and what they cover.
pub(crate) struct Sample {
    pub facts: Vec<JobFacts>,
    pub coverage: Coverage,
    /// Whether every board asked by the refreshing search answered.
    pub complete: bool,
}

#[derive(Clone)]
pub struct Corpus {
    pub search: Search,
    pub store: Arc<dyn JobStore>,
    pub cache: Arc<dyn Cache>,
    pub clock: Arc<dyn Clock>,
}

/// `since` as an instant: a date means its first instant (UTC).
fn parse_since(raw: Option<&str>) -> Result<Option<DateTime<Utc>>, SearchError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let parsed = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .or_else(|| parse_iso_datetime(raw));
    parsed.map(Some).ok_or_else(|| {
        SearchError::Invalid(FieldError::new("since", "must be an ISO 8601 date (2026-01-31) or date-time"))
    })
}

/// Each job once: a row that another matching row lists among its merged `copies` is that job
/// again (stored before the merge). When two rows list each other, the smaller id stays.
pub fn distinct(rows: Vec<CorpusRow>) -> Vec<JobFacts> {
    let mut listed_by: HashMap<&str, Vec<&str>> = HashMap::new();
    for r in &rows {
        for c in &r.copies {
            listed_by.entry(c.as_str()).or_default().push(r.id.as_str());
        }
    }
    let dropped: std::collections::HashSet<String> = rows
        .iter()
        .filter(|r| {
            listed_by.get(r.id.as_str()).is_some_and(|holders| {
                holders.iter().any(|h| {
                    // Whether this row lists its holder back (two merges of the same job).
                    let mutual = r.copies.iter().any(|c| c == h);
                    !mutual || *h < r.id.as_str()
                })
            })
        })
        .map(|r| r.id.clone())
        .collect();
    rows.into_iter().filter(|r| !dropped.contains(&r.id)).map(|r| r.facts).collect()
}

impl Corpus {
    pub(crate) fn subject(&self, req: &AnalyticsRequest) -> Result<Subject, SearchError> {
        let query = SearchQuery::parse(req.search())?;
        let since = parse_since(req.since.as_deref())?;
        let country = query.country();
        let mut sources = self.search.sources_for(query.plan(), country);
        sources.push(SourceId::Import);
        let corpus = CorpusQuery {
            words: query_words(query.q()),
            place_words: query.location().map(query_words).unwrap_or_default(),
            country: Some(country.iso().to_owned()),
            sources,
            posted_since: since,
        };
        let key = format!("{}:{}", query.key(), since.map(|s| s.timestamp()).unwrap_or_default());
        Ok(Subject { key, query, corpus })
    }

    /// Refreshes the store for the query (a live search through the search cache), then reads
    /// the facts of every matching posting.
    pub(crate) async fn sample(&self, subject: &Subject) -> Result<Sample, AnalyticsError> {
        let outcome = self.search.execute(&subject.query).await;
        let facts = distinct(self.store.corpus(&subject.corpus).await?);
        let dates = facts.iter().filter_map(|f| f.posted_at);
        let coverage = Coverage {
            postings: facts.len(),
            posted_from: dates.clone().min(),
            posted_to: dates.max(),
            since: subject.corpus.posted_since,
            as_of: self.clock.now(),
        };
        Ok(Sample { facts, coverage, complete: complete(&outcome) })
    }

    pub(crate) async fn cached<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        match self.cache.get(key).await {
            Ok(Some(bytes)) => serde_json::from_slice(&bytes).ok(),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "analytics cache unavailable; treating as a miss");
                None
            }
        }
    }

    /// Caches `value` for 6 hours, or one minute when a board failed (so the next ask retries it).
    pub(crate) async fn store<T: Serialize>(&self, key: &str, value: &T, complete: bool) {
        let ttl = if complete { ANALYTICS_TTL } else { PARTIAL_TTL };
        match serde_json::to_vec(value) {
            Ok(bytes) => {
                if let Err(e) = self.cache.set(key, bytes, ttl).await {
                    tracing::warn!(error = %e, "analytics cache unavailable; answer not cached");
                }
            }
            Err(e) => tracing::error!(error = %e, "analytics answer could not be encoded for the cache"),
        }
    }
}

/// Whether every asked board answered (a board without credentials or outside the plan is a
/// standing condition, not a failure).
fn complete(sample: &SearchOutcome) -> bool {
    sample
        .sources
        .iter()
        .all(|s| !matches!(s.status, SourceStatus::Timeout | SourceStatus::Error | SourceStatus::BudgetExhausted))
}

/// Rounds a ratio to two decimals, as in the document's examples.
pub(crate) fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 { 0.0 } else { (part as f64 / whole as f64 * 100.0).round() / 100.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, copies: &[&str], n: usize) -> CorpusRow {
        let facts =
            JobFacts { salary: None, skills: vec![format!("s{n}")], remote: false, seniority: None, posted_at: None };
        CorpusRow { id: id.into(), copies: copies.iter().map(|c| (*c).to_owned()).collect(), facts }
    }

    #[test]
    fn a_job_stored_alone_and_inside_a_merged_job_counts_once() {
        let rows = vec![row("adzuna:1", &["reed:9"], 1), row("reed:9", &[], 2), row("themuse:4", &[], 3)];
        let kept: Vec<String> = distinct(rows).into_iter().map(|f| f.skills[0].clone()).collect();
        assert_eq!(kept, vec!["s1", "s3"]);
        // Two merges stored from searches that ranked the boards differently: one stays.
        let rows = vec![row("adzuna:1", &["reed:9"], 1), row("reed:9", &["adzuna:1"], 2)];
        let kept: Vec<String> = distinct(rows).into_iter().map(|f| f.skills[0].clone()).collect();
        assert_eq!(kept, vec!["s1"]);
    }

    #[test]
    fn a_copy_counts_once_whichever_id_sorts_first() {
        // The holder's id sorts after the copy's: the copy stored alone is still the same job.
        let rows = vec![row("reed:1", &["adzuna:9"], 1), row("adzuna:9", &[], 2), row("themuse:4", &[], 3)];
        let kept: Vec<String> = distinct(rows).into_iter().map(|f| f.skills[0].clone()).collect();
        assert_eq!(kept, vec!["s1", "s3"]);
        // Held by two merges (one listing the other back): one job in all.
        let rows = vec![
            row("reed:1", &["adzuna:9", "themuse:2"], 1),
            row("themuse:2", &["reed:1", "adzuna:9"], 2),
            row("adzuna:9", &[], 3),
        ];
        let kept: Vec<String> = distinct(rows).into_iter().map(|f| f.skills[0].clone()).collect();
        assert_eq!(kept, vec!["s1"]);
    }

    #[test]
    fn since_takes_a_date_or_a_date_time_and_rejects_the_rest() {
        let day = parse_since(Some("2026-01-31")).unwrap().unwrap();
        assert_eq!(day.to_rfc3339(), "2026-01-31T00:00:00+00:00");
        assert!(parse_since(Some("2026-01-31T12:00:00Z")).unwrap().is_some());
        assert!(parse_since(None).unwrap().is_none());
        assert!(parse_since(Some("last week")).is_err());
    }
}
