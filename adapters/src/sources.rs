//! The six job boards over HTTP (reqwest), one module each, with private wire structs mapped into
//! the core's [`Job`]. Shared here: the HTTP call with budget and error mapping, the feed cache for
//! boards without server-side search, and the local filters for what a board ignores.
//!
//! Secrets: board keys travel in query strings (Adzuna) or headers; a `reqwest::Error` is always
//! stripped of its URL before it is logged or wrapped, so a key never reaches a log line.

pub mod adzuna;
pub mod arbeitnow;
pub mod budget;
pub mod file;
pub mod findwork;
pub mod reed;
pub mod remotive;
pub mod themuse;

use std::sync::Arc;
use std::time::{Duration, Instant};

use jobin_core::domain::normalize::matches_keywords;
use jobin_core::domain::{Job, Location, SourceId, WorkplaceType};
use jobin_core::ports::{SourceError, SourceQuery};

pub use adzuna::Adzuna;
pub use arbeitnow::Arbeitnow;
pub use budget::{BudgetWindow, RequestBudget, default_budget};
pub use file::{ImportFile, StoredImport};
pub use findwork::Findwork;
pub use reed::Reed;
pub use remotive::Remotive;
pub use themuse::TheMuse;

/// What every board adapter needs: where the board is, how long to wait, and the budget.
#[derive(Clone)]
pub struct BoardContext {
    /// The board's API root, without the documented path (e.g. `https://api.adzuna.com/v1/api`).
    pub base_url: String,
    pub client: reqwest::Client,
    pub budget: Arc<RequestBudget>,
}

impl BoardContext {
    pub fn new(base_url: &str, client: reqwest::Client, budget: Arc<RequestBudget>) -> Self {
        Self { base_url: base_url.trim_end_matches('/').to_owned(), client, budget }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// Spends one request of the board's budget, sends the request and returns the body of a
    /// 2xx answer; every other outcome is the matching [`SourceError`].
    pub(crate) async fn fetch(&self, source: SourceId, req: reqwest::RequestBuilder) -> Result<Vec<u8>, SourceError> {
        self.budget.take(source).await?;
        let resp = match req.send().await {
            Ok(resp) => resp,
            Err(e) => {
                // No connection: the board never saw the request, so it costs none of its budget.
                if e.is_connect() {
                    self.budget.give_back(source).await;
                }
                return Err(transport_error(e));
            }
        };
        let status = resp.status().as_u16();
        match status {
            200..=299 => {}
            401 | 403 => return Err(SourceError::Unauthorized { status }),
            429 => return Err(SourceError::RateLimited { retry_after: retry_after(resp.headers()) }),
            _ => return Err(SourceError::Upstream { status }),
        }
        let body = resp.bytes().await.map_err(transport_error)?;
        Ok(body.to_vec())
    }
}

/// A reqwest failure as a port error, with the URL (which may hold a key) removed.
pub(crate) fn transport_error(e: reqwest::Error) -> SourceError {
    if e.is_timeout() {
        SourceError::Timeout
    } else if e.is_decode() || e.is_body() {
        SourceError::InvalidResponse(e.without_url().to_string())
    } else if unresolved(&e) {
        SourceError::Unresolved(anyhow::Error::new(e.without_url()))
    } else {
        SourceError::Network(anyhow::Error::new(e.without_url()))
    }
}

/// Whether a connection failed at name resolution: the connector reports it as a `dns error`
/// (the system resolver's `failed to lookup address …` beneath it).
fn unresolved(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(err) = next {
        let shown = err.to_string();
        if shown.starts_with("dns error") || shown.contains("failed to lookup address") {
            return true;
        }
        next = err.source();
    }
    false
}

/// `Retry-After` in seconds (the HTTP-date form is not used by these boards).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Parses a JSON body into a wire struct; a body that does not fit is `InvalidResponse` with the
/// parser's message (no body content, which could be large).
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, SourceError> {
    serde_json::from_slice(body).map_err(|e| SourceError::InvalidResponse(format!("not the expected JSON: {e}")))
}

/// A reqwest client for the boards: per-request timeout, a product User-Agent.
pub fn board_client(timeout: Duration) -> Result<reqwest::Client, anyhow::Error> {
    Ok(reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .user_agent(concat!("JobIn/", env!("CARGO_PKG_VERSION"), " (+https://github.com/jobin)"))
        .build()?)
}

/// The whole listing of a board that has no server-side search, kept for a while and filtered
/// locally for each query, so a query costs no request within the TTL (Remotive asks for at
/// most four fetches a day). One fetch at a time: concurrent callers wait for it.
pub(crate) struct Feed {
    ttl: Duration,
    state: tokio::sync::Mutex<Option<(Instant, Arc<Vec<Job>>)>>,
}

impl Feed {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self { ttl, state: tokio::sync::Mutex::new(None) }
    }

