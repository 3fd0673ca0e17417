//! One `JobStore` contract, run against the in-process store, SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use chrono::{DateTime, Duration, Utc};
use jobin_adapters::contract_suite;
use jobin_adapters::db::SqlJobStore;
use jobin_adapters::memory::MemoryJobStore;
use jobin_adapters::testing::contract;
use jobin_core::domain::normalize::query_words;
use jobin_core::domain::{Job, Location, SourceId};
use jobin_core::domain::{JobCopy, PayPeriod, Salary};
use jobin_core::ports::{CorpusQuery, ExpiredQuery, ExpiredReason, FeedQuery, JobStore, UpsertReport};
use std::collections::HashSet;
use std::sync::Arc;

fn t(minutes: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(minutes)
}

fn job(n: u32, title: &str) -> Job {
    let source = SourceId::ALL[(n as usize) % 6];
    Job {
        id: Job::make_id(source, &n.to_string()),
        source,
        title: title.to_owned(),
        company: format!("Company {n}"),
        location: Location {
            city: "London".into(),
            country: if n.is_multiple_of(2) { "GB".into() } else { "US".into() },
            region: String::new(),
        },
        salary: None,
        skills: vec!["Rust".into()],
        seniority: None,
        remote: n.is_multiple_of(3),
        url: format!("https://example.com/{n}"),
        posted_at: Some(t(-1000)),
        valid_through: None,
        fetched_at: t(0),
        description: "text".into(),
        copies: vec![],
        details: Default::default(),
        provenance: None,
    }
}

fn all(limit: usize) -> FeedQuery {
    FeedQuery { limit, ..Default::default() }
}

async fn upserts_tell_new_from_changed_from_unchanged(store: Arc<dyn JobStore>) {
    let r = store.upsert(&[job(1, "Rust Engineer"), job(2, "Go Engineer")], t(0)).await.unwrap();
    assert_eq!(r, UpsertReport { inserted: 2, ..Default::default() });
    let mut refetched = job(1, "Rust Engineer");
    refetched.fetched_at = t(30);
    let r = store.upsert(&[refetched, job(2, "Senior Go Engineer")], t(30)).await.unwrap();
    assert_eq!(r, UpsertReport { changed: 1, unchanged: 1, ..Default::default() });
    let page = store.feed(&all(10)).await.unwrap();
    let by_id = |id: &str| page.jobs.iter().find(|j| j.job.id == id).unwrap().clone();
    let one = by_id(&job(1, "").id);
    assert_eq!((one.first_seen_at, one.last_seen_at, one.updated_at), (t(0), t(30), t(0)), "unchanged: only seen");
    let two = by_id(&job(2, "").id);
    assert_eq!((two.first_seen_at, two.updated_at, two.job.title.as_str()), (t(0), t(30), "Senior Go Engineer"));
    assert!(two.seq > one.seq, "a change takes a later sequence value");
    // The same id twice in one batch: stored once, the last one wins.
    let r = store.upsert(&[job(3, "a"), job(3, "b")], t(31)).await.unwrap();
    assert_eq!(r.inserted, 1);
    let page = store.feed(&all(10)).await.unwrap();
    assert_eq!(
        page.jobs.iter().filter(|j| j.job.id == job(3, "").id).map(|j| j.job.title.as_str()).collect::<Vec<_>>(),
        ["b"]
    );
}

async fn pages_return_every_active_job_exactly_once(store: Arc<dyn JobStore>) {
    let jobs: Vec<Job> = (0..25).map(|n| job(n, "Engineer")).collect();
    store.upsert(&jobs, t(0)).await.unwrap();
    let (mut after, mut seen, mut pages) = (0, Vec::new(), 0);
    loop {
        let page = store.feed(&FeedQuery { after, limit: 7, ..Default::default() }).await.unwrap();
        pages += 1;
        assert!(page.jobs.len() <= 7);
        seen.extend(page.jobs.iter().map(|j| j.job.id.clone()));
        if let Some(last) = page.jobs.last() {
            after = last.seq;
        }
        if !page.has_more {
            break;
        }
    }
    assert_eq!(pages, 4);
    assert_eq!(seen.len(), 25);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 25, "no job twice");
}

