//! The six board adapters over the wire, against wiremock: auth, parameters, paging, each error
//! class, slow answers, budgets and local filtering. Bodies are our own fixtures in each board's
//! documented shape.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use jobin_adapters::SystemClock;
use jobin_adapters::memory::MemoryMeter;
use jobin_adapters::sources::{Adzuna, Arbeitnow, BoardContext, Findwork, Reed, Remotive, TheMuse, board_client};
use jobin_adapters::sources::{BudgetWindow, RequestBudget};
use jobin_core::domain::{Country, SourceId};
use jobin_core::ports::{JobSource, SourceError, SourceQuery};
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn budget(overrides: HashMap<SourceId, Vec<BudgetWindow>>) -> Arc<RequestBudget> {
    Arc::new(RequestBudget::new(Arc::new(MemoryMeter::default()), Arc::new(SystemClock), overrides))
}

fn ctx(server: &MockServer, timeout_ms: u64) -> BoardContext {
    let client = board_client(Duration::from_millis(timeout_ms)).unwrap();
    BoardContext::new(&server.uri(), client, budget(HashMap::new()))
}

fn query(q: &str, country: Country, limit: usize) -> SourceQuery {
    SourceQuery { q: q.into(), location: None, country, limit }
}

fn secret(s: &str) -> Option<SecretString> {
    Some(SecretString::from(s.to_owned()))
}

fn adzuna_job(i: usize) -> Value {
    json!({
        "__CLASS__": "Adzuna::API::Response::Job",
        "id": format!("{}", 1000 + i),
        "title": format!("Rust Engineer {i}"),
        "description": "Build services in Rust…",
        "created": "2026-11-01T09:00:00Z",
        "redirect_url": format!("https://www.adzuna.co.uk/jobs/details/{}", 1000 + i),
        "company": {"display_name": "Ferris Ltd", "__CLASS__": "Adzuna::API::Response::Company"},
        "location": {"display_name": "London", "area": ["UK", "London", "Central London"]},
        "salary_min": 70000, "salary_max": 90000, "salary_is_predicted": "0"
    })
}

fn adzuna_page(range: std::ops::Range<usize>, count: usize) -> Value {
    json!({"__CLASS__": "Adzuna::API::Response::JobSearchResults", "count": count, "mean": 80000,
           "results": range.map(adzuna_job).collect::<Vec<_>>()})
}

#[tokio::test]
async fn adzuna_sends_its_keys_and_query_and_pages_until_the_limit() {
    let server = MockServer::start().await;
    for (page, range) in [(1, 0..50), (2, 50..100)] {
        Mock::given(method("GET"))
            .and(path(format!("/jobs/gb/search/{page}")))
            .and(query_param("app_id", "id-1"))
            .and(query_param("app_key", "key-1"))
            .and(query_param("what", "rust engineer"))
            .and(query_param("where", "London"))
            .and(query_param("results_per_page", "50"))
            .respond_with(ResponseTemplate::new(200).set_body_json(adzuna_page(range, 120)))
            .expect(1)
            .mount(&server)
            .await;
    }
    let board = Adzuna::new(ctx(&server, 2_000), Some(("id-1".into(), SecretString::from("key-1"))));
    let mut q = query("rust engineer", Country::Gb, 60);
    q.location = Some("London".into());
    let jobs = board.search(&q).await.unwrap();
    assert_eq!(jobs.len(), 60);
    assert_eq!(jobs[0].id, "adzuna:1000");
    assert_eq!(jobs[0].salary.as_ref().unwrap().currency, "GBP");
    assert_eq!(jobs[0].location.city, "Central London");
}

