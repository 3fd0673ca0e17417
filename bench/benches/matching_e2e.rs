//! What saved-search matching adds to ingestion, end to end on the real stores (issue 20): 10,000
//! saved searches (`JOBIN_BENCH_SEARCHES`), then 1,000 postings (`JOBIN_BENCH_POSTINGS`) land in
//! the job store, then one `MatchLanded` run reads them from the change stream, matches them
//! through the word index, records every match (and queues webhook deliveries for the searches
//! that have one: a tenth of them here) and moves the cursor. Timed on SQLite (a file) and
//! PostgreSQL (skipped with a note when unreachable), on fresh postings each run, for two search
//! mixes (see [`Mix`]). Not criterion: each run changes the store. Target: ≤ 1 s per 1,000
//! postings. `make bench-matching`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc};
use jobin_adapters::clock::SystemClock;
use jobin_adapters::db::{SqlJobStore, SqlMatchStore, SqlSavedSearchStore};
use jobin_adapters::testing::{ScratchPostgres, account};
use jobin_core::ports::{JobStore, SavedSearchStore};
use jobin_core::usecases::MatchLanded;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[path = "support/matching_mix.rs"]
mod mix;
use mix::{Mix, criteria, postings};

async fn measure(name: &str, db: DatabaseConnection, mix: Mix, runs: usize) {
    let searches = env_usize("JOBIN_BENCH_SEARCHES", 10_000);
    let n = env_usize("JOBIN_BENCH_POSTINGS", 1_000);
    let store = Arc::new(SqlSavedSearchStore::new(db.clone()));
    let started = Instant::now();
    // `account` derives the key from one byte of the email: pick emails whose bytes differ.
    let mut accounts = Vec::new();
    let mut taken = std::collections::HashSet::new();
    for a in 0.. {
        let email = format!("bench{a}@example.com");
        if taken.insert(email.bytes().fold(7u8, |h, b| h.wrapping_mul(31).wrapping_add(b))) {
            accounts.push(account(&db, &email).await);
        }
        if accounts.len() == 100 {
            break;
        }
    }
    let sample = postings(n, 0);
    let t0 = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
    for (i, c) in criteria(searches, &sample, mix).into_iter().enumerate() {
        let hook = (i % 10 == 0).then(|| ("https://hooks.example.com/x".to_owned(), format!("n{i}")));
        store.create(accounts[i % 100], format!("s{i}"), c, hook, u64::MAX, t0).await.unwrap();
    }
    eprintln!("{name}: {searches} saved searches stored in {:.1} s", started.elapsed().as_secs_f64());
    let jobs = Arc::new(SqlJobStore::new(db.clone()));
    let matches = Arc::new(SqlMatchStore::new(db.clone()));
    let matcher = MatchLanded { searches: store, jobs: jobs.clone(), matches, clock: Arc::new(SystemClock) };
    matcher.run().await.unwrap(); // the cursor to the (empty) end
    let mut times = Vec::new();
    let mut recorded = 0;
    for run in 1..=runs {
        jobs.upsert(&postings(n, run), chrono::Utc::now()).await.unwrap();
        let t = Instant::now();
        let r = matcher.run().await.unwrap();
        let took = t.elapsed();
        times.push(took);
        recorded = r.recorded;
        eprintln!(
            "{name}: run {run}: {} postings, {} matches recorded, in {:.0} ms",
            r.postings,
            r.recorded,
            took.as_secs_f64() * 1_000.0
        );
    }
    if std::env::var("JOBIN_BENCH_BREAKDOWN").is_ok() {
        breakdown(name, &db, &matcher, n).await;
    }
    times.sort();
    let median: Duration = times[times.len() / 2];
    let mix = if mix == Mix::Stress { "stress" } else { "narrow" };
    println!(
        "| {name} | {mix} | {searches} | {n} | {recorded} | {:.0} ms | {:.0} ms |",
        median.as_secs_f64() * 1_000.0,
        times[times.len() - 1].as_secs_f64() * 1_000.0
    );
}

/// Where one run's time goes: reading the searches and indexing them, reading the landed page,
/// matching, recording.
async fn breakdown(name: &str, db: &DatabaseConnection, matcher: &MatchLanded, n: usize) {
    use jobin_core::domain::saved_search::SearchIndex;
    use jobin_core::ports::{FeedQuery, MatchStore, NewMatch};
    let jobs = SqlJobStore::new(db.clone());
    let matches = SqlMatchStore::new(db.clone());
    jobs.upsert(&postings(n, 99), chrono::Utc::now()).await.unwrap();
    let t = Instant::now();
    let all = matcher.searches.all().await.unwrap();
    let index = SearchIndex::new(all.iter().map(|s| (s, s.criteria.matcher())));
    let read_searches = t.elapsed();
    let t = Instant::now();
    let after = matches.cursor().await.unwrap();
    let page = jobs.feed(&FeedQuery { after, limit: n, ..FeedQuery::default() }).await.unwrap();
    let read_page = t.elapsed();
    let t = Instant::now();
    let now = chrono::Utc::now();
    let mut found = Vec::new();
    for stored in &page.jobs {
        for s in index.matching(&stored.job) {
            found.push(NewMatch {
                search: s.id,
                account: s.account,
                job_id: stored.job.id.clone(),
                job_updated_at: stored.updated_at,
                seq: stored.seq,
                created_at: now,
            });
        }
    }
    let matching = t.elapsed();
    let t = Instant::now();
    let recorded = matches.record(&found).await.unwrap();
    let record = t.elapsed();
    let ms = |d: Duration| d.as_secs_f64() * 1_000.0;
    eprintln!(
        "{name} breakdown: searches read + indexed {:.0} ms, page of {} read {:.0} ms, matched {:.0} ms, {recorded} recorded {:.0} ms",
        ms(read_searches),
        page.jobs.len(),
        ms(read_page),
        ms(matching),
        ms(record)
    );
}

#[tokio::main]
async fn main() {
    println!("| store | mix | saved searches | postings landed | matches recorded | matching run (median) | max |");
    println!("|---|---|---|---|---|---|---|");
    // The narrow mix three times; the stress mix (about a million matches a run) once.
    let stress = std::env::var("JOBIN_BENCH_MIXES").map_or(true, |m| m.contains("stress"));
    for (mix, runs) in [(Mix::Narrow, 3), (Mix::Stress, 1)] {
        if mix == Mix::Stress && !stress {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
        let db = jobin_adapters::db::connect(&url, 1).await.unwrap();
        jobin_adapters::db::migrate(&db, &url).await.unwrap();
        measure("SQLite", db, mix, runs).await;
        if let Some(pg) = ScratchPostgres::create().await {
            measure("PostgreSQL", pg.db.clone(), mix, runs).await;
            pg.cleanup().await;
        }
    }
}