async fn filters_narrow_the_feed(store: Arc<dyn JobStore>) {
    let mut jobs: Vec<Job> = (0..12).map(|n| job(n, "Data Engineer")).collect();
    jobs[5].title = "100% remote_lead".into();
    store.upsert(&jobs, t(0)).await.unwrap();
    store.upsert(&[job(20, "Late Engineer")], t(60)).await.unwrap();
    let count = |q: FeedQuery| {
        let store = store.clone();
        async move { store.feed(&FeedQuery { limit: 100, ..q }).await.unwrap().jobs.len() }
    };
    assert_eq!(count(FeedQuery { country: Some("GB".into()), ..Default::default() }).await, 7);
    assert_eq!(count(FeedQuery { remote: Some(true), ..Default::default() }).await, 4);
    assert_eq!(count(FeedQuery { source: Some(SourceId::Reed), ..Default::default() }).await, 2);
    assert_eq!(count(FeedQuery { updated_since: Some(t(30)), ..Default::default() }).await, 1);
    assert_eq!(count(FeedQuery { words: vec!["data".into(), "engineer".into()], ..Default::default() }).await, 11);
    assert_eq!(count(FeedQuery { words: vec!["rust".into()], ..Default::default() }).await, 13, "skills match");
    assert_eq!(count(FeedQuery { words: vec!["100".into()], ..Default::default() }).await, 1, "\"100%\" folds to 100");
    assert_eq!(count(FeedQuery { words: vec!["lea".into()], ..Default::default() }).await, 1, "a word prefix");
    assert_eq!(
        count(FeedQuery { words: vec!["ngineer".into()], ..Default::default() }).await,
        0,
        "not a word's middle"
    );
    assert_eq!(
        count(FeedQuery { words: vec!["company".into(), "1".into()], ..Default::default() }).await,
        4,
        "1, 10, 11 and \"100%\""
    );
}

