//! `GET /metrics`: opt-in behind `JOBIN_METRICS_TOKEN`, the Prometheus text format, and every
//! series the README lists moving when its event happens. The recorder is one per process (tests
//! run side by side), so each check is on a label set this test owns or on a value's growth.

use jobin_core::domain::{CatalogOverrides, Plan, PlanOverride};
use jobin_tests::{Setup, TestServer};
use serde_json::json;

const TOKEN: &str = "scrape-token-0123456789";

/// The value of the series `name` whose labels include every `labels` pair (summed over the other
/// labels), or `None` when no such line exists.
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut found = None;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some(rest) = line.strip_prefix(name) else { continue };
        let (set, number) = match rest.strip_prefix('{') {
            Some(r) => match r.split_once("} ") {
                Some((set, number)) => (set, number),
                None => continue,
            },
            None if rest.starts_with(' ') => ("", rest.trim()),
            None => continue,
        };
        if labels.iter().all(|(k, v)| set.split(',').any(|p| p == format!("{k}=\"{v}\""))) {
            *found.get_or_insert(0.0) += number.trim().parse::<f64>().unwrap_or(0.0);
        }
    }
    found
}

async fn scrape(s: &TestServer) -> String {
    let r = s.send(s.http.get(s.url("/metrics")).bearer_auth(TOKEN)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    r.text
}

async fn server() -> TestServer {
    // Tracker requests limited to 2 a minute on Free, so that a refusal of that class happens.
    let mut o = CatalogOverrides::default();
    o.plans.insert(Plan::Free, PlanOverride { tracker_per_minute: Some(2), ..Default::default() });
    let catalog = jobin_tests::roomy_catalog().with_overrides(&o).unwrap();
    let setup = Setup { catalog, env: vec![("JOBIN_METRICS_TOKEN", TOKEN.to_owned())], ..Setup::default() };
    TestServer::start_with(setup).await.unwrap()
}

#[tokio::test]
async fn metrics_are_served_only_to_the_scraper_token() {
    let s = server().await;
    for auth in [None, Some("Bearer wrong-token-0123456789"), Some("Basic c2NyYXBlOnRva2Vu")] {
        let mut req = s.http.get(s.url("/metrics"));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let r = s.send(req).await;
        assert_eq!((r.status, r.body["code"].as_str()), (401, Some("invalid_credentials")), "{auth:?}");
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        assert!(!r.text.contains(TOKEN));
    }
    s.stop().await;
    // Without a token configured there is nothing at /metrics.
    let plain = TestServer::start().await;
    let r = plain.send(plain.http.get(plain.url("/metrics")).bearer_auth(TOKEN)).await;
    assert_eq!((r.status, r.body["code"].as_str()), (404, Some("not_found")));
    plain.stop().await;
}

#[tokio::test]
async fn every_series_moves_with_its_event() {
    let s = server().await;
    let (email, key) = s.register().await;
    let before = scrape(&s).await;
    let http = |t: &str, route: &str, status: &str| {
        value(t, "jobin_http_requests_total", &[("route", route), ("method", "GET"), ("status", status)]).unwrap_or(0.0)
    };

    // HTTP: by operation (never by raw path), status and latency.
    assert_eq!(s.get_with_key("/v1/jobs/search?q=metrics%20engineer", &key).await.status, 200);
    assert_eq!(s.get_with_key("/v1/jobs/search?q=metrics%20engineer", &key).await.status, 200);
    // The third is answered with the node's copy of the second's encoded body.
    assert_eq!(s.get_with_key("/v1/jobs/search?q=metrics%20engineer", &key).await.status, 200);
    assert_eq!(s.get_with_key("/jobs/search?q=", &key).await.status, 400);
    assert_eq!(s.send(s.http.get(s.url("/no/such/path-9f2c"))).await.status, 404);
    // Tracker: the third request of the minute is refused (limit 2).
    jobin_tests::within_one_minute(10).await;
    for expected in [200, 200, 429] {
        assert_eq!(s.get_with_key("/v1/applications", &key).await.status, expected);
    }
    // AI: a market report through the `local` provider (a Pro plan's operation).
    s.set_plan(&email, "pro").await;
    let r = s
        .send(
            s.http
                .get(s.url("/v1/jobs/insight?q=developer"))
                .header("x-api-key", &key)
                .header("x-ai-provider", "local")
                .header("x-ai-model", "rules"),
        )
        .await;
    let insight_status = r.status;
    // MCP: a tool call is labelled with its tool, the rest of the protocol as `mcp`.
    for (method, params) in
        [("tools/list", json!({})), ("tools/call", json!({"name": "get_job", "arguments": {"id": "reed:none"}}))]
    {
        let rpc = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        assert_eq!(s.send(s.http.post(s.url("/mcp")).bearer_auth(&key).json(&rpc)).await.status, 200);
    }
    // Webhook: an unsigned event is refused and counted as unverified.
    let r = s.send(s.http.post(s.url("/v1/billing/webhook")).json(&json!({"id": "evt_1", "type": "x.y"}))).await;
    assert_eq!(r.status, 400);

    let mut after = scrape(&s).await;
    // The usage log is written in the background (every second): wait for its rows.
    for _ in 0..50 {
        let written = value(&after, "jobin_usage_rows_written_total", &[]).unwrap_or(0.0);
        if written > value(&before, "jobin_usage_rows_written_total", &[]).unwrap_or(0.0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        after = scrape(&s).await;
    }

    assert!(http(&after, "search_jobs", "200") >= http(&before, "search_jobs", "200") + 3.0, "{after}");
    let old = |t: &str| http(t, "search_jobs_unversioned", "400");
    assert!(old(&after) >= old(&before) + 1.0, "the unversioned path is its own documented operation");
    assert!(http(&after, "unmatched", "404") >= 1.0);
    let mcp = |t: &str, route: &str| {
        value(t, "jobin_http_requests_total", &[("route", route), ("method", "POST"), ("status", "200")]).unwrap_or(0.0)
    };
    assert!(mcp(&after, "mcp") >= mcp(&before, "mcp") + 1.0, "{after}");
    assert!(mcp(&after, "mcp_get_job") >= mcp(&before, "mcp_get_job") + 1.0, "{after}");
    assert!(!after.contains("no/such/path-9f2c"), "a raw path never becomes a label");
    let bucket =
        value(&after, "jobin_http_request_duration_seconds_bucket", &[("route", "search_jobs"), ("le", "+Inf")]);
    assert!(bucket.unwrap_or(0.0) >= 2.0, "latency histogram by route");

    // Boards: one fetch per board of the plan for the first search; the second is a cache hit.
    assert!(
        value(&after, "jobin_board_fetches_total", &[("board", "adzuna"), ("outcome", "ok")]).unwrap_or(0.0) >= 1.0
    );
    assert!(value(&after, "jobin_board_fetch_duration_seconds_count", &[("board", "adzuna")]).unwrap_or(0.0) >= 1.0);
    let cache = |t: &str, result: &str| {
        value(t, "jobin_cache_requests_total", &[("cache", "search"), ("result", result)]).unwrap_or(0.0)
    };
    assert!(cache(&after, "miss") > cache(&before, "miss"));
    assert!(cache(&after, "hit") > cache(&before, "hit"));
    let copies = |t: &str, result: &str| {
        value(t, "jobin_cache_requests_total", &[("cache", "search_body"), ("result", result)]).unwrap_or(0.0)
    };
    assert!(copies(&after, "miss") >= copies(&before, "miss") + 2.0, "no copy for the first two");
    assert!(copies(&after, "hit") >= copies(&before, "hit") + 1.0, "the third is a copy");

    // Limits: the tracker refusal, by class.
    let refusals = |t: &str| value(t, "jobin_rate_limit_refusals_total", &[("class", "tracker")]).unwrap_or(0.0);
    assert!(refusals(&after) >= refusals(&before) + 1.0);

    // LLM calls by provider and outcome (the insight's model call).
    assert_eq!(insight_status, 200);
    let llm = |t: &str| value(t, "jobin_llm_calls_total", &[("provider", "local"), ("outcome", "ok")]).unwrap_or(0.0);
    assert!(llm(&after) > llm(&before), "{after}");

    // Webhooks by type and outcome.
    let hooks = |t: &str| {
        value(t, "jobin_webhook_events_total", &[("type", "unverified"), ("outcome", "invalid_signature")])
            .unwrap_or(0.0)
    };
    assert!(hooks(&after) > hooks(&before), "{after}");
    assert!(!after.contains("x.y"), "an unverified event's type never becomes a label");

    // The usage log: rows written, and the queue's depth as a gauge.
    assert!(
        value(&after, "jobin_usage_rows_written_total", &[]).unwrap_or(0.0)
            > value(&before, "jobin_usage_rows_written_total", &[]).unwrap_or(0.0)
    );
    assert!(value(&after, "jobin_usage_queue_depth", &[]).is_some());
    assert!(!after.contains(&key) && !after.contains(TOKEN), "no secret in the metrics");

    // Boards: when a fetch last ended, by outcome (Unix seconds).
    let last_ok = value(&after, "jobin_board_last_fetch_timestamp_seconds", &[("board", "adzuna"), ("outcome", "ok")]);
    let now = chrono::Utc::now().timestamp() as f64;
    assert!(last_ok.is_some_and(|t| t <= now + 1.0 && t > now - 120.0), "{last_ok:?}");
    // Postings held per board: a merged posting counts under each board listing it.
    let held = |t: &str, board: &str| value(t, "jobin_board_postings", &[("board", board)]).unwrap_or(-1.0);
    jobin_app::metrics::board_postings(s.state.jobs.store.as_ref()).await;
    let counted = scrape(&s).await;
    let mut merged = jobin_tests::posting("77001", "Metrics Engineer", "Leeds", "GB");
    let adzuna = {
        let mut a = jobin_tests::posting("77001", "Metrics Engineer", "Leeds", "GB");
        a.id = jobin_core::domain::Job::make_id(jobin_core::domain::SourceId::Adzuna, "77001");
        a.source = jobin_core::domain::SourceId::Adzuna;
        a
    };
    merged.copies = vec![merged.own_copy(), adzuna.own_copy()];
    s.store_jobs(&[merged, jobin_tests::posting("77002", "Metrics Analyst", "York", "GB")]).await;
    jobin_app::metrics::board_postings(s.state.jobs.store.as_ref()).await;
    let recounted = scrape(&s).await;
    assert!(held(&counted, "reed") >= 0.0 && held(&counted, "import") >= 0.0, "every board has its series");
    assert_eq!(held(&recounted, "reed") - held(&counted, "reed"), 2.0, "{recounted}");
    assert_eq!(held(&recounted, "adzuna") - held(&counted, "adzuna"), 1.0, "{recounted}");

    // The crawl and the liveness pass, as the server records each board's cycle and each pass.
    use jobin_core::usecases::{BoardCrawl, LivenessReport};
    let crawled = |t: &str, outcome: &str| {
        value(t, "jobin_crawl_postings_total", &[("board", "arbeitnow"), ("outcome", outcome)]).unwrap_or(0.0)
    };
    let checks =
        |t: &str, outcome: &str| value(t, "jobin_liveness_checks_total", &[("outcome", outcome)]).unwrap_or(0.0);
    let cycle = BoardCrawl {
        board: Some(jobin_core::domain::SourceId::Arbeitnow),
        pages: 2,
        fetched: 500,
        new: 480,
        updated: 5,
        expired: 3,
        complete: true,
        ..Default::default()
    };
    jobin_app::metrics::crawl_cycle(&cycle);
    let failed = BoardCrawl {
        board: Some(jobin_core::domain::SourceId::TheMuse),
        failed: Some(jobin_core::ports::FailureCause::Http5xx),
        ..Default::default()
    };
    jobin_app::metrics::crawl_cycle(&failed);
    jobin_app::metrics::liveness_pass(&LivenessReport { ran: true, checked: 4, alive: 2, gone: 1, unknown: 1 });
    let after = scrape(&s).await;
    for (outcome, n) in [("fetched", 500.0), ("new", 480.0), ("updated", 5.0), ("expired", 3.0)] {
        assert_eq!(crawled(&after, outcome) - crawled(&recounted, outcome), n, "{outcome}");
    }
    let last = |board: &str, outcome: &str| {
        value(&after, "jobin_board_last_crawl_timestamp_seconds", &[("board", board), ("outcome", outcome)])
    };
    assert!(last("arbeitnow", "complete").is_some_and(|t| t > now - 120.0), "{after}");
    assert!(last("themuse", "failed").is_some() && last("themuse", "complete").is_none());
    assert_eq!(checks(&after, "gone") - checks(&recounted, "gone"), 1.0);
    assert_eq!(checks(&after, "alive") - checks(&recounted, "alive"), 2.0);

    // The operator's dashboard and alerting rules (deploy/) name only series this server exports.
    let named = deploy_metric_names();
    assert!(named.len() >= 10, "{named:?}");
    for name in &named {
        let exported = after.lines().any(|l| l.strip_prefix(name.as_str()).is_some_and(|r| r.starts_with(['{', ' '])));
        assert!(exported, "deploy/ names {name}, which /metrics does not export:\n{after}");
    }
    s.stop().await;
}

/// Every `jobin_*` series the Grafana dashboard and the Prometheus rules in `deploy/` query.
fn deploy_metric_names() -> std::collections::BTreeSet<String> {
    let files = [
        include_str!("../../../deploy/grafana/jobin-dashboard.json"),
        include_str!("../../../deploy/prometheus/alerts.yml"),
    ];
    let mut names = std::collections::BTreeSet::new();
    for text in files {
        let mut rest = text;
        while let Some(at) = rest.find("jobin_") {
            let tail = &rest[at..];
            let end = tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(tail.len());
            let name = &tail[..end];
            // Every such word is a series but the scrape token's file name.
            if name != "jobin_metrics_token" {
                names.insert(name.to_owned());
            }
            rest = &tail[end..];
        }
    }
    names
}

/// The method and path of a request are the client's text: neither becomes a label as sent. 2,000
/// requests with random methods (up to 1,000 bytes) and random paths add no series, and nothing
/// of them appears in the exposition.
#[tokio::test]
async fn random_methods_and_paths_add_no_series() {
    let s = server().await;
    // A seeded xorshift: reproducible, no dependency.
    let mut rng = 0x2026_1207_u64;
    let mut next = move |below: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % below
    };
    let mut random_request = |_: &mut ()| {
        let len = 3 + next(998);
        let method: String = (0..len).map(|_| char::from(b'A' + next(26) as u8)).collect();
        let path: String = (0..1 + next(40)).map(|_| char::from(b'a' + next(26) as u8)).collect();
        (method, format!("/{path}/{}", next(u64::from(u32::MAX))))
    };
    let rng = &mut ();
    // One of each kind first, so the series a random method may rightly add (`other`) exist.
    let warm = random_request(rng);
    let m = reqwest::Method::from_bytes(warm.0.as_bytes()).unwrap();
    s.send(s.http.request(m.clone(), s.url(&warm.1))).await;
    s.send(s.http.request(m, s.url("/v1/jobs/search"))).await;
    let series = |text: &str| -> std::collections::BTreeSet<String> {
        text.lines()
            .filter(|l| l.starts_with("jobin_http_requests_total{") && l.contains("method=\"other\""))
            .map(|l| l.rsplit_once(' ').map_or(l, |(set, _)| set).to_owned())
            .collect()
    };
    let before = scrape(&s).await;
    let mut sent = Vec::new();
    for _ in 0..2_000 {
        let (method, path) = random_request(rng);
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let r = s.send(s.http.request(m, s.url(&path))).await;
        assert!(r.status < 500, "{method:.20} {path}: {}", r.status);
        sent.push((method, path));
    }
    let after = scrape(&s).await;
    assert_eq!(series(&after), series(&before), "no new series");
    for line in after.lines().filter(|l| l.starts_with("jobin_http_re")) {
        let method = line.split("method=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or("GET");
        assert!(
            ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"].contains(&method),
            "a method label outside the closed set: {line:.200}"
        );
    }
    for (method, path) in sent.iter().step_by(50) {
        assert!(!after.contains(method.as_str()) && !after.contains(path.as_str()), "a raw method or path in a label");
    }
    assert!(
        after.len() < before.len() + 64 * 1024,
        "the exposition grew from {} to {} bytes",
        before.len(),
        after.len()
    );
}
