//! Job search: cache → route → parallel fan-out with a timeout per board → dedup and
//! merge → job store → cache. A failing board becomes a status entry, never a failed call.
//!
//! Cache: key = normalized query + plan; a complete answer (every asked board `ok`) lives for the
//! configured TTL (15 minutes by default), a partial one for one minute so a board that was down
//! is asked again soon. Identical concurrent misses share one fan-out (single flight).

use futures::future::{BoxFuture, Either, FutureExt, Shared, select};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod query;

pub use query::{MAX_QUERY_CHARS, SearchError, SearchQuery, SearchRequest};

use crate::domain::{Country, Job, Plan, PlanCatalog, Skip, SourceId, merge, route};
use crate::ports::{Cache, Clock, FailureCause, JobSource, JobStore, SourceError, SourceQuery, Timer};

/// How long a partial answer (some board not `ok`) stays cached.
pub const PARTIAL_TTL: Duration = Duration::from_secs(60);

/// How one board fared in this search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceStatus {
    Ok,
    /// Served from the search cache (the board was `ok` when the answer was computed).
    Cached,
    Timeout,
    Error,
    Unconfigured,
    NotInPlan,
    BudgetExhausted,
    /// The board has no postings for the search's country: not asked, whatever the plan.
    NotInCountry,
}

