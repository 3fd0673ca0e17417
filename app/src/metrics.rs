//! The server's own metrics series (requests, refusals, the node's encoded search answers, the
//! billing webhook, the usage log) and the process's Prometheus recorder. The ports' series
//! (boards, LLM calls, caches) are recorded by the adapters' decorators
//! (`adapters/src/metrics.rs`); `GET /metrics` (`http::scrape`) renders both.
//!
//! | series | kind | labels |
//! |---|---|---|
//! | `jobin_http_requests_total` | counter | `route` (operation id), `method`, `status` |
//! | `jobin_http_request_duration_seconds` | histogram | `route`, `method` |
//! | `jobin_cache_requests_total` | counter | `cache="search_body"` (the node's encoded search answers), `result` (hit, miss) |
//! | `jobin_usage_queue_depth` | gauge | — |
//! | `jobin_usage_rows_written_total` | counter | — |
//! | `jobin_webhook_events_total` | counter | `type`, `outcome` |
//! | `jobin_rate_limit_refusals_total` | counter | `class` (data, account, tracker, ai, monthly, per_ip) |
//! | `jobin_board_postings` | gauge | `board` (and `import`): active postings with a listing from it, counted every 5 minutes |
//! | `jobin_crawl_postings_total` | counter | `board`, `outcome` (fetched, new, updated, expired) |
//! | `jobin_liveness_checks_total` | counter | `outcome` (alive, gone, unknown): postings' pages checked |
//! | `jobin_board_last_crawl_timestamp_seconds` | gauge | `board`, `outcome` (complete, partial, failed): when a crawl cycle last ended so |
//!
//! Recording goes through the `metrics` facade: a no-op until [`install`] (metrics are opt-in).

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

pub const HTTP_REQUESTS: &str = "jobin_http_requests_total";
pub const HTTP_DURATION: &str = "jobin_http_request_duration_seconds";
/// Shared with the adapters' cache decorator (`cache` label tells them apart).
pub const CACHE_REQUESTS: &str = "jobin_cache_requests_total";
pub const USAGE_QUEUE_DEPTH: &str = "jobin_usage_queue_depth";
pub const USAGE_ROWS_WRITTEN: &str = "jobin_usage_rows_written_total";
pub const WEBHOOK_EVENTS: &str = "jobin_webhook_events_total";
pub const RATE_LIMIT_REFUSALS: &str = "jobin_rate_limit_refusals_total";
pub const BOARD_POSTINGS: &str = "jobin_board_postings";
pub const CRAWL_POSTINGS: &str = "jobin_crawl_postings_total";
pub const LIVENESS_CHECKS: &str = "jobin_liveness_checks_total";

/// Records one liveness pass by outcome.
pub fn liveness_pass(r: &jobin_core::usecases::LivenessReport) {
    for (outcome, n) in [("alive", r.alive as u64), ("gone", r.gone), ("unknown", r.unknown as u64)] {
        metrics::counter!(LIVENESS_CHECKS, "outcome" => outcome).increment(n);
    }
}
pub const BOARD_LAST_CRAWL: &str = "jobin_board_last_crawl_timestamp_seconds";

/// Records one board's crawl cycle: its postings by outcome, and when a cycle last ended
/// `complete` (the listing's end reached), `partial` (the cycle's page bound) or `failed`.
pub fn crawl_cycle(r: &jobin_core::usecases::BoardCrawl) {
    let Some(board) = r.board.map(|b| b.as_str()) else { return };
    for (outcome, n) in
        [("fetched", r.fetched as u64), ("new", r.new as u64), ("updated", r.updated as u64), ("expired", r.expired)]
    {
        metrics::counter!(CRAWL_POSTINGS, "board" => board, "outcome" => outcome).increment(n);
    }
    let outcome = if r.failed.is_some() {
        "failed"
    } else if r.complete {
        "complete"
    } else {
        "partial"
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    metrics::gauge!(BOARD_LAST_CRAWL, "board" => board, "outcome" => outcome).set(now.as_secs_f64());
}
/// How often `jobin_board_postings` is counted again: one grouped count over every active posting
/// (on the embedded store it holds the one connection while it runs, so not often).
pub const BOARD_POSTINGS_EVERY: Duration = Duration::from_secs(300);

/// Sets `jobin_board_postings{board}` from the store: the active postings with a listing from each
/// board (and `import`), a merged posting counting under every board listing it. A failed count
/// leaves the last values and is logged.
pub async fn board_postings(store: &dyn jobin_core::ports::JobStore) {
    use jobin_core::domain::SourceId;
    use jobin_core::domain::corpus::{CorpusFilter, Facet};
    let boards: Vec<SourceId> = SourceId::ALL.into_iter().chain([SourceId::Import]).collect();
    let filter = CorpusFilter { within: boards.iter().fold(0, |m, s| m | s.bit()), ..CorpusFilter::default() };
    match store.corpus_facets(&filter, &[Facet::Source]).await {
        Ok(tally) => {
            for board in boards {
                let held = tally.source.get(&board).copied().unwrap_or(0);
                metrics::gauge!(BOARD_POSTINGS, "board" => board.as_str()).set(held as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "counting the postings per board for the metrics failed"),
    }
}

/// The server's histograms (as `(name, buckets in seconds)`).
pub const HISTOGRAMS: &[(&str, &[f64])] =
    &[(HTTP_DURATION, &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0])];

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

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's recorder, installed once (every server of a process shares it), with
/// `histograms` (the server's and the adapters') rendered as Prometheus histograms. Called only
/// when metrics are on (`JOBIN_METRICS_TOKEN`): until then nothing is recorded.
pub fn install(histograms: &[&[(&str, &[f64])]]) -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let mut builder = PrometheusBuilder::new();
            for (name, buckets) in histograms.iter().flat_map(|h| h.iter()) {
                builder = builder.set_buckets_for_metric(Matcher::Full((*name).to_owned()), buckets).ok()?;
            }
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            match metrics::set_global_recorder(recorder) {
                Ok(()) => Some(handle),
                Err(e) => {
                    tracing::warn!(error = %e, "a metrics recorder was already installed; /metrics stays empty");
                    None
                }
            }
        })
        .as_ref()
}

/// Whether metrics were turned on in this process.
pub fn enabled() -> bool {
    handle().is_some()
}

/// The recorder, if metrics were turned on (never installs one).
fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE.get().and_then(Option::as_ref)
}

/// Every series in the Prometheus text format (empty until metrics are turned on).
pub fn render() -> String {
    handle().map(PrometheusHandle::render).unwrap_or_default()
}

/// Keeps the recorder's histograms bounded between scrapes.
pub async fn upkeep() {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tick.tick().await;
        if let Some(h) = handle() {
            h.run_upkeep();
        }
    }
}
