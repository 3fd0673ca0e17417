//! `GET /jobs/search` over HTTP: plan routing, country coverage, partial results, cache, single
//! flight, bad parameters, and the monthly quota it counts against.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use jobin_adapters::fakes::{Failure, FakeBoard, generate};
use jobin_core::domain::{CatalogOverrides, Plan, PlanCatalog, PlanOverride, SourceId};
use jobin_core::ports::JobSource;
use jobin_tests::{Setup, TestServer};
use serde_json::{Value, json};

/// The six fake boards over one generation, each customised by `tweak`.
fn boards(tweak: impl Fn(SourceId, FakeBoard) -> FakeBoard) -> (Vec<Arc<FakeBoard>>, Vec<Arc<dyn JobSource>>) {
    let mut jobs = generate(7, 80, Utc::now());
    let fakes: Vec<Arc<FakeBoard>> = SourceId::ALL
        .into_iter()
        .map(|id| Arc::new(tweak(id, FakeBoard::new(id, jobs.remove(&id).unwrap_or_default()))))
        .collect();
    let dyns = fakes.iter().map(|b| b.clone() as Arc<dyn JobSource>).collect();
    (fakes, dyns)
}

async fn server_with(boards: Vec<Arc<dyn JobSource>>) -> TestServer {
    TestServer::start_with(Setup { boards: Some(boards), ..Setup::default() }).await.unwrap()
}

async fn account(s: &TestServer, plan: &str) -> String {
    let (email, key) = s.register().await;
    s.set_plan(&email, plan).await;
    key
}

fn sources(body: &Value) -> Vec<(String, String)> {
    body["meta"]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap().to_owned(), s["status"].as_str().unwrap().to_owned()))
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

#[tokio::test]
async fn each_plan_searches_its_boards_in_routing_order() {
    let (_, dyns) = boards(|_, b| b);
    let s = server_with(dyns).await;
    let free = account(&s, "free").await;
    let r = s.get_with_key("/jobs/search?q=engineer", &free).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        sources(&r.body),
        pairs(&[
            ("adzuna", "ok"),
            ("remotive", "not_in_plan"),
            ("findwork", "not_in_plan"),
            ("reed", "not_in_plan"),
            ("arbeitnow", "not_in_country"),
            ("themuse", "not_in_plan")
        ])
    );
    assert!(r.body["jobs"].as_array().unwrap().iter().all(|j| j["source"] == "adzuna"));

    let scale = account(&s, "scale").await;
    let r = s.get_with_key("/jobs/search?q=engineer&country=gb", &scale).await;
    assert_eq!(
        sources(&r.body),
        pairs(&[
            ("reed", "ok"),
            ("adzuna", "ok"),
            ("remotive", "ok"),
            ("findwork", "ok"),
            ("themuse", "ok"),
            ("arbeitnow", "not_in_country")
        ]),
        "gb: Reed first; Arbeitnow does not cover gb"
    );
    for country in ["de", "at", "ch", "nl", "pl"] {
        let r = s.get_with_key(&format!("/jobs/search?q=engineer&country={country}"), &scale).await;
        assert_eq!(
            sources(&r.body),
            pairs(&[
                ("arbeitnow", "ok"),
                ("adzuna", "ok"),
                ("remotive", "ok"),
                ("themuse", "ok"),
                ("findwork", "not_in_country"),
                ("reed", "not_in_country")
            ]),
            "{country}: Arbeitnow first"
        );
    }
    let r = s.get_with_key("/jobs/search?q=engineer&country=cz", &scale).await;
    assert_eq!(
        sources(&r.body),
        pairs(&[
            ("arbeitnow", "ok"),
            ("remotive", "ok"),
            ("themuse", "ok"),
            ("adzuna", "not_in_country"),
            ("findwork", "not_in_country"),
            ("reed", "not_in_country")
        ]),
        "Adzuna has no Czech site"
    );
    let r = s.get_with_key("/jobs/search?q=engineer&country=us&remote=true", &scale).await;
    assert_eq!(
        sources(&r.body),
        pairs(&[
            ("remotive", "ok"),
            ("findwork", "ok"),
            ("themuse", "ok"),
            ("adzuna", "ok"),
            ("reed", "not_in_country"),
            ("arbeitnow", "not_in_country")
        ])
    );
    let first = &r.body["jobs"][0];
    assert_eq!(first["source"], "remotive", "the first board's jobs lead");
}

