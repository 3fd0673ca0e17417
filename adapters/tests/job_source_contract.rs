//! One `JobSource` contract, run against every source: the six boards (each behind a local server
//! that answers like the board, in its own shape, searching and paging as it does), the seeded demo
//! boards, and the operator's import file (loaded into a job store, searched through it).

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use jobin_adapters::SystemClock;
use jobin_adapters::contract_suite;
use jobin_adapters::memory::{MemoryJobStore, MemoryMeter};
use jobin_adapters::sources::RequestBudget;
use jobin_adapters::sources::{
    Adzuna, Arbeitnow, BoardContext, Findwork, ImportFile, Reed, Remotive, StoredImport, TheMuse, board_client,
};
use jobin_adapters::testing::Subject;
use jobin_core::domain::normalize::{fold, query_words};
use jobin_core::domain::{Country, SourceId};
use jobin_core::ports::{JobSource, JobStore, SourceQuery};
use secrecy::SecretString;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A source under test, the country its postings are in, and what keeps it running.
#[derive(Clone)]
struct Source {
    source: Arc<dyn JobSource>,
    country: Country,
    _keep: Arc<dyn std::any::Any + Send + Sync>,
}

/// Titles every fixture board lists (four say "engineer", two say "python engineer").
const TITLES: [&str; 6] = [
    "Senior Python Engineer",
    "Data Engineer",
    "Product Designer",
    "Python Engineer",
    "Platform Engineer",
    "Sales Lead",
];

/// How a board pages.
#[derive(Clone, Copy)]
enum Paging {
    /// Everything in one answer.
    One,
    /// Adzuna: `/search/<page>` (1-based) of `results_per_page`.
    AdzunaPages,
    /// Reed: `resultsToSkip` / `resultsToTake`.
    ReedOffsets,
}

/// A board as its clients see it: it searches its listings for the query parameter (every word in
/// the title, as boards with server-side search do; boards without one ignore it) and pages.
struct Board {
    jobs: Vec<(String, Value)>,
    search_param: Option<&'static str>,
    paging: Paging,
    wrap: fn(Vec<Value>, usize) -> Value,
}

impl Respond for Board {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let param = |name: &str| req.url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
        let words = self.search_param.and_then(param).map(|q| query_words(&q)).unwrap_or_default();
        let hits: Vec<Value> = self
            .jobs
            .iter()
            .filter(|(title, _)| words.iter().all(|w| fold(title).contains(w.as_str())))
            .map(|(_, v)| v.clone())
            .collect();
        let total = hits.len();
        let (skip, take) = match self.paging {
            Paging::One => (0, total),
            Paging::AdzunaPages => {
                let per: usize = param("results_per_page").and_then(|v| v.parse().ok()).unwrap_or(10);
                let page: usize = req.url.path().rsplit('/').next().and_then(|p| p.parse().ok()).unwrap_or(1);
                ((page.max(1) - 1) * per, per)
            }
            Paging::ReedOffsets => (
                param("resultsToSkip").and_then(|v| v.parse().ok()).unwrap_or(0),
                param("resultsToTake").and_then(|v| v.parse().ok()).unwrap_or(100),
            ),
        };
        let page = hits.into_iter().skip(skip).take(take).collect();
        ResponseTemplate::new(200).set_body_json((self.wrap)(page, total))
    }
}

async fn serve(board: Board) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any()).respond_with(board).mount(&server).await;
    server
}

fn ctx(server: &MockServer) -> BoardContext {
    let budget =
        Arc::new(RequestBudget::new(Arc::new(MemoryMeter::default()), Arc::new(SystemClock), Default::default()));
    BoardContext::new(&server.uri(), board_client(Duration::from_secs(5)).unwrap(), budget)
}

fn key() -> Option<SecretString> {
    Some(SecretString::from("contract-key".to_owned()))
}

fn listing(job: impl Fn(usize, &str) -> Value) -> Vec<(String, Value)> {
    TITLES.iter().enumerate().map(|(i, t)| (t.to_string(), job(i + 1, t))).collect()
}

fn subject(
    source: impl JobSource + 'static,
    country: Country,
    keep: impl std::any::Any + Send + Sync,
) -> Option<Subject<Source>> {
    Some(Subject::new(Source { source: Arc::new(source), country, _keep: Arc::new(keep) }))
}