#[tokio::test]
async fn adzuna_stops_when_the_board_runs_out() {
    let server = MockServer::start().await;
    Mock::given(path("/jobs/us/search/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(adzuna_page(0..3, 3)))
        .expect(1)
        .mount(&server)
        .await;
    let board = Adzuna::new(ctx(&server, 2_000), Some(("i".into(), SecretString::from("k"))));
    let jobs = board.search(&query("rust", Country::Us, 50)).await.unwrap();
    assert_eq!(jobs.len(), 3);
    assert!(jobs.iter().all(|j| j.salary.as_ref().unwrap().currency == "USD"), "currency from the country");
}

#[tokio::test]
async fn keyed_boards_without_keys_are_unconfigured_and_make_no_request() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any()).respond_with(ResponseTemplate::new(500)).expect(0).mount(&server).await;
    let q = query("rust", Country::Gb, 10);
    assert!(matches!(Adzuna::new(ctx(&server, 500), None).search(&q).await, Err(SourceError::Unconfigured)));
    assert!(matches!(Reed::new(ctx(&server, 500), None).search(&q).await, Err(SourceError::Unconfigured)));
    assert!(matches!(Findwork::new(ctx(&server, 500), None).search(&q).await, Err(SourceError::Unconfigured)));
}

async fn adzuna_answering(template: ResponseTemplate, timeout_ms: u64) -> Result<usize, SourceError> {
    let server = MockServer::start().await;
    Mock::given(path("/jobs/gb/search/1")).respond_with(template).mount(&server).await;
    let board = Adzuna::new(ctx(&server, timeout_ms), Some(("i".into(), SecretString::from("k"))));
    board.search(&query("rust", Country::Gb, 10)).await.map(|j| j.len())
}

#[tokio::test]
async fn each_error_class_maps_to_its_own_error() {
    let r = adzuna_answering(ResponseTemplate::new(401), 2_000).await;
    assert!(matches!(r, Err(SourceError::Unauthorized { status: 401 })), "{r:?}");
    let r = adzuna_answering(ResponseTemplate::new(403), 2_000).await;
    assert!(matches!(r, Err(SourceError::Unauthorized { status: 403 })), "{r:?}");
    let r = adzuna_answering(ResponseTemplate::new(429).insert_header("Retry-After", "30"), 2_000).await;
    assert!(
        matches!(r, Err(SourceError::RateLimited { retry_after: Some(d) }) if d == Duration::from_secs(30)),
        "{r:?}"
    );
    let r = adzuna_answering(ResponseTemplate::new(503), 2_000).await;
    assert!(matches!(r, Err(SourceError::Upstream { status: 503 })), "{r:?}");
    let r = adzuna_answering(ResponseTemplate::new(200).set_body_string("<html>oops</html>"), 2_000).await;
    assert!(matches!(r, Err(SourceError::InvalidResponse(_))), "{r:?}");
    let slow = ResponseTemplate::new(200).set_body_json(adzuna_page(0..1, 1)).set_delay(Duration::from_secs(3));
    let r = adzuna_answering(slow, 300).await;
    assert!(matches!(r, Err(SourceError::Timeout)), "{r:?}");
}

/// A loopback address nothing listens on (a connection to it is refused).
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

#[tokio::test]
async fn an_unreachable_board_is_a_network_error_that_never_shows_the_key() {
    let url = closed_port();
    let ctx = BoardContext::new(&url, board_client(Duration::from_secs(2)).unwrap(), budget(HashMap::new()));
    let board = Adzuna::new(ctx, Some(("id".into(), SecretString::from("very-secret-key"))));
    let err = board.search(&query("rust", Country::Gb, 10)).await.unwrap_err();
    assert!(matches!(err, SourceError::Network(_)), "{err:?}");
    let shown = format!("{err} {err:?}");
    let shown = format!("{shown} {:#}", anyhow::Error::new(err));
    assert!(!shown.contains("very-secret-key"), "{shown}");
}

/// A resolver that resolves nothing (no lookup leaves the machine).
struct NoNames;

impl reqwest::dns::Resolve for NoNames {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let name = name.as_str().to_owned();
        Box::pin(async move {
            Err::<reqwest::dns::Addrs, _>(
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("failed to lookup address information: {name}"),
                )
                .into(),
            )
        })
    }
}

