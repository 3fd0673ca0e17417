//! The corpus search (`GET /v1/jobs`) over `JOBIN_BENCH_CORPUS_POSTINGS` stored postings (default
//! 1,000,000), on SQLite (a file) and PostgreSQL (skipped with a note when unreachable). Not
//! criterion: the load takes minutes, the runs are few.
//!
//! Timed, `RUNS` times each (p50 and max):
//! - `filtered+3 facets`: the request `q=engineer&country=gb,de&remote=false&posted_since=<60 days
//!   ago>&facets=source,seniority,salary` (first page of 20, newest first) through the use case the
//!   handler calls (`SearchCorpus`: parse, page, facets, total, cursor) — everything one request
//!   costs but HTTP and JSON; and `count alone`, the bounded count a request without facets pays
//!   when its first page is not its last;
//! - through the `JobStore` port: `page 1` and `page 1000` of the same filter without facets (20 a page; page 1,000's cursor
//!   found by walking once), to show that depth does not cost;
//! - `no filter` page 1, and `relevance` (`q=senior data engineer`) page 1.
//!
//! Postings: 16 titles × 20 countries, companies from 5,000, salaries in four currencies and five
//! periods, a tenth merged across two boards. `make bench-corpus`.
//!
//! To study one store without loading it each time: `JOBIN_BENCH_CORPUS_KEEP=<dir>` keeps the
//! SQLite file (`<dir>/corpus-<n>.db`) and the PostgreSQL database (`jobin_bench_corpus_<n>`) and
//! loads only into a store that does not hold `n` postings yet (drop them after a schema change);
//! `JOBIN_BENCH_CORPUS_ONLY=sqlite|postgres` runs one of the two.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use jobin_adapters::db::SqlJobStore;
use jobin_adapters::testing::ScratchPostgres;
use jobin_core::domain::corpus::{CorpusFilter, CorpusSort, Position, SortOrder};
use jobin_core::domain::normalize::query_words;
use jobin_core::domain::{
    Country, EmploymentType, Job, JobCopy, JobDetails, Location, PayPeriod, Salary, Seniority, SourceId,
};
use jobin_core::domain::{CursorCodec, Plan, PlanCatalog};
use jobin_core::ports::{CorpusPageQuery, JobStore};
use jobin_core::usecases::search_corpus::{CorpusRequest, SearchCorpus};
use std::sync::Arc;
use std::time::{Duration, Instant};

const RUNS: usize = 21;
const TITLES: [&str; 16] = [
    "Data Engineer",
    "Senior Data Engineer",
    "Data Scientist",
    "Rust Developer",
    "Frontend Engineer",
    "Product Manager",
    "QA Engineer",
    "DevOps Engineer",
    "Data Analyst",
    "Backend Developer",
    "ML Engineer",
    "Lead Data Engineer",
    "Sr. Software Engineer - London",
    "Werkstudent Softwareentwicklung (m/w/d)",
    "Java Developer (Hybrid)",
    "Engineering Manager",
];

fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap()
}