#[tokio::test]
async fn jobs_have_the_documented_shape_and_merged_copies() {
    let (_, dyns) = boards(|_, b| b);
    let s = server_with(dyns).await;
    let key = account(&s, "scale").await;
    let r = s.get_with_key("/jobs/search?q=developer&country=gb", &key).await;
    assert_eq!(r.status, 200);
    let jobs = r.body["jobs"].as_array().unwrap();
    assert_eq!(r.body["meta"]["total"].as_u64().unwrap() as usize, jobs.len());
    assert_eq!(r.body["meta"]["enhanced"], false);
    for j in jobs {
        let id = j["id"].as_str().unwrap();
        let source = j["source"].as_str().unwrap();
        assert!(id.starts_with(&format!("{source}:")), "{id}");
        for field in ["title", "company", "url", "fetchedAt", "attribution"] {
            assert!(j[field].is_string(), "{field} in {j}");
        }
        assert!(j["location"]["city"].is_string() && j["location"]["country"].is_string());
        assert!(j["skills"].is_array() && j["remote"].is_boolean());
        assert!(j["fetchedAt"].as_str().unwrap().ends_with('Z'));
        if let Some(sal) = j["salary"].as_object() {
            assert!(sal["min"].as_f64().unwrap() <= sal["max"].as_f64().unwrap());
            assert!(["GBP", "USD"].contains(&sal["currency"].as_str().unwrap()), "{j}");
            let period = sal["period"].as_str().unwrap();
            assert!(["hour", "day", "year"].contains(&period));
            // The range per year, comparable across periods, in the same currency.
            let per_year = match period {
                "hour" => 2_080.0,
                "day" => 260.0,
                _ => 1.0,
            };
            for (own, annual) in [("min", "annualMin"), ("max", "annualMax")] {
                let want = sal[own].as_f64().unwrap() * per_year;
                assert!((sal[annual].as_f64().unwrap() - want).abs() < 0.01 * per_year, "{annual} in {j}");
            }
        }
        assert_eq!(j["copies"][0]["id"], j["id"], "the job's own listing comes first");
    }
    let merged = jobs.iter().filter(|j| j["copies"].as_array().unwrap().len() > 1).count();
    assert!(merged > 0, "the fake boards list some postings twice: they come back merged");
    // Every copy id appears once in the whole answer.
    let mut ids: Vec<&str> =
        jobs.iter().flat_map(|j| j["copies"].as_array().unwrap()).map(|c| c["id"].as_str().unwrap()).collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n);
}

