//! The crawl: every board that publishes its whole listing (`JobSource::listing_page`) is read
//! page by page into the job store, so the corpus fills itself without a search asking.
//!
//! - **Politeness.** One request at a time per board (boards are crawled side by side, each by
//!   itself), a pause between pages, and at most `max_pages` pages a cycle; a pass longer than
//!   that goes on where it stopped at the next cycle.
//! - **Failures.** A 429, a 5xx, a timeout or a failed connection is retried after a wait: the
//!   board's `Retry-After` when it gives one, else `backoff` doubled each time (at most
//!   `max_wait`), `retries` times. Past that, or on any other failure, the board's pass stops
//!   there and the next cycle resumes at the same page. A board without credentials, or whose
//!   budget is spent, is left for the next cycle without a request.
//! - **Entity resolution.** Each page is merged with the active postings already stored under the
//!   same normalized companies (`dedup::merge`, the rule a search applies to its fan-out), so a
//!   job another board already brought in gains a copy instead of counting twice.
//! - **Expiry.** A listing shifts while it is read (a posting removed from an early page moves
//!   the next one onto a page already read), so one pass may miss a posting that is still there.
//!   When a pass reaches the listing's end, the board's postings seen in neither this pass nor the
//!   complete pass before it have left the listing: they expire with the reason `left_listing`.
//!   A pass that did not reach the end expires nothing, nor does the first complete pass of a
//!   node (there is no pass before it to agree with).
//! - **One node.** A board's pass is crawled under a lock (`crawl:<board>`), so several nodes
//!   never crawl one board at once.

use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::domain::corpus::{CorpusFilter, CorpusSort, SortOrder};
use crate::domain::dedup::{merge, normalize_company};
use crate::domain::{Job, SourceId};
use crate::ports::{
    Clock, CorpusPageQuery, FailureCause, JobSource, JobStore, JobStoreError, ListingPage, Lock, SourceError, Timer,
};

/// The crawl's bounds (see the module's text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrawlSettings {
    /// Pages per board and cycle.
    pub max_pages: u32,
    /// Between two pages of one board.
    pub pause: Duration,
    /// Attempts after the first for one page that failed for a reason worth retrying.
    pub retries: u32,
    /// The first wait before a retry when the board names none; doubled each retry.
    pub backoff: Duration,
    /// The longest wait before a retry, whatever the board asks (longer: the pass stops and
    /// resumes next cycle).
    pub max_wait: Duration,
    /// How long a board's pass may hold its lock.
    pub lock_ttl: Duration,
}

impl Default for CrawlSettings {
    fn default() -> Self {
        Self {
            max_pages: 100,
            pause: Duration::from_secs(1),
            retries: 3,
            backoff: Duration::from_secs(2),
            max_wait: Duration::from_secs(120),
            lock_ttl: Duration::from_secs(30 * 60),
        }
    }
}

/// What one cycle did on one board.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoardCrawl {
    pub board: Option<SourceId>,
    /// Listing pages read this cycle.
    pub pages: u32,
    /// Postings on them.
    pub fetched: usize,
    /// Stored records new, changed (or active again) and unchanged.
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Postings that left the listing (only when the pass reached its end).
    pub expired: u64,
    /// Requests retried after a 429, 5xx, timeout or failed connection.
    pub retried: u32,
    /// Why the pass stopped before the listing's end, when it failed.
    pub failed: Option<FailureCause>,
    /// The pass reached the listing's end this cycle.
    pub complete: bool,
    /// Another node held the board's lock; nothing was done here.
    pub elsewhere: bool,
}

impl BoardCrawl {
    /// `fetched=250 new=12 updated=3 expired=0 …` for the cycle's log line.
    pub fn summary(&self) -> String {
        let failed = self.failed.map_or_else(|| "none".to_owned(), |c| c.as_str().to_owned());
        format!(
            "pages={} fetched={} new={} updated={} unchanged={} expired={} retried={} failed={failed} complete={}",
            self.pages, self.fetched, self.new, self.updated, self.unchanged, self.expired, self.retried, self.complete
        )
    }
}

