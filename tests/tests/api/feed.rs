//! `POST /jobs/feed` and `GET /jobs/expired` over HTTP: plan gating, paging, cursor tampering,
//! bounds, the 7-day rule, what counts against the quota, and ingestion feeding the store; on
//! SQLite and PostgreSQL.

use jobin_tests::{Backend, Setup, TestServer};
use serde_json::{Value, json};
use std::collections::HashSet;

async fn pro(s: &TestServer) -> (String, String) {
    let (email, key) = s.register().await;
    s.set_plan(&email, "pro").await;
    (email, key)
}

async fn feed(s: &TestServer, key: &str, body: Value) -> jobin_tests::Reply {
    s.send(s.http.post(s.url("/jobs/feed")).header("x-api-key", key).json(&body)).await
}

/// Pages the whole feed with `body`'s filters; returns the ids in order.
async fn drain(s: &TestServer, key: &str, mut body: Value) -> Vec<String> {
    let mut ids = Vec::new();
    loop {
        let r = feed(s, key, body.clone()).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("x-has-more"), Some(if r.body["has_more"] == true { "true" } else { "false" }));
        for j in r.body["jobs"].as_array().unwrap() {
            ids.push(j["id"].as_str().unwrap().to_owned());
        }
        if r.body["has_more"] == false {
            return ids;
        }
        body["cursor"] = r.body["next_cursor"].clone();
    }
}

