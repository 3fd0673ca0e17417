//! The application tracker over HTTP (`/v1/applications*`): the whole life of an application from
//! a search result to an accepted offer, paging edges, every sort and filter, word search, the
//! analytics on a known set, tenant isolation, scopes and sessions, the class limits, idempotent
//! creation, and fit scores grounded in the posting.

use async_trait::async_trait;
use chrono::{Duration, Utc};
use jobin_adapters::llm::LocalRules;
use jobin_core::domain::{AiProvider, PlanCatalog, PostingText};
use jobin_core::ports::{LlmAnswer, LlmError, LlmProvider, LlmRequest};
use jobin_tests::{Reply, Setup, TestServer};
use serde_json::{Value, json};
use std::sync::Arc;

const API: &str = "/v1/applications";

async fn call(s: &TestServer, method: &str, path: &str, auth: &str, body: Option<Value>) -> Reply {
    s.call(method, path, auth, body).await
}

async fn create(s: &TestServer, key: &str, body: Value) -> Value {
    let r = call(s, "POST", API, key, Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["data"].clone()
}

async fn list(s: &TestServer, key: &str, query: &str) -> Reply {
    call(s, "GET", &format!("{API}?{query}"), key, None).await
}

fn titles(r: &Reply) -> Vec<String> {
    r.body["data"].as_array().unwrap().iter().map(|a| a["job_title"].as_str().unwrap().to_owned()).collect()
}

/// A job id from a search on the demo boards, with the job as `/v1/jobs/{id}` shows it.
async fn a_job(s: &TestServer, key: &str) -> Value {
    let r = s.get_with_key("/v1/jobs/search?q=engineer", key).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let id = r.body["jobs"][0]["id"].as_str().expect("a job").to_owned();
    let r = s.get_with_key(&format!("/v1/jobs/{}", id.replace(':', "%3A")), key).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body.get("job").cloned().unwrap_or(r.body)
}

#[tokio::test]
async fn an_application_lives_from_a_search_result_to_an_accepted_offer() {
    a_whole_life(TestServer::start().await).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn an_application_lives_its_whole_life_on_postgres() {
    let setup = Setup { backend: jobin_tests::Backend::Postgres, ..Setup::default() };
    let Some(s) = TestServer::start_with(setup).await else { return };
    a_whole_life(s).await;
}

async fn a_whole_life(s: TestServer) {
    let (_, key) = s.register().await;
    let job = a_job(&s, &key).await;
    let job_id = job["id"].as_str().unwrap();
    // Saved from the search result: a snapshot of the posting.
    let r = call(&s, "POST", API, &key, Some(json!({"job_id": job_id, "tags": ["Remote", "dream"]}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let app = &r.body["data"];
    let id = app["id"].as_i64().unwrap();
    assert_eq!(r.header("location"), Some(format!("{API}/{id}").as_str()));
    assert_eq!(app["job_id"], job["id"]);
    assert_eq!(app["job_title"], job["title"]);
    assert_eq!(app["company_name"], job["company"]);
    assert_eq!(app["status"], "saved");
    assert_eq!(app["tags"], json!(["remote", "dream"]));
    assert!(app.get("applied_at").is_none(), "a saved application is not dated: {app}");
    // Applied → an interview planned → offer → accepted.
    let r = call(&s, "PATCH", &format!("{API}/{id}"), &key, Some(json!({"status": "applied"}))).await;
    assert_eq!((r.status, r.body["data"]["status"].as_str()), (200, Some("applied")), "{}", r.text);
    assert!(r.body["data"]["applied_at"].is_string(), "dated when applied: {}", r.text);
    let interview = (Utc::now() + Duration::days(3)).format("%Y-%m-%dT10:00:00Z").to_string();
    let r = call(
        &s,
        "POST",
        &format!("{API}/{id}/events"),
        &key,
        Some(json!({"kind": "interview", "at": interview, "note": "Panel with the data team"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["data"]["kind"], "interview");
    for status in ["offer", "accepted"] {
        let r = call(&s, "PATCH", &format!("{API}/{id}"), &key, Some(json!({"status": status}))).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = call(&s, "GET", &format!("{API}/{id}/events"), &key, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let timeline: Vec<(String, String)> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap().into(), e["to_status"].as_str().unwrap_or("-").into()))
        .collect();
    let expect = [
        ("status_change", "saved"),
        ("status_change", "applied"),
        ("status_change", "offer"),
        ("status_change", "accepted"),
        ("interview", "-"),
    ];
    assert_eq!(timeline, expect.map(|(a, b)| (a.to_owned(), b.to_owned())), "by date: the interview lies ahead");
    assert_eq!(r.body["total"], 5);
    // The analytics see it; it never counted against the monthly data quota.
    let r = call(&s, "GET", &format!("{API}/analytics"), &key, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((r.body["data"]["applied"].as_u64(), r.body["data"]["accepted"].as_u64()), (Some(1), Some(1)));
    let me = s.get_with_key("/v1/auth/me", &key).await;
    assert_eq!(me.body["monthly_used"].as_u64(), Some(2), "the search and the job lookup only: {}", me.text);
    // Gone with its timeline.
    assert_eq!(call(&s, "DELETE", &format!("{API}/{id}"), &key, None).await.status, 204);
    let r = call(&s, "GET", &format!("{API}/{id}"), &key, None).await;
    assert_eq!((r.status, r.body["code"].as_str()), (404, Some("application_not_found")), "{}", r.text);
    assert_eq!(call(&s, "GET", &format!("{API}/{id}/events"), &key, None).await.status, 404);
    // Not served at an unversioned path.
    assert_eq!(call(&s, "GET", "/applications", &key, None).await.status, 404);
    s.stop().await;
}

#[tokio::test]
async fn bad_fields_are_400s_listing_every_field_and_nothing_is_written() {
    let s = TestServer::start().await;
    let (_, key) = s.register().await;
    let r =
        call(&s, "POST", API, &key, Some(json!({"company_name": "Acme", "status": "hired", "url": "ftp://x"}))).await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("validation_failed")), "{}", r.text);
    let fields: Vec<&str> =
        r.body["details"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["job_title", "url", "status"]);
    assert_eq!(r.body["details"]["field"], "job_title");
    let r = call(&s, "POST", API, &key, Some(json!({"job_id": "reed:does-not-exist"}))).await;
    assert_eq!((r.status, r.body["details"]["field"].as_str()), (400, Some("job_id")), "{}", r.text);
    let app = create(&s, &key, json!({"job_title": "Analyst", "company_name": "Beta"})).await;
    let path = format!("{API}/{}", app["id"]);
    let r = call(
        &s,
        "PATCH",
        &path,
        &key,
        Some(json!({"status": "applied", "salary": {"min": 9, "max": 1, "currency": "GBP"}})),
    )
    .await;
    assert_eq!((r.status, r.body["details"]["field"].as_str()), (400, Some("salary")), "{}", r.text);
    let r = call(&s, "GET", &path, &key, None).await;
    assert_eq!(r.body["data"]["status"], "saved", "a refused change writes nothing");
    let r = call(&s, "PATCH", &path, &key, Some(json!({"applied_at": "2999-01-01"}))).await;
    assert_eq!((r.status, r.body["details"]["field"].as_str()), (400, Some("applied_at")), "{}", r.text);
    let r = call(&s, "POST", &format!("{path}/events"), &key, Some(json!({"kind": "status_change"}))).await;
    assert_eq!((r.status, r.body["details"]["field"].as_str()), (400, Some("kind")), "{}", r.text);
    // Clearing with null, keeping what is omitted.
    let r = call(&s, "PATCH", &path, &key, Some(json!({"notes": "call back", "location": "Leeds"}))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = call(&s, "PATCH", &path, &key, Some(json!({"notes": null}))).await;
    assert!(r.body["data"].get("notes").is_none() && r.body["data"]["location"] == "Leeds", "{}", r.text);
}

#[tokio::test]
async fn pages_are_numbered_from_one_and_bounded_at_500() {
    let s = TestServer::start().await;
    let (_, key) = s.register().await;
    for i in 0..45 {
        create(&s, &key, json!({"job_title": format!("Role {i:02}"), "company_name": "Acme"})).await;
    }
    let r = list(&s, &key, "per_page=20&page=3&sort=created_at&order=asc").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(titles(&r), (40..45).map(|i| format!("Role {i:02}")).collect::<Vec<_>>(), "the last page");
    assert_eq!(
        (r.body["total"].as_u64(), r.body["page"].as_u64(), r.body["per_page"].as_u64()),
        (Some(45), Some(3), Some(20))
    );
    assert_eq!(r.body["has_more"], false);
    assert_eq!(list(&s, &key, "per_page=20&page=2").await.body["has_more"], true);
    let r = list(&s, &key, "per_page=20&page=4").await;
    assert_eq!((r.status, titles(&r).len(), r.body["total"].as_u64()), (200, 0, Some(45)), "past the end: empty");
    let r = list(&s, &key, "").await;
    assert_eq!((titles(&r).len(), r.body["per_page"].as_u64()), (20, Some(20)), "default 20, newest first");
    assert_eq!(titles(&r)[0], "Role 44");
    let r = list(&s, &key, "per_page=500").await;
    assert_eq!((r.status, titles(&r).len()), (200, 45));
    for (query, field) in
        [("per_page=501", "per_page"), ("page=0", "page"), ("sort=title", "sort"), ("order=up", "order")]
    {
        let r = list(&s, &key, query).await;
        assert_eq!((r.status, r.body["details"]["field"].as_str()), (400, Some(field)), "{query}: {}", r.text);
    }
    let r = list(&s, &key, "per_page=abc").await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("validation_failed")), "{}", r.text);
}

#[tokio::test]
async fn every_sort_and_filter_and_word_search() {
    let s = TestServer::start().await;
    let (_, key) = s.register().await;
    let day = |d: i64| (Utc::now() - Duration::days(d)).format("%Y-%m-%dT12:00:00Z").to_string();
    let rows = [
        ("Data Engineer", "Zeta", "applied", Some(30), "Spoke to Renée", vec!["remote"]),
        ("Analytics Engineer", "ácme", "offer", Some(60), "", vec!["fintech"]),
        ("Data Scientist", "Beta", "saved", None, "Python heavy", vec![]),
        ("Platform Engineer", "Acme", "rejected", Some(45), "", vec!["remote", "rust"]),
    ];
    for (title, company, status, applied, notes, tags) in rows {
        let mut body = json!({"job_title": title, "company_name": company, "status": status, "tags": tags});
        if let Some(d) = applied {
            body["applied_at"] = json!(day(d));
        }
        if !notes.is_empty() {
            body["notes"] = json!(notes);
        }
        create(&s, &key, body).await;
    }
    let order = |q: &'static str| {
        let s = &s;
        let key = key.clone();
        async move {
            let r = list(s, &key, q).await;
            assert_eq!(r.status, 200, "{q}: {}", r.text);
            titles(&r).iter().map(|t| t.split(' ').next().unwrap().chars().next().unwrap()).collect::<String>()
        }
    };
    // Initials: D(ata Engineer)=0, A(nalytics)=1, D(ata Scientist)=2, P(latform)=3.
    assert_eq!(order("sort=created_at&order=asc").await, "DADP");
    assert_eq!(order("sort=updated_at&order=desc").await, "PDAD");
    assert_eq!(order("sort=applied_at&order=asc").await, "APDD", "never applied last");
    assert_eq!(order("sort=applied_at&order=desc").await, "DPAD", "never applied last");
    assert_eq!(order("sort=company_name&order=asc").await, "APDD", "ácme = Acme, tie by id; then Beta, Zeta");
    assert_eq!(order("sort=status&order=asc").await, "DDAP", "saved, applied, offer, rejected");
    assert_eq!(order("status=offer,rejected&sort=created_at&order=asc").await, "AP");
    assert_eq!(order("status=offer&status=applied&sort=created_at&order=asc").await, "DA");
    assert_eq!(order("tag=REMOTE&sort=created_at&order=asc").await, "DP");
    let after = day(50);
    let before = day(20);
    assert_eq!(
        order(Box::leak(
            format!("applied_after={after}&applied_before={before}&sort=created_at&order=asc").into_boxed_str()
        ))
        .await,
        "DP"
    );
    assert_eq!(order("search=engineer&sort=created_at&order=asc").await, "DAP");
    assert_eq!(order("search=ACME%20platform").await, "P", "every word, any case");
    assert_eq!(order("search=renee").await, "D", "accents ignored, notes searched");
    assert_eq!(order("search=rust").await, "P", "tags searched");
    assert_eq!(order("search=gineer").await, "", "words match from their start");
    let r = list(&s, &key, "status=hired").await;
    assert_eq!((r.status, r.body["details"]["field"].as_str()), (400, Some("status")), "{}", r.text);
}

#[tokio::test]
async fn analytics_figures_on_a_known_set() {
    let s = TestServer::start().await;
    let (_, key) = s.register().await;
    let day = |d: i64| (Utc::now() - Duration::days(d)).to_rfc3339();
    // Applied 4, 6 and 10 days ago and answered now; one applied and unanswered; one saved.
    let mut ids = vec![];
    for (title, applied) in [("A", Some(4)), ("B", Some(6)), ("C", Some(10)), ("D", Some(2)), ("E", None)] {
        let mut body = json!({"job_title": title, "company_name": "Acme"});
        if let Some(d) = applied {
            body["status"] = json!("applied");
            body["applied_at"] = json!(day(d));
        }
        ids.push(create(&s, &key, body).await["id"].as_i64().unwrap());
    }
    for (id, status) in [(ids[0], "interviewing"), (ids[1], "rejected"), (ids[2], "offer")] {
        let r = call(&s, "PATCH", &format!("{API}/{id}"), &key, Some(json!({"status": status}))).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = call(&s, "PATCH", &format!("{API}/{}", ids[2]), &key, Some(json!({"status": "accepted"}))).await;
    assert_eq!(r.status, 200);
    let r = call(&s, "GET", &format!("{API}/analytics?weeks=3"), &key, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let d = &r.body["data"];
    assert_eq!(d["total"], 5);
    let counts: Vec<(String, u64)> = d["by_status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["status"].as_str().unwrap().to_owned(), c["count"].as_u64().unwrap()))
        .filter(|(_, n)| *n > 0)
        .collect();
    let expect = [("saved", 1), ("applied", 1), ("interviewing", 1), ("accepted", 1), ("rejected", 1)];
    assert_eq!(counts, expect.map(|(a, b)| (a.to_owned(), b)));
    assert_eq!((d["applied"].as_u64(), d["responded"].as_u64()), (Some(4), Some(3)));
    assert_eq!(d["response_rate"].as_f64(), Some(0.75));
    assert_eq!(d["median_days_to_response"].as_f64(), Some(6.0), "median of 4, 6 and 10 days");
    assert_eq!((d["offers"].as_u64(), d["accepted"].as_u64()), (Some(1), Some(1)));
    assert_eq!((d["offer_rate"].as_f64(), d["acceptance_rate"].as_f64()), (Some(0.25), Some(1.0)));
    let weeks = d["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 3);
    let sum = |k: &str| weeks.iter().map(|w| w[k].as_u64().unwrap()).sum::<u64>();
    assert_eq!((sum("applications"), sum("responses")), (4, 3), "all within three weeks");
    assert_eq!(weeks[2]["responses"], 3, "answered this week");
    let r = call(&s, "GET", &format!("{API}/analytics?weeks=0"), &key, None).await;
    assert_eq!((r.status, r.body["details"]["field"].as_str()), (400, Some("weeks")));
    // An empty tracker: zero counts, no rates.
    let (_, other) = s.register().await;
    let r = call(&s, "GET", &format!("{API}/analytics"), &other, None).await;
    assert_eq!((r.body["data"]["total"].as_u64(), r.body["data"].get("response_rate")), (Some(0), None), "{}", r.text);
    assert_eq!(r.body["data"]["weeks"].as_array().unwrap().len(), 12);
}

#[tokio::test]
async fn another_accounts_applications_do_not_exist_for_you() {
    let s = TestServer::start().await;
    let (_, a) = s.register().await;
    let (_, b) = s.register().await;
    let job = a_job(&s, &a).await;
    let app = create(&s, &a, json!({"job_id": job["id"], "notes": "secret"})).await;
    let path = format!("{API}/{}", app["id"]);
    for (method, p, body) in [
        ("GET", path.clone(), None),
        ("PATCH", path.clone(), Some(json!({"status": "rejected"}))),
        ("DELETE", path.clone(), None),
        ("GET", format!("{path}/events"), None),
        ("POST", format!("{path}/events"), Some(json!({"kind": "note"}))),
        ("POST", format!("{path}/score"), Some(json!({"skills": ["SQL"]}))),
    ] {
        let r = call(&s, method, &p, &b, body).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (404, Some("application_not_found")),
            "{method} {p}: {}",
            r.text
        );
        assert!(!r.text.contains("secret"));
    }
    assert_eq!(list(&s, &b, "").await.body["total"], 0);
    let r = call(&s, "GET", &path, &a, None).await;
    assert_eq!((r.status, r.body["data"]["status"].as_str()), (200, Some("saved")), "untouched");
}

#[tokio::test]
async fn sessions_may_track_and_keys_need_the_tracker_scopes() {
    let s = TestServer::start().await;
    let (email, key) = s.register().await;
    let (session, _) = s.login(&email).await;
    let app = create(&s, &session, json!({"job_title": "Analyst", "company_name": "Beta"})).await;
    assert_eq!(list(&s, &key, "").await.body["total"], 1, "the same account");
    let r =
        call(&s, "POST", "/v1/auth/keys", &key, Some(json!({"name": "reader", "scopes": ["applications:read"]}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let reader = r.body["key"].as_str().unwrap().to_owned();
    assert_eq!(list(&s, &reader, "").await.status, 200);
    let r = call(&s, "PATCH", &format!("{API}/{}", app["id"]), &reader, Some(json!({"status": "applied"}))).await;
    assert_eq!((r.status, r.body["details"]["required"].as_str()), (403, Some("applications:write")), "{}", r.text);
    let r = call(&s, "POST", &format!("{API}/{}/score", app["id"]), &reader, Some(json!({}))).await;
    assert_eq!((r.status, r.body["details"]["required"].as_str()), (403, Some("ai:use")), "{}", r.text);
}

#[tokio::test]
async fn the_tracker_and_ai_classes_have_their_own_limits() {
    use jobin_core::domain::{CatalogOverrides, Plan, PlanOverride};
    let mut o = CatalogOverrides::default();
    o.plans.insert(Plan::Free, PlanOverride { tracker_per_minute: Some(3), ..Default::default() });
    let catalog = PlanCatalog::document().with_overrides(&o).unwrap();
    let s = TestServer::start_with(Setup { catalog, ..Setup::default() }).await.unwrap();
    let (_, key) = s.register().await;
    let job = a_job(&s, &key).await;
    let app = create(&s, &key, json!({"job_id": job["id"]})).await;
    for _ in 0..2 {
        assert_eq!(list(&s, &key, "").await.status, 200);
    }
    let r = list(&s, &key, "").await;
    assert_eq!((r.status, r.body["details"]["class"].as_str()), (429, Some("tracker")), "{}", r.text);
    let retry = r.header("retry-after").unwrap().parse::<u64>().unwrap();
    assert_eq!(r.body["retry_after"].as_u64(), Some(retry), "in the body too");
    assert_eq!(r.header("x-ratelimit-limit"), Some("3"));
    // The data class is untouched; the AI class allows 20 an hour.
    assert_eq!(s.get_with_key("/v1/jobs/search?q=engineer", &key).await.status, 200);
    let score = format!("{API}/{}/score", app["id"]);
    for i in 0..20 {
        let r = call(&s, "POST", &score, &key, Some(json!({"skills": ["SQL"]}))).await;
        assert_eq!(r.status, 200, "score {i}: {}", r.text);
    }
    let r = call(&s, "POST", &score, &key, Some(json!({"skills": ["SQL"]}))).await;
    assert_eq!((r.status, r.body["details"]["class"].as_str()), (429, Some("ai")), "{}", r.text);
    // An hour's window: it resets on the hour (so the wait is up to an hour, whatever the minute).
    let wait = r.body["retry_after"].as_u64().unwrap();
    assert!((1..=3600).contains(&wait), "{}", r.text);
    assert!(r.body["resets"].as_str().unwrap().ends_with(":00:00.000Z"), "an hour's window: {}", r.text);
    assert_eq!(r.header("x-ratelimit-limit"), Some("20"));
}

#[tokio::test]
async fn creating_with_an_idempotency_key_saves_once() {
    let s = TestServer::start().await;
    let (_, key) = s.register().await;
    let idem = "6f1c7a52-31a4-4b8e-9a3e-0d3c1f2b4a55";
    let send = || {
        s.send(
            s.http
                .post(s.url(API))
                .bearer_auth(&key)
                .header("idempotency-key", idem)
                .json(&json!({"job_title": "Analyst", "company_name": "Beta"})),
        )
    };
    let first = send().await;
    let again = send().await;
    assert_eq!((first.status, again.status), (201, 201), "{}", again.text);
    assert_eq!(first.body["data"]["id"], again.body["data"]["id"]);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(list(&s, &key, "").await.body["total"], 1);
}

/// Answers fit scores with reasons of its own, one naming a skill no posting has.
struct Chatty;

#[async_trait]
impl LlmProvider for Chatty {
    fn provider(&self) -> AiProvider {
        AiProvider::Qwen
    }
    async fn complete(&self, req: &LlmRequest) -> Result<LlmAnswer, LlmError> {
        let facts: Value = serde_json::from_str(&req.user).unwrap();
        let named = facts["facts"]["posting_skills"][0].as_str().unwrap_or("the role").to_owned();
        let text = json!({"score": 64, "reasons": [
            format!("{named} is central to the posting."),
            "Your COBOL and Fortran background is a strong plus.",
        ]})
        .to_string();
        Ok(LlmAnswer { text, input_tokens: 10, output_tokens: 10 })
    }
}

#[tokio::test]
async fn fit_scores_are_grounded_in_the_posting() {
    let llm: Vec<Arc<dyn LlmProvider>> = vec![Arc::new(LocalRules), Arc::new(Chatty)];
    let s = TestServer::start_with(Setup { llm: Some(llm), ..Setup::default() }).await.unwrap();
    let (email, key) = s.register().await;
    let job = a_job(&s, &key).await;
    let posting =
        PostingText::new(&[job["title"].as_str().unwrap_or_default(), job["description"].as_str().unwrap_or_default()]);
    let posting_skills: Vec<String> =
        job["skills"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_lowercase()).collect();
    let named_by_posting = |skill: &str| posting_skills.contains(&skill.to_lowercase()) || posting.mentions(skill);
    let app = create(&s, &key, json!({"job_id": job["id"]})).await;
    let score = format!("{API}/{}/score", app["id"]);
    let profile = json!({"skills": ["SQL", "Python", "Haskell", "COBOL"], "seniority": "mid", "locations": ["London"], "remote": true});
    // Free plan, no choice: the local rules.
    let r = call(&s, "POST", &score, &key, Some(profile.clone())).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let d = &r.body["data"];
    assert_eq!((d["ai_provider"].as_str(), d["job_id"].as_str()), (Some("local"), job["id"].as_str()));
    assert!(d["score"].as_u64().unwrap() <= 100);
    assert!(!d["reasons"].as_array().unwrap().is_empty());
    for skill in d["matched_skills"].as_array().unwrap().iter().chain(d["missing_skills"].as_array().unwrap()) {
        assert!(named_by_posting(skill.as_str().unwrap()), "{skill} is not in the posting");
    }
    for reason in d["reasons"].as_array().unwrap() {
        let reason = reason.as_str().unwrap();
        for foreign in ["Haskell", "COBOL"] {
            if !named_by_posting(foreign) {
                assert!(!reason.contains(foreign), "{reason}");
            }
        }
    }
    // A model on a plan that may use it: its ungrounded reason is dropped.
    s.set_plan(&email, "pro").await;
    let r = s
        .send(
            s.http
                .post(s.url(&score))
                .bearer_auth(&key)
                .header("x-ai-provider", "qwen")
                .header("x-ai-model", "turbo")
                .json(&profile),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((r.body["data"]["ai_provider"].as_str(), r.body["data"]["score"].as_u64()), (Some("qwen"), Some(64)));
    let reasons: Vec<&str> =
        r.body["data"]["reasons"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(reasons.iter().all(|r| !r.contains("COBOL")), "{reasons:?}");
    assert!(!reasons.is_empty());
    // Unlinked: nothing to score.
    let bare = create(&s, &key, json!({"job_title": "Analyst", "company_name": "Beta"})).await;
    let r = call(&s, "POST", &format!("{API}/{}/score", bare["id"]), &key, Some(profile.clone())).await;
    assert_eq!((r.status, r.body["code"].as_str()), (409, Some("no_linked_job")), "{}", r.text);
    let r = call(&s, "POST", &score, &key, Some(json!({"seniority": "guru"}))).await;
    assert_eq!((r.status, r.body["details"]["field"].as_str()), (400, Some("seniority")), "{}", r.text);
}
