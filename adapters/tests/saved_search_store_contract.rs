//! One `SavedSearchStore` contract, run against SQLite (in memory) and PostgreSQL: saved searches
//! round-trip every criterion, belong to one account, and never pass the plan's cap, even when
//! created concurrently; a match is recorded once per search, posting and version, and the
//! matcher's cursor only moves forward.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use chrono::{DateTime, Utc};
use jobin_adapters::contract_suite;
use jobin_adapters::db::{SqlMatchStore, SqlSavedSearchStore};
use jobin_adapters::testing::{account, contract};
use jobin_core::domain::saved_search::{RawCriteria, SearchCriteria};
use jobin_core::ports::{Created, DigestState, MatchStore, NewMatch, SavedSearch, SavedSearchStore};
use sea_orm::DatabaseConnection;
use std::sync::Arc;

fn t(s: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_700_000_000 + s, 0).unwrap()
}

fn every_field() -> SearchCriteria {
    SearchCriteria::parse(RawCriteria {
        q: Some("Data Engineer (Rust)".into()),
        location: Some("Leeds".into()),
        country: Some("gb".into()),
        remote: Some(true),
        sources: vec!["reed".into(), "adzuna".into()],
        salary_min: Some(65_000),
        salary_currency: Some("GBP".into()),
        employment_types: vec!["contract".into(), "full_time".into()],
        workplace_types: vec!["hybrid".into(), "remote".into()],
    })
    .unwrap()
}

fn plain(q: &str) -> SearchCriteria {
    SearchCriteria::parse(RawCriteria { q: Some(q.into()), ..Default::default() }).unwrap()
}

async fn saved(store: &SqlSavedSearchStore, a: jobin_core::domain::AccountId, name: &str, cap: u64) -> SavedSearch {
    match store.create(a, name.into(), plain(name), None, cap, t(1)).await.unwrap() {
        Created::Saved(s) => *s,
        other => panic!("not saved: {other:?}"),
    }
}

async fn searches_round_trip_every_criterion((store, db): (SqlSavedSearchStore, DatabaseConnection)) {
    let a = account(&db, "a@example.com").await;
    let Created::Saved(s) = store.create(a, "Rust in Leeds".into(), every_field(), None, 10, t(5)).await.unwrap()
    else {
        panic!("under the cap")
    };
    let s = *s;
    assert_eq!((s.account, s.name.as_str(), &s.criteria), (a, "Rust in Leeds", &every_field()));
    assert_eq!((s.created_at, s.updated_at), (t(5), t(5)));
    assert_eq!(store.get(a, s.id).await.unwrap(), Some(s.clone()));
    assert_eq!(store.all().await.unwrap(), vec![s.clone()]);

    let mut changed = plain("python");
    changed.country = None;
    let u = store.update(a, s.id, "Python anywhere".into(), changed.clone(), t(9)).await.unwrap().unwrap();
    assert_eq!((u.name.as_str(), &u.criteria, u.created_at, u.updated_at), ("Python anywhere", &changed, t(5), t(9)));
    assert_eq!(store.get(a, s.id).await.unwrap(), Some(u));
    assert!(store.delete(a, s.id).await.unwrap());
    assert_eq!(store.get(a, s.id).await.unwrap(), None);
    assert!(!store.delete(a, s.id).await.unwrap(), "already gone");
}

async fn a_search_belongs_to_its_account_only((store, db): (SqlSavedSearchStore, DatabaseConnection)) {
    let (a, b) = (account(&db, "a@example.com").await, account(&db, "b@example.com").await);
    let s = saved(&store, a, "rust", 10).await;
    let theirs = saved(&store, b, "python", 10).await;
    assert_eq!(store.get(b, s.id).await.unwrap(), None);
    assert_eq!(store.update(b, s.id, "x".into(), plain("x"), t(2)).await.unwrap(), None);
    assert!(!store.delete(b, s.id).await.unwrap());
    assert_eq!(store.get(a, s.id).await.unwrap().unwrap().name, "rust", "untouched");
    let page = store.list(b, 0, 10).await.unwrap();
    assert_eq!((page.items, page.total), (vec![theirs.clone()], 1));
    assert_eq!(store.all().await.unwrap(), vec![s, theirs], "every account's, by id");
}

