//! Analytics over the stored corpus: the uncached salary and trends computation (the corpus
//! query through the text index, each job once, then the figures) over `JOBIN_BENCH_CORPUS_JOBS`
//! stored postings (default 100,000), on SQLite (a file) and PostgreSQL (skipped with a note when
//! unreachable). Not criterion: the load takes minutes, the runs are few.
//!
//! Postings: 12 titles × 6 countries, salaries spread over 20k–200k, a dictionary skill in the
//! description; the query `data engineer` in gb matches about 1 in 12 × 1 in 3 of them (the
//! matching count is printed). `make bench-analytics`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration as ChronoDuration, Utc};
use jobin_adapters::db::SqlJobStore;
use jobin_adapters::testing::ScratchPostgres;
use jobin_core::domain::normalize::query_words;
use jobin_core::domain::{Job, Location, PayPeriod, Salary, SalarySample, SalaryStats, SourceId};
use jobin_core::ports::{CorpusQuery, JobStore};
use jobin_core::usecases::distinct;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const RUNS: usize = 15;
const TITLES: [&str; 12] = [
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
];
const COUNTRIES: [&str; 3] = ["GB", "US", "DE"];

fn job(n: usize) -> Job {
    let source = SourceId::ALL[n % 6];
    let country = COUNTRIES[(n / 12) % 3];
    Job {
        id: Job::make_id(source, &n.to_string()),
        source,
        title: TITLES[n % 12].into(),
        company: format!("Company {}", n % 997),
        location: Location { city: "London".into(), country: country.into(), region: String::new() },
        salary: Salary::from_bounds(Some(20_000.0 + (n % 180) as f64 * 1_000.0), None, "GBP", PayPeriod::Year),
        skills: vec!["Python".into()],
        seniority: None,
        remote: n.is_multiple_of(5),
        url: String::new(),
        posted_at: Some(Utc::now() - ChronoDuration::hours((n % 5000) as i64)),
        valid_through: None,
        fetched_at: Utc::now(),
        description: "Pipelines in SQL and Spark on Kubernetes.".into(),
        copies: vec![],
        details: Default::default(),
        provenance: None,
    }
}

async fn load(store: &dyn JobStore, n: usize) -> Duration {
    let t = Instant::now();
    let jobs: Vec<Job> = (0..n).map(job).collect();
    for chunk in jobs.chunks(2_000) {
        store.upsert(chunk, Utc::now()).await.unwrap();
    }
    t.elapsed()
}

fn p50(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    (v[v.len() / 2].as_secs_f64() * 1e3, v[v.len() - 1].as_secs_f64() * 1e3)
}

async fn measure(name: &str, store: &dyn JobStore, n: usize) {
    let loaded = load(store, n).await;
    let q = CorpusQuery {
        words: query_words("data engineer"),
        country: Some("GB".into()),
        sources: SourceId::ALL.to_vec(),
        ..Default::default()
    };
    let (mut salary, mut trends) = (Vec::new(), Vec::new());
    let mut matched = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        let rows = distinct(store.corpus(&q).await.unwrap());
        let sample = SalarySample::of(rows.iter().map(|f| f.salary.as_ref()), "GBP");
        let stats = SalaryStats::of(&sample.values).unwrap();
        salary.push(t.elapsed());
        matched = stats.sample_size;
        let t = Instant::now();
        let rows = distinct(store.corpus(&q).await.unwrap());
        let mut skills: HashMap<String, usize> = HashMap::new();
        for f in &rows {
            for s in &f.skills {
                *skills.entry(s.to_lowercase()).or_default() += 1;
            }
        }
        let remote = rows.iter().filter(|f| f.remote).count();
        assert!(remote <= rows.len() && !skills.is_empty());
        trends.push(t.elapsed());
    }
    let (s50, smax) = p50(salary);
    let (t50, tmax) = p50(trends);
    println!(
        "{name:<10} {n:>8} jobs (loaded in {:.1} s)  matching {matched:>6}  salary p50 {s50:>7.1} ms max {smax:>7.1} ms  \
         trends p50 {t50:>7.1} ms max {tmax:>7.1} ms",
        loaded.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("JOBIN_BENCH_CORPUS_JOBS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
    let db = jobin_adapters::db::connect(&url, 1).await.unwrap();
    jobin_adapters::db::migrate(&db, &url).await.unwrap();
    measure("sqlite", &SqlJobStore::new(db), n).await;
    match ScratchPostgres::create().await {
        Some(pg) => {
            let store: Arc<dyn JobStore> = Arc::new(SqlJobStore::new(pg.db.clone()));
            measure("postgres", store.as_ref(), n).await;
            pg.cleanup().await;
        }
        None => println!("postgres   skipped: no server (see above)"),
    }
}
