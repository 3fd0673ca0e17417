//! The operator's own postings from a CSV or JSONL dump (`JOBIN_IMPORT_FILE`), loaded into the
//! job store at start-up (source `import`, upsert by id; rows that left the file expire), so they
//! appear in search (`StoredImport`), the feed and analytics alike. Ids are `import:<id>` (the
//! `id` column) or `import:row-<n>` (1-based data row), stable while the file does not change. A
//! bad row is reported with its line number and skipped; the rest load.
//!
//! Columns (a header row for CSV, keys for JSONL; unknown ones are ignored, every one optional
//! but a title):
//!
//! | field | accepted names |
//! |---|---|
//! | id | `id`, `job_id` |
//! | title | `title`, `job_title` |
//! | company | `company`, `company_name` |
//! | city / region | `city`, `region`, or `location` / `job_location` as "City, Region" |
//! | country | `country`, `job_country` (ISO code or name) |
//! | salary | `salary_min`, `salary_max`, or `salary_year_avg` / `salary_hour_avg` with `salary_rate` |
//! | currency, period | `currency`, `period` / `salary_rate` (hour, day, week, month, year) |
//! | skills | `skills`, `job_skills` (a list, or text like `['sql', 'python']` or `a, b`) |
//! | remote | `remote`, `job_work_from_home` (true/false) |
//! | url | `url`, `job_url` |
//! | posted | `posted_at`, `job_posted_date` (ISO 8601; no zone = UTC) |
//!
//! A salary without a currency gets `default_currency` when configured, else the country's.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::path::Path;
use std::sync::Arc;

use jobin_core::domain::normalize::{
    clean_skills, clean_text, fold, parse_iso_datetime, query_words, seniority_from_title,
};
use jobin_core::domain::{
    Country, EmploymentType, Job, JobDetails, Location, PayPeriod, Salary, SourceId, WorkplaceType, html,
};
use jobin_core::ports::{CorpusQuery, JobSource, JobStore, JobStoreError, SourceError, SourceQuery};

/// The postings of a dump, parsed.
pub struct ImportFile {
    jobs: Vec<Job>,
}

/// One data row: its fields, or why it could not be read.
type RawRow = Result<Map<String, Value>, String>;

/// Bad rows reported one by one (the rest are counted).
const REPORTED_ERRORS: usize = 20;

/// What loading a dump found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadReport {
    pub rows: usize,
    pub loaded: usize,
    /// Rows skipped (no title, or unreadable).
    pub skipped: usize,
    /// The first 20 of them: `line N: reason` (N counts the file's lines from 1, header included).
    pub first_errors: Vec<String>,
}

impl ImportFile {
    /// Reads `path` (`.jsonl`/`.ndjson` as JSON lines, anything else as CSV with a header row).
    pub fn load(path: &Path, default_currency: Option<&str>) -> anyhow::Result<(Self, LoadReport)> {
        let is_jsonl = path.extension().is_some_and(|e| e == "jsonl" || e == "ndjson");
        // (line, row) per data row.
        let rows: Vec<(u64, RawRow)> = if is_jsonl {
            let text = std::fs::read_to_string(path)?;
            text.lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .map(|(i, l)| {
                    let row = match serde_json::from_str::<Value>(l) {
                        Ok(Value::Object(m)) => Ok(m),
                        Ok(_) => Err("not a JSON object".to_owned()),
                        Err(e) => Err(e.to_string()),
                    };
                    (i as u64 + 1, row)
                })
                .collect()
        } else {
            let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(path)?;
            let headers: Vec<String> = reader.headers()?.iter().map(|h| h.trim().to_lowercase()).collect();
            let mut rows = Vec::new();
            let mut record = csv::StringRecord::new();
            let mut last_line = 1;
            loop {
                match reader.read_record(&mut record) {
                    Ok(false) => break,
                    Ok(true) => {
                        last_line = record.position().map_or(last_line + 1, csv::Position::line);
                        let row = headers
                            .iter()
                            .zip(record.iter())
                            .map(|(h, v)| (h.clone(), Value::String(v.to_owned())))
                            .collect();
                        rows.push((last_line, Ok(row)));
                    }
                    Err(e) => {
                        last_line = e.position().map_or(last_line + 1, csv::Position::line);
                        rows.push((last_line, Err(e.to_string())));
                        if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. } | csv::ErrorKind::UnequalLengths { .. }) {
                            break;
                        }
                    }
                }
            }
            rows
        };
        let mut report = LoadReport { rows: rows.len(), loaded: 0, skipped: 0, first_errors: vec![] };
        let mut jobs = Vec::with_capacity(rows.len());
        for (i, (line, row)) in rows.into_iter().enumerate() {
            match row.and_then(|m| to_job(&m, i + 1, default_currency)) {
                Ok(job) => jobs.push(job),
                Err(e) => {
                    report.skipped += 1;
                    if report.first_errors.len() < REPORTED_ERRORS {
                        report.first_errors.push(format!("line {line}: {e}"));
                    }
                }
            }
        }
        report.loaded = jobs.len();
        Ok((Self { jobs }, report))
    }

    pub fn jobs(&self) -> &[Job] {
        &self.jobs
    }

    /// Writes the postings into `store` as seen at `now`, `chunk` at a time (calling `progress`
    /// with the count written so far), then expires the imported postings the file no longer
    /// lists. Returns how many expired.
    pub async fn store_into(
        &self,
        store: &dyn JobStore,
        now: DateTime<Utc>,
        chunk: usize,
        mut progress: impl FnMut(usize),
    ) -> Result<u64, JobStoreError> {
        let mut done = 0;
        for part in self.jobs.chunks(chunk.max(1)) {
            store.upsert(part, now).await?;
            done += part.len();
            progress(done);
        }
        store.expire_source_unseen(SourceId::Import, now, now).await
    }
}