async fn the_cap_holds_and_a_refusal_writes_nothing((store, db): (SqlSavedSearchStore, DatabaseConnection)) {
    let a = account(&db, "a@example.com").await;
    saved(&store, a, "one", 2).await;
    saved(&store, a, "two", 2).await;
    assert_eq!(
        store.create(a, "three".into(), plain("three"), None, 2, t(3)).await.unwrap(),
        Created::AtCap { cap: 2 }
    );
    assert_eq!(store.list(a, 0, 10).await.unwrap().total, 2);
    // A higher cap (a bigger plan) lets more in; another account has its own count.
    saved(&store, a, "three", 3).await;
    let b = account(&db, "b@example.com").await;
    saved(&store, b, "one", 1).await;
}

async fn concurrent_creates_never_pass_the_cap((store, db): (SqlSavedSearchStore, DatabaseConnection)) {
    let a = account(&db, "a@example.com").await;
    let store = Arc::new(store);
    let tries = (0..12).map(|i| {
        let store = store.clone();
        tokio::spawn(async move { store.create(a, format!("s{i}"), plain("rust"), None, 5, t(i)).await.unwrap() })
    });
    let mut saved = 0;
    for r in futures::future::join_all(tries).await {
        if matches!(r.unwrap(), Created::Saved(_)) {
            saved += 1;
        }
    }
    assert_eq!(saved, 5);
    assert_eq!(store.list(a, 0, 100).await.unwrap().total, 5);
}

async fn lists_page_by_id_without_overlap_or_gaps((store, db): (SqlSavedSearchStore, DatabaseConnection)) {
    let a = account(&db, "a@example.com").await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(saved(&store, a, &format!("s{i}"), 100).await.id);
    }
    let mut seen = Vec::new();
    for offset in (0..8).step_by(3) {
        let page = store.list(a, offset, 3).await.unwrap();
        assert_eq!(page.total, 7);
        seen.extend(page.items.iter().map(|s| s.id));
    }
    assert_eq!(seen, ids);
    assert!(store.list(a, 100, 3).await.unwrap().items.is_empty());
}

fn matched(search: &SavedSearch, job: &str, version: i64, seq: i64) -> NewMatch {
    NewMatch {
        search: search.id,
        account: search.account,
        job_id: job.into(),
        job_updated_at: t(version),
        seq,
        created_at: t(100 + seq),
    }
}

async fn a_match_is_recorded_once_per_search_job_and_version((store, db): (SqlSavedSearchStore, DatabaseConnection)) {
    let a = account(&db, "a@example.com").await;
    let (rust, python) = (saved(&store, a, "rust", 10).await, saved(&store, a, "python", 10).await);
    let matches = SqlMatchStore::new(db.clone());
    let first = [matched(&rust, "reed:1", 1, 1), matched(&rust, "reed:2", 1, 2), matched(&python, "reed:1", 1, 1)];
    assert_eq!(matches.record(&first).await.unwrap(), 3);
    // A retry of the same run, a repeat inside one batch, and one real change (a new version).
    let again = [
        matched(&rust, "reed:1", 1, 1),
        matched(&rust, "reed:1", 5, 3),
        matched(&rust, "reed:1", 5, 3),
        matched(&python, "reed:1", 1, 1),
    ];
    assert_eq!(matches.record(&again).await.unwrap(), 1, "only the new version is new");
    assert_eq!(matches.record(&[]).await.unwrap(), 0);
    let recent = matches.recent(a, rust.id, None, 10).await.unwrap();
    let seen: Vec<(&str, i64)> = recent.iter().map(|m| (m.event.job_id.as_str(), m.event.seq)).collect();
    assert_eq!(seen, [("reed:1", 3), ("reed:2", 2), ("reed:1", 1)], "newest first");
    assert_eq!(recent[0].event, matched(&rust, "reed:1", 5, 3), "every field round-trips");
    assert_eq!(matches.recent(a, rust.id, None, 1).await.unwrap().len(), 1);
    let next = matches.recent(a, rust.id, Some(recent[0].id), 1).await.unwrap();
    assert_eq!(next, recent[1..2], "the next page starts after the given match");
    assert!(matches.recent(a, rust.id, Some(recent[2].id), 10).await.unwrap().is_empty());
    let b = account(&db, "b@example.com").await;
    assert!(matches.recent(b, rust.id, None, 10).await.unwrap().is_empty(), "another account sees none");
    // Deleting the search deletes its matches.
    assert!(store.delete(a, rust.id).await.unwrap());
    assert!(matches.recent(a, rust.id, None, 10).await.unwrap().is_empty());
    assert_eq!(matches.recent(a, python.id, None, 10).await.unwrap().len(), 1);
}