async fn adzuna() -> Option<Subject<Source>> {
    let server = serve(Board {
        jobs: listing(|i, t| {
            json!({"id": format!("{}", 1000 + i), "title": t, "description": "Build services.",
                   "created": "2026-11-01T09:00:00Z", "redirect_url": format!("https://www.adzuna.co.uk/jobs/details/{}", 1000 + i),
                   "company": {"display_name": "Ferris Ltd"}, "location": {"display_name": "London", "area": ["UK", "London"]},
                   "salary_min": 70000, "salary_max": 90000})
        }),
        search_param: Some("what"),
        paging: Paging::AdzunaPages,
        wrap: |results, count| json!({"count": count, "mean": 80000, "results": results}),
    })
    .await;
    subject(
        Adzuna::new(ctx(&server), Some(("contract-id".into(), SecretString::from("k".to_owned())))),
        Country::Gb,
        server,
    )
}

async fn reed() -> Option<Subject<Source>> {
    let server = serve(Board {
        jobs: listing(|i, t| {
            json!({"jobId": 500 + i, "employerId": 1, "employerName": "Acme", "jobTitle": t, "locationName": "Leeds",
                   "minimumSalary": 40000, "maximumSalary": 50000, "currency": "GBP", "expirationDate": "30/12/2026",
                   "date": "20/11/2026", "jobDescription": "Build things", "applications": 3,
                   "jobUrl": format!("https://www.reed.co.uk/jobs/x/{}", 500 + i)})
        }),
        search_param: Some("keywords"),
        paging: Paging::ReedOffsets,
        wrap: |results, total| json!({"results": results, "ambiguousLocations": [], "totalResults": total}),
    })
    .await;
    subject(Reed::new(ctx(&server), key()), Country::Gb, server)
}

async fn findwork() -> Option<Subject<Source>> {
    let server = serve(Board {
        jobs: listing(|i, t| {
            json!({"id": format!("f{i}"), "role": t, "company_name": "Hexa", "employment_type": "full time",
                   "location": "London, UK", "remote": false, "url": format!("https://findwork.dev/f{i}/x"),
                   "text": "<p>Build it</p>", "date_posted": "2026-11-02T10:00:00Z", "keywords": ["rust"], "source": "Hn"})
        }),
        search_param: Some("search"),
        paging: Paging::One,
        wrap: |results, count| json!({"count": count, "next": null, "previous": null, "results": results}),
    })
    .await;
    subject(Findwork::new(ctx(&server), key()), Country::Gb, server)
}

async fn remotive() -> Option<Subject<Source>> {
    let server = serve(Board {
        jobs: listing(|i, t| {
            json!({"id": i, "url": format!("https://remotive.com/remote-jobs/x-{i}"), "title": t, "company_name": "Remote Co",
                   "category": "Software Development", "tags": ["aws"], "job_type": "full_time",
                   "publication_date": "2026-11-20T08:00:00", "candidate_required_location": "Worldwide",
                   "salary": "", "description": "<p>Remote work</p>"})
        }),
        search_param: None,
        paging: Paging::One,
        wrap: |jobs, n| json!({"job-count": n, "total-job-count": n, "jobs": jobs}),
    })
    .await;
    subject(Remotive::new(ctx(&server), Duration::from_secs(3600)), Country::Gb, server)
}

async fn arbeitnow() -> Option<Subject<Source>> {
    let server = serve(Board {
        jobs: listing(|i, t| {
            json!({"slug": format!("job-{i}"), "company_name": "Berlin Tech GmbH", "title": t, "description": "<p>Wir suchen</p>",
                   "remote": false, "url": format!("https://www.arbeitnow.com/jobs/companies/berlin-tech/job-{i}"),
                   "tags": [], "job_types": ["Full-time"], "location": "Berlin", "created_at": 1_763_600_000})
        }),
        search_param: None,
        paging: Paging::One,
        wrap: |data, _| json!({"data": data, "links": {"next": null}, "meta": {"current_page": 1}}),
    })
    .await;
    subject(Arbeitnow::new(ctx(&server), Duration::from_secs(3600)), Country::De, server)
}

