//! Feed paging over 1,000,000 stored jobs on PostgreSQL (not criterion: one long stream).
//!
//! Loads `JOBIN_BENCH_FEED_JOBS` (default 1,000,000) generated jobs into a scratch database (one
//! `INSERT … SELECT generate_series` from a real serialized job, so every body decodes), then pages
//! `POST /jobs/feed`'s use case with batch_size 1000 from the start, the middle and the end of the
//! stream, and prints pages per second and page latency (p50, p99, max) for each. Keyset paging
//! should make the three rows alike; an OFFSET scheme would grow linearly with depth.
//!
//! `make bench-feed` (needs PostgreSQL at `JOBIN_TEST_POSTGRES_URL`, default
//! postgres://postgres@127.0.0.1:5432/test).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use jobin_adapters::db::SqlJobStore;
use jobin_adapters::testing::ScratchPostgres;
use jobin_core::domain::{CursorCodec, Job, Location, SourceId, Stream};
use jobin_core::usecases::{Feed, FeedRequest};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BATCH: i64 = 1_000;
const PAGES: usize = 100;

fn template() -> Job {
    Job {
        id: "adzuna:__N__".into(),
        source: SourceId::Adzuna,
        title: "Senior Data Engineer __N__".into(),
        company: "Acme Analytics".into(),
        location: Location { city: "London".into(), country: "GB".into(), region: "London".into() },
        salary: Some(jobin_core::domain::Salary {
            min: 60_000.0,
            max: 80_000.0,
            currency: "GBP".into(),
            period: jobin_core::domain::PayPeriod::Year,
        }),
        skills: vec!["Python".into(), "SQL".into(), "Spark".into()],
        seniority: Some(jobin_core::domain::Seniority::Senior),
        remote: false,
        url: "https://www.adzuna.co.uk/jobs/details/__N__".into(),
        posted_at: Some(chrono::Utc::now()),
        valid_through: None,
        fetched_at: chrono::Utc::now(),
        description: "We are looking for a data engineer to build pipelines in Python and SQL. ".repeat(8),
        copies: vec![],
        details: Default::default(),
        provenance: None,
    }
}

fn stats(name: &str, mut lat: Vec<Duration>, total: Duration) {
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "{name:<8} pages {:>4}  {:>7.1} pages/s  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
        lat.len(),
        lat.len() as f64 / total.as_secs_f64(),
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        lat.last().unwrap().as_secs_f64() * 1e3,
    );
}

async fn run(feed: &Feed, codec: &CursorCodec, start_seq: i64, name: &str) {
    let filters = "posted_after=0;country=;remote=None;source=;q=";
    let mut cursor = (start_seq > 0).then(|| codec.encode(Stream::Feed, start_seq, 0, filters));
    let mut lat = Vec::with_capacity(PAGES);
    let began = Instant::now();
    for _ in 0..PAGES {
        let t = Instant::now();
        let page = feed
            .execute(FeedRequest { cursor: cursor.clone(), batch_size: Some(BATCH), ..Default::default() })
            .await
            .unwrap();
        lat.push(t.elapsed());
        assert_eq!(page.items.len(), BATCH as usize, "the stream is long enough for {PAGES} pages");
        cursor = page.next_cursor;
    }
    stats(name, lat, began.elapsed());
}

#[tokio::main]
async fn main() {
    let n: i64 = std::env::var("JOBIN_BENCH_FEED_JOBS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let Some(pg) = ScratchPostgres::create().await else {
        eprintln!("feed bench skipped: no PostgreSQL");
        return;
    };
    let job = template();
    let body = serde_json::to_string(&job).unwrap();
    let text = job.search_text();
    let load = Instant::now();
    pg.db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO jobs (id, seq, fingerprint, source, country, remote, search_text, content_hash, body, \
             posted_at, first_seen_at, last_seen_at, updated_at, expired_at) \
             SELECT 'adzuna:' || i, i, 'fp' || i, 'adzuna', 'GB', (i % 3 = 0), replace($2, '__n__', i::text), \
             md5(i::text), replace($1, '__N__', i::text), now(), now(), now(), now(), NULL \
             FROM generate_series(1, $3::bigint) AS i",
            [body.into(), text.into(), n.into()],
        ))
        .await
        .unwrap();
    pg.db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE job_seq SET value = $1 WHERE id = 1",
            [n.into()],
        ))
        .await
        .unwrap();
    pg.db.execute_unprepared("ANALYZE jobs").await.unwrap();
    println!("loaded {n} jobs in {:.1} s", load.elapsed().as_secs_f64());

    let codec = CursorCodec::new(b"bench");
    let feed = Feed { store: Arc::new(SqlJobStore::new(pg.db.clone())), cursors: codec.clone() };
    let span = PAGES as i64 * BATCH;
    run(&feed, &codec, 0, "start").await;
    run(&feed, &codec, n / 2, "middle").await;
    run(&feed, &codec, n - span - 1, "end").await;
    pg.cleanup().await;
}