fn text(m: &Map<String, Value>, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| match m.get(*n) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(Value::Number(x)) => Some(x.to_string()),
        Some(Value::Bool(b)) => Some(b.to_string()),
        _ => None,
    })
}

fn number(m: &Map<String, Value>, names: &[&str]) -> Option<f64> {
    names.iter().find_map(|n| match m.get(*n) {
        Some(Value::Number(x)) => x.as_f64(),
        Some(Value::String(s)) => s.trim().replace(',', "").parse::<f64>().ok(),
        _ => None,
    })
}

fn skills(m: &Map<String, Value>) -> Vec<String> {
    match m.get("skills").or_else(|| m.get("job_skills")) {
        Some(Value::Array(items)) => clean_skills(items.iter().filter_map(Value::as_str)),
        Some(Value::String(s)) => {
            let inner = s.trim().trim_start_matches('[').trim_end_matches(']');
            clean_skills(inner.split(',').map(|t| t.trim().trim_matches(|c| c == '\'' || c == '"')))
        }
        _ => vec![],
    }
}

/// The country a country column names: an ISO code, or exactly one of the country's names
/// ("United States", "UK", "Deutschland"). A name that only contains one ("U.S. Virgin Islands")
/// is another country.
fn country_of(raw: &str) -> Option<Country> {
    if raw.trim().len() == 2 {
        return Country::parse(raw).ok();
    }
    let folded = fold(raw);
    let folded = folded.strip_suffix(" of america").unwrap_or(&folded);
    Country::ALL.into_iter().find(|c| c.names().iter().any(|n| fold(n) == folded))
}

