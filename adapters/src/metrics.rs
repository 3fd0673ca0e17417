//! The ports' metrics: decorators that record what crosses a port, so the domain core stays free
//! of it. Recording goes through the `metrics` facade (a no-op until the server installs its
//! Prometheus recorder); the server's own series (requests, refusals, …) are the app's.
//!
//! | series | kind | labels |
//! |---|---|---|
//! | `jobin_board_fetches_total` | counter | `board`, `outcome` |
//! | `jobin_board_fetch_duration_seconds` | histogram | `board` |
//! | `jobin_board_last_fetch_timestamp_seconds` | gauge | `board`, `outcome`: when a fetch last ended so (Unix seconds) |
//! | `jobin_cache_requests_total` | counter | `cache` (search, salary, trends, insight, enhance, idempotency, other), `result` (hit, miss, error) |
//! | `jobin_llm_calls_total` | counter | `provider`, `outcome` |
//! | `jobin_llm_call_duration_seconds` | histogram | `provider` |

use async_trait::async_trait;
use jobin_core::domain::{AiProvider, Job, SourceId};
use jobin_core::ports::{
    Cache, CacheError, JobSource, ListingPage, LlmAnswer, LlmError, LlmProvider, LlmRequest, SourceError, SourceQuery,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const BOARD_FETCHES: &str = "jobin_board_fetches_total";
pub const BOARD_DURATION: &str = "jobin_board_fetch_duration_seconds";
pub const BOARD_LAST_FETCH: &str = "jobin_board_last_fetch_timestamp_seconds";
pub const CACHE_REQUESTS: &str = "jobin_cache_requests_total";
pub const LLM_CALLS: &str = "jobin_llm_calls_total";
pub const LLM_DURATION: &str = "jobin_llm_call_duration_seconds";

/// These decorators' histograms (as `(name, buckets in seconds)`): the recorder renders these as
/// Prometheus histograms rather than summaries.
pub const HISTOGRAMS: &[(&str, &[f64])] = &[
    (BOARD_DURATION, &[0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0]),
    (LLM_DURATION, &[0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0]),
];

fn source_outcome<T>(r: &Result<T, SourceError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(SourceError::Unconfigured) => "unconfigured",
        Err(SourceError::BudgetExhausted { .. }) => "budget_exhausted",
        Err(SourceError::Unauthorized { .. }) => "unauthorized",
        Err(SourceError::RateLimited { .. }) => "rate_limited",
        Err(SourceError::Upstream { .. }) => "upstream_error",
        Err(SourceError::Timeout) => "timeout",
        Err(SourceError::InvalidResponse(_)) => "invalid_response",
        Err(SourceError::Unresolved(_)) => "dns_error",
        Err(SourceError::Network(_)) => "network_error",
    }
}

/// Records a call's outcome once: the given one when it finishes, `cancelled` when the caller
/// drops it first (a search's per-board timeout drops the slow board's call).
struct Outcome<F: FnMut(&'static str, Duration)> {
    record: F,
    started: Instant,
    done: bool,
}

impl<F: FnMut(&'static str, Duration)> Outcome<F> {
    fn new(record: F) -> Self {
        Self { record, started: Instant::now(), done: false }
    }
    /// Nothing to record (nothing was asked).
    fn skip(mut self) {
        self.done = true;
    }
    fn finish(mut self, outcome: &'static str) {
        self.done = true;
        (self.record)(outcome, self.started.elapsed());
    }
}

impl<F: FnMut(&'static str, Duration)> Drop for Outcome<F> {
    fn drop(&mut self) {
        if !self.done {
            (self.record)("cancelled", self.started.elapsed());
        }
    }
}

/// A board that records each search: `jobin_board_fetches_total{board,outcome}` and its latency.
pub struct MeteredSource(pub Arc<dyn JobSource>);

#[async_trait]
impl JobSource for MeteredSource {
    fn id(&self) -> SourceId {
        self.0.id()
    }

    async fn search(&self, query: &SourceQuery) -> Result<Vec<Job>, SourceError> {
        let outcome = self.fetch_outcome();
        let r = self.0.search(query).await;
        outcome.finish(source_outcome(&r));
        r
    }