async fn the_cursor_starts_at_zero_and_only_moves_forward((_, db): (SqlSavedSearchStore, DatabaseConnection)) {
    let matches = SqlMatchStore::new(db);
    assert_eq!(matches.cursor().await.unwrap(), 0);
    matches.advance(42).await.unwrap();
    assert_eq!(matches.cursor().await.unwrap(), 42);
    matches.advance(7).await.unwrap();
    assert_eq!(matches.cursor().await.unwrap(), 42, "never back");
    matches.advance(43).await.unwrap();
    assert_eq!(matches.cursor().await.unwrap(), 43);
}

async fn digests_fall_due_a_day_after_the_last((store, db): (SqlSavedSearchStore, DatabaseConnection)) {
    let a = account(&db, "a@example.com").await;
    let on = saved(&store, a, "on", 10).await;
    let off = saved(&store, a, "off", 10).await;
    let s = store.set_digest(a, on.id, Some(7), t(10)).await.unwrap().unwrap();
    assert_eq!(s.digest, Some(DigestState { sent_through: 7, sent_at: None }));
    assert!(store.set_digest(account(&db, "b@example.com").await, on.id, Some(1), t(10)).await.unwrap().is_none());
    let due = |before: i64| {
        let store = &store;
        async move { store.due_digests(t(before)).await.unwrap().into_iter().map(|s| s.id).collect::<Vec<_>>() }
    };
    assert_eq!(due(0).await, [on.id], "never sent: due; a search without a digest never is");
    store.digest_sent(on.id, 9, t(100)).await.unwrap();
    assert_eq!(
        store.get(a, on.id).await.unwrap().unwrap().digest,
        Some(DigestState { sent_through: 9, sent_at: Some(t(100)) })
    );
    assert!(due(99).await.is_empty(), "sent after the cut-off");
    assert_eq!(due(100).await, [on.id], "sent at the cut-off: due again");
    assert_eq!(store.set_digest(a, on.id, None, t(101)).await.unwrap().unwrap().digest, None);
    assert!(due(1_000).await.is_empty());
    assert_eq!(store.get(a, off.id).await.unwrap().unwrap().digest, None);
}

fn database(db: DatabaseConnection) -> (SqlSavedSearchStore, DatabaseConnection) {
    (SqlSavedSearchStore::new(db.clone()), db)
}

contract_suite! {
    cases: [searches_round_trip_every_criterion,
    a_search_belongs_to_its_account_only,
    the_cap_holds_and_a_refusal_writes_nothing,
    concurrent_creates_never_pass_the_cap,
    lists_page_by_id_without_overlap_or_gaps,
    a_match_is_recorded_once_per_search_job_and_version,
    the_cursor_starts_at_zero_and_only_moves_forward,
    digests_fall_due_a_day_after_the_last];
    sqlite => contract::sqlite(database),
    #[ignore = "needs PostgreSQL"]
    postgres => contract::postgres(database),
}