async fn the_sync_pair_behaves(s: TestServer) {
    let (_, free) = s.register().await;
    let (email, key) = pro(&s).await;

    // Gating: Free is refused with the upgrade link on both.
    for path in ["/jobs/expired"] {
        let r = s.get_with_key(path, &free).await;
        assert_eq!((r.status, r.body["code"].as_str()), (403, Some("plan_upgrade_required")), "{}", r.body);
    }
    assert_eq!(feed(&s, &free, json!({})).await.status, 403);

    // Empty store: an empty page, no cursor.
    let r = feed(&s, &key, json!({})).await;
    assert_eq!(
        (r.status, r.body["jobs"].as_array().map(Vec::len), r.body["has_more"].as_bool()),
        (200, Some(0), Some(false))
    );
    assert!(r.body["next_cursor"].is_null());

    // Searches fill the store (the fake boards).
    for q in ["engineer", "developer"] {
        assert_eq!(s.get_with_key(&format!("/jobs/search?q={q}&country=gb"), &key).await.status, 200);
    }
    let all = drain(&s, &key, json!({"batch_size": 1000})).await;
    assert!(all.len() > 20, "{}", all.len());
    let paged = drain(&s, &key, json!({"batch_size": 7})).await;
    assert_eq!(paged, all, "small pages return the same jobs, once each, in the same order");
    assert_eq!(paged.iter().collect::<HashSet<_>>().len(), paged.len());
    let first = feed(&s, &key, json!({"batch_size": 1})).await.body;
    let job = &first["jobs"][0];
    for field in ["id", "title", "company", "url", "source", "firstSeenAt", "updatedAt", "fetchedAt", "copies"] {
        assert!(!job[field].is_null(), "{field} in {job}");
    }

    // Filters.
    let gb = drain(&s, &key, json!({"country": "gb", "batch_size": 1000})).await;
    assert!(!gb.is_empty() && gb.len() <= all.len());
    let reed = drain(&s, &key, json!({"source": "reed", "batch_size": 1000})).await;
    assert!(reed.iter().all(|id| id.starts_with("reed:")), "{reed:?}");
    let later = drain(&s, &key, json!({"posted_after": "2999-01-01T00:00:00Z"})).await;
    assert!(later.is_empty());

    // Cursor tampering: garbage, a forged value, other filters. A real one continues.
    let page = feed(&s, &key, json!({"batch_size": 2})).await.body;
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let (seq, rest) = cursor.split_once('.').unwrap();
    let forged = format!("{:x}.{rest}", u64::from_str_radix(seq, 16).unwrap() + 1);
    for (bad, body) in [
        ("garbage", json!({"cursor": "not-a-cursor"})),
        ("forged", json!({"cursor": forged, "batch_size": 2})),
        ("other filters", json!({"cursor": cursor, "batch_size": 2, "country": "us"})),
    ] {
        let r = feed(&s, &key, body).await;
        assert_eq!(
            (r.status, r.body["code"].as_str(), r.body["error"].as_str()),
            (400, Some("invalid_cursor"), Some("Invalid cursor")),
            "{bad}"
        );
    }
    let next = feed(&s, &key, json!({"cursor": cursor, "batch_size": 2})).await;
    assert_eq!(next.status, 200);
    assert_eq!(next.body["jobs"][0]["id"].as_str(), Some(all[2].as_str()));

    // Bounds and bad fields: 400 naming the field.
    for (body, field) in [
        (json!({"batch_size": 0}), "batch_size"),
        (json!({"batch_size": 1001}), "batch_size"),
        (json!({"posted_after": "yesterday"}), "posted_after"),
        (json!({"country": "xx"}), "country"),
        (json!({"source": "monster"}), "source"),
    ] {
        let r = feed(&s, &key, body.clone()).await;
        assert_eq!((r.status, r.body["details"]["field"].as_str()), (400, Some(field)), "{body} → {}", r.body);
    }
    let r = s
        .send(
            s.http
                .post(s.url("/jobs/feed"))
                .header("x-api-key", &key)
                .header("content-type", "application/json")
                .body("{oops"),
        )
        .await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("invalid_json")));

    // Expired: nothing yet; the 7-day rule; bounds.
    let r = s.get_with_key("/jobs/expired", &key).await;
    assert_eq!((r.status, r.body["job_ids"].as_array().map(Vec::len)), (200, Some(0)), "{}", r.body);
    let old = (chrono::Utc::now() - chrono::Duration::days(8)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let r = s.get_with_key(&format!("/jobs/expired?expired_since={old}"), &key).await;
    assert_eq!((r.status, r.body["details"]["field"].as_str()), (400, Some("expired_since")));
    assert!(r.body["error"].as_str().unwrap().contains("7 days"), "{}", r.body);
    for q in ["batch_size=0", "batch_size=10001", "expired_since=never", "cursor=zz"] {
        assert_eq!(s.get_with_key(&format!("/jobs/expired?{q}"), &key).await.status, 400, "{q}");
    }

    // Jobs expire (a board reports them gone): they leave the feed and show in /jobs/expired.
    let gone: Vec<String> = all[..3].to_vec();
    assert_eq!(s.expire_jobs(&gone).await, 3);
    let active = drain(&s, &key, json!({"batch_size": 1000})).await;
    assert_eq!(active.len(), all.len() - 3);
    assert!(gone.iter().all(|id| !active.contains(id)));
    let mut expired = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/jobs/expired?batch_size=2&cursor={c}"),
            None => "/jobs/expired?batch_size=2".to_owned(),
        };
        let r = s.get_with_key(&path, &key).await;
        assert_eq!(r.status, 200, "{}", r.body);
        expired.extend(r.body["job_ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()));
        if r.body["has_more"] == false {
            break;
        }
        cursor = r.body["next_cursor"].as_str().map(str::to_owned);
    }
    expired.sort();
    let mut want = gone.clone();
    want.sort();
    assert_eq!(expired, want);

    // /jobs/expired never counts against the monthly quota; /jobs/feed does.
    let used = |me: Value| me["monthly_used"].as_u64().unwrap();
    let before = used(s.get_with_key("/auth/me", &key).await.body);
    for _ in 0..3 {
        assert_eq!(s.get_with_key("/jobs/expired", &key).await.status, 200);
    }
    assert_eq!(used(s.get_with_key("/auth/me", &key).await.body), before);
    feed(&s, &key, json!({})).await;
    assert_eq!(used(s.get_with_key("/auth/me", &key).await.body), before + 1);
    let _ = email;
    s.stop().await;
}