fn job(n: usize) -> Job {
    let source = SourceId::ALL[n % 6];
    let country = Country::ALL[(n / 16) % Country::ALL.len()];
    let period = PayPeriod::ALL[(n / 7) % 5];
    let base = match period {
        PayPeriod::Hour => 25.0,
        PayPeriod::Day => 300.0,
        PayPeriod::Week => 1_000.0,
        PayPeriod::Month => 4_000.0,
        PayPeriod::Year => 40_000.0,
    };
    let currency = ["GBP", "EUR", "USD", "INR"][(n / 3) % 4];
    let mut j = Job {
        id: Job::make_id(source, &n.to_string()),
        source,
        title: TITLES[n % 16].into(),
        company: format!("Company {} Ltd", n % 5_000),
        location: Location { city: format!("City {}", n % 50), country: country.iso().into(), region: String::new() },
        salary: (!n.is_multiple_of(3))
            .then(|| Salary::from_bounds(Some(base * (1.0 + (n % 40) as f64 / 20.0)), None, currency, period))
            .flatten(),
        skills: vec!["Python".into(), "SQL".into()],
        seniority: [None, Some(Seniority::Junior), Some(Seniority::Mid), Some(Seniority::Senior)][n % 4],
        remote: n.is_multiple_of(5),
        url: String::new(),
        posted_at: (!n.is_multiple_of(50)).then(|| now() - ChronoDuration::minutes((n % 200_000) as i64)),
        valid_through: None,
        fetched_at: now(),
        description: "Pipelines in SQL and Spark on Kubernetes.".into(),
        copies: vec![],
        details: JobDetails {
            employment_type: [None, Some(EmploymentType::FullTime), Some(EmploymentType::Contract)][n % 3],
            ..Default::default()
        },
        provenance: None,
    };
    j.copies = vec![j.own_copy()];
    if n.is_multiple_of(10) {
        j.copies.push(JobCopy { source: SourceId::Import, id: format!("import:{n}"), url: String::new() });
    }
    j
}

async fn load(store: &dyn JobStore, n: usize) -> Duration {
    let t = Instant::now();
    let mut done = 0;
    while done < n {
        let batch: Vec<Job> = (done..(done + 2_000).min(n)).map(job).collect();
        store.upsert(&batch, now()).await.unwrap();
        done += batch.len();
        if done % 100_000 == 0 {
            eprintln!("  loaded {done} of {n} ({:.0} s)", t.elapsed().as_secs_f64());
        }
    }
    t.elapsed()
}

fn stats(mut v: Vec<Duration>) -> String {
    v.sort();
    format!("p50 {:>7.1} ms  max {:>7.1} ms", v[v.len() / 2].as_secs_f64() * 1e3, v[v.len() - 1].as_secs_f64() * 1e3)
}

async fn time<F, Fut>(mut f: F) -> String
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    f().await; // warm
    let mut v = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        f().await;
        v.push(t.elapsed());
    }
    stats(v)
}

fn page(filter: &CorpusFilter, sort: CorpusSort, after: Option<Position>) -> CorpusPageQuery {
    CorpusPageQuery { filter: filter.clone(), sort, order: SortOrder::Desc, after, limit: 20 }
}

async fn measure(name: &str, store: Arc<dyn JobStore>, n: usize) {
    let all = (1i64 << 7) - 1;
    let held = store.corpus_count(&CorpusFilter { within: all, ..Default::default() }, u64::MAX).await.unwrap();
    if held >= n as u64 * 9 / 10 {
        // A kept store (a tenth of the postings are merged copies, hidden).
        println!("{name}: {n} postings kept from an earlier run ({held} shown)");
    } else {
        let loaded = load(store.as_ref(), n).await;
        println!("{name}: {n} postings loaded in {:.0} s", loaded.as_secs_f64());
    }
    let filtered = CorpusFilter {
        within: all,
        words: query_words("engineer"),
        countries: vec!["GB".into(), "DE".into()],
        remote: Some(false),
        posted_since: Some(now() - ChronoDuration::days(60)),
        ..Default::default()
    };
    let matching = store.corpus_count(&filtered, u64::MAX).await.unwrap();
    let search = SearchCorpus {
        store: store.clone(),
        catalog: Arc::new(PlanCatalog::document()),
        cursors: CursorCodec::new(b"bench cursors"),
    };
    let request = CorpusRequest {
        q: Some("engineer".into()),
        country: vec!["gb,de".into()],
        remote: Some(false),
        posted_since: Some((now() - ChronoDuration::days(60)).to_rfc3339()),
        facets: vec!["source,seniority,salary".into()],
        plan: Some(Plan::Scale),
        ..Default::default()
    };
    let asked = search.parse(&request).unwrap();
    assert_eq!(asked.filter, filtered, "the request is the filter the port timings use");
    let full = time(|| async {
        let answer = search.execute(&search.parse(&request).unwrap()).await.unwrap();
        assert_eq!(answer.jobs.len(), 20);
        assert_eq!((answer.total, answer.total_exact), (matching, true));
    })
    .await;
    println!("  filtered+3 facets ({matching} matching)        {full}");
    let count = time(|| async {
        store.corpus_count(&filtered, 10_001).await.unwrap();
    })
    .await;
    println!("  count alone (bounded at 10,001)                {count}");

    let first = time(|| async {
        store.corpus_page(&page(&filtered, CorpusSort::PostedAt, None)).await.unwrap();
    })
    .await;
    // Page 1,000's start: walk there once.
    let mut after = None;
    for _ in 0..999 {
        let p = store.corpus_page(&page(&filtered, CorpusSort::PostedAt, after.clone())).await.unwrap();
        after = p.jobs.last().map(|(_, at)| at.clone());
    }
    let deep = time(|| async {
        let p = store.corpus_page(&page(&filtered, CorpusSort::PostedAt, after.clone())).await.unwrap();
        assert_eq!(p.jobs.len(), 20, "page 1,000 is full");
    })
    .await;
    println!("  filtered page 1                                {first}");
    println!("  filtered page 1000                             {deep}");
    let everything = CorpusFilter { within: all, ..Default::default() };
    let none = time(|| async {
        store.corpus_page(&page(&everything, CorpusSort::PostedAt, None)).await.unwrap();
    })
    .await;
    println!("  no filter page 1                               {none}");
    let relevant = CorpusFilter { within: all, words: query_words("senior data engineer"), ..Default::default() };
    let rel = time(|| async {
        store.corpus_page(&page(&relevant, CorpusSort::Relevance, None)).await.unwrap();
    })
    .await;
    println!("  relevance page 1 (senior data engineer)        {rel}");
}