async fn themuse() -> Option<Subject<Source>> {
    let server = serve(Board {
        jobs: listing(|i, t| {
            json!({"id": i, "name": t, "contents": "<p>Join us</p>", "type": "external", "publication_date": "2026-11-10T12:00:00Z",
                   "locations": [{"name": "New York, NY"}], "categories": [], "levels": [], "tags": [],
                   "refs": {"landing_page": format!("https://www.themuse.com/jobs/co/{i}")}, "company": {"id": 1, "name": "Muse Co"}})
        }),
        search_param: None,
        paging: Paging::One,
        wrap: |results, total| json!({"page": 0, "page_count": 1, "items_per_page": 20, "total": total, "results": results}),
    })
    .await;
    subject(TheMuse::new(ctx(&server), None, Duration::from_secs(3600)), Country::Us, server)
}

async fn demo() -> Option<Subject<Source>> {
    let board = jobin_adapters::fakes::demo_boards(42, Duration::ZERO, &[])
        .into_iter()
        .find(|b| b.id() == SourceId::Reed)
        .unwrap();
    Some(Subject::new(Source { source: board, country: Country::Gb, _keep: Arc::new(()) }))
}

async fn import_file() -> Option<Subject<Source>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jobs.csv");
    let mut csv = String::from("id,title,company,city,country,salary_min,salary_max,url\n");
    for (i, t) in TITLES.iter().enumerate() {
        csv += &format!("{i},{t},Own Co,Manchester,GB,40000,50000,https://jobs.example/{i}\n");
    }
    std::fs::write(&path, csv).unwrap();
    let (file, report) = ImportFile::load(&path, None).unwrap();
    assert_eq!(report.loaded, TITLES.len());
    let store: Arc<dyn JobStore> = Arc::new(MemoryJobStore::default());
    file.store_into(store.as_ref(), chrono::Utc::now(), 100, |_| {}).await.unwrap();
    subject(StoredImport::new(store), Country::Gb, dir)
}

fn query(s: &Source, q: &str, limit: usize) -> SourceQuery {
    SourceQuery { q: q.into(), location: None, country: s.country, limit }
}

async fn at_most_the_limit_each_job_its_own_and_linked(s: Source) {
    let jobs = s.source.search(&query(&s, "engineer", 2)).await.unwrap();
    assert!(!jobs.is_empty() && jobs.len() <= 2, "{} jobs for limit 2", jobs.len());
    let prefix = format!("{}:", s.source.id().as_str());
    let mut ids = HashSet::new();
    for j in &jobs {
        assert_eq!(j.source, s.source.id());
        assert!(j.id.starts_with(&prefix) && j.id.len() > prefix.len(), "id {}", j.id);
        assert!(ids.insert(j.id.clone()), "ids are unique: {}", j.id);
        assert!(!j.title.trim().is_empty());
        assert!(j.url.starts_with("https://") || j.url.starts_with("http://"), "link-back url {}", j.url);
    }
}

async fn a_query_nothing_matches_is_an_empty_list(s: Source) {
    assert_eq!(s.source.search(&query(&s, "zzqxv", 10)).await.unwrap(), vec![]);
}

async fn every_job_matches_every_word_of_the_query(s: Source) {
    let jobs = s.source.search(&query(&s, "python engineer", 50)).await.unwrap();
    assert!(!jobs.is_empty());
    for j in &jobs {
        let text = fold(&format!("{} {} {} {}", j.title, j.company, j.skills.join(" "), j.description));
        for w in ["python", "engineer"] {
            assert!(text.contains(w), "{w} in {:?}", j.title);
        }
    }
}

async fn the_same_query_gives_the_same_jobs(s: Source) {
    let ids = |jobs: Vec<jobin_core::domain::Job>| jobs.into_iter().map(|j| j.id).collect::<Vec<_>>();
    let a = ids(s.source.search(&query(&s, "engineer", 10)).await.unwrap());
    let b = ids(s.source.search(&query(&s, "engineer", 10)).await.unwrap());
    assert_eq!(a, b);
}

contract_suite! {
    cases: [
        at_most_the_limit_each_job_its_own_and_linked,
        a_query_nothing_matches_is_an_empty_list,
        every_job_matches_every_word_of_the_query,
        the_same_query_gives_the_same_jobs,
    ];
    adzuna => adzuna(),
    reed => reed(),
    findwork => findwork(),
    remotive => remotive(),
    arbeitnow => arbeitnow(),
    themuse => themuse(),
    demo_board => demo(),
    import_file => import_file(),
}
