//! The six job boards over HTTP (reqwest), one module each, with private wire structs mapped into
//! the core's [`Job`]. Shared here: the HTTP call with its budget and error mapping, the feed cache
//! for boards without server-side search, and the local filters for what a board ignores.
//!
//! The request budget: our own per board, so searches never get the operator's key banned. Each
//! board has windows (for example Adzuna 25 per minute and 250 per day, from its terms); a request
//! is made only when every window has room. [`BoardContext::fetch`] spends it for each request
//! that leaves — a board whose listing is kept locally (Remotive, Arbeitnow, The Muse) spends
//! none for a search answered from it, which is why the board's HTTP call, not the search's
//! fan-out, is where it is spent. It is counted in the usage meter, so several nodes sharing Redis
//! share it.
//!
//! Secrets: board keys travel in query strings (Adzuna) or headers; a `reqwest::Error` is always
//! stripped of its URL before it is logged or wrapped, so a key never reaches a log line.

pub mod adzuna;
pub mod arbeitnow;
pub mod file;
pub mod findwork;
pub mod reed;
pub mod remotive;
pub mod themuse;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jobin_core::domain::normalize::matches_keywords;
use jobin_core::domain::{Job, Location, SourceId, WorkplaceType};
use jobin_core::ports::{Clock, SourceError, SourceQuery, UsageMeter};

pub use adzuna::Adzuna;
pub use arbeitnow::Arbeitnow;
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
        self.send(source, req).await
    }

    /// As [`BoardContext::fetch`], for background work (the crawl): only while the board's budget
    /// is less than [`BACKGROUND_SHARE`] spent in each window, so the rest stays for searches.
    pub(crate) async fn fetch_background(
        &self,
        source: SourceId,
        req: reqwest::RequestBuilder,
    ) -> Result<Vec<u8>, SourceError> {
        self.budget.take_share(source, BACKGROUND_SHARE).await?;
        self.send(source, req).await
    }

    async fn send(&self, source: SourceId, req: reqwest::RequestBuilder) -> Result<Vec<u8>, SourceError> {
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

/// At most `limit` requests per `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetWindow {
    pub limit: u32,
    pub window_secs: u32,
}

impl BudgetWindow {
    pub const fn per_minute(limit: u32) -> Self {
        Self { limit, window_secs: 60 }
    }
    pub const fn per_hour(limit: u32) -> Self {
        Self { limit, window_secs: 3_600 }
    }
    pub const fn per_day(limit: u32) -> Self {
        Self { limit, window_secs: 86_400 }
    }
}

/// The default budget of each board, from its published terms where it has them:
/// Adzuna 25/min and 250/day (API terms); Reed 1,000/day (third-party figure; Reed publishes
/// none) and 30/min; Remotive 2/min and 4 fetches a day per its README (the adapter fetches the
/// whole feed once and filters it locally); Findwork 60/min (third-party) and 1,000/day;
/// Arbeitnow 30/min and 1,000/day (none published: "please do not abuse"); The Muse 500/hour
/// (its documented keyless limit).
pub fn default_budget(source: SourceId) -> Vec<BudgetWindow> {
    use BudgetWindow as W;
    match source {
        SourceId::Adzuna => vec![W::per_minute(25), W::per_day(250)],
        SourceId::Reed => vec![W::per_minute(30), W::per_day(1_000)],
        SourceId::Remotive => vec![W::per_minute(2), W::per_day(4)],
        SourceId::Findwork => vec![W::per_minute(60), W::per_day(1_000)],
        SourceId::Arbeitnow => vec![W::per_minute(30), W::per_day(1_000)],
        SourceId::TheMuse => vec![W::per_hour(500)],
        // The operator's own file: no upstream to protect.
        SourceId::Import => vec![],
    }
}

/// The share of each board's request budget background work (the crawl) may spend; the rest is
/// kept for searches.
pub const BACKGROUND_SHARE: f64 = 0.5;

pub struct RequestBudget {
    meter: Arc<dyn UsageMeter>,
    clock: Arc<dyn Clock>,
    windows: HashMap<SourceId, Vec<BudgetWindow>>,
}

impl RequestBudget {
    /// Every board with its default budget, except those in `overrides`.
    pub fn new(
        meter: Arc<dyn UsageMeter>,
        clock: Arc<dyn Clock>,
        overrides: HashMap<SourceId, Vec<BudgetWindow>>,
    ) -> Self {
        let mut windows: HashMap<_, _> = SourceId::ALL.into_iter().map(|s| (s, default_budget(s))).collect();
        windows.extend(overrides);
        Self { meter, clock, windows }
    }