#[tokio::test]
async fn search_returns_partial_results_when_one_source_times_out_or_returns_500() {
    let (_, dyns) = boards(|id, b| match id {
        SourceId::Adzuna => b.failing(Failure::Hang),
        SourceId::Remotive => b.failing(Failure::Status(500)),
        SourceId::Findwork => b.with_latency(Duration::from_millis(300)),
        _ => b,
    });
    let s = server_with(dyns).await;
    let key = account(&s, "pro").await;
    let started = Instant::now();
    let r = s.get_with_key("/jobs/search?q=engineer&country=gb", &key).await;
    let took = started.elapsed();
    assert_eq!(r.status, 200);
    assert_eq!(
        sources(&r.body),
        pairs(&[
            ("reed", "ok"),
            ("adzuna", "timeout"),
            ("remotive", "error"),
            ("findwork", "ok"),
            ("arbeitnow", "not_in_country"),
            ("themuse", "not_in_plan")
        ])
    );
    assert!(took < Duration::from_secs(10), "bounded by the 2 s board timeout, took {took:?}");
    let adzuna = &r.body["meta"]["sources"][1];
    assert!(adzuna["latency_ms"].as_u64().unwrap() >= 1_900, "{adzuna}");
    assert!(!r.body["jobs"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_repeated_search_is_a_cache_hit_and_costs_no_board_request() {
    let (fakes, dyns) = boards(|_, b| b);
    let s = server_with(dyns).await;
    let key = account(&s, "free").await;
    let first = s.get_with_key("/jobs/search?q=Data%20Engineer&country=gb", &key).await;
    assert_eq!(first.header("x-cache"), Some("MISS"));
    let again = s.get_with_key("/jobs/search?q=data+engineer&country=GB", &key).await;
    assert_eq!(again.header("x-cache"), Some("HIT"), "same normalized query and plan");
    assert_eq!(again.body["jobs"], first.body["jobs"]);
    assert_eq!(sources(&again.body)[0], ("adzuna".to_owned(), "cached".to_owned()));
    assert_eq!(fakes[0].calls(), 1);
    // Asked again, the node answers with a copy of the bytes it encoded for the HIT.
    let copy = s.get_with_key("/jobs/search?q=DATA+engineer&country=gb", &key).await;
    assert_eq!(copy.header("x-cache"), Some("HIT"));
    assert_eq!(copy.text, again.text, "the copy is the cached answer, byte for byte");
    assert_eq!(copy.header("content-type"), again.header("content-type"));
    assert_eq!(copy.header("content-type"), Some("application/json; charset=utf-8"));
    assert!(copy.header("x-ratelimit-remaining").is_some(), "a copy still passes the gates");
    // With descriptions it is another answer, and the light one stays light.
    let full = s.get_with_key("/jobs/search?q=data+engineer&country=gb&include=description", &key).await;
    assert!(full.body["jobs"].as_array().unwrap().iter().all(|j| j["description"].is_string()), "{}", full.text);
    let light = s.get_with_key("/jobs/search?q=data+engineer&country=gb", &key).await;
    assert_eq!(light.text, again.text);
    assert_eq!(fakes[0].calls(), 1);
    // Another plan is another cache entry.
    let other = account(&s, "starter").await;
    let r = s.get_with_key("/jobs/search?q=data+engineer&country=gb", &other).await;
    assert_eq!(r.header("x-cache"), Some("MISS"));
}

#[tokio::test]
async fn identical_concurrent_misses_cause_one_fan_out() {
    let (fakes, dyns) = boards(|_, b| b.with_latency(Duration::from_millis(300)));
    let s = server_with(dyns).await;
    let key = account(&s, "free").await;
    let calls = (0..12).map(|_| s.get_with_key("/jobs/search?q=analyst&country=gb", &key));
    let replies = futures::future::join_all(calls).await;
    assert!(replies.iter().all(|r| r.status == 200));
    assert_eq!(fakes[0].calls(), 1, "one Adzuna request for twelve identical searches");
}

#[tokio::test]
async fn bad_parameters_are_400s_naming_the_parameter() {
    let s = server_with(boards(|_, b| b).1).await;
    let key = account(&s, "free").await;
    let r = s.get_with_key("/jobs/search?q=rust&country=xx", &key).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.masked(),
        json!({
            "error": "country: unsupported country `xx`; supported: gb, us, au, ca, de, fr, at, be, br, ch, cz, es, in, it, mx, nl, nz, pl, sg, za",
            "code": "validation_failed",
            "details": {"field": "country", "reason": "unsupported country `xx`; supported: gb, us, au, ca, de, fr, at, be, br, ch, cz, es, in, it, mx, nl, nz, pl, sg, za"},
            "request_id": "<id>"
        })
    );
    for path in ["/jobs/search", "/jobs/search?q=", "/jobs/search?q=%20%20"] {
        let r = s.get_with_key(path, &key).await;
        assert_eq!(r.status, 400, "{path}");
        assert_eq!(r.body["code"], "validation_failed");
        assert_eq!(r.body["details"]["field"], "q", "{path}: {}", r.body);
    }
    let long = format!("/jobs/search?q={}", "a".repeat(201));
    assert_eq!(s.get_with_key(&long, &key).await.body["details"]["field"], "q");
    let r = s.get_with_key("/jobs/search?q=rust&remote=maybe", &key).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["code"], "validation_failed");
    assert!(r.body["error"].as_str().unwrap().contains("remote"), "{}", r.body);
}

#[tokio::test]
async fn search_needs_an_api_key_not_a_session() {
    let s = server_with(boards(|_, b| b).1).await;
    let r = s.send(s.http.get(s.url("/jobs/search?q=rust"))).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["code"], "missing_credentials");
    let (email, _) = s.register().await;
    let (access, _) = s.login(&email).await;
    let r = s.send(s.http.get(s.url("/jobs/search?q=rust")).bearer_auth(access)).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["code"], "api_key_required");
}