/// Where a board's unfinished pass goes on, and when its last complete pass began.
#[derive(Debug, Clone, Copy)]
struct Progress {
    next_page: u32,
    started: DateTime<Utc>,
    last_complete_started: Option<DateTime<Utc>>,
}

/// What the crawl reads, writes and waits with.
pub struct CrawlPorts {
    /// Every board; those without a listing are skipped.
    pub boards: Vec<Arc<dyn JobSource>>,
    pub store: Arc<dyn JobStore>,
    pub lock: Arc<dyn Lock>,
    pub clock: Arc<dyn Clock>,
    pub timer: Arc<dyn Timer>,
}

pub struct Crawl {
    ports: CrawlPorts,
    settings: CrawlSettings,
    progress: Mutex<BTreeMap<SourceId, Progress>>,
}

/// How many stored postings of one company a page is compared with, at most.
const CANDIDATES_PER_COMPANY: usize = 200;

impl Crawl {
    pub fn new(ports: CrawlPorts, settings: CrawlSettings) -> Self {
        Self { ports, settings, progress: Mutex::new(BTreeMap::new()) }
    }

    /// One cycle over every board, side by side; a board without a listing is not reported.
    pub async fn run_cycle(&self) -> Vec<BoardCrawl> {
        let runs = self.ports.boards.iter().map(|b| self.crawl_board(b.as_ref()));
        futures::future::join_all(runs).await.into_iter().flatten().collect()
    }

    fn progress(&self) -> std::sync::MutexGuard<'_, BTreeMap<SourceId, Progress>> {
        self.progress.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn crawl_board(&self, board: &dyn JobSource) -> Option<BoardCrawl> {
        let id = board.id();
        let lock_name = format!("crawl:{id}");
        let token = match self.ports.lock.try_acquire(&lock_name, self.settings.lock_ttl).await {
            Ok(Some(t)) => t,
            Ok(None) => return Some(BoardCrawl { board: Some(id), elsewhere: true, ..Default::default() }),
            Err(e) => {
                tracing::warn!(board = %id, error = %e, "crawl lock unavailable; board skipped this cycle");
                return None;
            }
        };
        let report = self.pass(board).await;
        if let Err(e) = self.ports.lock.release(&lock_name, &token).await {
            tracing::warn!(board = %id, error = %e, "crawl lock not released; it expires by itself");
        }
        report
    }

    /// Reads pages from where the board's pass stands, up to the cycle's bound.
    async fn pass(&self, board: &dyn JobSource) -> Option<BoardCrawl> {
        let id = board.id();
        let now = self.ports.clock.now();
        let mut at = self.progress().get(&id).copied().unwrap_or(Progress {
            next_page: 0,
            started: now,
            last_complete_started: None,
        });
        if at.next_page == 0 {
            // A new pass.
            at.started = now;
        }
        let mut report = BoardCrawl { board: Some(id), ..Default::default() };
        while report.pages < self.settings.max_pages {
            if report.pages > 0 {
                self.ports.timer.sleep(self.settings.pause).await;
            }
            let page = match self.fetch(board, at.next_page, &mut report).await {
                Ok(Some(page)) => page,
                // The board has no listing: nothing to crawl, nothing to report.
                Ok(None) => return None,
                Err(e) => {
                    // Not asked (no credentials, budget spent): the same page next cycle.
                    report.failed = e.cause();
                    if let Some(cause) = e.cause() {
                        tracing::warn!(board = %id, page = at.next_page, %cause, error = %e, "crawl stopped; it resumes at this page next cycle");
                    }
                    break;
                }
            };
            report.pages += 1;
            report.fetched += page.jobs.len();
            let end = !page.has_next || page.jobs.is_empty();
            if let Err(e) = self.store_page(page.jobs, &mut report).await {
                tracing::warn!(board = %id, page = at.next_page, error = %e, "crawl could not store a page; it resumes there next cycle");
                break;
            }
            if end {
                report.complete = true;
                break;
            }
            at.next_page += 1;
        }
        if report.complete {
            // Unseen since the previous complete pass began: missed by both passes.
            if let Some(previous) = at.last_complete_started {
                match self.ports.store.expire_source_unseen(id, previous, self.ports.clock.now()).await {
                    Ok(n) => report.expired = n,
                    Err(e) => tracing::warn!(board = %id, error = %e, "crawl could not expire what left the listing"),
                }
            }
            // The next pass begins at the first page next cycle.
            self.progress().insert(id, Progress { next_page: 0, last_complete_started: Some(at.started), ..at });
        } else {
            self.progress().insert(id, at);
        }
        Some(report)
    }

