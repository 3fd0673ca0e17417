//! Scheduled ingestion, the crawl, expiry and saved-search matching (`JOBIN_INGEST_*`, `JOBIN_CRAWL_*`, `JOBIN_EXPIRE_AFTER`,
//! `JOBIN_MATCH_INTERVAL`) and the operator's import file (`JOBIN_IMPORT_FILE`,
//! `JOBIN_IMPORT_CURRENCY`).

use std::path::PathBuf;
use std::time::Duration;

use super::env::{ConfigError, Vars, err};

/// Scheduled ingestion (`JOBIN_INGEST_*`, `JOBIN_EXPIRE_AFTER`).
#[derive(Clone, Debug)]
pub struct IngestSettings {
    /// `None`: no scheduled cycles (jobs are still stored by searches).
    pub every: Option<Duration>,
    /// `(q, country)` watch queries.
    pub watch: Vec<(String, String)>,
    /// A job not seen for this long expires.
    pub expire_after: Duration,
    /// How often a node crawls the whole listings of the boards that publish one; `None`: never.
    pub crawl_every: Option<Duration>,
    /// Listing pages per board and crawl cycle (a longer pass goes on at the next cycle).
    pub crawl_pages: u32,
    /// How often a node checks the pages of stale postings of boards without a whole listing;
    /// `None`: never.
    pub liveness_every: Option<Duration>,
    /// A posting of such a board not seen for this long is checked.
    pub liveness_after: Duration,
    /// How often a node looks for landed postings to match against saved searches (one node at
    /// a time matches); `None`: never (saved searches match nothing).
    pub match_every: Option<Duration>,
    /// How often a node sends the webhook deliveries that are due; `None`: never.
    pub deliver_every: Option<Duration>,
    /// How often a node looks for saved searches' daily digests that are due; `None`: never.
    pub digest_every: Option<Duration>,
}

impl Default for IngestSettings {
    fn default() -> Self {
        Self {
            every: None,
            watch: Vec::new(),
            expire_after: Duration::from_secs(7 * 86_400),
            crawl_every: None,
            crawl_pages: 100,
            liveness_every: None,
            liveness_after: Duration::from_secs(86_400),
            match_every: Some(Duration::from_secs(5)),
            deliver_every: Some(Duration::from_secs(1)),
            digest_every: Some(Duration::from_secs(3_600)),
        }
    }
}

impl IngestSettings {
    pub(super) fn read(v: &Vars) -> Result<Self, ConfigError> {
        Ok(Self {
            every: v.duration("JOBIN_INGEST_INTERVAL", "30m")?,
            watch: match v.var("JOBIN_INGEST_QUERIES") {
                None => Vec::new(),
                Some(list) => list
                    .split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(watch_query)
                    .collect::<Result<_, _>>()?,
            },
            expire_after: v
                .duration("JOBIN_EXPIRE_AFTER", "7d")?
                .ok_or_else(|| err("JOBIN_EXPIRE_AFTER", "cannot be off: jobs must expire eventually"))?,
            crawl_every: v.duration("JOBIN_CRAWL_INTERVAL", "1h")?,
            crawl_pages: v.number("JOBIN_CRAWL_MAX_PAGES", 100, 1, 1_000)? as u32,
            liveness_every: v.duration("JOBIN_LIVENESS_INTERVAL", "1h")?,
            liveness_after: v.duration("JOBIN_LIVENESS_AFTER", "24h")?.ok_or_else(|| {
                err("JOBIN_LIVENESS_AFTER", "cannot be off (set JOBIN_LIVENESS_INTERVAL=off to stop the checks)")
            })?,
            match_every: v.duration("JOBIN_MATCH_INTERVAL", "5s")?,
            deliver_every: v.duration("JOBIN_WEBHOOK_INTERVAL", "1s")?,
            digest_every: v.duration("JOBIN_DIGEST_INTERVAL", "1h")?,
        })
    }
}

/// `q@country` (country `gb` when left out).
fn watch_query(item: &str) -> Result<(String, String), ConfigError> {
    let (q, country) = item.rsplit_once('@').unwrap_or((item, "gb"));
    let (q, country) = (q.trim(), country.trim());
    if q.is_empty() || q.chars().count() > 200 {
        return Err(err("JOBIN_INGEST_QUERIES", format!("`{item}`: the query must be 1–200 characters")));
    }
    let c = jobin_core::domain::Country::parse(country)
        .map_err(|e| err("JOBIN_INGEST_QUERIES", format!("`{item}`: {e}")))?;
    Ok((q.to_owned(), c.code().to_owned()))
}

/// The operator's own postings (CSV or JSONL), searched after the boards on every plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportSettings {
    pub file: PathBuf,
    /// Currency of imported salaries that name none (default: the row's country's).
    pub currency: Option<String>,
}

impl ImportSettings {
    pub(super) fn read(v: &Vars) -> Result<Option<Self>, ConfigError> {
        let currency = match v.var("JOBIN_IMPORT_CURRENCY") {
            None => None,
            Some(c) if c.len() == 3 && c.chars().all(|x| x.is_ascii_alphabetic()) => Some(c.to_ascii_uppercase()),
            Some(c) => return Err(err("JOBIN_IMPORT_CURRENCY", format!("`{c}` is not an ISO 4217 code such as USD"))),
        };
        let Some(file) = v.var("JOBIN_IMPORT_FILE").map(PathBuf::from) else { return Ok(None) };
        if !file.is_file() {
            return Err(err("JOBIN_IMPORT_FILE", format!("`{}` is not a readable file", file.display())));
        }
        Ok(Some(Self { file, currency }))
    }
}
