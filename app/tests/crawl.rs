//! A fresh server fills its corpus by itself: the `jobin` binary on its default settings (only the
//! boards' addresses moved to a local stand-in, the keyed boards' to a closed port) crawls the
//! keyless boards' whole listings at start, and a client then finds every posting once.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

mod common;

use common::{call, register, set_plan, start_with_stderr};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn arbeitnow(slug: &str, company: &str) -> Value {
    json!({ "slug": slug, "company_name": company, "title": "Backend Engineer", "description": "<p>Go.</p>",
            "remote": false, "url": format!("https://www.arbeitnow.com/jobs/{slug}"), "tags": [],
            "job_types": [], "location": "Berlin", "created_at": 1_796_000_000 })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_server_fills_its_corpus_from_the_keyless_boards() {
    let boards = MockServer::start().await;
    // Arbeitnow: two pages; The Muse: one page; Remotive: its one listing.
    let page = |data: Vec<Value>, next: bool| {
        let next = next.then_some("https://www.arbeitnow.com/api/job-board-api?page=2");
        ResponseTemplate::new(200).set_body_json(json!({ "data": data, "links": { "next": next } }))
    };
    Mock::given(method("GET"))
        .and(path("/job-board-api"))
        .and(query_param("page", "1"))
        .respond_with(page(vec![arbeitnow("a-1", "Alpha GmbH"), arbeitnow("a-2", "Beta GmbH")], true))
        .mount(&boards)
        .await;
    Mock::given(method("GET"))
        .and(path("/job-board-api"))
        .and(query_param("page", "2"))
        .respond_with(page(vec![arbeitnow("a-3", "Gamma GmbH")], false))
        .mount(&boards)
        .await;
    let muse = json!({ "page": 0, "page_count": 1, "results": [{ "id": 77, "name": "Analyst", "company": { "name": "Delta Inc" },
        "locations": [{ "name": "New York, NY" }], "refs": { "landing_page": "https://www.themuse.com/jobs/77" },
        "publication_date": "2026-11-30T10:00:00Z", "contents": "<p>Numbers.</p>" }] });
    Mock::given(method("GET"))
        .and(path("/jobs"))
        .respond_with(ResponseTemplate::new(200).set_body_json(muse))
        .mount(&boards)
        .await;
    let remotive = json!({ "jobs": [{ "id": 9001, "url": "https://remotive.com/remote-jobs/9001", "title": "Support Lead",
        "company_name": "Epsilon", "publication_date": "2026-11-30T10:00:00", "candidate_required_location": "Worldwide",
        "description": "<p>Help.</p>", "tags": [], "job_type": "full_time" }] });
    Mock::given(method("GET"))
        .and(path("/remote-jobs"))
        .respond_with(ResponseTemplate::new(200).set_body_json(remotive))
        .mount(&boards)
        .await;

    let data = tempfile::tempdir().unwrap();
    let log = data.path().join("stderr.log");
    let mut vars = vec![
        ("JOBIN_JWT_SECRET", "crawl-jwt-secret-0123456789abcdef".to_owned()),
        ("JOBIN_KEY_PEPPER", "crawl-key-pepper-0123456789abcdef".to_owned()),
        ("JOBIN_DATA_DIR", data.path().display().to_string()),
        ("RUST_LOG", "info".into()),
    ];
    vars.extend(common::closed_boards());
    for (k, v) in vars.iter_mut() {
        if matches!(*k, "JOBIN_ARBEITNOW_BASE_URL" | "JOBIN_THEMUSE_BASE_URL" | "JOBIN_REMOTIVE_BASE_URL") {
            *v = boards.uri();
        }
    }
    let node = start_with_stderr(&vars, &std::fs::File::create(&log).unwrap()).await;
    // The first cycle runs at start: one line per board.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(&log).unwrap();
        if text.lines().filter(|l| l.contains("crawl cycle done")).count() == 3 {
            let arbeitnow = text.lines().find(|l| l.contains("crawl cycle done") && l.contains("arbeitnow")).unwrap();
            assert!(
                arbeitnow.contains("pages=2 fetched=3 new=3") && arbeitnow.contains("complete=true"),
                "{arbeitnow}"
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no crawl line for each keyless board:\n{text}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let http = reqwest::Client::new();
    let key = register(&http, &node.base, "203.0.113.9", "crawl@example.com").await;
    set_plan(&vars, "crawl@example.com", "scale");
    let (status, body) = call(http.get(format!("{}/v1/jobs?limit=100", node.base)).header("x-api-key", &key)).await;
    assert_eq!(status, 200, "{body}");
    let mut ids: Vec<&str> = body["jobs"].as_array().unwrap().iter().map(|j| j["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["arbeitnow:a-1", "arbeitnow:a-2", "arbeitnow:a-3", "remotive:9001", "themuse:77"], "{body}");
    assert_eq!(body["meta"]["total"], 5);
}
