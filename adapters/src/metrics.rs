//! Operators' metrics: every series JobIn records, by name, in one place. Recording goes through
//! the `metrics` facade (a no-op until the server installs its Prometheus recorder); the ports'
//! decorators below record what crosses them, so the domain core stays free of it.
//!
//! | series | kind | labels |
//! |---|---|---|
//! | `jobin_http_requests_total` | counter | `route` (operation id), `method`, `status` |
//! | `jobin_http_request_duration_seconds` | histogram | `route`, `method` |
//! | `jobin_board_fetches_total` | counter | `board`, `outcome` |
//! | `jobin_board_fetch_duration_seconds` | histogram | `board` |
//! | `jobin_cache_requests_total` | counter | `cache` (search, salary, trends, insight, …; `search_body`: the node's encoded search answers), `result` (hit, miss, error) |
//! | `jobin_usage_queue_depth` | gauge | — |
//! | `jobin_usage_rows_written_total` | counter | — |
//! | `jobin_llm_calls_total` | counter | `provider`, `outcome` |
//! | `jobin_llm_call_duration_seconds` | histogram | `provider` |
//! | `jobin_webhook_events_total` | counter | `type`, `outcome` |
//! | `jobin_rate_limit_refusals_total` | counter | `class` (data, account, tracker, ai, monthly, per_ip) |

use async_trait::async_trait;
use jobin_core::domain::{AiProvider, Job, SourceId};
use jobin_core::ports::{
    Cache, CacheError, JobSource, LlmAnswer, LlmError, LlmProvider, LlmRequest, SourceError, SourceQuery,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const HTTP_REQUESTS: &str = "jobin_http_requests_total";
pub const HTTP_DURATION: &str = "jobin_http_request_duration_seconds";
pub const BOARD_FETCHES: &str = "jobin_board_fetches_total";
pub const BOARD_DURATION: &str = "jobin_board_fetch_duration_seconds";
pub const CACHE_REQUESTS: &str = "jobin_cache_requests_total";
pub const USAGE_QUEUE_DEPTH: &str = "jobin_usage_queue_depth";
pub const USAGE_ROWS_WRITTEN: &str = "jobin_usage_rows_written_total";
pub const LLM_CALLS: &str = "jobin_llm_calls_total";
pub const LLM_DURATION: &str = "jobin_llm_call_duration_seconds";
pub const WEBHOOK_EVENTS: &str = "jobin_webhook_events_total";
pub const RATE_LIMIT_REFUSALS: &str = "jobin_rate_limit_refusals_total";

/// Histograms (as `(name, buckets in seconds)`): the recorder renders these as Prometheus
/// histograms rather than summaries.
pub const HISTOGRAMS: &[(&str, &[f64])] = &[
    (HTTP_DURATION, &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
    (BOARD_DURATION, &[0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0]),
    (LLM_DURATION, &[0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0]),
];

/// The `method` label: one of the standard methods, anything else `other` (a client chooses the
/// method's text, so it never becomes a label as sent).
pub fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
    KNOWN.into_iter().find(|m| *m == method).unwrap_or("other")
}

/// The `status` label: a valid HTTP status (100–599) as sent, anything else `other`.
fn status_label(status: u16) -> std::borrow::Cow<'static, str> {
    if (100..600).contains(&status) { status.to_string().into() } else { "other".into() }
}

/// Records one answered request. `route` is an operation id from the document or one of the
/// server's own page names (never a raw path), so every label comes from a closed set.
pub fn http_request(route: &'static str, method: &str, status: u16, elapsed: Duration) {
    let method = method_label(method);
    metrics::counter!(HTTP_REQUESTS, "route" => route, "method" => method, "status" => status_label(status))
        .increment(1);
    metrics::histogram!(HTTP_DURATION, "route" => route, "method" => method).record(elapsed.as_secs_f64());
}

/// A read of the node's encoded search answers (`cache="search_body"`): `hit` or `miss`.
pub fn search_body_read(hit: bool) {
    metrics::counter!(CACHE_REQUESTS, "cache" => "search_body", "result" => if hit { "hit" } else { "miss" })
        .increment(1);
}

pub fn rate_limit_refusal(class: &'static str) {
    metrics::counter!(RATE_LIMIT_REFUSALS, "class" => class).increment(1);
}

pub fn webhook_event(kind: &str, outcome: &'static str) {
    // Stripe's event types are a bounded set of names; anything else is counted as `other`.
    let kind = if kind.len() <= 64 && kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_') {
        kind.to_owned()
    } else {
        "other".to_owned()
    };
    metrics::counter!(WEBHOOK_EVENTS, "type" => kind, "outcome" => outcome).increment(1);
}

pub fn usage_queue_depth(depth: usize) {
    metrics::gauge!(USAGE_QUEUE_DEPTH).set(depth as f64);
}

pub fn usage_rows_written(rows: usize) {
    metrics::counter!(USAGE_ROWS_WRITTEN).increment(rows as u64);
}

fn source_outcome(r: &Result<Vec<Job>, SourceError>) -> &'static str {
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
        let board = self.0.id().as_str();
        let outcome = Outcome::new(move |outcome, elapsed| {
            metrics::counter!(BOARD_FETCHES, "board" => board, "outcome" => outcome).increment(1);
            metrics::histogram!(BOARD_DURATION, "board" => board).record(elapsed.as_secs_f64());
        });
        let r = self.0.search(query).await;
        outcome.finish(source_outcome(&r));
        r
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