#[tokio::test]
async fn searches_count_against_the_monthly_quota_and_the_429_is_as_documented() {
    let mut o = CatalogOverrides::default();
    o.plans.insert(Plan::Free, PlanOverride { monthly_requests: Some(3), per_minute: Some(100), ..Default::default() });
    let catalog = PlanCatalog::document().with_overrides(&o).unwrap();
    let s =
        TestServer::start_with(Setup { catalog, boards: Some(boards(|_, b| b).1), ..Setup::default() }).await.unwrap();
    let (_, key) = s.register().await;
    for _ in 0..3 {
        assert_eq!(s.get_with_key("/jobs/search?q=rust", &key).await.status, 200);
    }
    let r = s.get_with_key("/jobs/search?q=rust", &key).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.body["code"], "quota_exceeded");
    assert_eq!(r.body["error"], "Monthly request limit exceeded");
    assert_eq!((r.body["limit"].as_u64(), r.body["used"].as_u64()), (Some(3), Some(3)));
    assert!(r.body["resets"].as_str().unwrap().ends_with("T00:00:00.000Z"));
    assert_eq!(r.body["upgrade"], "https://jobin.test/v1/pricing");
    let me = s.get_with_key("/auth/me", &key).await;
    assert_eq!(me.body["monthly_used"], 3, "the refused search counted nothing");
}

#[tokio::test]
async fn search_is_light_unless_asked_and_the_feed_carries_whole_jobs() {
    let (_, dyns) = boards(|_, b| b);
    let s = server_with(dyns).await;
    let key = account(&s, "scale").await;

    let light = s.get_with_key("/jobs/search?q=developer&country=gb", &key).await;
    assert_eq!(light.status, 200, "{}", light.text);
    let jobs = light.body["jobs"].as_array().unwrap();
    assert!(!jobs.is_empty());
    for j in jobs {
        assert!(j.get("description").is_none(), "no description without include: {j}");
        let summary = j["summary"].as_str().unwrap();
        assert!(!summary.is_empty() && summary.chars().count() <= 301 && !summary.contains('\n'), "{summary}");
        assert_eq!(j["listingUrl"], j["url"]);
        assert!(j["applyUrl"].as_str().unwrap().starts_with("https://"));
        assert!(j["descriptionTruncated"].is_boolean() && j["locations"].is_array() && j["categories"].is_array());
        assert_eq!(j["companyDetails"]["name"], j["company"]);
        for (field, allowed) in [
            ("employmentType", &["full_time", "part_time", "contract", "internship", "temporary"][..]),
            ("workplaceType", &["remote", "hybrid", "onsite"][..]),
            ("experienceLevel", &["entry", "mid", "senior", "lead", "executive"][..]),
        ] {
            assert!(j[field].is_null() || allowed.contains(&j[field].as_str().unwrap()), "{field} in {j}");
        }
        // `remote` stays, and agrees with a stated remote workplace.
        if j["workplaceType"] == "remote" {
            assert_eq!(j["remote"], true, "{j}");
        }
    }
    assert!(jobs.iter().any(|j| j["employmentType"].is_string()), "the fake boards state employment types");

    let full = s.get_with_key("/jobs/search?q=developer&country=gb&include=description", &key).await;
    assert_eq!(full.status, 200);
    for j in full.body["jobs"].as_array().unwrap() {
        let d = j["description"].as_str().unwrap();
        assert!(d.starts_with(j["summary"].as_str().unwrap().trim_end_matches('…')), "{j}");
    }
    let bad = s.get_with_key("/jobs/search?q=developer&include=salary", &key).await;
    assert_eq!((bad.status, bad.body["code"].as_str()), (400, Some("validation_failed")), "{}", bad.text);
    assert_eq!(bad.body["details"]["field"], "include");

    // The feed returns whole objects.
    let feed =
        s.send(s.http.post(s.url("/jobs/feed")).header("x-api-key", &key).json(&json!({"batch_size": 50}))).await;
    assert_eq!(feed.status, 200, "{}", feed.text);
    let jobs = feed.body["jobs"].as_array().unwrap();
    assert!(!jobs.is_empty());
    assert!(jobs.iter().all(|j| j["description"].is_string() && j["summary"].is_string()), "{}", feed.text);
    s.stop().await;
}

