//! The quota stage on authenticated requests: headers, the two limit classes (data, account), plan
//! changes.

use jobin_core::domain::PlanCatalog;
use jobin_tests::{Setup, TestServer};
use serde_json::json;

/// Starts a server with the document's limits, at least 10 s before a minute boundary so a burst
/// stays in one window.
async fn document_limits_server() -> TestServer {
    jobin_tests::within_one_minute(10).await;
    TestServer::start_with(Setup { catalog: PlanCatalog::document(), ..Setup::default() }).await.unwrap()
}

#[tokio::test]
async fn authenticated_responses_carry_the_rate_headers_of_their_class_and_the_plan() {
    let s = document_limits_server().await;
    let (email, key) = s.register().await;
    let mut last_reset = None;
    // Account requests: the account class (60 a minute on every plan).
    for remaining in (58..=59).rev() {
        let r = s.get_with_key("/auth/me", &key).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x-ratelimit-limit"), Some("60"));
        assert_eq!(r.header("x-ratelimit-remaining"), Some(&*remaining.to_string()));
        assert_eq!(r.header("x-plan"), Some("free"));
        let reset: i64 = r.header("x-ratelimit-reset").unwrap().parse().unwrap();
        assert_eq!(reset % 60, 0);
        assert!(reset > chrono::Utc::now().timestamp());
        last_reset = Some(reset);
    }
    assert!(last_reset.is_some());
    // Errors of authenticated requests carry them too.
    let r = s.send(s.http.delete(s.url("/auth/keys/jl_live_0000")).header("x-api-key", &key)).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("x-ratelimit-remaining"), Some("57"));
    // Data requests: the plan's own window (Free: 10 a minute), untouched by the account requests.
    let r = s.get_with_key("/jobs/providers", &key).await;
    assert_eq!(r.status, 200);
    assert_eq!((r.header("x-ratelimit-limit"), r.header("x-ratelimit-remaining")), (Some("10"), Some("9")));
    // A plan change applies to the next request.
    s.set_plan(&email, "pro").await;
    let r = s.get_with_key("/jobs/providers", &key).await;
    assert_eq!((r.header("x-plan"), r.header("x-ratelimit-limit")), (Some("pro"), Some("300")));
    let r = s.get_with_key("/auth/me", &key).await;
    assert_eq!((r.header("x-plan"), r.header("x-ratelimit-limit")), (Some("pro"), Some("60")));
    // Public endpoints do not carry X-Plan.
    assert_eq!(s.send(s.http.get(s.url("/health"))).await.header("x-plan"), None);
    s.stop().await;
}