#[tokio::test]
async fn a_board_whose_name_does_not_resolve_fails_as_dns_and_a_refused_connection_as_connect() {
    let client = reqwest::Client::builder()
        .no_proxy()
        .dns_resolver(std::sync::Arc::new(NoNames))
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let ctx = BoardContext::new("http://api.adzuna.invalid", client, budget(HashMap::new()));
    let board = Adzuna::new(ctx, Some(("id".into(), SecretString::from("very-secret-key"))));
    let err = board.search(&query("rust", Country::Gb, 10)).await.unwrap_err();
    assert!(matches!(err, SourceError::Unresolved(_)), "{err:?}");
    assert_eq!(err.cause(), Some(jobin_core::ports::FailureCause::Dns));
    let shown = format!("{:#}", anyhow::Error::new(err));
    assert!(!shown.contains("very-secret-key"), "{shown}");

    let url = closed_port();
    let ctx = BoardContext::new(&url, board_client(Duration::from_secs(2)).unwrap(), budget(HashMap::new()));
    let board = Adzuna::new(ctx, Some(("id".into(), SecretString::from("k"))));
    let err = board.search(&query("rust", Country::Gb, 10)).await.unwrap_err();
    assert_eq!(err.cause(), Some(jobin_core::ports::FailureCause::Connect), "{err:?}");
}

#[tokio::test]
async fn a_spent_budget_stops_requests_before_they_are_made() {
    let server = MockServer::start().await;
    Mock::given(path("/jobs/gb/search/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(adzuna_page(0..2, 2)))
        .expect(2)
        .mount(&server)
        .await;
    let budget = budget(HashMap::from([(SourceId::Adzuna, vec![BudgetWindow::per_minute(2)])]));
    let ctx = BoardContext::new(&server.uri(), board_client(Duration::from_secs(2)).unwrap(), budget);
    let board = Adzuna::new(ctx, Some(("i".into(), SecretString::from("k"))));
    let q = query("rust", Country::Gb, 10);
    board.search(&q).await.unwrap();
    board.search(&q).await.unwrap();
    let r = board.search(&q).await;
    assert!(matches!(r, Err(SourceError::BudgetExhausted { retry_after: Some(_) })), "{r:?}");
}

#[tokio::test]
async fn a_request_that_never_reached_the_board_costs_none_of_its_budget() {
    let url = closed_port();
    // One request a minute: three failed connections later it is still there to spend.
    let budget = budget(HashMap::from([(SourceId::Adzuna, vec![BudgetWindow::per_minute(1)])]));
    let ctx = BoardContext::new(&url, board_client(Duration::from_secs(2)).unwrap(), budget);
    let board = Adzuna::new(ctx, Some(("i".into(), SecretString::from("k"))));
    let q = query("rust", Country::Gb, 10);
    for _ in 0..3 {
        let r = board.search(&q).await;
        assert!(matches!(r, Err(SourceError::Network(_))), "{r:?}");
    }
}

fn reed_job(i: usize) -> Value {
    json!({"jobId": 500 + i, "employerId": 1, "employerName": "Acme ", "jobTitle": format!("Data Analyst {i}"),
           "locationName": "Leeds", "minimumSalary": 12.5, "maximumSalary": 14.0, "currency": "GBP",
           "expirationDate": "30/12/2026", "date": "20/11/2026", "jobDescription": "Analyse &amp; report",
           "applications": 3, "jobUrl": format!("https://www.reed.co.uk/jobs/data-analyst/{}", 500 + i)})
}

#[tokio::test]
async fn reed_uses_basic_auth_with_an_empty_password_and_offset_paging() {
    let server = MockServer::start().await;
    // base64("reed-key:")
    let auth = "Basic cmVlZC1rZXk6";
    for (skip, range) in [("0", 0..100), ("100", 100..130)] {
        Mock::given(path("/search"))
            .and(header("authorization", auth))
            .and(query_param("keywords", "analyst"))
            .and(query_param("resultsToTake", "100"))
            .and(query_param("resultsToSkip", skip))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"results": range.map(reed_job).collect::<Vec<_>>(), "ambiguousLocations": [], "totalResults": 130}),
            ))
            .expect(1)
            .mount(&server)
            .await;
    }
    let board = Reed::new(ctx(&server, 2_000), secret("reed-key"));
    let jobs = board.search(&query("analyst", Country::Gb, 200)).await.unwrap();
    assert_eq!(jobs.len(), 130);
    let s = jobs[0].salary.as_ref().unwrap();
    assert_eq!((s.period.as_str(), s.currency.as_str()), ("hour", "GBP"));
    assert_eq!(jobs[0].description, "Analyse & report");
    assert_eq!(jobs[0].posted_at.unwrap().to_rfc3339(), "2026-11-20T00:00:00+00:00");
}