    pub(crate) async fn get<F, Fut>(&self, fetch: F) -> Result<Arc<Vec<Job>>, SourceError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Vec<Job>, SourceError>>,
    {
        let mut state = self.state.lock().await;
        if let Some((at, jobs)) = state.as_ref()
            && at.elapsed() < self.ttl
        {
            return Ok(jobs.clone());
        }
        match fetch().await {
            Ok(jobs) => {
                let jobs = Arc::new(jobs);
                *state = Some((Instant::now(), jobs.clone()));
                Ok(jobs)
            }
            // A stale listing is better than none when the board is down or the budget is spent.
            Err(e) => match state.as_ref() {
                Some((_, jobs)) => {
                    tracing::warn!(error = %e, "board refresh failed; serving the previous listing");
                    Ok(jobs.clone())
                }
                None => Err(e),
            },
        }
    }
}

/// Local filtering for boards that ignore the keyword or the location: every keyword must occur
/// in the title, company, skills, categories or description; a location must occur in the job's city, region
/// or country.
pub(crate) fn filter_locally(jobs: &[Job], query: &SourceQuery, keep: impl Fn(&Job) -> bool) -> Vec<Job> {
    jobs.iter()
        .filter(|j| {
            let skills = j.skills.join(" ");
            let categories = j.details.categories.join(" ");
            matches_keywords(&query.q, &[&j.title, &j.company, &skills, &categories, &j.description])
        })
        .filter(|j| match &query.location {
            None => true,
            Some(loc) => matches_keywords(loc, &[&j.location.city, &j.location.region, &j.location.country]),
        })
        .filter(|j| keep(j))
        .take(query.limit)
        .cloned()
        .collect()
}

/// Whether a posting's text marks it as remote.
pub(crate) fn says_remote(texts: &[&str]) -> bool {
    texts.iter().any(|t| {
        let f = jobin_core::domain::normalize::fold(t);
        f.split(' ').any(|w| w == "remote" || w == "homeoffice" || w == "telecommute")
    })
}

/// Where the work is done, as a posting's short texts (title, place, board tags) state it: hybrid
/// when one says so, else remote when `remote`, else on-site when one says so; `None` otherwise
/// (a board's `remote: false` does not say on-site).
pub(crate) fn workplace(remote: bool, texts: &[&str]) -> Option<WorkplaceType> {
    // Folded once, padded so that phrases match whole words only.
    let folded: Vec<String> = texts.iter().map(|t| format!(" {} ", jobin_core::domain::normalize::fold(t))).collect();
    let says = |phrases: &[&str]| folded.iter().any(|f| phrases.iter().any(|p| f.contains(&format!(" {p} "))));
    if says(&["hybrid", "hybride", "hybrides", "hybrid remote", "teilweise remote"]) {
        Some(WorkplaceType::Hybrid)
    } else if remote {
        Some(WorkplaceType::Remote)
    } else if says(&["onsite", "on site", "in office", "office based", "vor ort", "sur site"]) {
        Some(WorkplaceType::Onsite)
    } else {
        None
    }
}

/// `Some(true)` when a board's tags say the employer sponsors visas; `None` otherwise (no tag is
/// not a "no").
pub(crate) fn visa_from_tags<'a>(tags: impl IntoIterator<Item = &'a str>) -> Option<bool> {
    tags.into_iter()
        .map(jobin_core::domain::normalize::fold)
        .any(|t| t.contains("visa sponsor") || t == "visa" || t.contains("visum"))
        .then_some(true)
}

/// The posting's one place as a list: empty when it names none.
pub(crate) fn places(location: &Location) -> Vec<Location> {
    let named = [&location.city, &location.region, &location.country].iter().any(|f| !f.trim().is_empty());
    if named { vec![location.clone()] } else { vec![] }
}

#[cfg(test)]
mod detail_tests {
    use super::*;

    #[test]
    fn workplace_is_what_the_texts_state_and_nothing_more() {
        assert_eq!(workplace(false, &["Data Engineer (Hybrid)", "London"]), Some(WorkplaceType::Hybrid));
        assert_eq!(workplace(true, &["Hybrides Arbeiten", ""]), Some(WorkplaceType::Hybrid));
        assert_eq!(workplace(true, &["Backend Engineer", "Worldwide"]), Some(WorkplaceType::Remote));
        assert_eq!(workplace(false, &["Nurse - on-site", "Leeds"]), Some(WorkplaceType::Onsite));
        assert_eq!(workplace(false, &["Backend Engineer", "Berlin"]), None, "remote: false is not on-site");
    }

    #[test]
    fn visa_sponsorship_only_from_a_tag_that_says_so() {
        assert_eq!(visa_from_tags(["Visa Sponsorship", "IT"]), Some(true));
        assert_eq!(visa_from_tags(["visa"]), Some(true));
        assert_eq!(visa_from_tags(["IT", "English"]), None);
        assert_eq!(visa_from_tags([]), None);
    }
}