/// One job listed on Reed (the primary in gb) and on Adzuna, each stating what the other does not.
fn one_job_on_two_boards() -> Vec<Arc<dyn JobSource>> {
    use jobin_core::domain::{EmploymentType, PayPeriod, Salary};
    let mut reed = jobin_tests::posting("5501", "Senior Data Engineer - London", "London", "GB");
    reed.company = "Acme Analytics Ltd".into();
    reed.details.company.logo_url = Some("https://reed.example.test/logo.png".into());
    let mut adzuna = jobin_tests::posting("9901", "Sr. Data Engineer", "Central London", "GB");
    adzuna.id = jobin_core::domain::Job::make_id(SourceId::Adzuna, "9901");
    adzuna.source = SourceId::Adzuna;
    adzuna.url = "https://www.adzuna.co.uk/jobs/details/9901".into();
    adzuna.company = "ACME ANALYTICS".into();
    adzuna.location.region = "London".into();
    adzuna.salary = Salary::from_bounds(Some(70_000.0), Some(80_000.0), "GBP", PayPeriod::Year);
    adzuna.details.employment_type = Some(EmploymentType::Contract);
    adzuna.details.apply_url = Some("https://acme.example.test/apply/9901".into());
    adzuna.details.company.logo_url = Some("https://adzuna.example.test/logo.png".into());
    adzuna.posted_at = None;
    SourceId::ALL
        .into_iter()
        .map(|id| {
            let jobs = match id {
                SourceId::Reed => vec![reed.clone()],
                SourceId::Adzuna => vec![adzuna.clone()],
                _ => vec![],
            };
            Arc::new(FakeBoard::new(id, jobs)) as Arc<dyn JobSource>
        })
        .collect()
}

#[tokio::test]
async fn a_merged_job_names_the_listing_each_field_came_from() {
    let s = server_with(one_job_on_two_boards()).await;
    let key = account(&s, "scale").await;
    let r = s.get_with_key("/v1/jobs/search?q=data%20engineer&country=gb", &key).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let jobs = r.body["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 1, "one job, two listings: {}", r.text);
    assert_eq!(jobs[0]["id"], "reed:5501");
    assert!(jobs[0].get("provenance").is_none(), "the live search does not carry it");

    let origin =
        |source: &str, native: &str| json!({"source": source, "id": format!("{source}:{native}"), "nativeId": native});
    let (reed, adzuna) = (origin("reed", "5501"), origin("adzuna", "9901"));
    let expected = json!({
        // The kept listing's own fields…
        "title": reed, "company": reed, "locationCity": reed, "locationCountry": reed, "url": reed,
        "remote": reed, "description": reed, "postedAt": reed, "companyLogoUrl": reed,
        // …and what merging filled from the other.
        "locationRegion": adzuna, "salary": adzuna, "employmentType": adzuna, "applyUrl": adzuna,
    });
    let one = s.get_with_key("/v1/jobs/reed:5501", &key).await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.body["provenance"], expected, "{}", one.text);
    assert_eq!(one.body["salary"]["min"], 70_000.0);
    assert_eq!(one.body["employmentType"], "contract");
    assert_eq!(one.body["companyDetails"]["logoUrl"], "https://reed.example.test/logo.png");
    // The same by the merged listing's id.
    let via_copy = s.get_with_key("/v1/jobs/adzuna:9901", &key).await;
    assert_eq!(via_copy.body["provenance"], expected, "{}", via_copy.text);

    // The corpus search: only when asked.
    let plain = s.get_with_key("/v1/jobs?q=data%20engineer", &key).await;
    assert_eq!(plain.status, 200, "{}", plain.text);
    assert!(plain.body["jobs"][0].get("provenance").is_none(), "{}", plain.text);
    let with = s.get_with_key("/v1/jobs?q=data%20engineer&include=provenance,description", &key).await;
    assert_eq!(with.status, 200, "{}", with.text);
    assert_eq!(with.body["jobs"][0]["provenance"], expected, "{}", with.text);
    assert!(with.body["jobs"][0]["description"].is_string());
    let bad = s.get_with_key("/v1/jobs?include=origins", &key).await;
    assert_eq!((bad.status, bad.body["details"]["field"].as_str()), (400, Some("include")), "{}", bad.text);
    assert!(bad.text.contains("`provenance`"), "the reason lists the values: {}", bad.text);
    // The live search offers only the description.
    let bad = s.get_with_key("/v1/jobs/search?q=data&include=provenance", &key).await;
    assert_eq!((bad.status, bad.body["details"]["field"].as_str()), (400, Some("include")), "{}", bad.text);
    s.stop().await;
}