fn findwork_job(id: &str, location: Option<&str>, remote: bool) -> Value {
    json!({"id": id, "role": "Backend Engineer", "company_name": "Hexa", "company_num_employees": null,
           "employment_type": "full time", "location": location, "remote": remote, "logo": null,
           "url": format!("https://findwork.dev/{id}/backend-engineer"), "text": "<p>Rust &#x27;n&#x27; Go</p>",
           "date_posted": "2026-11-02T10:00:00Z", "keywords": ["rust", "go"], "source": "Hn"})
}

#[tokio::test]
async fn findwork_sends_its_token_follows_next_and_drops_other_countries() {
    let server = MockServer::start().await;
    let next = format!("{}/jobs/?page=2", server.uri());
    Mock::given(path("/jobs/"))
        .and(header("authorization", "Token fw-key"))
        .and(query_param("search", "backend"))
        .and(query_param("page", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"count": 4, "next": next, "previous": null,
            "results": [findwork_job("a1", Some("London, UK"), false), findwork_job("a2", Some("Berlin, Germany"), false)]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/jobs/"))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"count": 4, "next": null, "previous": null,
            "results": [findwork_job("a3", None, true), findwork_job("a4", Some("https://hexa.example"), false)]})))
        .expect(1)
        .mount(&server)
        .await;
    let board = Findwork::new(ctx(&server, 2_000), secret("fw-key"));
    let jobs = board.search(&query("backend", Country::Gb, 50)).await.unwrap();
    let ids: Vec<_> = jobs.iter().map(|j| j.id.as_str()).collect();
    assert_eq!(ids, vec!["findwork:a1", "findwork:a3", "findwork:a4"], "Berlin is not in gb");
    assert_eq!(jobs[0].location.city, "London");
    assert_eq!(jobs[0].description, "Rust 'n' Go");
    assert_eq!(jobs[0].skills, vec!["rust", "go"]);
}

#[test]
fn findwork_places_wrapped_in_a_work_arrangement_are_the_place_they_name() {
    let cases = [
        ("Onsite (Antwerp, Belgium)", "Antwerp", "", "BE"),
        ("1 day/week in the office (London, UK)", "London", "", "GB"),
        ("In person - San Francisco, CA", "San Francisco", "CA", "US"),
        ("Columbus, OH", "Columbus", "OH", "US"),
        ("London (Hybrid)", "London", "", "GB"),
        ("Zurich, Switzerland", "Zurich", "", "CH"),
    ];
    let results: Vec<Value> =
        cases.iter().enumerate().map(|(i, (place, ..))| findwork_job(&format!("p{i}"), Some(place), false)).collect();
    let body = serde_json::to_vec(&json!({"count": results.len(), "next": null, "results": results})).unwrap();
    let (jobs, _) = jobin_adapters::sources::findwork::parse_page(&body).unwrap();
    for (job, (place, city, region, country)) in jobs.iter().zip(cases) {
        let l = &job.location;
        assert_eq!((l.city.as_str(), l.region.as_str(), l.country.as_str()), (city, region, country), "{place}");
        assert!(!job.remote, "{place}");
    }
    let (remote, _) = jobin_adapters::sources::findwork::parse_page(
        &serde_json::to_vec(&json!({"results": [findwork_job("r", Some("Remote (US)"), false)]})).unwrap(),
    )
    .unwrap();
    let l = &remote[0].location;
    assert!(remote[0].remote);
    assert_eq!((l.city.as_str(), l.region.as_str(), l.country.as_str()), ("", "Remote (US)", "US"));
}

