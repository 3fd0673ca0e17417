//! Saved searches over HTTP (`/v1/searches*`): the life of a search from creation to its matches
//! (once per posting and version, never before the search existed), paging, caps by plan, field
//! checks, tenant isolation, scopes and sessions, and matching on its own schedule after a live
//! search lands postings.

use chrono::Utc;
use jobin_core::domain::{CatalogOverrides, Job, Plan, PlanCatalog, PlanOverride};
use jobin_tests::{Reply, Setup, TestServer};
use serde_json::{Value, json};

const API: &str = "/v1/searches";

async fn call(s: &TestServer, method: &str, path: &str, auth: &str, body: Option<Value>) -> Reply {
    s.call(method, path, auth, body).await
}

async fn create(s: &TestServer, auth: &str, body: Value) -> Value {
    let r = call(s, "POST", API, auth, Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["data"].clone()
}

use jobin_tests::posting;

/// Stores postings as ingestion would, then runs one matching cycle.
async fn land(s: &TestServer, jobs: &[Job]) {
    s.store_jobs(jobs).await;
    s.run_matching().await;
}

async fn matches(s: &TestServer, key: &str, id: i64, query: &str) -> Reply {
    s.get_with_key(&format!("{API}/{id}/matches?{query}"), key).await
}

fn job_ids(r: &Reply) -> Vec<String> {
    r.body["data"].as_array().unwrap().iter().map(|e| e["data"]["job_id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_saved_search_lives_from_creation_to_its_matches() {
    a_whole_life(TestServer::start().await).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn a_saved_search_lives_its_whole_life_on_postgres() {
    let setup = Setup { backend: jobin_tests::Backend::Postgres, ..Setup::default() };
    let Some(s) = TestServer::start_with(setup).await else { return };
    a_whole_life(s).await;
}

async fn a_whole_life(s: TestServer) {
    let (_, key) = s.register().await;
    // Postings that landed before the search are not news to it.
    land(&s, &[posting("old", "Rust Developer", "Leeds", "GB")]).await;
    let r = call(&s, "POST", API, &key, Some(json!({"q": " Rust ", "location": "leeds", "country": "GB"}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let search = r.body["data"].clone();
    let id = search["id"].as_i64().unwrap();
    assert_eq!(r.header("location"), Some(format!("{API}/{id}").as_str()));
    assert_eq!(search["name"], "Rust", "the name defaults to q");
    assert_eq!(search["q"], "Rust");
    assert_eq!(search["country"], "gb");
    assert_eq!(search["remote"], false);
    assert_eq!(search["sources"], json!([]));
    assert!(search.get("salary_min").is_none(), "absent, not null: {search}");
    assert_eq!(call(&s, "GET", &format!("{API}/{id}"), &key, None).await.body["data"], search);
    let r = call(&s, "GET", API, &key, None).await;
    assert_eq!((r.body["total"].as_u64(), r.body["data"][0]["id"].as_i64()), (Some(1), Some(id)), "{}", r.text);

    assert!(job_ids(&matches(&s, &key, id, "").await).is_empty());
    land(
        &s,
        &[
            posting("old", "Rust Developer", "Leeds", "GB"),
            posting("1", "Senior Rust Engineer", "Leeds", "GB"),
            posting("2", "Python Developer", "Leeds", "GB"),
            posting("3", "Rust Developer", "London", "GB"),
        ],
    )
    .await;
    let r = matches(&s, &key, id, "").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(job_ids(&r), ["reed:1"], "only the new posting that matches every field");
    let event = &r.body["data"][0];
    assert_eq!(event["type"], "job.matched");
    assert_eq!(event["data"]["search_id"], id);
    assert_eq!(event["data"]["job"]["title"], "Senior Rust Engineer", "the posting comes with the event");
    assert_eq!(r.body["has_more"], false);

    // The same posting landing again unchanged is no news; a change is a new version.
    land(&s, &[posting("1", "Senior Rust Engineer", "Leeds", "GB")]).await;
    assert_eq!(job_ids(&matches(&s, &key, id, "").await), ["reed:1"]);
    land(&s, &[posting("1", "Lead Rust Engineer", "Leeds", "GB"), posting("4", "Rust Tester", "Leeds", "GB")]).await;
    let r = matches(&s, &key, id, "").await;
    assert_eq!(job_ids(&r), ["reed:4", "reed:1", "reed:1"], "newest first: {}", r.text);
    let versions: Vec<&str> =
        r.body["data"].as_array().unwrap().iter().map(|e| e["data"]["job_updated_at"].as_str().unwrap()).collect();
    assert_ne!(versions[1], versions[2], "two versions of reed:1");
    // Paged by `before`.
    let first = matches(&s, &key, id, "limit=2").await;
    assert_eq!((job_ids(&first).len(), first.body["has_more"].as_bool()), (2, Some(true)), "{}", first.text);
    let next = first.body["next_before"].as_i64().unwrap();
    let rest = matches(&s, &key, id, &format!("limit=2&before={next}")).await;
    assert_eq!(job_ids(&rest), ["reed:1"]);
    assert_eq!(rest.body["has_more"], false);

    // A change keeps what it does not name and matches from then on.
    let r = call(&s, "PATCH", &format!("{API}/{id}"), &key, Some(json!({"q": "python", "country": null}))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((r.body["data"]["q"].as_str(), r.body["data"]["name"].as_str()), (Some("python"), Some("Rust")));
    assert_eq!(r.body["data"]["location"], "leeds");
    assert!(r.body["data"].get("country").is_none(), "cleared: {}", r.text);
    land(&s, &[posting("5", "Python Engineer", "Leeds", "US")]).await;
    assert_eq!(job_ids(&matches(&s, &key, id, "limit=1").await), ["reed:5"]);

    assert_eq!(call(&s, "DELETE", &format!("{API}/{id}"), &key, None).await.status, 204);
    let r = call(&s, "GET", &format!("{API}/{id}"), &key, None).await;
    assert_eq!((r.status, r.body["code"].as_str()), (404, Some("saved_search_not_found")), "{}", r.text);
    assert_eq!(matches(&s, &key, id, "").await.status, 404);
    assert_eq!(call(&s, "GET", API, &key, None).await.body["total"], 0);
}

#[tokio::test]
async fn each_plan_holds_its_number_of_saved_searches() {
    let mut o = CatalogOverrides::default();
    o.plans.insert(Plan::Pro, PlanOverride { saved_searches: Some(0), ..Default::default() });
    let catalog = PlanCatalog::document().with_overrides(&o).unwrap();
    let s = TestServer::start_with(Setup { catalog, ..Setup::default() }).await.unwrap();
    let (email, key) = s.register().await;
    create(&s, &key, json!({"q": "rust"})).await;
    let r = call(&s, "POST", API, &key, Some(json!({"q": "go"}))).await;
    assert_eq!((r.status, r.body["code"].as_str()), (409, Some("saved_search_limit_reached")), "{}", r.text);
    assert_eq!(r.body["details"], json!({"limit": 1, "plan": "free"}));
    assert!(r.body["error"].as_str().unwrap().contains("at most 1 saved search;"), "{}", r.text);
    s.set_plan(&email, "starter").await;
    for i in 1..10 {
        create(&s, &key, json!({"q": format!("rust {i}")})).await;
    }
    let r = call(&s, "POST", API, &key, Some(json!({"q": "go"}))).await;
    assert_eq!((r.status, r.body["details"]["limit"].as_u64()), (409, Some(10)), "{}", r.text);
    // Deleting one makes room; a plan the operator gave none holds none.
    let last = call(&s, "GET", &format!("{API}?per_page=1&page=10"), &key, None).await;
    let id = last.body["data"][0]["id"].as_i64().unwrap();
    assert_eq!(call(&s, "DELETE", &format!("{API}/{id}"), &key, None).await.status, 204);
    create(&s, &key, json!({"q": "go"})).await;
    s.set_plan(&email, "pro").await;
    let r = call(&s, "POST", API, &key, Some(json!({"q": "java"}))).await;
    assert_eq!((r.status, r.body["details"]["limit"].as_u64()), (409, Some(0)), "{}", r.text);
    let r = s.send(s.http.get(s.url("/pricing"))).await;
    let caps: Vec<u64> =
        r.body["plans"].as_array().unwrap().iter().map(|p| p["saved_searches"].as_u64().unwrap()).collect();
    assert_eq!(caps, [1, 10, 0, 1_000], "/pricing states this server's caps");
}

#[tokio::test]
async fn bad_fields_are_400s_naming_the_field_and_nothing_is_written() {
    let s = TestServer::start().await;
    let (_, key) = s.register().await;
    for (body, field) in [
        (json!({"q": "  "}), "q"),
        (json!({}), "q"),
        (json!({"q": "rust", "name": "n".repeat(101)}), "name"),
        (json!({"q": "rust", "country": "zz"}), "country"),
        (json!({"q": "rust", "sources": ["monster"]}), "sources"),
        (json!({"q": "rust", "salary_min": 50000}), "salary_currency"),
        (json!({"q": "rust", "salary_currency": "GBP"}), "salary_currency"),
        (json!({"q": "rust", "salary_min": 0, "country": "gb"}), "salary_min"),
        (json!({"q": "rust", "salary_min": u64::MAX, "country": "gb"}), "salary_min"),
        (json!({"q": "rust", "employment_types": ["gig"]}), "employment_types"),
        (json!({"q": "rust", "workplace_types": ["moon"]}), "workplace_types"),
        (json!({"q": "rust", "location": "a\u{7}b"}), "location"),
    ] {
        let r = call(&s, "POST", API, &key, Some(body.clone())).await;
        assert_eq!((r.status, r.body["code"].as_str()), (400, Some("validation_failed")), "{body}: {}", r.text);
        assert_eq!(r.body["details"]["field"], field, "{body}: {}", r.text);
    }
    assert_eq!(call(&s, "GET", API, &key, None).await.body["total"], 0, "nothing was saved");
    let search = create(
        &s,
        &key,
        json!({"q": "rust", "name": "Rust, well paid", "country": "gb", "salary_min": 60000,
               "sources": ["reed", "adzuna", "reed"], "employment_types": ["full_time"]}),
    )
    .await;
    assert_eq!(search["salary_currency"], "GBP", "the country's currency");
    assert_eq!(search["sources"], json!(["reed", "adzuna"]), "repeats dropped");
    let path = format!("{API}/{}", search["id"]);
    let r = call(&s, "PATCH", &path, &key, Some(json!({"q": "go", "country": "zz"}))).await;
    assert_eq!((r.status, r.body["details"]["field"].as_str()), (400, Some("country")), "{}", r.text);
    assert_eq!(call(&s, "GET", &path, &key, None).await.body["data"], search, "unchanged");
    // Clearing the floor clears its currency; paging is checked.
    let r = call(&s, "PATCH", &path, &key, Some(json!({"salary_min": null}))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["data"].get("salary_currency").is_none(), "{}", r.text);
    for q in ["page=0", "per_page=101", "per_page=0"] {
        assert_eq!(call(&s, "GET", &format!("{API}?{q}"), &key, None).await.status, 400, "{q}");
    }
    // A page far past the end (its offset past what a database integer holds) is empty.
    for q in ["page=461168601842738792", &format!("page={}&per_page=100", u64::MAX)] {
        let r = call(&s, "GET", &format!("{API}?{q}"), &key, None).await;
        assert_eq!((r.status, r.body["data"].as_array().map(Vec::len)), (200, Some(0)), "{q}: {}", r.text);
        assert_eq!(r.body["has_more"], false);
    }
    for q in ["limit=0", "limit=101", "before=0"] {
        assert_eq!(s.get_with_key(&format!("{path}/matches?{q}"), &key).await.status, 400, "{q}");
    }
}

#[tokio::test]
async fn another_accounts_searches_do_not_exist_for_you() {
    let s = TestServer::start().await;
    let (_, a) = s.register().await;
    let (_, b) = s.register().await;
    let id = create(&s, &a, json!({"q": "rust"})).await["id"].as_i64().unwrap();
    let path = format!("{API}/{id}");
    for (method, path, body) in [
        ("GET", path.clone(), None),
        ("PATCH", path.clone(), Some(json!({"q": "go"}))),
        ("DELETE", path.clone(), None),
        ("GET", format!("{path}/matches"), None),
    ] {
        let r = call(&s, method, &path, &b, body).await;
        assert_eq!((r.status, r.body["code"].as_str()), (404, Some("saved_search_not_found")), "{method} {path}");
    }
    assert_eq!(call(&s, "GET", API, &b, None).await.body["total"], 0);
    assert_eq!(call(&s, "GET", &path, &a, None).await.body["data"]["q"], "rust", "untouched");
}

#[tokio::test]
async fn sessions_may_manage_searches_and_keys_need_the_search_scopes() {
    let s = TestServer::start().await;
    let (email, key) = s.register().await;
    let (session, _) = s.login(&email).await;
    let id = create(&s, &session, json!({"q": "rust"})).await["id"].as_i64().unwrap();
    assert_eq!(call(&s, "GET", API, &key, None).await.body["total"], 1, "the same account");
    let r = call(&s, "GET", &format!("{API}/{id}/matches"), &session, None).await;
    assert_eq!((r.status, r.body["code"].as_str()), (401, Some("api_key_required")), "matches are job data");
    let mint = |scopes: Value| {
        let (s, key) = (&s, &key);
        async move {
            let r = call(s, "POST", "/v1/auth/keys", key, Some(json!({"name": "narrow", "scopes": scopes}))).await;
            assert_eq!(r.status, 201, "{}", r.text);
            r.body["key"].as_str().unwrap().to_owned()
        }
    };
    let reader = mint(json!(["searches:read"])).await;
    assert_eq!(call(&s, "GET", API, &reader, None).await.status, 200);
    let r = call(&s, "POST", API, &reader, Some(json!({"q": "go"}))).await;
    assert_eq!((r.status, r.body["details"]["required"].as_str()), (403, Some("searches:write")), "{}", r.text);
    let r = matches(&s, &reader, id, "").await;
    assert_eq!((r.status, r.body["details"]["required"].as_str()), (403, Some("jobs:read")), "{}", r.text);
    let jobs_only = mint(json!(["jobs:read"])).await;
    let r = call(&s, "GET", API, &jobs_only, None).await;
    assert_eq!((r.status, r.body["details"]["required"].as_str()), (403, Some("searches:read")), "{}", r.text);
    let r = call(&s, "GET", "/auth/me", &key, None).await;
    let scopes = &r.body["api_keys"][0]["scopes"];
    assert!(scopes.as_array().unwrap().iter().any(|s| s == "searches:write"), "a new key holds every scope: {scopes}");
    // The unversioned paths never had saved searches.
    assert_eq!(call(&s, "GET", "/searches", &key, None).await.status, 404);
}

#[tokio::test]
async fn postings_a_live_search_lands_are_matched_on_schedule() {
    let mut ingest = Setup::default().ingest;
    ingest.match_every = Some(std::time::Duration::from_secs(1));
    let s = TestServer::start_with(Setup { ingest, ..Setup::default() }).await.unwrap();
    let (_, key) = s.register().await;
    let id = create(&s, &key, json!({"q": "engineer"})).await["id"].as_i64().unwrap();
    let r = s.get_with_key("/v1/jobs/search?q=engineer", &key).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let found: Vec<String> =
        r.body["jobs"].as_array().unwrap().iter().map(|j| j["id"].as_str().unwrap().to_owned()).collect();
    assert!(!found.is_empty());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let r = matches(&s, &key, id, "limit=100").await;
        assert_eq!(r.status, 200, "{}", r.text);
        let matched = job_ids(&r);
        if !matched.is_empty() {
            assert!(matched.iter().all(|m| found.contains(m)), "only what the search landed: {matched:?}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no match within 15 s of the search");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    s.stop().await;
}

/// The receiver's check, written from the README's description (not the server's code): HMAC-SHA256
/// of "<t>.<body>" under the secret, hex, compared with `v1`; `t` within five minutes.
fn verify(secret: &str, header: &str, body: &[u8]) -> bool {
    use hmac::{Hmac, Mac};
    let parts: std::collections::HashMap<&str, &str> = header.split(',').filter_map(|p| p.split_once('=')).collect();
    let (Some(t), Some(v1)) = (parts.get("t"), parts.get("v1")) else { return false };
    let Ok(stamp) = t.parse::<i64>() else { return false };
    if (Utc::now().timestamp() - stamp).abs() > 300 {
        return false;
    }
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    hex::decode(v1).is_ok_and(|sig| mac.verify_slice(&sig).is_ok())
}

async fn deliver(s: &TestServer) -> jobin_core::usecases::DeliveryRun {
    s.run_deliveries().await
}

#[tokio::test]
async fn a_webhook_receives_each_match_signed_and_failures_are_tried_again() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let receiver = MockServer::start().await;
    Mock::given(method("POST")).and(path("/hook")).respond_with(ResponseTemplate::new(200)).mount(&receiver).await;
    let s = TestServer::start().await;
    let (_, key) = s.register().await;
    let hook = format!("{}/hook", receiver.uri());
    let r = call(&s, "POST", API, &key, Some(json!({"q": "rust", "webhook_url": hook}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let secret = r.body["data"]["webhook"]["secret"].as_str().expect("the secret, shown once").to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert_eq!(r.body["data"]["webhook"]["status"], "active");
    let id = r.body["data"]["id"].as_i64().unwrap();
    let path_of = |p: &str| format!("{API}/{id}{p}");
    let shown = call(&s, "GET", &path_of(""), &key, None).await;
    assert!(shown.body["data"]["webhook"].get("secret").is_none(), "never shown again: {}", shown.text);
    assert_eq!(deliver(&s).await.attempted, 0, "nothing queued yet");

    land(&s, &[posting("1", "Rust Developer", "Leeds", "GB")]).await;
    assert_eq!(deliver(&s).await.delivered, 1);
    let got = receiver.received_requests().await.unwrap();
    assert_eq!(got.len(), 1);
    let signature = got[0].headers.get("jobin-signature").expect("signed").to_str().unwrap().to_owned();
    assert!(verify(&secret, &signature, &got[0].body), "the signature verifies independently: {signature}");
    assert!(!verify("whsec_wrong", &signature, &got[0].body));
    let event: Value = serde_json::from_slice(&got[0].body).unwrap();
    let listed = matches(&s, &key, id, "").await.body["data"][0].clone();
    assert_eq!(event, listed, "the webhook receives exactly what the API lists");
    assert_eq!(
        (event["type"].as_str(), event["data"]["job"]["title"].as_str()),
        (Some("job.matched"), Some("Rust Developer"))
    );
    let r = call(&s, "GET", &path_of("/deliveries"), &key, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let d = &r.body["data"][0];
    assert_eq!((d["status"].as_str(), d["event_id"].as_i64()), (Some("delivered"), event["id"].as_i64()));
    assert_eq!(d["attempts"][0]["status_code"], 200);
    assert_eq!(deliver(&s).await.attempted, 0, "delivered once");

    // A failing receiver: the attempt is kept and tried again in about 30 s, or now on request.
    receiver.reset().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(503)).mount(&receiver).await;
    land(&s, &[posting("2", "Rust Engineer", "Leeds", "GB")]).await;
    let before = Utc::now();
    assert_eq!(deliver(&s).await.retrying, 1);
    let r = call(&s, "GET", &path_of("/deliveries?limit=1"), &key, None).await;
    let d = r.body["data"][0].clone();
    assert_eq!((d["status"].as_str(), d["attempts"][0]["status_code"].as_u64()), (Some("pending"), Some(503)));
    assert_eq!(d["attempts"][0]["error"], "the receiver answered 503");
    let due = chrono::DateTime::parse_from_rfc3339(d["next_attempt_at"].as_str().unwrap()).unwrap();
    let wait = (due.to_utc() - before).num_seconds();
    assert!((28..=32).contains(&wait), "the second attempt about 30 s later: {wait}");
    assert_eq!(deliver(&s).await.attempted, 0, "not due yet");
    let webhook = call(&s, "GET", &path_of(""), &key, None).await.body["data"]["webhook"].clone();
    assert!(webhook["failing_since"].is_string(), "{webhook}");
    let r = call(&s, "POST", &path_of(&format!("/deliveries/{}/retry", d["id"])), &key, None).await;
    assert_eq!((r.status, r.body["data"]["status"].as_str()), (202, Some("pending")), "{}", r.text);
    assert_eq!(deliver(&s).await.retrying, 1, "the second attempt, made now");
    let r = call(&s, "GET", &path_of("/deliveries?limit=1"), &key, None).await;
    assert_eq!(r.body["data"][0]["attempts"].as_array().unwrap().len(), 2);
    let r = call(&s, "POST", &path_of("/deliveries/999999/retry"), &key, None).await;
    assert_eq!((r.status, r.body["code"].as_str()), (404, Some("delivery_not_found")));

    // A test event, then the webhook removed.
    let r = call(&s, "POST", &path_of("/test"), &key, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["data"], json!({"delivered": false, "status_code": null}), "only: not delivered");
    receiver.reset().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&receiver).await;
    let r = call(&s, "POST", &path_of("/test"), &key, None).await;
    assert_eq!(r.body["data"], json!({"delivered": true, "status_code": 200}), "{}", r.text);
    let got = receiver.received_requests().await.unwrap();
    let test: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!((test["type"].as_str(), test["data"]["search_id"].as_i64()), (Some("test"), Some(id)));
    let signature = got[0].headers.get("jobin-signature").unwrap().to_str().unwrap();
    assert!(verify(&secret, signature, &got[0].body));
    let r = call(&s, "PATCH", &path_of(""), &key, Some(json!({"webhook_url": null}))).await;
    assert!(r.body["data"].get("webhook").is_none(), "{}", r.text);
    let r = call(&s, "POST", &path_of("/test"), &key, None).await;
    assert_eq!((r.status, r.body["code"].as_str()), (409, Some("no_webhook")), "{}", r.text);
    // Set again: a new secret, shown once.
    let r = call(&s, "PATCH", &path_of(""), &key, Some(json!({"webhook_url": hook}))).await;
    let again = r.body["data"]["webhook"]["secret"].as_str().unwrap();
    assert_ne!(again, secret);
    for bad in ["http://hooks.example.com/x", "ftp://x", "https://"] {
        let r = call(&s, "PATCH", &path_of(""), &key, Some(json!({"webhook_url": bad}))).await;
        assert_eq!((r.status, r.body["details"]["field"].as_str()), (400, Some("webhook_url")), "{bad}: {}", r.text);
    }
}

/// The README's verification snippets (Python, and Node where installed), run as written on a
/// delivery the server signed: they accept it, and refuse it with a wrong secret or a changed body.
#[tokio::test]
async fn the_readmes_verification_snippets_accept_a_real_delivery() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let section = &readme[readme.find("\n### Webhooks\n").expect("a Webhooks section")..];
    let snippet = |lang: &str| {
        let start =
            section.find(&format!("```{lang}\n")).unwrap_or_else(|| panic!("a {lang} snippet")) + lang.len() + 4;
        section[start..start + section[start..].find("```").unwrap()].to_owned()
    };
    let receiver = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&receiver).await;
    let s = TestServer::start().await;
    let (_, key) = s.register().await;
    let r = call(&s, "POST", API, &key, Some(json!({"q": "rust", "webhook_url": receiver.uri()}))).await;
    let secret = r.body["data"]["webhook"]["secret"].as_str().unwrap().to_owned();
    let id = r.body["data"]["id"].as_i64().unwrap();
    assert_eq!(call(&s, "POST", &format!("{API}/{id}/test"), &key, None).await.body["data"]["delivered"], true);
    let got = &receiver.received_requests().await.unwrap()[0];
    let header = got.headers.get("jobin-signature").unwrap().to_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("body"), &got.body).unwrap();
    let cases = [(secret.as_str(), "body", true), ("whsec_wrong", "body", false), (secret.as_str(), "changed", false)];
    std::fs::write(dir.path().join("changed"), [got.body.as_slice(), b" "].concat()).unwrap();
    let python = format!(
        "{}\nimport sys\nbody = open(sys.argv[3], 'rb').read()\nprint(verify(sys.argv[1], sys.argv[2], body))\n",
        snippet("python")
    );
    let node = format!(
        "{}\nconst [secret, header, file] = process.argv.slice(1);\nconsole.log(verify(secret, header, require('node:fs').readFileSync(file)) ? 'True' : 'False');\n",
        snippet("js")
    );
    let mut ran = 0;
    for (tool, flag, code) in [("python3", "-c", python), ("node", "-e", node)] {
        if std::process::Command::new(tool).arg("--version").output().is_err() {
            assert_ne!(tool, "python3", "python3 runs the README's Python snippet");
            eprintln!("!!!!! {tool} is not installed: the README's {tool} snippet was not run here");
            continue;
        }
        for (secret, file, expected) in cases {
            let out = std::process::Command::new(tool)
                .current_dir(dir.path())
                .args([flag, &code])
                .args([secret, header.as_str(), file])
                .output()
                .unwrap();
            let said = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            assert_eq!(
                said,
                if expected { "True" } else { "False" },
                "{tool} {file}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        ran += 1;
    }
    assert!(ran >= 1);
}

#[tokio::test]
async fn an_atom_feed_lists_the_newest_matches_for_whoever_holds_its_token() {
    let s = TestServer::start().await;
    let (_, key) = s.register().await;
    let id = create(&s, &key, json!({"q": "rust", "name": "Rust & friends"})).await["id"].as_i64().unwrap();
    let r = call(&s, "POST", &format!("{API}/{id}/feed-token"), &key, None).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let token = r.body["data"]["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("jf_"), "{token}");
    let feed_url = r.body["data"]["feed_url"].as_str().unwrap().to_owned();
    assert!(feed_url.ends_with(&format!("/v1/searches/{id}/feed.atom?token={token}")), "{feed_url}");
    assert_eq!(call(&s, "GET", &format!("{API}/{id}"), &key, None).await.body["data"]["feed"], true);
    land(
        &s,
        &[
            posting("1", "R&D Rust <Lead>", "Leeds", "GB"),
            posting("2", "Rust Developer", "York", "GB"),
            posting("3", "Go Developer", "York", "GB"),
        ],
    )
    .await;
    let feed = |token: String| {
        let s = &s;
        async move { s.http.get(s.url(&format!("{API}/{id}/feed.atom"))).query(&[("token", token)]).send().await.unwrap() }
    };
    let resp = feed(token.clone()).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/atom+xml", "the XML declares its encoding");
    let xml = resp.text().await.unwrap();
    assert!(xml.contains("<title>JobIn: Rust &amp; friends</title>"), "{xml}");
    assert!(xml.contains("R&amp;D Rust &lt;Lead&gt; at Acme"), "escaped: {xml}");
    assert!(!xml.contains(&token), "the token is not repeated in the feed");
    // Well-formed XML, two entries, newest first (a standard parser; feedparser checks the
    // Atom rules in the SDK smoke).
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("feed.xml"), &xml).unwrap();
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, xml.etree.ElementTree as E\n\
             ns = {'a': 'http://www.w3.org/2005/Atom'}\n\
             root = E.parse(sys.argv[1]).getroot()\n\
             print('|'.join(e.find('a:title', ns).text for e in root.findall('a:entry', ns)))",
        )
        .arg(dir.path().join("feed.xml"))
        .output()
        .expect("python3 runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "Rust Developer at Acme|R&D Rust <Lead> at Acme",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A wrong token, an old one after a new one is made, and any after the feed is turned off: 404.
    assert_eq!(feed("jf_wrong".into()).await.status(), 404);
    let r = call(&s, "POST", &format!("{API}/{id}/feed-token"), &key, None).await;
    let second = r.body["data"]["token"].as_str().unwrap().to_owned();
    assert_eq!(feed(token).await.status(), 404, "revoked by the new one");
    assert_eq!(feed(second.clone()).await.status(), 200);
    assert_eq!(call(&s, "DELETE", &format!("{API}/{id}/feed-token"), &key, None).await.status, 204);
    let r = s.send(s.http.get(s.url(&format!("{API}/{id}/feed.atom"))).query(&[("token", second)])).await;
    assert_eq!((r.status, r.body["code"].as_str()), (404, Some("saved_search_not_found")), "{}", r.text);
    assert_eq!(call(&s, "GET", &format!("{API}/{id}"), &key, None).await.body["data"]["feed"], false);
}

#[tokio::test]
async fn a_feed_is_limited_per_client_address() {
    let mut o = CatalogOverrides::default();
    o.public.feed_per_minute = Some(2);
    let catalog = jobin_tests::roomy_catalog().with_overrides(&o).unwrap();
    let s = TestServer::start_with(Setup { catalog, ..Setup::default() }).await.unwrap();
    let (_, key) = s.register().await;
    let id = create(&s, &key, json!({"q": "rust"})).await["id"].as_i64().unwrap();
    let token = call(&s, "POST", &format!("{API}/{id}/feed-token"), &key, None).await.body["data"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let feed = || s.http.get(s.url(&format!("{API}/{id}/feed.atom"))).query(&[("token", token.as_str())]);
    // A token holder cannot poll the database faster than the limit, whatever the token.
    jobin_tests::within_one_minute(15).await;
    let r = s.send(feed()).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        (&r.headers["x-ratelimit-limit"], &r.headers["x-ratelimit-remaining"]),
        (&"2".parse().unwrap(), &"1".parse().unwrap())
    );
    let r = s.send(s.http.get(s.url(&format!("{API}/{id}/feed.atom"))).query(&[("token", "jf_wrong")])).await;
    assert_eq!(r.status, 404, "a wrong token counts too");
    let r = s.send(feed()).await;
    assert_eq!((r.status, r.body["code"].as_str()), (429, Some("rate_limited")), "{}", r.text);
    assert!(r.headers.contains_key("retry-after"));
    // The API itself is not limited by it.
    assert_eq!(call(&s, "GET", &format!("{API}/{id}"), &key, None).await.status, 200);
}

/// The notices in the outbox (the Notifier without SMTP) to `to`.
fn mails_to(s: &TestServer, to: &str) -> Vec<Value> {
    let outbox = std::fs::read_to_string(s.dir().join("outbox.jsonl")).unwrap_or_default();
    outbox.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()).filter(|m| m["to"] == to).collect()
}

#[tokio::test]
async fn a_daily_digest_emails_the_new_matches_once() {
    let s = TestServer::start().await;
    let (email, key) = s.register().await;
    let search = create(&s, &key, json!({"q": "rust", "name": "Rust jobs", "digest": true})).await;
    assert_eq!(search["digest"], true);
    let id = search["id"].as_i64().unwrap();
    let digests = || async { s.run_digests().await };
    assert_eq!(digests().await, 0, "nothing new: no email");
    land(&s, &[posting("1", "Rust Developer", "Leeds", "GB"), posting("2", "Senior Rust Engineer", "York", "GB")])
        .await;
    assert_eq!(digests().await, 1);
    let mails = mails_to(&s, &email);
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0]["subject"], "JobIn: 2 new for \"Rust jobs\"");
    let body = mails[0]["body"].as_str().unwrap();
    assert!(body.contains("- Rust Developer at Acme (Leeds, GB)") && body.contains("Senior Rust Engineer"), "{body}");
    // At most one a day: a new match waits for tomorrow's.
    land(&s, &[posting("3", "Rust Tester", "Leeds", "GB")]).await;
    assert_eq!(digests().await, 0);
    assert_eq!(mails_to(&s, &email).len(), 1);
    // Off, then on again: from the newest match on (reed:3 is not news to the new digest).
    for on in [false, true] {
        let r = call(&s, "PATCH", &format!("{API}/{id}"), &key, Some(json!({"digest": on}))).await;
        assert_eq!(r.body["data"]["digest"], on, "{}", r.text);
    }
    assert_eq!(digests().await, 0);
    land(&s, &[posting("4", "Rust Lead", "Leeds", "GB")]).await;
    assert_eq!(digests().await, 1);
    let mails = mails_to(&s, &email);
    assert_eq!(mails[1]["subject"], "JobIn: 1 new for \"Rust jobs\"", "{mails:?}");
    assert!(
        mails[1]["body"].as_str().unwrap().contains("Rust Lead")
            && !mails[1]["body"].as_str().unwrap().contains("Rust Tester")
    );
    let r = call(&s, "PATCH", &format!("{API}/{id}"), &key, Some(json!({"digest": false}))).await;
    assert_eq!(r.body["data"]["digest"], false);
}

/// Delivery fairness (issue 34): account A's ten webhooks point at a receiver that never answers
/// in time and thirty deliveries are queued for it before account B's three; B's arrive within
/// 5 s of their match, and A's are tried again on the documented schedule (30 s after a failed
/// first attempt), none delivered twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_receiver_delays_only_its_own_accounts_deliveries() {
    use std::time::{Duration, Instant};
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let hanging = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(60)))
        .mount(&hanging)
        .await;
    let quick = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(204)).mount(&quick).await;
    let mut ingest = jobin_tests::Setup::default().ingest;
    ingest.match_every = Some(Duration::from_millis(200));
    ingest.deliver_every = Some(Duration::from_millis(200));
    let setup = Setup {
        ingest,
        catalog: jobin_tests::roomy_catalog(),
        env: vec![("JOBIN_WEBHOOK_TIMEOUT_MS", "1500".to_owned())],
        ..Setup::default()
    };
    let s = TestServer::start_with(setup).await.unwrap();
    let (email_a, a) = s.register().await;
    s.set_plan(&email_a, "pro").await;
    let (_, b) = s.register().await;
    let mut a_searches = Vec::new();
    for i in 0..10 {
        let hook = format!("{}/a{i}", hanging.uri());
        a_searches.push(create(&s, &a, json!({"q": "rust", "webhook_url": hook})).await["id"].as_i64().unwrap());
    }
    let b_search = create(&s, &b, json!({"q": "rust", "webhook_url": format!("{}/b", quick.uri())})).await;
    let b_search = b_search["id"].as_i64().unwrap();
    let postings: Vec<Job> = (0..3).map(|i| posting(&format!("fair-{i}"), "Rust Engineer", "Leeds", "GB")).collect();
    s.store_jobs(&postings).await;
    let landed = Instant::now();
    // B's three, within 5 s of the match (matching runs every 200 ms).
    loop {
        let got = quick.received_requests().await.unwrap().len();
        if got >= 3 {
            break;
        }
        assert!(landed.elapsed() < Duration::from_secs(5), "B had {got} of 3 deliveries after 5 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let b_took = landed.elapsed();
    // A's: each attempt fails after the time budget and is due again 30 s after it.
    let deliveries = |id: i64| {
        let s = &s;
        let a = a.clone();
        async move { s.get_with_key(&format!("{API}/{id}/deliveries"), &a).await.body["data"].as_array().unwrap().clone() }
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let first = loop {
        let ds = deliveries(a_searches[0]).await;
        // The list reads deliveries, then their attempts (two statements, not one snapshot): an
        // attempt recorded between them shows before its delivery's new `next_attempt_at`, so wait
        // for both.
        let recorded = |d: &serde_json::Value| {
            d["attempts"].as_array().is_some_and(|a| !a.is_empty()) && d["next_attempt_at"] != d["created_at"]
        };
        if ds.len() == 3 && ds.iter().all(recorded) {
            break ds;
        }
        assert!(Instant::now() < deadline, "A's first deliveries were never attempted: {ds:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for d in &first {
        let attempt = &d["attempts"][0];
        assert_eq!(
            (d["status"].as_str(), attempt["error"].as_str()),
            (Some("pending"), Some("no answer within 1500 ms")),
            "{d}"
        );
        let at = chrono::DateTime::parse_from_rfc3339(attempt["at"].as_str().unwrap()).unwrap();
        let next = chrono::DateTime::parse_from_rfc3339(d["next_attempt_at"].as_str().unwrap()).unwrap();
        assert_eq!((next - at).num_seconds(), 30, "the documented first wait: {d}");
    }
    let b_list = s.get_with_key(&format!("{API}/{b_search}/deliveries"), &b).await;
    assert!(b_list.body["data"].as_array().unwrap().iter().all(|d| d["status"] == "delivered"), "{}", b_list.text);
    assert_eq!(quick.received_requests().await.unwrap().len(), 3, "each of B's delivered once");
    eprintln!("B's deliveries arrived {b_took:?} after the match");
    s.stop().await;
}