/// The PostgreSQL database `name`, created (and migrated) when absent; `None` when no server.
async fn kept_postgres(name: &str) -> Option<sea_orm::DatabaseConnection> {
    use sea_orm::ConnectionTrait;
    let admin_url = std::env::var("JOBIN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| jobin_adapters::testing::DEFAULT_ADMIN_URL.to_owned());
    let admin = jobin_adapters::db::connect(&admin_url, 1).await.ok()?;
    // Already there on a later run: the error is expected.
    let _ = admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await;
    let url = jobin_adapters::testing::swap_database(&admin_url, name).unwrap();
    let db = jobin_adapters::db::connect(&url, 5).await.unwrap();
    jobin_adapters::db::migrate(&db, &url).await.unwrap();
    Some(db)
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("JOBIN_BENCH_CORPUS_POSTINGS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let only = std::env::var("JOBIN_BENCH_CORPUS_ONLY").unwrap_or_default();
    let keep = std::env::var_os("JOBIN_BENCH_CORPUS_KEEP").map(std::path::PathBuf::from);
    let scratch = tempfile::tempdir().unwrap();
    if only.is_empty() || only == "sqlite" {
        let file = match &keep {
            Some(dir) => {
                std::fs::create_dir_all(dir).unwrap();
                dir.join(format!("corpus-{n}.db"))
            }
            None => scratch.path().join("bench.db"),
        };
        let url = format!("sqlite://{}?mode=rwc", file.display());
        let db = jobin_adapters::db::connect(&url, 1).await.unwrap();
        jobin_adapters::db::migrate(&db, &url).await.unwrap();
        measure("sqlite", Arc::new(SqlJobStore::new(db)), n).await;
    }
    if only.is_empty() || only == "postgres" {
        if keep.is_some() {
            match kept_postgres(&format!("jobin_bench_corpus_{n}")).await {
                Some(db) => measure("postgres", Arc::new(SqlJobStore::new(db)), n).await,
                None => println!("postgres skipped: no server"),
            }
        } else {
            match ScratchPostgres::create().await {
                Some(pg) => {
                    measure("postgres", Arc::new(SqlJobStore::new(pg.db.clone())), n).await;
                    pg.cleanup().await;
                }
                None => println!("postgres skipped: no server (see above)"),
            }
        }
    }
}