#[tokio::test]
async fn findwork_past_the_last_page_ends_paging_instead_of_failing() {
    let server = MockServer::start().await;
    let next = format!("{}/jobs/?page=2", server.uri());
    Mock::given(path("/jobs/"))
        .and(query_param("page", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"count": 1, "next": next, "previous": null, "results": [findwork_job("b1", None, true)]}),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/jobs/"))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"detail": "Invalid page."})))
        .mount(&server)
        .await;
    let board = Findwork::new(ctx(&server, 2_000), secret("k"));
    assert_eq!(board.search(&query("backend", Country::Us, 50)).await.unwrap().len(), 1);
}

fn remotive_job(id: u64, title: &str, location: &str) -> Value {
    let tags = if title.contains("Rust") { json!(["rust ", "Rust", "aws"]) } else { json!(["figma", "ux"]) };
    json!({"id": id, "url": format!("https://remotive.com/remote-jobs/software-dev/x-{id}"), "title": title,
           "company_name": "Remote Co ", "company_logo": "", "category": "Software Development",
           "tags": tags, "job_type": "full_time", "publication_date": "2026-11-20T08:00:00",
           "candidate_required_location": location, "salary": "$120k - $150k",
           "description": format!("<p>Remote {title} work</p><img src=\"https://remotive.com/job/track/1/blank.gif\">")})
}

#[tokio::test]
async fn remotive_fetches_the_listing_once_and_filters_each_query_locally() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/remote-jobs"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "00-warning": "…", "0-legal-notice": "…", "job-count": 3, "total-job-count": 3,
            "jobs": [remotive_job(1, "Rust Engineer", "Worldwide"), remotive_job(2, "Rust Developer", "USA"),
                     remotive_job(3, "Designer", "Europe")]})))
        .expect(1)
        .mount(&server)
        .await;
    let board = Remotive::new(ctx(&server, 2_000), Duration::from_secs(3600));
    let gb: Vec<_> = board.search(&query("rust", Country::Gb, 10)).await.unwrap().into_iter().map(|j| j.id).collect();
    assert_eq!(gb, vec!["remotive:1"], "USA-only job excluded for gb; designer does not match");
    let us: Vec<_> = board.search(&query("rust", Country::Us, 10)).await.unwrap().into_iter().map(|j| j.id).collect();
    assert_eq!(us, vec!["remotive:1", "remotive:2"]);
    let de = board.search(&query("designer", Country::De, 10)).await.unwrap();
    assert_eq!(de.len(), 1);
    assert_eq!(de[0].skills, vec!["figma", "ux"]);
    let gb_all = board.search(&query("rust", Country::Gb, 10)).await.unwrap();
    assert_eq!(gb_all[0].skills, vec!["rust", "aws"], "tags trimmed, duplicates dropped");
    assert_eq!(de[0].salary.as_ref().unwrap().max, 150_000.0);
}

fn arbeitnow_job(slug: &str, title: &str, location: &str) -> Value {
    let tags = if title.contains("Rust") { json!(["Rust"]) } else { json!(["Vertrieb"]) };
    json!({"slug": slug, "company_name": "Berlin Tech GmbH", "title": title,
           "description": "&lt;p&gt;Wir suchen&lt;/p&gt;", "remote": false,
           "url": format!("https://www.arbeitnow.com/jobs/companies/berlin-tech/{slug}"),
           "tags": tags, "job_types": ["Full-time"], "location": location, "created_at": 1_763_600_000})
}