fn to_job(m: &Map<String, Value>, row: usize, default_currency: Option<&str>) -> Result<Job, String> {
    let title = clean_text(&text(m, &["title", "job_title"]).ok_or("no title")?);
    let native = text(m, &["id", "job_id"]).unwrap_or_else(|| format!("row-{row}"));
    let place = text(m, &["location", "job_location"]).unwrap_or_default();
    let mut parts = place.split(',').map(str::trim);
    let city = text(m, &["city"]).unwrap_or_else(|| parts.next().unwrap_or_default().to_owned());
    let region = text(m, &["region"]).unwrap_or_else(|| parts.next().unwrap_or_default().to_owned());
    let country = text(m, &["country", "job_country"]).as_deref().and_then(country_of);
    let remote = text(m, &["remote", "job_work_from_home"])
        .is_some_and(|v| matches!(v.to_lowercase().as_str(), "true" | "1" | "yes"));
    let rate = text(m, &["period", "salary_rate"]).and_then(|p| PayPeriod::parse(&p.to_lowercase()));
    let (min, max, period) = match (number(m, &["salary_min"]), number(m, &["salary_max"])) {
        (None, None) => match rate {
            Some(PayPeriod::Hour) => (number(m, &["salary_hour_avg"]), None, PayPeriod::Hour),
            _ => (number(m, &["salary_year_avg"]), None, rate.unwrap_or(PayPeriod::Year)),
        },
        (a, b) => (a, b, rate.unwrap_or(PayPeriod::Year)),
    };
    let currency = text(m, &["currency"])
        .map(|c| c.to_uppercase())
        .or_else(|| default_currency.map(str::to_owned))
        .or_else(|| country.map(|c| c.currency().to_owned()));
    let salary = currency.and_then(|c| Salary::from_bounds(min, max, &c, period));
    let location = Location { city, country: country.map(|c| c.iso().to_owned()).unwrap_or_default(), region };
    let details = JobDetails {
        apply_url: text(m, &["apply_url", "job_apply_link"]).filter(|u| u.starts_with("http")),
        // `Full-time`, or several joined (`Full-time and Part-time`): the first that reads as one.
        employment_type: text(m, &["employment_type", "job_schedule_type"])
            .and_then(|t| t.split([',', '/']).flat_map(|p| p.split(" and ")).find_map(EmploymentType::from_board)),
        workplace_type: remote.then_some(WorkplaceType::Remote),
        locations: super::places(&location),
        ..JobDetails::default()
    };
    Ok(Job {
        id: Job::make_id(SourceId::Import, &native),
        source: SourceId::Import,
        seniority: seniority_from_title(&title),
        company: clean_text(&text(m, &["company", "company_name"]).unwrap_or_default()),
        location,
        salary,
        skills: skills(m),
        remote,
        url: text(m, &["url", "job_url"]).unwrap_or_default(),
        posted_at: text(m, &["posted_at", "job_posted_date"]).as_deref().and_then(parse_iso_datetime),
        valid_through: None,
        fetched_at: Utc::now(),
        description: text(m, &["description", "job_description"]).map(|d| html::to_text(&d)).unwrap_or_default(),
        copies: vec![],
        details,
        title,
        provenance: None,
    })
}

/// The imported postings as a search source: read from the job store with the corpus matching
/// (word prefixes of `q` in title, company and skills; of `location` in the place), postings
/// located in the searched country, newest first.
pub struct StoredImport {
    store: Arc<dyn JobStore>,
}

impl StoredImport {
    pub fn new(store: Arc<dyn JobStore>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl JobSource for StoredImport {
    fn id(&self) -> SourceId {
        SourceId::Import
    }

    async fn search(&self, query: &SourceQuery) -> Result<Vec<Job>, SourceError> {
        let q = CorpusQuery {
            words: query_words(&query.q),
            place_words: query.location.as_deref().map(query_words).unwrap_or_default(),
            country: Some(query.country.iso().to_owned()),
            sources: vec![SourceId::Import],
            posted_since: None,
        };
        self.store.find(&q, query.limit).await.map_err(|e| SourceError::Network(anyhow::Error::new(e)))
    }
}

/// Postings written per store transaction.
const IMPORT_CHUNK: usize = 1_000;
/// A progress line every this many postings.
const IMPORT_PROGRESS_EVERY: usize = 10_000;

/// Reads `path` and stores its postings; returns what loading found.
pub async fn import_file(
    store: &dyn JobStore,
    path: std::path::PathBuf,
    currency: Option<String>,
) -> anyhow::Result<LoadReport> {
    use anyhow::Context;
    let shown = path.display().to_string();
    let (file, report) = tokio::task::spawn_blocking(move || ImportFile::load(&path, currency.as_deref()))
        .await
        .context("the import reader stopped")?
        .with_context(|| format!("reading JOBIN_IMPORT_FILE {shown}"))?;
    for e in &report.first_errors {
        tracing::warn!(file = %shown, "import row skipped: {e}");
    }
    if report.skipped > report.first_errors.len() {
        tracing::warn!(file = %shown, more = report.skipped - report.first_errors.len(), "more import rows skipped");
    }
    tracing::info!(file = %shown, rows = report.rows, loadable = report.loaded, skipped = report.skipped, "importing postings");
    let total = report.loaded;
    let mut next = IMPORT_PROGRESS_EVERY;
    let expired = file
        .store_into(store, chrono::Utc::now(), IMPORT_CHUNK, |done| {
            if done >= next || done == total {
                tracing::info!(file = %shown, done, total, "import progress");
                next = done + IMPORT_PROGRESS_EVERY;
            }
        })
        .await
        .context("writing imported postings to the job store")?;
    tracing::info!(file = %shown, stored = total, expired, "import done");
    Ok(report)
}