async fn expiry_and_reactivation_move_through_both_streams(store: Arc<dyn JobStore>) {
    store.upsert(&[job(1, "a"), job(2, "b"), job(3, "c")], t(0)).await.unwrap();
    store.upsert(&[job(1, "a")], t(100)).await.unwrap();
    // Not seen since before t(50): 2 and 3 expire.
    assert_eq!(store.expire_unseen(t(50), t(120)).await.unwrap(), 2);
    assert_eq!(store.expire_unseen(t(50), t(121)).await.unwrap(), 0, "already expired");
    let active: Vec<String> = store.feed(&all(10)).await.unwrap().jobs.into_iter().map(|j| j.job.id).collect();
    assert_eq!(active, [job(1, "").id]);
    let expired = store.expired(&ExpiredQuery { after: 0, since: t(110), limit: 10 }).await.unwrap();
    let ids: Vec<&str> = expired.ids.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&job(2, "").id.as_str()) && ids.contains(&job(3, "").id.as_str()));
    assert!(store.expired(&ExpiredQuery { after: 0, since: t(125), limit: 10 }).await.unwrap().ids.is_empty());
    // Paging the expired stream.
    let first = store.expired(&ExpiredQuery { after: 0, since: t(110), limit: 1 }).await.unwrap();
    assert!(first.has_more);
    let rest = store.expired(&ExpiredQuery { after: first.ids[0].1, since: t(110), limit: 1 }).await.unwrap();
    assert_eq!((rest.ids.len(), rest.has_more), (1, false));
    // Seen again: active again with a new updated_at, and gone from the expired stream.
    let r = store.upsert(&[job(2, "b")], t(200)).await.unwrap();
    assert_eq!(r, UpsertReport { reactivated: 1, ..Default::default() });
    let page = store.feed(&FeedQuery { updated_since: Some(t(150)), limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!((page.jobs.len(), page.jobs[0].updated_at), (1, t(200)));
    let expired = store.expired(&ExpiredQuery { after: 0, since: t(110), limit: 10 }).await.unwrap();
    assert_eq!(expired.ids.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(), [job(3, "").id]);
    // A board reports one gone.
    assert_eq!(store.expire_ids(&[job(1, "").id, "reed:nope".into()], t(300)).await.unwrap(), 1);
    // Each expiry says why; a reactivated posting has no reason left.
    let reason = |id: String| {
        let store = store.clone();
        async move { store.get(&id).await.unwrap().map(|f| (f.expired_at.is_some(), f.expired_reason)) }
    };
    assert_eq!(reason(job(1, "").id).await, Some((true, Some(ExpiredReason::Gone))));
    assert_eq!(reason(job(3, "").id).await, Some((true, Some(ExpiredReason::Age))));
    assert_eq!(reason(job(2, "").id).await, Some((false, None)), "seen again: active, no reason");
}

async fn a_job_past_its_valid_through_expires_even_if_seen(store: Arc<dyn JobStore>) {
    let mut closing = job(4, "Closing soon");
    closing.valid_through = Some(t(110));
    let mut open = job(5, "Open");
    open.valid_through = Some(t(500));
    store.upsert(&[closing.clone(), open], t(100)).await.unwrap();
    assert_eq!(store.expire_unseen(t(50), t(105)).await.unwrap(), 0, "seen and still open");
    assert_eq!(store.expire_unseen(t(50), t(120)).await.unwrap(), 1, "past its valid_through");
    let active: Vec<String> = store.feed(&all(10)).await.unwrap().jobs.into_iter().map(|j| j.job.id).collect();
    assert_eq!(active, [job(5, "").id]);
    let page = store.feed(&FeedQuery { limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(page.jobs[0].job.valid_through, Some(t(500)), "stored and read back");
}

async fn concurrent_upserts_of_the_same_new_jobs_do_not_fail(store: Arc<dyn JobStore>) {
    let jobs: Vec<Job> = (0..40).map(|n| job(n, "Engineer")).collect();
    let writers = (0..4).map(|_| {
        let (store, jobs) = (store.clone(), jobs.clone());
        tokio::spawn(async move { store.upsert(&jobs, t(0)).await })
    });
    for w in futures::future::join_all(writers).await {
        w.unwrap().unwrap();
    }
    let page = store.feed(&all(100)).await.unwrap();
    assert_eq!(page.jobs.len(), 40);
    let seqs: HashSet<i64> = page.jobs.iter().map(|j| j.seq).collect();
    assert_eq!(seqs.len(), 40, "sequence values are unique");
}

/// Postings that exercise every part of the corpus matching: accents and punctuation in titles,
/// word prefixes, places, countries, sources (own and merged copies), dates, expiry.
fn corpus_jobs() -> Vec<Job> {
    let titles =
        ["Data Scientist", "Senior Data-Scientist (m/w/d)", "Datenanalyst", "Scientist, Data", "Rust Développeur"];
    let places = [("London", "GB"), ("Leeds", "GB"), ("New York", "US"), ("Hyderabad, Telangana", "IN"), ("", "GB")];
    (0..60u32)
        .map(|n| {
            let mut j = job(n, titles[n as usize % titles.len()]);
            let (city, country) = places[(n as usize / 5) % places.len()];
            j.location = Location { city: city.into(), country: country.into(), region: String::new() };
            j.skills = if n % 4 == 0 { vec!["Python".into(), "SQL".into()] } else { vec![] };
            j.posted_at = (n % 7 != 0).then(|| t(-(n as i64) * 60));
            j.salary = Salary::from_bounds(Some(40_000.0 + f64::from(n) * 1_000.0), None, "GBP", PayPeriod::Year);
            if n % 9 == 0 {
                j.copies = vec![
                    j.own_copy(),
                    JobCopy { source: SourceId::Import, id: format!("import:{n}"), url: String::new() },
                ];
            }
            j
        })
        .collect()
}

async fn corpus_matches_what_the_reference_matches(store: Arc<dyn JobStore>) {
    let jobs = corpus_jobs();
    store.upsert(&jobs, t(0)).await.unwrap();
    let gone: Vec<String> = jobs.iter().filter(|j| j.id.ends_with(":3")).map(|j| j.id.clone()).collect();
    store.expire_ids(&gone, t(1)).await.unwrap();
    let queries = [
        CorpusQuery { words: query_words("data scientist"), ..Default::default() },
        CorpusQuery { words: query_words("DATA sci"), country: Some("GB".into()), ..Default::default() },
        CorpusQuery { words: query_words("développeur"), ..Default::default() },
        CorpusQuery { words: query_words("pyth"), place_words: query_words("lon"), ..Default::default() },
        CorpusQuery { place_words: query_words("Hyderabad"), ..Default::default() },
        CorpusQuery { words: query_words("ata"), ..Default::default() },
        CorpusQuery { sources: vec![SourceId::Reed, SourceId::Import], ..Default::default() },
        CorpusQuery { words: query_words("scientist"), posted_since: Some(t(-1500)), ..Default::default() },
        CorpusQuery { country: Some("US".into()), sources: vec![SourceId::Adzuna], ..Default::default() },
    ];
    for q in &queries {
        let mut got: Vec<String> = store.corpus(q).await.unwrap().into_iter().map(|r| r.id).collect();
        got.sort();
        let mut want: Vec<String> =
            jobs.iter().filter(|j| !gone.contains(&j.id) && q.matches(j)).map(|j| j.id.clone()).collect();
        want.sort();
        assert_eq!(got, want, "{q:?}");
    }
    let all = store.corpus(&queries[0]).await.unwrap();
    assert!(!all.is_empty());
    let nine =
        store.corpus(&CorpusQuery::default()).await.unwrap().into_iter().find(|r| r.id == job(9, "").id).unwrap();
    assert_eq!(nine.copies, vec!["import:9".to_owned()], "merged copies are read back");
    assert_eq!(nine.facts, jobin_core::domain::JobFacts::of(&jobs[9]), "facts are read back as computed");
    // find: newest first, undated last, then by id, at most `limit`.
    let found = store.find(&queries[0], 5).await.unwrap();
    let mut want: Vec<&Job> = jobs.iter().filter(|j| !gone.contains(&j.id) && queries[0].matches(j)).collect();
    want.sort_by(|a, b| b.posted_at.cmp(&a.posted_at).then_with(|| a.id.cmp(&b.id)));
    let want: Vec<&str> = want.iter().take(5).map(|j| j.id.as_str()).collect();
    assert_eq!(found.iter().map(|j| j.id.as_str()).collect::<Vec<_>>(), want);
}

async fn a_full_listing_expires_what_it_no_longer_lists(store: Arc<dyn JobStore>) {
    let imported = |n: u32| {
        let mut j = job(n, "Imported");
        j.source = SourceId::Import;
        j.id = Job::make_id(SourceId::Import, &n.to_string());
        j
    };
    store.upsert(&[imported(1), imported(2), job(3, "Board")], t(0)).await.unwrap();
    store.upsert(&[imported(1)], t(10)).await.unwrap();
    assert_eq!(store.expire_source_unseen(SourceId::Import, t(10), t(11)).await.unwrap(), 1, "row 2 left the file");
    assert_eq!(store.expire_unseen(t(100), t(101)).await.unwrap(), 1, "the board's job; imports stay");
    let active: Vec<String> = store.feed(&all(10)).await.unwrap().jobs.into_iter().map(|j| j.job.id).collect();
    assert_eq!(active, [imported(1).id]);
    let left = store.get(&imported(2).id).await.unwrap().unwrap();
    assert_eq!(left.expired_reason, Some(ExpiredReason::LeftListing));
    let aged = store.get(&job(3, "").id).await.unwrap().unwrap();
    assert_eq!(aged.expired_reason, Some(ExpiredReason::Age));
}

async fn a_late_writer_never_moves_last_seen_backwards(store: Arc<dyn JobStore>) {
    store.upsert(&[job(1, "Rust Engineer")], t(0)).await.unwrap();
    store.upsert(&[job(1, "Rust Engineer")], t(30)).await.unwrap();
    // Another node's slower copy of the same listing, stamped earlier, arrives last.
    store.upsert(&[job(1, "Rust Engineer")], t(10)).await.unwrap();
    assert_eq!(store.feed(&all(10)).await.unwrap().jobs[0].last_seen_at, t(30));
    assert_eq!(store.expire_unseen(t(20), t(40)).await.unwrap(), 0, "seen at t(30), after t(20)");
}

fn store(db: sea_orm::DatabaseConnection) -> Arc<dyn JobStore> {
    Arc::new(SqlJobStore::new(db))
}

/// A value the backend cannot hold (PostgreSQL text has no NUL) is refused as a failed operation,
/// never as an outage; the HTTP edge rejects such input before it gets here.
async fn a_value_the_store_cannot_hold_is_not_an_outage(store: Arc<dyn JobStore>) {
    store.upsert(&[job(1, "Python Engineer")], t(0)).await.unwrap();
    let q = FeedQuery { words: vec!["python\u{0}".into()], limit: 10, ..Default::default() };
    match store.feed(&q).await {
        Ok(page) => assert!(page.jobs.is_empty(), "no job has a NUL in its words"),
        Err(e) => assert!(!e.is_outage(), "{e:#}"),
    }
    let q = CorpusQuery { words: vec!["python\u{0}".into()], ..Default::default() };
    if let Err(e) = store.corpus(&q).await {
        assert!(!e.is_outage(), "{e:#}");
    }
    // The store serves on afterwards (a refused query poisons no connection or transaction).
    assert_eq!(store.feed(&all(10)).await.unwrap().jobs.len(), 1);
}

async fn a_job_is_found_by_its_id_or_a_merged_listings_id(store: Arc<dyn JobStore>) {
    let mut merged = job(1, "Data Engineer");
    // Ids may hold characters that mean something to SQL patterns.
    let odd = "findwork:50%_off\\x";
    merged.copies = vec![
        merged.own_copy(),
        JobCopy { source: SourceId::Findwork, id: odd.into(), url: "https://findwork.dev/x".into() },
        JobCopy { source: SourceId::Reed, id: "reed:77".into(), url: "https://reed.co.uk/77".into() },
    ];
    merged.details.description_truncated = true;
    store.upsert(&[merged.clone(), job(2, "Analyst")], t(0)).await.unwrap();
    let own = store.get(&merged.id).await.unwrap().unwrap();
    assert_eq!((own.stored.job.clone(), own.expired_at), (merged.clone(), None), "every field comes back");
    for copy in [odd, "reed:77"] {
        assert_eq!(store.get(copy).await.unwrap().unwrap().stored.job.id, merged.id, "{copy}");
    }
    for absent in ["reed:7", "findwork:50", "%", "reed:77\nx", ""] {
        assert!(store.get(absent).await.unwrap().is_none(), "{absent:?}");
    }
    // Expired: found, with when.
    store.expire_ids(&[job(2, "").id], t(5)).await.unwrap();
    let gone = store.get(&job(2, "").id).await.unwrap().unwrap();
    assert_eq!(gone.expired_at, Some(t(5)));
}

/// The liveness pass's batch: active listings of the boards asked, last seen before the bound, the
/// longest unseen first, at most `limit`; expired ones and other boards never.
async fn stale_lists_the_longest_unseen_listings_of_the_boards_asked(store: Arc<dyn JobStore>) {
    // job(n)'s board is SourceId::ALL[n % 6]: 0 adzuna, 3 reed, 6 adzuna, 9 reed, 1 remotive.
    for (n, seen) in [(0, 30), (3, 10), (6, 20), (9, 50), (1, 5), (12, 15)] {
        store.upsert(&[job(n, &format!("Job {n}"))], t(seen)).await.unwrap();
    }
    store.expire_ids(&[job(12, "").id], t(60)).await.unwrap();
    let ids = |v: Vec<jobin_core::ports::StoredJob>| v.into_iter().map(|s| s.job.id).collect::<Vec<_>>();
    let boards = [SourceId::Adzuna, SourceId::Reed];
    let all = store.stale(&boards, t(40), 10).await.unwrap();
    assert_eq!(
        ids(all),
        [job(3, "").id, job(6, "").id, job(0, "").id],
        "oldest seen first; not expired, not after the bound, not remotive"
    );
    assert_eq!(ids(store.stale(&boards, t(40), 2).await.unwrap()), [job(3, "").id, job(6, "").id]);
    assert!(store.stale(&[], t(40), 10).await.unwrap().is_empty());
    assert_eq!(store.stale(&boards, t(40), 10).await.unwrap()[0].last_seen_at, t(10));
}

contract_suite! {
    cases: [a_value_the_store_cannot_hold_is_not_an_outage,
    stale_lists_the_longest_unseen_listings_of_the_boards_asked,
    a_job_is_found_by_its_id_or_a_merged_listings_id,
    upserts_tell_new_from_changed_from_unchanged,
    pages_return_every_active_job_exactly_once,
    filters_narrow_the_feed,
    expiry_and_reactivation_move_through_both_streams,
    a_job_past_its_valid_through_expires_even_if_seen,
    concurrent_upserts_of_the_same_new_jobs_do_not_fail,
    corpus_matches_what_the_reference_matches,
    a_full_listing_expires_what_it_no_longer_lists,
    a_late_writer_never_moves_last_seen_backwards];
    memory => async { Some(jobin_adapters::testing::Subject::new(Arc::new(MemoryJobStore::default()) as Arc<dyn JobStore>)) },
    sqlite => contract::sqlite(store),
    #[ignore = "needs PostgreSQL"]
    postgres => contract::postgres(store),
}