    /// One page, retried after waits while the failure is worth retrying.
    async fn fetch(
        &self,
        board: &dyn JobSource,
        page: u32,
        report: &mut BoardCrawl,
    ) -> Result<Option<ListingPage>, SourceError> {
        let mut attempt = 0;
        loop {
            let err = match board.listing_page(page).await {
                Ok(p) => return Ok(p),
                Err(e) => e,
            };
            let Some(wait) = self.retry_wait(&err, attempt) else { return Err(err) };
            attempt += 1;
            report.retried += 1;
            tracing::info!(board = %board.id(), page, wait_ms = wait.as_millis() as u64, error = %err, "crawl retries a page");
            self.ports.timer.sleep(wait).await;
        }
    }

    /// The wait before retry `attempt + 1`, or `None` when the failure is not retried.
    fn retry_wait(&self, err: &SourceError, attempt: u32) -> Option<Duration> {
        if attempt >= self.settings.retries {
            return None;
        }
        let backoff = self.settings.backoff.saturating_mul(2u32.saturating_pow(attempt));
        let wait = match err {
            SourceError::RateLimited { retry_after } => retry_after.unwrap_or(backoff),
            SourceError::Upstream { status } if *status >= 500 => backoff,
            SourceError::Timeout | SourceError::Network(_) => backoff,
            _ => return None,
        };
        (wait <= self.settings.max_wait).then_some(wait)
    }

    /// Merges a page with the stored postings of its companies and stores what it touched.
    async fn store_page(&self, jobs: Vec<Job>, report: &mut BoardCrawl) -> Result<(), JobStoreError> {
        if jobs.is_empty() {
            return Ok(());
        }
        let incoming: BTreeSet<String> = jobs.iter().map(|j| j.id.clone()).collect();
        let companies: BTreeSet<String> =
            jobs.iter().map(|j| normalize_company(&j.company)).filter(|c| !c.is_empty()).collect();
        let mut all = Vec::new();
        // The listings each incoming posting already holds as copies (merged earlier): kept, so a
        // new version of a posting never lets go of a job it holds (which would then count twice).
        let mut held: BTreeMap<String, Vec<crate::domain::JobCopy>> = BTreeMap::new();
        for company in companies {
            let q = CorpusPageQuery {
                filter: CorpusFilter { within: !0, company: Some(company), ..CorpusFilter::default() },
                sort: CorpusSort::PostedAt,
                order: SortOrder::Desc,
                after: None,
                limit: CANDIDATES_PER_COMPANY,
            };
            for (stored, _) in self.ports.store.corpus_page(&q).await?.jobs {
                // An incoming posting's stored version gives way to the page's, but for its copies.
                if incoming.contains(&stored.job.id) {
                    held.insert(stored.job.id.clone(), stored.job.copies);
                } else {
                    all.push(stored.job);
                }
            }
        }
        for mut job in jobs {
            if let Some(copies) = held.remove(&job.id)
                && job.copies.is_empty()
            {
                job.copies = copies;
            }
            all.push(job);
        }
        let touched: Vec<Job> = merge(all, |s| s as usize)
            .into_iter()
            .filter(|j| incoming.contains(&j.id) || j.merged_ids().any(|c| incoming.contains(c)))
            .collect();
        let upserted = self.ports.store.upsert(&touched, self.ports.clock.now()).await?;
        report.new += upserted.inserted;
        report.updated += upserted.changed + upserted.reactivated;
        report.unchanged += upserted.unchanged;
        Ok(())
    }
}
