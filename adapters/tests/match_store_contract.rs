//! The `MatchStore` contract, with the saved-search and job stores it reads, on SQLite and
//! PostgreSQL: postings that land are matched once per search and version, a run resumes from its
//! cursor, a search never reports postings older than itself, and a run retried after recording but
//! before moving the cursor produces nothing twice.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use chrono::{DateTime, Utc};
use jobin_adapters::clock::SystemClock;
use jobin_adapters::contract_suite;
use jobin_adapters::db::{SqlJobStore, SqlMatchStore, SqlSavedSearchStore};
use jobin_adapters::testing::{account, contract};
use jobin_core::domain::saved_search::{RawCriteria, SearchCriteria};
use jobin_core::domain::{AccountId, Job, Location, SourceId};
use jobin_core::ports::{Created, JobStore, MatchStore, NewMatch, SavedSearch, SavedSearchStore};
use jobin_core::usecases::{MatchLanded, MatchRun};
use sea_orm::DatabaseConnection;
use std::sync::Arc;

fn t(s: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_800_000_000 + s, 0).unwrap()
}

fn posting(n: u32, title: &str, city: &str) -> Job {
    Job {
        id: Job::make_id(SourceId::Reed, &n.to_string()),
        source: SourceId::Reed,
        title: title.to_owned(),
        company: format!("Company {n}"),
        location: Location { city: city.into(), country: "GB".into(), region: String::new() },
        salary: None,
        skills: vec![],
        seniority: None,
        remote: false,
        url: format!("https://example.com/{n}"),
        posted_at: Some(t(0)),
        valid_through: None,
        fetched_at: t(0),
        description: "text".into(),
        copies: vec![],
        details: Default::default(),
        provenance: None,
    }
}

async fn save(store: &SqlSavedSearchStore, a: AccountId, q: &str, location: Option<&str>, at: i64) -> SavedSearch {
    let c = SearchCriteria::parse(RawCriteria {
        q: Some(q.into()),
        location: location.map(str::to_owned),
        ..Default::default()
    })
    .unwrap();
    match store.create(a, q.into(), c, None, 100, t(at)).await.unwrap() {
        Created::Saved(s) => *s,
        other => panic!("{other:?}"),
    }
}

struct World {
    jobs: Arc<SqlJobStore>,
    matches: Arc<SqlMatchStore>,
    matcher: MatchLanded,
}

fn world(db: &DatabaseConnection, searches: Arc<SqlSavedSearchStore>) -> World {
    let jobs = Arc::new(SqlJobStore::new(db.clone()));
    let matches = Arc::new(SqlMatchStore::new(db.clone()));
    let matcher = MatchLanded { searches, jobs: jobs.clone(), matches: matches.clone(), clock: Arc::new(SystemClock) };
    World { jobs, matches, matcher }
}

async fn postings_are_matched_once_per_search_and_version(db: DatabaseConnection) {
    let a = account(&db, "a@example.com").await;
    let searches = Arc::new(SqlSavedSearchStore::new(db.clone()));
    let rust = save(&searches, a, "rust develop", Some("leeds"), 10).await;
    let python = save(&searches, a, "python", None, 10).await;
    // Saved after the Java posting's version (t 20) lands: it must not report it.
    let java = save(&searches, a, "java", None, 60).await;
    let w = world(&db, searches.clone());

    w.jobs
        .upsert(
            &[
                posting(1, "Rust Developer", "Leeds"),
                posting(2, "Python Engineer", "London"),
                posting(3, "Java Engineer", "Leeds"),
                posting(4, "Rust Developer", "London"),
            ],
            t(20),
        )
        .await
        .unwrap();
    let run = w.matcher.run().await.unwrap();
    assert_eq!(run, MatchRun { postings: 4, matched: 2, recorded: 2 });
    let job_ids = |s: &SavedSearch| {
        let (m, id) = (w.matches.clone(), s.id);
        async move { m.recent(a, id, None, 10).await.unwrap().into_iter().map(|e| e.event.job_id).collect::<Vec<_>>() }
    };
    assert_eq!(job_ids(&rust).await, ["reed:1"], "rust in Leeds only");
    assert_eq!(job_ids(&python).await, ["reed:2"]);
    assert!(job_ids(&java).await.is_empty(), "a search reports nothing older than itself");

    // Nothing landed: nothing read. The same postings again, unchanged: no new version.
    assert_eq!(w.matcher.run().await.unwrap(), MatchRun::default());
    w.jobs.upsert(&[posting(1, "Rust Developer", "Leeds")], t(30)).await.unwrap();
    assert_eq!(w.matcher.run().await.unwrap(), MatchRun::default());

    // A changed posting is a new version: it matches again, once.
    w.jobs
        .upsert(&[posting(1, "Senior Rust Developer", "Leeds"), posting(5, "Java Lead", "York")], t(70))
        .await
        .unwrap();
    assert_eq!(w.matcher.run().await.unwrap(), MatchRun { postings: 2, matched: 2, recorded: 2 });
    assert_eq!(job_ids(&rust).await, ["reed:1", "reed:1"]);
    assert_eq!(job_ids(&java).await, ["reed:5"]);

    // A run that recorded its matches but died before moving the cursor is run again: the
    // matches are found again and none is recorded twice.
    w.jobs.upsert(&[posting(6, "Python Developer", "Leeds")], t(80)).await.unwrap();
    let stored = w.jobs.get("reed:6").await.unwrap().unwrap().stored;
    let crashed = NewMatch {
        search: python.id,
        account: a,
        job_id: "reed:6".into(),
        job_updated_at: stored.updated_at,
        seq: stored.seq,
        created_at: t(81),
    };
    assert_eq!(w.matches.record(&[crashed]).await.unwrap(), 1);
    assert_eq!(w.matcher.run().await.unwrap(), MatchRun { postings: 1, matched: 1, recorded: 0 });
    assert_eq!(job_ids(&python).await, ["reed:6", "reed:2"]);
}

async fn pages_of_the_stream_are_read_to_its_end(db: DatabaseConnection) {
    let a = account(&db, "a@example.com").await;
    let searches = Arc::new(SqlSavedSearchStore::new(db.clone()));
    let all = save(&searches, a, "engineer", None, 0).await;
    let w = world(&db, searches);
    let many: Vec<Job> = (1..=2_345).map(|n| posting(n, &format!("Engineer {n}"), "Leeds")).collect();
    w.jobs.upsert(&many, t(10)).await.unwrap();
    let run = w.matcher.run().await.unwrap();
    assert_eq!(run, MatchRun { postings: 2_345, matched: 2_345, recorded: 2_345 }, "three pages");
    assert_eq!(w.matches.recent(a, all.id, None, 5_000).await.unwrap().len(), 2_345);
    assert_eq!(w.matcher.run().await.unwrap(), MatchRun::default());
}

fn database(db: DatabaseConnection) -> DatabaseConnection {
    db
}

contract_suite! {
    cases: [postings_are_matched_once_per_search_and_version, pages_of_the_stream_are_read_to_its_end];
    sqlite => contract::sqlite(database),
    #[ignore = "needs PostgreSQL"]
    postgres => contract::postgres(database),
}
