//! The tracker's list query over one account with `JOBIN_BENCH_APPLICATIONS` applications (default
//! 100,000), on SQLite (a file) and PostgreSQL (skipped with a note when unreachable). Not
//! criterion: the load takes a while and each figure is a distribution over pages.
//!
//! Applications: 2,000 company names (varied case and accents), every status, applied dates over
//! two years (saved ones have none), one or two of 40 tags, notes on one in three. Each row of the
//! output is one query shape timed over `PAGES` pages spread evenly from the first to the last
//! (p50, p99, max). The target: any page sorted by `company_name` in ≤ 20 ms p50 on both
//! databases. `make bench-tracker`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use jobin_adapters::db::SqlApplicationStore;
use jobin_adapters::testing::{ScratchPostgres, account};
use jobin_core::domain::application::{ApplicationSort, ApplicationStatus, SortOrder};
use jobin_core::domain::{AccountId, PayPeriod, Salary};
use jobin_core::ports::{ApplicationFields, ApplicationQuery, ApplicationStore};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PAGES: u64 = 60;
const PREFIXES: [&str; 8] = ["Acme", "ácme", "Zeta", "Öko", "beta", "Gamma", "delta", "Ñandú"];

fn fields(n: usize, epoch: DateTime<Utc>) -> ApplicationFields {
    let status = ApplicationStatus::ALL[n % 8];
    ApplicationFields {
        job_title: ["Data Engineer", "Rust Developer", "Analyst", "Platform Engineer"][n % 4].into(),
        company_name: format!("{} {}", PREFIXES[n % 8], n % 2_000),
        job_id: Some(format!("reed:{n}")),
        url: Some(format!("https://www.reed.co.uk/jobs/{n}")),
        location: Some("Leeds".into()),
        salary: Salary::from_bounds(Some(40_000.0 + (n % 50) as f64 * 1_000.0), None, "GBP", PayPeriod::Year),
        status,
        applied_at: (status != ApplicationStatus::Saved).then(|| epoch + ChronoDuration::hours((n % 17_520) as i64)),
        notes: n.is_multiple_of(3).then(|| format!("Spoke to recruiter {n}; follow up in a week.")),
        tags: vec![format!("tag{}", n % 40), ["remote", "hybrid"][n % 2].into()],
    }
}

async fn load(store: &SqlApplicationStore, a: AccountId, n: usize, workers: usize) -> Duration {
    let t = Instant::now();
    let epoch = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
    let store = Arc::new(store.clone());
    let mut tasks = Vec::new();
    for w in 0..workers {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in (w..n).step_by(workers) {
                store.create(a, fields(i, epoch), vec![], epoch + ChronoDuration::seconds(i as i64)).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    t.elapsed()
}

fn query(sort: ApplicationSort, order: SortOrder, per_page: u64) -> ApplicationQuery {
    ApplicationQuery {
        sort,
        order,
        offset: 0,
        limit: per_page,
        words: vec![],
        statuses: vec![],
        tag: None,
        applied_after: None,
        applied_before: None,
    }
}

async fn time(name: &str, store: &SqlApplicationStore, a: AccountId, q: ApplicationQuery) {
    let total = store.list(a, &ApplicationQuery { limit: 1, ..q.clone() }).await.unwrap().total;
    let last_page = total.div_ceil(q.limit).max(1) - 1;
    let mut lat = Vec::new();
    for i in 0..PAGES {
        let page = last_page * i / (PAGES - 1);
        let t = Instant::now();
        let got = store.list(a, &ApplicationQuery { offset: page * q.limit, ..q.clone() }).await.unwrap();
        lat.push(t.elapsed());
        assert!(!got.items.is_empty() || total == 0);
    }
    lat.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "  {name:<44} matching {total:>7}  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
        ms(lat[lat.len() / 2]),
        ms(lat[lat.len() * 99 / 100]),
        ms(lat[lat.len() - 1]),
    );
}

async fn measure(name: &str, db: DatabaseConnection, n: usize, workers: usize) {
    let store = SqlApplicationStore::new(db.clone());
    let a = account(&db, "bench@example.com").await;
    let other = account(&db, "other@example.com").await;
    let loaded = load(&store, a, n, workers).await;
    load(&store, other, n / 10, workers).await;
    if db.get_database_backend() == DbBackend::Postgres {
        // What autovacuum does shortly after a bulk load: statistics and the visibility map (so
        // the id query is an index-only scan).
        db.execute_raw(Statement::from_string(DbBackend::Postgres, "VACUUM ANALYZE applications")).await.unwrap();
    }
    println!(
        "{name}: {n} applications in one account (+{} in another), loaded in {:.1} s",
        n / 10,
        loaded.as_secs_f64()
    );
    use ApplicationSort::*;
    use SortOrder::*;
    time("company_name asc, per_page 20", &store, a, query(CompanyName, Asc, 20)).await;
    time("company_name desc, per_page 20", &store, a, query(CompanyName, Desc, 20)).await;
    time("company_name asc, per_page 500", &store, a, query(CompanyName, Asc, 500)).await;
    time("created_at desc, per_page 20", &store, a, query(CreatedAt, Desc, 20)).await;
    time("updated_at desc, per_page 20", &store, a, query(UpdatedAt, Desc, 20)).await;
    time("applied_at asc, per_page 20", &store, a, query(AppliedAt, Asc, 20)).await;
    time("applied_at desc, per_page 20", &store, a, query(AppliedAt, Desc, 20)).await;
    time("status asc, per_page 20", &store, a, query(Status, Asc, 20)).await;
    let q = ApplicationQuery { statuses: vec![ApplicationStatus::Interviewing], ..query(CompanyName, Asc, 20) };
    time("status=interviewing, company_name asc", &store, a, q).await;
    let q = ApplicationQuery { tag: Some("tag7".into()), ..query(CompanyName, Asc, 20) };
    time("tag=tag7, company_name asc", &store, a, q).await;
    let q = ApplicationQuery { words: vec!["rust".into(), "acme".into()], ..query(CompanyName, Asc, 20) };
    time("search 'rust acme', company_name asc", &store, a, q).await;
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("JOBIN_BENCH_APPLICATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
    let db = jobin_adapters::db::connect(&url, 1).await.unwrap();
    jobin_adapters::db::migrate(&db, &url).await.unwrap();
    measure("sqlite", db, n, 1).await;
    match ScratchPostgres::create().await {
        Some(pg) => {
            measure("postgres", pg.db.clone(), n, 8).await;
            pg.cleanup().await;
        }
        None => println!("postgres: skipped, no server (see above)"),
    }
}