#[tokio::test]
async fn one_job_by_id_whole_by_any_of_its_listing_ids_and_gone_once_expired() {
    let (_, dyns) = boards(|_, b| b);
    let s = server_with(dyns).await;
    let key = account(&s, "free").await;
    let scale = account(&s, "scale").await;
    let r = s.get_with_key("/v1/jobs/search?q=developer&country=gb", &scale).await;
    assert_eq!(r.status, 200);
    let jobs = r.body["jobs"].as_array().unwrap();
    let merged = jobs.iter().find(|j| j["copies"].as_array().unwrap().len() > 1).expect("a merged job");
    let id = merged["id"].as_str().unwrap();
    let before = s.get_with_key("/v1/auth/me", &key).await.body["monthly_used"].as_u64().unwrap();

    // The raw id and the percent-encoded one name the same job; the Free plan may read it.
    for path in [format!("/v1/jobs/{id}"), format!("/v1/jobs/{}", id.replace(':', "%3A")), format!("/jobs/{id}")] {
        let one = s.get_with_key(&path, &key).await;
        assert_eq!(one.status, 200, "{path}: {}", one.text);
        assert_eq!(one.body["id"], id);
        assert!(one.body["description"].is_string() && one.body["firstSeenAt"].is_string(), "{}", one.text);
        assert!(one.body["lastSeenAt"].as_str().is_some_and(|t| t >= one.body["firstSeenAt"].as_str().unwrap()));
        assert_eq!(one.body["copies"], merged["copies"]);
        assert_eq!(one.body["summary"], merged["summary"]);
    }
    let after = s.get_with_key("/v1/auth/me", &key).await.body["monthly_used"].as_u64().unwrap();
    assert_eq!(after, before + 3, "each read counts like a search");

    // A merged listing's own id leads to the job it was merged into.
    let copy = merged["copies"][1]["id"].as_str().unwrap();
    let via_copy = s.get_with_key(&format!("/v1/jobs/{copy}"), &key).await;
    assert_eq!((via_copy.status, via_copy.body["id"].as_str()), (200, Some(id)), "{}", via_copy.text);

    let missing = s.get_with_key("/v1/jobs/reed:does-not-exist", &key).await;
    assert_eq!((missing.status, missing.body["code"].as_str()), (404, Some("job_not_found")), "{}", missing.text);

    s.expire_jobs(&[id.to_owned()]).await;
    let gone = s.get_with_key(&format!("/v1/jobs/{id}"), &key).await;
    assert_eq!((gone.status, gone.body["code"].as_str()), (410, Some("job_expired")), "{}", gone.text);
    assert_eq!(gone.body["details"]["id"], id);
    assert_eq!(gone.body["details"]["expiredReason"], "gone", "a board reported it gone: {}", gone.text);
    assert!(gone.body["details"]["expiredAt"].as_str().unwrap().ends_with('Z'));
    s.stop().await;
}

#[tokio::test]
async fn an_empty_or_incomplete_answer_says_why_and_what_fixes_it() {
    let (_, dyns) = boards(|id, b| if id == SourceId::Adzuna { b.failing(Failure::Status(500)) } else { b });
    let s = server_with(dyns).await;
    let free = account(&s, "free").await;
    let r = s.get_with_key("/v1/jobs/search?q=engineer", &free).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["jobs"], json!([]));
    let notices = r.body["meta"]["notices"].as_array().unwrap();
    let codes: Vec<&str> = notices.iter().map(|n| n["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["source_failed", "plan_limits_sources"], "{}", r.text);
    assert_eq!(notices[0]["source"], "adzuna");
    assert!(notices[1]["message"].as_str().unwrap().contains("The starter plan adds"), "{}", r.text);
    // A Scale search that found jobs: only the failed board is noted.
    let scale = account(&s, "scale").await;
    let r = s.get_with_key("/v1/jobs/search?q=engineer", &scale).await;
    assert!(!r.body["jobs"].as_array().unwrap().is_empty(), "{}", r.text);
    let codes: Vec<&str> =
        r.body["meta"]["notices"].as_array().unwrap().iter().map(|n| n["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["source_failed"]);
    // Nothing matched on boards that answered.
    let r = s.get_with_key("/v1/jobs/search?q=zzzqqqxxx", &scale).await;
    let codes: Vec<&str> =
        r.body["meta"]["notices"].as_array().unwrap().iter().map(|n| n["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["source_failed", "no_match"], "{}", r.text);
}