    /// A listing page is a fetch like a search (a board that has no listing is not asked).
    async fn listing_page(&self, page: u32) -> Result<Option<ListingPage>, SourceError> {
        let outcome = self.fetch_outcome();
        let r = self.0.listing_page(page).await;
        match &r {
            Ok(None) => outcome.skip(),
            _ => outcome.finish(source_outcome(&r)),
        }
        r
    }
}

impl MeteredSource {
    fn fetch_outcome(&self) -> Outcome<impl FnMut(&'static str, Duration) + use<>> {
        let board = self.0.id().as_str();
        Outcome::new(move |outcome, elapsed| {
            metrics::counter!(BOARD_FETCHES, "board" => board, "outcome" => outcome).increment(1);
            metrics::histogram!(BOARD_DURATION, "board" => board).record(elapsed.as_secs_f64());
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            metrics::gauge!(BOARD_LAST_FETCH, "board" => board, "outcome" => outcome).set(now.as_secs_f64());
        })
    }
}

fn llm_outcome(r: &Result<LlmAnswer, LlmError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(LlmError::Unauthorized { .. }) => "unauthorized",
        Err(LlmError::QuotaExhausted) => "quota_exhausted",
        Err(LlmError::RateLimited { .. }) => "rate_limited",
        Err(LlmError::Overloaded { .. }) => "overloaded",
        Err(LlmError::Rejected { .. }) => "rejected",
        Err(LlmError::NoAnswer(_)) => "no_answer",
        Err(LlmError::InvalidResponse(_)) => "invalid_response",
        Err(LlmError::Timeout) => "timeout",
        #[allow(unreachable_patterns)] // new variants land here until named
        Err(_) => "error",
    }
}

/// An LLM provider that records each call: `jobin_llm_calls_total{provider,outcome}` and latency.
pub struct MeteredLlm(pub Arc<dyn LlmProvider>);

#[async_trait]
impl LlmProvider for MeteredLlm {
    fn provider(&self) -> AiProvider {
        self.0.provider()
    }

    async fn complete(&self, req: &LlmRequest) -> Result<LlmAnswer, LlmError> {
        let provider = self.0.provider().as_str();
        let outcome = Outcome::new(move |outcome, elapsed| {
            metrics::counter!(LLM_CALLS, "provider" => provider, "outcome" => outcome).increment(1);
            metrics::histogram!(LLM_DURATION, "provider" => provider).record(elapsed.as_secs_f64());
        });
        let r = self.0.complete(req).await;
        outcome.finish(llm_outcome(&r));
        r
    }
}

/// The cache a key belongs to: its first segment (`search:v1:…` → `search`), from a fixed set so
/// that a label never carries a key.
pub fn cache_name(key: &str) -> &'static str {
    const KNOWN: &[&str] = &["search", "salary", "trends", "insight", "enhance", "idempotency"];
    let head = key.split(':').next().unwrap_or_default();
    KNOWN.iter().find(|k| **k == head).copied().unwrap_or("other")
}

/// A cache that records each read: `jobin_cache_requests_total{cache,result}`.
pub struct MeteredCache(pub Arc<dyn Cache>);

#[async_trait]
impl Cache for MeteredCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let r = self.0.get(key).await;
        let result = match &r {
            Ok(Some(_)) => "hit",
            Ok(None) => "miss",
            Err(_) => "error",
        };
        metrics::counter!(CACHE_REQUESTS, "cache" => cache_name(key), "result" => result).increment(1);
        r
    }

    async fn set(&self, key: &str, value: Vec<u8>, ttl: Duration) -> Result<(), CacheError> {
        self.0.set(key, value, ttl).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_labels_come_from_a_fixed_set() {
        assert_eq!(cache_name("search:v1:free:gb:0:rust:"), "search");
        assert_eq!(cache_name("insight:v2:qwen:turbo:x"), "insight");
        assert_eq!(cache_name("jl_live_secret"), "other", "a key never becomes a label");
    }
}