#[tokio::test]
async fn the_sync_pair_on_sqlite() {
    the_sync_pair_behaves(TestServer::start().await).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn the_sync_pair_on_postgres() {
    let Some(s) = TestServer::start_with(Setup { backend: Backend::Postgres, ..Setup::default() }).await else {
        return;
    };
    the_sync_pair_behaves(s).await;
}

#[tokio::test]
async fn an_ingestion_cycle_stores_the_watch_queries_and_expires_unseen_jobs() {
    let s = TestServer::start_with(Setup { ingest: jobin_tests::watching_ingest(), ..Setup::default() }).await.unwrap();
    let (_, key) = pro(&s).await;
    let (ingest, _) = s.state.background.ingest.clone().expect("scheduled");
    let report = ingest.run_cycle().await.unwrap();
    assert!(report.ran && report.queries == 2 && report.fetched > 0, "{report:?}");
    let stored = drain(&s, &key, json!({"batch_size": 1000})).await;
    assert_eq!(stored.len(), report.fetched, "every job the watch queries returned is in the feed");

    // Another node holding the cycle's lock: this node skips the cycle.
    let held = ingest
        .lock
        .try_acquire(jobin_core::usecases::INGEST_LOCK, std::time::Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert!(!ingest.run_cycle().await.unwrap().ran);
    ingest.lock.release(jobin_core::usecases::INGEST_LOCK, &held).await.unwrap();

    // Jobs last seen over an hour ago expire in the next cycle.
    let later = chrono::Utc::now() + chrono::Duration::hours(2);
    let n = s.state.jobs.store.expire_unseen(later - chrono::Duration::hours(1), later).await.unwrap();
    assert_eq!(n as usize, stored.len());
    assert!(drain(&s, &key, json!({})).await.is_empty());
    s.stop().await;
}

/// A failing board is counted in the cycle's report by the class of its failure, and a search
/// says the class in `meta.sources` and in its notice (no internal detail).
#[tokio::test]
async fn a_failing_board_is_reported_with_its_cause_by_the_cycle_and_by_a_search() {
    use jobin_core::domain::SourceId;
    use jobin_core::ports::FailureCause;
    let boards = jobin_adapters::fakes::demo_boards(7, std::time::Duration::ZERO, &[SourceId::Adzuna])
        .into_iter()
        .map(|b| b as std::sync::Arc<dyn jobin_core::ports::JobSource>)
        .collect();
    let setup = Setup { boards: Some(boards), ingest: jobin_tests::watching_ingest(), ..Setup::default() };
    let s = TestServer::start_with(setup).await.unwrap();
    let report = s.run_ingest().await;
    assert_eq!(report.failures.get(&(SourceId::Adzuna, FailureCause::Http5xx)), Some(&report.queries), "{report:?}");
    assert_eq!(report.failures.len(), 1, "{report:?}");
    assert!(report.failures_summary().contains("adzuna http_5xx ×"), "{}", report.failures_summary());
    assert!(!report.all_failed(), "the other boards answered");

    let (_, key) = s.register().await;
    let r = s.get_with_key("/v1/jobs/search?q=engineer&country=gb", &key).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let adzuna = r.body["meta"]["sources"].as_array().unwrap().iter().find(|m| m["name"] == "adzuna").unwrap().clone();
    assert_eq!((adzuna["status"].as_str(), adzuna["cause"].as_str()), (Some("error"), Some("http_5xx")), "{adzuna}");
    let notice = r.body["meta"]["notices"].as_array().unwrap().iter().find(|n| n["code"] == "source_failed").unwrap();
    assert_eq!((notice["source"].as_str(), notice["cause"].as_str()), (Some("adzuna"), Some("http_5xx")), "{notice}");
    assert!(notice["message"].as_str().unwrap().contains("http_5xx"), "{notice}");
    s.stop().await;
}