impl SourceStatus {
    /// Every status.
    pub const ALL: [SourceStatus; 8] = [
        SourceStatus::Ok,
        SourceStatus::Cached,
        SourceStatus::Timeout,
        SourceStatus::Error,
        SourceStatus::Unconfigured,
        SourceStatus::NotInPlan,
        SourceStatus::BudgetExhausted,
        SourceStatus::NotInCountry,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            SourceStatus::Ok => "ok",
            SourceStatus::Cached => "cached",
            SourceStatus::Timeout => "timeout",
            SourceStatus::Error => "error",
            SourceStatus::Unconfigured => "unconfigured",
            SourceStatus::NotInPlan => "not_in_plan",
            SourceStatus::BudgetExhausted => "budget_exhausted",
            SourceStatus::NotInCountry => "not_in_country",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceReport {
    pub source: SourceId,
    pub status: SourceStatus,
    /// Listings this board returned for the search (before dedup).
    pub count: usize,
    /// How long the board took; 0 when it was not asked or the answer came from the cache.
    pub latency_ms: u64,
    /// Why it failed (`timeout` and `error` only).
    #[serde(default)]
    pub cause: Option<FailureCause>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchOutcome {
    /// Merged jobs, highest-priority board first, newest first within a board.
    pub jobs: Vec<Job>,
    /// Every board, asked ones first in priority order, then the others in the document's order.
    pub sources: Vec<SourceReport>,
    /// Whether the answer came from the cache.
    #[serde(skip)]
    pub cache_hit: bool,
    /// When the cached copy of this answer expires (`None` for an entry written before this was
    /// recorded): a copy kept elsewhere (an encoded body, say) must not outlive it.
    #[serde(default)]
    pub cached_until: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone)]
pub struct SearchConfig {
    /// Each board's time limit; the whole search takes at most about this long.
    pub source_timeout: Duration,
    /// The most listings asked of each board.
    pub per_source_limit: usize,
    /// How long a complete answer stays cached.
    pub cache_ttl: Duration,
}

impl Default for SearchConfig {
    fn default() -> Self {
        Self { source_timeout: Duration::from_secs(8), per_source_limit: 50, cache_ttl: Duration::from_secs(15 * 60) }
    }
}

type Flight = Shared<BoxFuture<'static, Arc<SearchOutcome>>>;

struct Inner {
    sources: HashMap<SourceId, Arc<dyn JobSource>>,
    catalog: Arc<PlanCatalog>,
    cache: Arc<dyn Cache>,
    store: Arc<dyn JobStore>,
    clock: Arc<dyn Clock>,
    timer: Arc<dyn Timer>,
    config: SearchConfig,
    flights: Mutex<HashMap<String, Flight>>,
}

#[derive(Clone)]
pub struct Search {
    inner: Arc<Inner>,
}

/// The ports a search needs.
pub struct SearchPorts {
    /// The boards that are wired; a board missing here reports `unconfigured`.
    pub sources: Vec<Arc<dyn JobSource>>,
    pub catalog: Arc<PlanCatalog>,
    pub cache: Arc<dyn Cache>,
    pub store: Arc<dyn JobStore>,
    pub clock: Arc<dyn Clock>,
    pub timer: Arc<dyn Timer>,
}

impl Search {
    pub fn new(ports: SearchPorts, config: SearchConfig) -> Self {
        let sources = ports.sources.into_iter().map(|s| (s.id(), s)).collect();
        Self {
            inner: Arc::new(Inner {
                sources,
                catalog: ports.catalog,
                cache: ports.cache,
                store: ports.store,
                clock: ports.clock,
                timer: ports.timer,
                config,
                flights: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The answer to `query`: the cached one, or the boards' (joining a fan-out in flight).
    pub async fn execute(&self, query: &SearchQuery) -> SearchOutcome {
        let key = cache_key(query);
        if let Some(hit) = self.cached(&key).await {
            return hit;
        }
        self.fly(query.clone(), key).await
    }

    /// Runs the fan-out for `key`, or joins the one in flight (single flight).
    async fn fly(&self, query: SearchQuery, key: String) -> SearchOutcome {
        let flight = {
            let mut flights = self.inner.flights.lock().unwrap_or_else(|p| p.into_inner());
            match flights.get(&key) {
                Some(f) => f.clone(),
                None => {
                    let f = fan_out(self.inner.clone(), query, key.clone()).boxed().shared();
                    flights.insert(key, f.clone());
                    f
                }
            }
        };
        (*flight.await).clone()
    }

    /// Asks the boards even when the answer is cached (ingestion keeps the job store fresh this
    /// way); the fresh answer replaces the cached one. Joins a search already in flight.
    pub async fn refresh(&self, query: &SearchQuery) -> SearchOutcome {
        self.fly(query.clone(), cache_key(query)).await
    }

    /// The plans' terms searches follow.
    pub fn catalog(&self) -> &PlanCatalog {
        &self.inner.catalog
    }

    /// The boards `plan` asks for `country`, in priority order (the sources its figures cover).
    pub fn sources_for(&self, plan: Plan, country: Country) -> Vec<SourceId> {
        route(self.inner.catalog.terms(plan).data_sources, country, false).ask
    }

    async fn cached(&self, key: &str) -> Option<SearchOutcome> {
        let bytes = match self.inner.cache.get(key).await {
            Ok(b) => b?,
            Err(e) => {
                tracing::warn!(error = %e, "search cache unavailable; treating as a miss");
                return None;
            }
        };
        let mut hit: SearchOutcome = serde_json::from_slice(&bytes).ok()?;
        hit.cache_hit = true;
        for s in &mut hit.sources {
            if s.status == SourceStatus::Ok {
                s.status = SourceStatus::Cached;
            }
            s.latency_ms = 0;
        }
        Some(hit)
    }
}

/// The search cache's key: the query's, under the data version (a format change never reads old
/// entries).
fn cache_key(q: &SearchQuery) -> String {
    format!("search:v1:{}", q.key())
}

fn status_of(e: &SourceError) -> SourceStatus {
    match e {
        SourceError::Unconfigured => SourceStatus::Unconfigured,
        SourceError::BudgetExhausted { .. } => SourceStatus::BudgetExhausted,
        SourceError::Timeout => SourceStatus::Timeout,
        SourceError::Unauthorized { .. }
        | SourceError::RateLimited { .. }
        | SourceError::Upstream { .. }
        | SourceError::InvalidResponse(_)
        | SourceError::Unresolved(_)
        | SourceError::Network(_) => SourceStatus::Error,
    }
}

async fn fan_out(inner: Arc<Inner>, query: SearchQuery, key: String) -> Arc<SearchOutcome> {
    let terms = inner.catalog.terms(query.plan());
    let mut route = route(terms.data_sources, query.country(), query.remote());
    // The operator's imported postings are asked on every plan, after the boards.
    if inner.sources.contains_key(&SourceId::Import) {
        route.ask.push(SourceId::Import);
    }
    let source_query = SourceQuery {
        q: query.q().to_owned(),
        location: query.location().map(str::to_owned),
        country: query.country(),
        limit: inner.config.per_source_limit,
    };
    let asks = route.ask.iter().map(|id| {
        let source = inner.sources.get(id).cloned();
        let sleep = inner.timer.sleep(inner.config.source_timeout);
        let q = source_query.clone();
        let id = *id;
        async move {
            let Some(source) = source else {
                return (id, Err(SourceError::Unconfigured), 0);
            };
            let started = Instant::now();
            let search = async move { source.search(&q).await }.boxed();
            let result = match select(search, sleep).await {
                Either::Left((r, _)) => r,
                Either::Right(((), _)) => Err(SourceError::Timeout),
            };
            (id, result, started.elapsed().as_millis() as u64)
        }
    });
    let answers = futures::future::join_all(asks).await;

    let now = inner.clock.now();
    let mut reports = Vec::new();
    let mut all = Vec::new();
    for (id, result, latency_ms) in answers {
        match result {
            Ok(mut jobs) => {
                jobs.truncate(inner.config.per_source_limit);
                reports.push(SourceReport {
                    source: id,
                    status: SourceStatus::Ok,
                    count: jobs.len(),
                    latency_ms,
                    cause: None,
                });
                for mut job in jobs {
                    job.fetched_at = now;
                    all.push(job);
                }
            }
            Err(e) => {
                let status = status_of(&e);
                let cause = e.cause();
                match cause {
                    // Not configured or out of budget: said once at start and in the answer.
                    None => tracing::debug!(source = %id, status = status.as_str(), "job board not asked"),
                    Some(class) => {
                        let mut chain = e.to_string();
                        let mut next = std::error::Error::source(&e);
                        while let Some(inner) = next {
                            chain = format!("{chain}: {inner}");
                            next = inner.source();
                        }
                        tracing::warn!(
                            source = %id, error = %chain, status = status.as_str(), cause = class.as_str(),
                            "job board did not answer"
                        );
                    }
                }
                reports.push(SourceReport { source: id, status, count: 0, latency_ms, cause });
            }
        }
    }
    for (id, skip) in &route.skipped {
        let status = match skip {
            Skip::NotInPlan => SourceStatus::NotInPlan,
            Skip::NotCovered => SourceStatus::NotInCountry,
        };
        reports.push(SourceReport { source: *id, status, count: 0, latency_ms: 0, cause: None });
    }
    let jobs = merge(all, |s| route.rank(s));
    if let Err(e) = inner.store.upsert(&jobs, now).await {
        tracing::warn!(error = %e, "job store upsert failed; search answers anyway");
    }
    let complete = reports.iter().filter(|r| route.ask.contains(&r.source)).all(|r| r.status == SourceStatus::Ok);
    let ttl = if complete { inner.config.cache_ttl } else { PARTIAL_TTL.min(inner.config.cache_ttl) };
    let cached_until = chrono::Duration::from_std(ttl).ok().and_then(|d| now.checked_add_signed(d));
    let outcome = Arc::new(SearchOutcome { jobs, sources: reports, cache_hit: false, cached_until });
    match serde_json::to_vec(&*outcome) {
        Ok(bytes) => {
            if let Err(e) = inner.cache.set(&key, bytes, ttl).await {
                tracing::warn!(error = %e, "search cache unavailable; answer not cached");
            }
        }
        Err(e) => tracing::error!(error = %e, "search outcome could not be encoded for the cache"),
    }
    inner.flights.lock().unwrap_or_else(|p| p.into_inner()).remove(&key);
    outcome
}

#[cfg(test)]
mod tests {
    //! On paused time (`start_paused`): boards' delays and the per-board timeout advance a virtual
    //! clock, so timing outcomes are exact and the suite never waits.
    use super::*;
    use crate::ports::UpsertReport;
    use crate::ports::job_source::MockJobSource;
    use crate::ports::job_store::MockJobStore;
    use crate::testing::{FixedClock, MapCache, TokioTimer};
    use async_trait::async_trait;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A job store (mockall) that counts the jobs upserted into it.
    fn counting_store() -> (MockJobStore, Arc<AtomicUsize>) {
        let upserted = Arc::new(AtomicUsize::new(0));
        let count = upserted.clone();
        let mut store = MockJobStore::new();
        store.expect_upsert().returning(move |jobs, _| {
            count.fetch_add(jobs.len(), Ordering::SeqCst);
            Ok(UpsertReport { inserted: jobs.len(), ..Default::default() })
        });
        (store, upserted)
    }

    /// A board that answers `jobs` after `delay`, or fails.
    struct Board {
        id: SourceId,
        delay: Duration,
        answer: fn(SourceId) -> Result<Vec<Job>, SourceError>,
        calls: AtomicUsize,
    }
    #[async_trait]
    impl JobSource for Board {
        fn id(&self) -> SourceId {
            self.id
        }
        async fn search(&self, _q: &SourceQuery) -> Result<Vec<Job>, SourceError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            (self.answer)(self.id)
        }
    }

    fn board(id: SourceId, delay_ms: u64, answer: fn(SourceId) -> Result<Vec<Job>, SourceError>) -> Arc<Board> {
        Arc::new(Board { id, delay: Duration::from_millis(delay_ms), answer, calls: AtomicUsize::new(0) })
    }

    fn job(source: SourceId, native: &str, title: &str) -> Job {
        Job::sample(source, native, title, "Acme Ltd", "London")
    }

    fn two_jobs(s: SourceId) -> Result<Vec<Job>, SourceError> {
        Ok(vec![job(s, "1", "Rust Developer"), job(s, &format!("{s}-2"), &format!("{s} only role"))])
    }

    struct World {
        search: Search,
        cache: Arc<MapCache>,
        /// Jobs upserted into the store.
        upserted: Arc<AtomicUsize>,
    }

    fn world(sources: Vec<Arc<Board>>, timeout_ms: u64) -> World {
        let cache = Arc::new(MapCache::default());
        let (store, upserted) = counting_store();
        let search = Search::new(
            SearchPorts {
                sources: sources.into_iter().map(|b| b as Arc<dyn JobSource>).collect(),
                catalog: Arc::new(PlanCatalog::document()),
                cache: cache.clone(),
                store: Arc::new(store),
                clock: Arc::new(FixedClock::at(1_700_000_000)),
                timer: Arc::new(TokioTimer),
            },
            SearchConfig { source_timeout: Duration::from_millis(timeout_ms), ..SearchConfig::default() },
        );
        World { search, cache, upserted }
    }

    fn request(plan: Plan, country: &str) -> SearchRequest {
        SearchRequest { q: Some("rust".into()), country: Some(country.into()), plan: Some(plan), ..Default::default() }
    }

    fn req(plan: Plan, country: &str) -> SearchQuery {
        SearchQuery::parse(request(plan, country)).unwrap()
    }

    fn statuses(o: &SearchOutcome) -> Vec<(&'static str, &'static str, usize)> {
        o.sources.iter().map(|s| (s.source.as_str(), s.status.as_str(), s.count)).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn search_merges_boards_in_routing_order_and_reports_every_board() {
        let w = world(SourceId::ALL.into_iter().map(|s| board(s, 5, two_jobs)).collect(), 1_000);
        let out = w.search.execute(&req(Plan::Pro, "gb")).await;
        assert_eq!(
            statuses(&out),
            vec![
                ("reed", "ok", 2),
                ("adzuna", "ok", 2),
                ("remotive", "ok", 2),
                ("findwork", "ok", 2),
                ("arbeitnow", "not_in_country", 0),
                ("themuse", "not_in_plan", 0)
            ]
        );
        // "Rust Developer" at Acme in London is one job with four copies, Reed's first.
        assert_eq!(out.jobs.len(), 5);
        assert_eq!(out.jobs[0].id, "reed:1");
        assert_eq!(out.jobs[0].copies.len(), 4);
        assert!(out.jobs.iter().all(|j| j.fetched_at.timestamp() == 1_700_000_000));
        assert_eq!(w.upserted.load(Ordering::SeqCst), 5, "every merged job reaches the job store");
        assert!(!out.cache_hit);
    }

    #[tokio::test(start_paused = true)]
    async fn search_returns_partial_results_when_one_source_times_out_or_fails() {
        let boards = vec![
            board(SourceId::Reed, 5, two_jobs),
            board(SourceId::Adzuna, 10_000, two_jobs),
            board(SourceId::Remotive, 5, |_| Err(SourceError::Upstream { status: 500 })),
            board(SourceId::Findwork, 5, |_| Err(SourceError::Unconfigured)),
        ];
        let w = world(boards, 200);
        let started = tokio::time::Instant::now();
        let out = w.search.execute(&req(Plan::Pro, "gb")).await;
        // On paused time: exactly the 200 ms timeout passes, never the hanging board's 10 s.
        assert_eq!(started.elapsed(), Duration::from_millis(200), "bounded by the timeout, not the hanging board");
        assert_eq!(
            statuses(&out),
            vec![
                ("reed", "ok", 2),
                ("adzuna", "timeout", 0),
                ("remotive", "error", 0),
                ("findwork", "unconfigured", 0),
                ("arbeitnow", "not_in_country", 0),
                ("themuse", "not_in_plan", 0)
            ]
        );
        assert_eq!(out.jobs.len(), 2);
        let (_, ttl) = w.cache.0.lock().unwrap().values().next().cloned().unwrap();
        assert_eq!(ttl, PARTIAL_TTL, "a partial answer is cached briefly");
        assert_eq!(out.cached_until.map(|t| t.timestamp()), Some(1_700_000_000 + 60), "its copies live no longer");
    }

    #[tokio::test(start_paused = true)]
    async fn imported_postings_are_asked_on_every_plan_after_the_boards() {
        let w = world(vec![board(SourceId::Adzuna, 1, two_jobs), board(SourceId::Import, 1, two_jobs)], 1_000);
        let out = w.search.execute(&req(Plan::Free, "gb")).await;
        assert_eq!(out.sources[0].source, SourceId::Adzuna);
        assert_eq!((out.sources[1].source, out.sources[1].status), (SourceId::Import, SourceStatus::Ok));
        assert_eq!(out.jobs[0].id, "adzuna:1", "the board's copy wins over the import");
        assert_eq!(out.jobs[0].copies.len(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_board_that_is_not_wired_reports_unconfigured() {
        let w = world(vec![], 100);
        let out = w.search.execute(&req(Plan::Free, "gb")).await;
        assert_eq!(
            out.sources[0],
            SourceReport {
                source: SourceId::Adzuna,
                status: SourceStatus::Unconfigured,
                count: 0,
                latency_ms: 0,
                cause: None,
            }
        );
        assert!(out.jobs.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_repeated_search_is_a_cache_hit_for_the_same_plan_only() {
        let adzuna = board(SourceId::Adzuna, 1, two_jobs);
        let w = world(vec![adzuna.clone()], 1_000);
        let first = w.search.execute(&req(Plan::Free, "gb")).await;
        let again = SearchQuery::parse(SearchRequest { q: Some("  RUST ".into()), ..request(Plan::Free, "GB") });
        let second = w.search.execute(&again.unwrap()).await;
        assert!(second.cache_hit);
        assert_eq!(second.jobs, first.jobs);
        assert_eq!(second.sources[0].status, SourceStatus::Cached);
        assert_eq!(adzuna.calls.load(Ordering::SeqCst), 1);
        let (_, ttl) = w.cache.0.lock().unwrap().values().next().cloned().unwrap();
        assert_eq!(ttl, Duration::from_secs(900));
        let until = Some(1_700_000_000 + 900);
        assert_eq!(first.cached_until.map(|t| t.timestamp()), until, "when the stored copy expires");
        assert_eq!(second.cached_until.map(|t| t.timestamp()), until, "read back with the hit");
        let other_plan = w.search.execute(&req(Plan::Starter, "gb")).await;
        assert!(!other_plan.cache_hit);
        assert_eq!(adzuna.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn identical_concurrent_misses_share_one_fan_out() {
        let adzuna = board(SourceId::Adzuna, 100, two_jobs);
        let w = world(vec![adzuna.clone()], 1_000);
        let query = req(Plan::Free, "gb");
        let searches = (0..20).map(|_| w.search.execute(&query));
        let outs = futures::future::join_all(searches).await;
        assert!(outs.iter().all(|o| o.jobs.len() == 2));
        assert_eq!(adzuna.calls.load(Ordering::SeqCst), 1);
        assert!(w.search.inner.flights.lock().unwrap().is_empty(), "the flight is cleared");
    }

    #[tokio::test(start_paused = true)]
    async fn a_mocked_board_receives_the_mapped_query() {
        let mut m = MockJobSource::new();
        m.expect_id().return_const(SourceId::Adzuna);
        m.expect_search()
            .withf(|q| q.q == "data engineer" && q.location.as_deref() == Some("Leeds") && q.country == Country::Gb)
            .times(1)
            .returning(|_| Ok(vec![]));
        let search = Search::new(
            SearchPorts {
                sources: vec![Arc::new(m)],
                catalog: Arc::new(PlanCatalog::document()),
                cache: Arc::new(MapCache::default()),
                store: Arc::new(counting_store().0),
                clock: Arc::new(FixedClock::at(0)),
                timer: Arc::new(TokioTimer),
            },
            SearchConfig::default(),
        );
        let r = SearchRequest {
            q: Some(" data engineer ".into()),
            location: Some("Leeds".into()),
            plan: Some(Plan::Free),
            ..Default::default()
        };
        search.execute(&SearchQuery::parse(r).unwrap()).await;
    }
}