#[tokio::test]
async fn the_data_limit_answers_429_naming_its_class_and_never_locks_the_owner_out() {
    let s = document_limits_server().await;
    let (email, key) = s.register().await;
    for i in 0..10 {
        assert_eq!(s.get_with_key("/jobs/providers", &key).await.status, 200, "request {i}");
    }
    let r = s.get_with_key("/jobs/providers", &key).await;
    assert_eq!(r.status, 429, "{}", r.text);
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    let resets = r.body["resets"].as_str().unwrap().to_owned();
    assert_eq!(
        r.masked(),
        json!({"error": "Rate limit exceeded: 10 requests per minute on the free plan.", "code": "rate_limited",
               "details": {"class": "data"}, "request_id": "<id>", "limit": 10, "used": 10, "resets": resets,
               "upgrade": "https://jobin.test/v1/pricing", "retry_after": retry})
    );
    // Whoever holds the key keeps the data window spent; the owner still logs in, sees the account
    // and rotates the key away: the account class is a window of its own.
    let (session, _) = s.login(&email).await;
    let me = s.send(s.http.get(s.url("/auth/me")).bearer_auth(&session)).await;
    assert_eq!((me.status, me.header("x-ratelimit-limit")), (200, Some("60")));
    let r = s.send(s.http.post(s.url("/auth/keys/rotate")).bearer_auth(&session)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let fresh = r.body["key"].as_str().unwrap().to_owned();
    assert_eq!(s.get_with_key("/jobs/providers", &key).await.status, 401, "the leaked key is revoked");
    assert_eq!(s.get_with_key("/auth/me", &fresh).await.status, 200);
    s.stop().await;
}

#[tokio::test]
async fn the_account_limit_answers_429_naming_its_class_and_leaves_data_requests_alone() {
    let mut o = jobin_core::domain::CatalogOverrides::default();
    o.plans.insert(
        jobin_core::domain::Plan::Free,
        jobin_core::domain::PlanOverride { account_per_minute: Some(3), ..Default::default() },
    );
    let catalog = PlanCatalog::document().with_overrides(&o).unwrap();
    let into_minute = chrono::Utc::now().timestamp() % 60;
    if into_minute > 50 {
        tokio::time::sleep(std::time::Duration::from_secs((61 - into_minute) as u64)).await;
    }
    let s = TestServer::start_with(Setup { catalog, ..Setup::default() }).await.unwrap();
    let (email, key) = s.register().await;
    let (session, _) = s.login(&email).await;
    for i in 0..3 {
        assert_eq!(s.get_with_key("/auth/me", &key).await.status, 200, "request {i}");
    }
    let r = s.send(s.http.get(s.url("/auth/me")).bearer_auth(&session)).await;
    assert_eq!(r.status, 429, "the key and the session share the account's window: {}", r.text);
    assert_eq!(r.body["details"], json!({"class": "account"}));
    assert_eq!(r.body["limit"], 3);
    assert!(r.body["error"].as_str().unwrap().contains("3 account requests per minute"), "{}", r.body);
    assert_eq!(s.get_with_key("/jobs/providers", &key).await.status, 200, "data requests have their own window");
    s.stop().await;
}

#[tokio::test]
async fn pricing_lists_the_catalog() {
    let s = TestServer::start_with(Setup { catalog: PlanCatalog::document(), ..Setup::default() }).await.unwrap();
    let r = s.send(s.http.get(s.url("/pricing"))).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body["plans"][2],
        json!({"plan": "pro", "monthly_requests": 500000, "per_minute": 300, "account_per_minute": 60,
               "tracker_per_minute": 100, "ai_per_hour": 20, "data_sources": 5,
               "ai_tiers": ["lite", "flagship"], "price_usd_per_month": 149, "saved_searches": 100,
               "endpoints": ["/v1/jobs/search", "/v1/jobs/salary", "/v1/jobs/trends", "/v1/jobs/insight", "/v1/jobs/providers", "/v1/jobs/feed", "/v1/jobs/expired", "/v1/jobs/{id}", "/v1/searches/{id}/matches", "/v1/jobs"]})
    );
    assert_eq!(r.body["plans"].as_array().unwrap().len(), 4);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server"]
async fn a_redis_outage_fails_closed_and_service_recovers_by_itself() {
    let Some(mut own) = jobin_tests::OwnRedis::start().await else { return };
    let redis = jobin_adapters::redis::Redis::connect(&own.url(), "jobin:").await.unwrap();
    let s = TestServer::start_with(Setup { redis: Some(redis), ..Setup::default() }).await.unwrap();
    let (_, key) = s.register().await;
    assert_eq!(s.get_with_key("/auth/me", &key).await.status, 200);

    own.kill();
    let r = s.get_with_key("/auth/me", &key).await;
    assert_eq!(r.status, 503, "{}", r.text);
    assert_eq!(
        r.masked(),
        json!({"error": "A backing service is temporarily unavailable. Retry shortly.",
               "code": "dependency_unavailable", "details": {}, "request_id": "<id>", "retry_after": 5})
    );
    assert_eq!(r.header("retry-after"), Some("5"));
    let h = s.send(s.http.get(s.url("/health"))).await;
    assert_eq!(h.status, 503);
    assert_eq!(h.body["details"], json!({"database": "ok", "redis": "unreachable"}));
    // After the first failures the others fail fast: twenty more refusals take far less than the
    // twenty command timeouts (750 ms each) they would without the breaker.
    let started = std::time::Instant::now();
    for _ in 0..20 {
        assert_eq!(s.get_with_key("/auth/me", &key).await.status, 503);
    }
    let took = started.elapsed();
    eprintln!("20 refusals during the outage took {} ms", took.as_millis());
    assert!(took < std::time::Duration::from_millis(20 * 750 / 2), "{took:?}");

    own.spawn().await.unwrap();
    let started = std::time::Instant::now();
    loop {
        let r = s.get_with_key("/auth/me", &key).await;
        if r.status == 200 {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(15), "no recovery: {}", r.text);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    eprintln!("recovered {} ms after Redis restarted", started.elapsed().as_millis());
    assert_eq!(s.send(s.http.get(s.url("/health"))).await.status, 200);
    s.stop().await;
}

#[tokio::test]
async fn every_authenticated_request_is_in_the_usage_log_after_a_graceful_stop() {
    let s = TestServer::start().await;
    let (email, key) = s.register().await;
    let (session, _) = s.login(&email).await;
    assert_eq!(s.get_with_key("/auth/me", &key).await.status, 200);
    assert_eq!(s.send(s.http.get(s.url("/auth/me")).bearer_auth(&session)).await.status, 200);
    let r = s.send(s.http.delete(s.url("/auth/keys/jl_live_0000****")).header("x-api-key", &key)).await;
    assert_eq!(r.status, 404);
    // Unauthenticated requests are not logged (there is no account to log them under).
    assert_eq!(s.send(s.http.get(s.url("/auth/me"))).await.status, 401);
    let account = s.account(&email).await.id;
    let state = s.state.clone();
    s.stop().await;

    let rows = state.usage.log.recent(account, 10).await.unwrap();
    let seen: Vec<(&str, u16, Option<&str>)> =
        rows.iter().rev().map(|r| (r.endpoint.as_str(), r.status, r.key_prefix.as_deref())).collect();
    let prefix = format!("{}****", &key[..12]);
    assert_eq!(
        seen,
        vec![
            ("GET /auth/me", 200, Some(prefix.as_str())),
            ("GET /auth/me", 200, None),
            ("DELETE /auth/keys/{prefix}", 404, Some(prefix.as_str())),
        ]
    );
    assert!(rows.iter().all(|r| !r.cache_hit && r.account == account));
}

/// Every request admitted against the monthly quota is in the durable count within the ledger's
/// interval (50 ms), so a crash loses at most what waits. Five rounds 150 ms apart: a count
/// written only once a second would be behind in most of them.
#[tokio::test]
async fn each_admission_is_in_the_durable_count_within_the_ledgers_interval() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let s = TestServer::start().await;
    let (email, key) = s.register().await;
    let account = s.account(&email).await.id.0;
    let durable = || async {
        let sql = format!("SELECT COALESCE(SUM(count), 0) FROM usage_monthly WHERE account_id = {account}");
        let row = s.db.query_one_raw(Statement::from_string(DbBackend::Sqlite, sql)).await.unwrap().unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    };
    let mut spent = 0;
    for round in 0..5 {
        for _ in 0..10 {
            let r = s.get_with_key("/v1/jobs/providers", &key).await;
            assert_eq!(r.status, 200, "{}", r.text);
            spent += 1;
        }
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        assert_eq!(durable().await, spent, "round {round}: every admission is durable 150 ms later");
    }
    s.stop().await;
}