#[tokio::test]
async fn arbeitnow_follows_links_next_and_filters_by_keyword_and_country() {
    let server = MockServer::start().await;
    let next = format!("{}/job-board-api?page=2", server.uri());
    Mock::given(path("/job-board-api"))
        .and(query_param("page", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [arbeitnow_job("rust-dev-berlin-1", "Rust Entwickler (m/w/d)", "Berlin")],
            "links": {"first": "", "last": null, "prev": null, "next": next},
            "meta": {"current_page": 1, "per_page": 1, "terms": "…", "info": "…"}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/job-board-api"))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [arbeitnow_job("rust-dev-paris-2", "Rust Developer", "Paris, France"),
                     arbeitnow_job("sales-3", "Sales Manager", "Hamburg")],
            "links": {"first": "", "last": null, "prev": null, "next": null},
            "meta": {"current_page": 2, "per_page": 2}})))
        .expect(1)
        .mount(&server)
        .await;
    let board = Arbeitnow::new(ctx(&server, 2_000), Duration::from_secs(3600));
    let de = board.search(&query("rust", Country::De, 10)).await.unwrap();
    assert_eq!(de.iter().map(|j| j.id.as_str()).collect::<Vec<_>>(), vec!["arbeitnow:rust-dev-berlin-1"]);
    assert_eq!(de[0].description, "Wir suchen");
    assert_eq!(de[0].posted_at.unwrap().timestamp(), 1_763_600_000);
    let fr = board.search(&query("rust", Country::Fr, 10)).await.unwrap();
    assert_eq!(fr.iter().map(|j| j.id.as_str()).collect::<Vec<_>>(), vec!["arbeitnow:rust-dev-paris-2"]);
}

fn muse_job(id: u64, name: &str, location: &str) -> Value {
    json!({"id": id, "name": name, "short_name": "x", "contents": "<p>Join us</p>", "type": "external",
           "publication_date": "2026-11-10T12:00:00Z", "model_type": "jobs", "locations": [{"name": location}],
           "categories": [{"name": "Software Engineering"}], "levels": [{"name": "Senior Level", "short_name": "senior"}],
           "tags": [], "refs": {"landing_page": format!("https://www.themuse.com/jobs/co/{id}")},
           "company": {"id": 1, "short_name": "co", "name": "Muse Co"}})
}

#[tokio::test]
async fn the_muse_pages_from_zero_and_filters_locally() {
    let server = MockServer::start().await;
    Mock::given(path("/jobs"))
        .and(query_param("page", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"page": 0, "page_count": 2, "items_per_page": 20,
            "total": 3, "results": [muse_job(1, "Software Engineer", "New York, NY"), muse_job(2, "Software Engineer", "London, United Kingdom")]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/jobs"))
        .and(query_param("page", "1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"page": 1, "page_count": 2, "items_per_page": 20,
            "total": 3, "results": [muse_job(3, "Software Engineer", "Flexible / Remote")]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let board = TheMuse::new(ctx(&server, 2_000), None, Duration::from_secs(3600));
    let us = board.search(&query("software engineer", Country::Us, 10)).await.unwrap();
    assert_eq!(us.iter().map(|j| j.id.as_str()).collect::<Vec<_>>(), vec!["themuse:1", "themuse:3"]);
    assert_eq!(us[0].seniority.map(|s| s.as_str()), Some("senior"));
    assert!(us[1].remote);
    let gb = board.search(&query("engineer", Country::Gb, 10)).await.unwrap();
    assert_eq!(gb.iter().map(|j| j.id.as_str()).collect::<Vec<_>>(), vec!["themuse:2", "themuse:3"]);
}

#[tokio::test]
async fn the_muse_403_is_its_rate_limit() {
    let server = MockServer::start().await;
    Mock::given(path("/jobs"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"code": 403, "error": "Rate limit exceeded"})))
        .mount(&server)
        .await;
    let board = TheMuse::new(ctx(&server, 2_000), None, Duration::from_secs(3600));
    let r = board.search(&query("x", Country::Us, 10)).await;
    assert!(matches!(r, Err(SourceError::RateLimited { .. })), "{r:?}");
}

#[tokio::test]
async fn the_muse_sends_its_optional_key() {
    let server = MockServer::start().await;
    Mock::given(path("/jobs"))
        .and(query_param("api_key", "muse-key"))
        .respond_with(|_: &Request| {
            ResponseTemplate::new(200).set_body_json(json!({"page": 0, "page_count": 1, "results": []}))
        })
        .expect(1)
        .mount(&server)
        .await;
    let board = TheMuse::new(ctx(&server, 2_000), secret("muse-key"), Duration::from_secs(3600));
    assert!(board.search(&query("x", Country::Us, 10)).await.unwrap().is_empty());
}