    pub fn windows(&self, source: SourceId) -> &[BudgetWindow] {
        self.windows.get(&source).map_or(&[], Vec::as_slice)
    }

    /// Spends one request of `source`'s budget: `BudgetExhausted` (with the time until the full
    /// window resets) when a window is full; a meter failure is a `Network` error, so the board is
    /// never called blind.
    pub async fn take(&self, source: SourceId) -> Result<(), SourceError> {
        self.take_share(source, 1.0).await
    }

    /// As [`RequestBudget::take`], but refused once `share` (0–1) of any window is spent: the
    /// same counters, a lower ceiling (at least one request a window that allows any).
    pub async fn take_share(&self, source: SourceId, share: f64) -> Result<(), SourceError> {
        let now = self.clock.now();
        for w in self.windows(source) {
            let ceiling = match w.limit {
                0 => 0,
                limit => ((f64::from(limit) * share.clamp(0.0, 1.0)).floor() as u32).max(1),
            };
            let d = self
                .meter
                .hit_window(&bucket(source, w), ceiling, w.window_secs, now)
                .await
                .map_err(|e| SourceError::Network(anyhow::Error::new(e).context("request budget")))?;
            if !d.allowed {
                let wait = Duration::from_secs(d.retry_after_secs(now));
                return Err(SourceError::BudgetExhausted { retry_after: Some(wait) });
            }
        }
        Ok(())
    }

    /// Returns the request [`RequestBudget::take`] spent when it never reached the board (no
    /// connection was made), so an outage on our side does not use up the board's budget.
    pub async fn give_back(&self, source: SourceId) {
        let now = self.clock.now();
        for w in self.windows(source) {
            if let Err(e) = self.meter.undo_hit(&bucket(source, w), w.window_secs, now).await {
                tracing::warn!(%source, error = %e, "could not give back a board request that never left");
            }
        }
    }
}

/// The meter's bucket of one window of a board.
fn bucket(source: SourceId, w: &BudgetWindow) -> String {
    format!("budget:{}:{}", source.as_str(), w.window_secs)
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

#[cfg(test)]
mod budget_tests {
    use super::*;
    use crate::clock::SystemClock;
    use crate::memory::MemoryMeter;

    fn budget(overrides: HashMap<SourceId, Vec<BudgetWindow>>) -> (RequestBudget, Arc<MemoryMeter>) {
        let meter = Arc::new(MemoryMeter::default());
        (RequestBudget::new(meter.clone(), Arc::new(SystemClock), overrides), meter)
    }

    #[tokio::test]
    async fn a_full_window_exhausts_the_budget_and_says_when_it_resets() {
        let (b, _) = budget(HashMap::from([(SourceId::Adzuna, vec![BudgetWindow::per_minute(2)])]));
        b.take(SourceId::Adzuna).await.unwrap();
        b.take(SourceId::Adzuna).await.unwrap();
        let err = b.take(SourceId::Adzuna).await.unwrap_err();
        assert!(
            matches!(err, SourceError::BudgetExhausted { retry_after: Some(d) } if d > Duration::ZERO && d <= Duration::from_secs(60)),
            "{err:?}"
        );
        b.take(SourceId::Reed).await.expect("each board has its own budget");
    }

    #[tokio::test]
    async fn every_window_must_have_room_and_a_request_that_never_left_is_given_back() {
        let windows = vec![BudgetWindow::per_minute(5), BudgetWindow::per_day(1)];
        let (b, _) = budget(HashMap::from([(SourceId::Remotive, windows)]));
        b.take(SourceId::Remotive).await.unwrap();
        assert!(b.take(SourceId::Remotive).await.is_err(), "the day's window is full though the minute's is not");
        b.give_back(SourceId::Remotive).await;
        b.take(SourceId::Remotive).await.expect("given back in every window");
    }

    #[test]
    fn every_board_has_a_budget_from_its_terms_and_the_import_none() {
        for s in SourceId::ALL {
            assert_eq!(default_budget(s).is_empty(), s == SourceId::Import, "{s}");
        }
        assert_eq!(default_budget(SourceId::Adzuna), [BudgetWindow::per_minute(25), BudgetWindow::per_day(250)]);
    }
}
