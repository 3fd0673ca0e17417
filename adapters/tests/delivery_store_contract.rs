//! One `DeliveryStore` contract, run against SQLite (in memory) and PostgreSQL: recording matches
//! queues one delivery per new event of a search with an enabled webhook (none for a repeat, none
//! without a webhook); a claim holds a delivery for its lease (nodes claiming at once take
//! different ones); an attempt's outcome moves it to delivered, pending later or dead, and keeps
//! the webhook's failure record; a disabled webhook is not claimed; deliveries list newest first,
//! by account; a retry makes one due now.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use chrono::{DateTime, Utc};
use jobin_adapters::contract_suite;
use jobin_adapters::db::{SqlDeliveryStore, SqlMatchStore, SqlSavedSearchStore};
use jobin_adapters::testing::{account, contract};
use jobin_core::domain::AccountId;
use jobin_core::domain::saved_search::{RawCriteria, SearchCriteria};
use jobin_core::ports::{
    Attempt, Created, DeliveryState, DeliveryStore, MatchStore, NewMatch, Next, SavedSearch, SavedSearchStore,
    WebhookChange,
};
use sea_orm::DatabaseConnection;
use std::time::Duration as StdDuration;

const LEASE: StdDuration = StdDuration::from_secs(60);

fn t(s: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_800_000_000 + s, 0).unwrap()
}

async fn search(store: &SqlSavedSearchStore, a: AccountId, q: &str, hook: Option<&str>) -> SavedSearch {
    let c = SearchCriteria::parse(RawCriteria { q: Some(q.into()), ..Default::default() }).unwrap();
    let hook = hook.map(|u| (u.to_owned(), format!("nonce-{q}")));
    match store.create(a, q.into(), c, hook, 100, t(0)).await.unwrap() {
        Created::Saved(s) => *s,
        other => panic!("{other:?}"),
    }
}

fn matched(s: &SavedSearch, job: &str, version: i64) -> NewMatch {
    NewMatch {
        search: s.id,
        account: s.account,
        job_id: job.into(),
        job_updated_at: t(version),
        seq: version,
        created_at: t(10),
    }
}

fn ok(at: i64) -> Attempt {
    Attempt { at: t(at), status_code: Some(200), latency_ms: 12, error: None }
}

fn failed(at: i64) -> Attempt {
    Attempt { at: t(at), status_code: Some(500), latency_ms: 30, error: Some("the receiver answered 500".into()) }
}

#[derive(Clone)]
struct World {
    searches: SqlSavedSearchStore,
    matches: SqlMatchStore,
    deliveries: SqlDeliveryStore,
    db: DatabaseConnection,
}

fn world(db: DatabaseConnection) -> World {
    World {
        searches: SqlSavedSearchStore::new(db.clone()),
        matches: SqlMatchStore::new(db.clone()),
        deliveries: SqlDeliveryStore::new(db.clone()),
        db,
    }
}

async fn an_event_is_queued_once_and_only_for_an_enabled_webhook(w: World) {
    let a = account(&w.db, "a@example.com").await;
    let hooked = search(&w.searches, a, "rust", Some("https://hooks.example.com/a")).await;
    let plain = search(&w.searches, a, "python", None).await;
    let batch = [matched(&hooked, "reed:1", 1), matched(&hooked, "reed:2", 1), matched(&plain, "reed:1", 1)];
    assert_eq!(w.matches.record(&batch).await.unwrap(), 3);
    assert_eq!(w.matches.record(&batch).await.unwrap(), 0, "a repeat is no event");
    let claimed = w.deliveries.claim(t(10), LEASE, 10, 10, &[]).await.unwrap();
    let jobs: Vec<&str> = claimed.iter().map(|c| c.event.event.job_id.as_str()).collect();
    assert_eq!(jobs, ["reed:1", "reed:2"], "the webhook's two events, oldest first");
    let c = &claimed[0];
    assert_eq!(
        (c.url.as_str(), c.nonce.as_str(), c.search_name.as_str()),
        ("https://hooks.example.com/a", "nonce-rust", "rust")
    );
    assert_eq!((c.attempts, c.failing_since), (0, None));
    assert!(w.deliveries.claim(t(11), LEASE, 10, 10, &[]).await.unwrap().is_empty(), "held by the lease");
    let again = w.deliveries.claim(t(71), LEASE, 10, 10, &[]).await.unwrap();
    assert_eq!(again.len(), 2, "a lease that ran out (its node died) lets another node take them");
    // Not due before its time, and not at all once its webhook is disabled.
    w.matches.record(&[matched(&hooked, "reed:3", 2)]).await.unwrap();
    assert!(w.deliveries.claim(t(9), LEASE, 10, 10, &[]).await.unwrap().is_empty(), "recorded at t(10): due then");
    w.deliveries.disable(hooked.id, t(200)).await.unwrap();
    assert!(w.deliveries.claim(t(300), LEASE, 10, 10, &[]).await.unwrap().is_empty());
    assert!(w.searches.get(a, hooked.id).await.unwrap().unwrap().webhook.unwrap().disabled_at.is_some());
    let s = w
        .searches
        .set_webhook(
            a,
            hooked.id,
            WebhookChange::Set { url: "https://hooks.example.com/b".into(), nonce: None },
            t(301),
        )
        .await
        .unwrap()
        .unwrap();
    let hook = s.webhook.unwrap();
    assert_eq!(
        (hook.url.as_str(), hook.nonce.as_str(), hook.disabled_at),
        ("https://hooks.example.com/b", "nonce-rust", None)
    );
    assert_eq!(
        w.deliveries.claim(t(302), LEASE, 10, 10, &[]).await.unwrap().len(),
        3,
        "enabled again: the queue kept them"
    );
}

async fn outcomes_move_deliveries_and_keep_the_webhooks_record(w: World) {
    let a = account(&w.db, "a@example.com").await;
    let s = search(&w.searches, a, "rust", Some("https://hooks.example.com/a")).await;
    w.matches.record(&[matched(&s, "reed:1", 1), matched(&s, "reed:2", 1), matched(&s, "reed:3", 1)]).await.unwrap();
    let c = w.deliveries.claim(t(10), LEASE, 10, 10, &[]).await.unwrap();
    w.deliveries.finish(&c[0], failed(11), Next::RetryAt(t(41))).await.unwrap();
    w.deliveries.finish(&c[1], failed(12), Next::Dead).await.unwrap();
    let since = w.searches.get(a, s.id).await.unwrap().unwrap().webhook.unwrap().failing_since;
    assert_eq!(since, Some(t(11)), "failing since the first failure");
    w.deliveries.finish(&c[2], ok(13), Next::Delivered).await.unwrap();
    assert_eq!(
        w.searches.get(a, s.id).await.unwrap().unwrap().webhook.unwrap().failing_since,
        None,
        "a success clears it"
    );

    let list = w.deliveries.list(a, s.id, None, 10).await.unwrap();
    let states: Vec<(DeliveryState, usize)> = list.iter().map(|d| (d.state, d.attempts.len())).collect();
    assert_eq!(
        states,
        [(DeliveryState::Delivered, 1), (DeliveryState::Dead, 1), (DeliveryState::Pending, 1)],
        "newest first"
    );
    assert_eq!(list[2].next_attempt_at, Some(t(41)));
    assert_eq!(list[2].attempts[0], failed(11), "every field of an attempt round-trips");
    assert_eq!(list[1].next_attempt_at, None, "a dead one is not due");
    assert!(w.deliveries.claim(t(40), LEASE, 10, 10, &[]).await.unwrap().is_empty(), "the retry is not due yet");
    let due = w.deliveries.claim(t(41), LEASE, 10, 10, &[]).await.unwrap();
    assert_eq!((due.len(), due[0].attempts, due[0].failing_since), (1, 1, None));
    assert_eq!(w.deliveries.list(a, s.id, Some(list[1].id), 10).await.unwrap().len(), 1, "paged by id");

    // A retry makes a dead (or delivered) one due now; another account's is not found.
    let b = account(&w.db, "b@example.com").await;
    assert!(w.deliveries.retry(b, s.id, list[1].id, t(50)).await.unwrap().is_none());
    assert!(w.deliveries.list(b, s.id, None, 10).await.unwrap().is_empty());
    let d = w.deliveries.retry(a, s.id, list[1].id, t(50)).await.unwrap().unwrap();
    assert_eq!((d.state, d.next_attempt_at), (DeliveryState::Pending, Some(t(50))));
    let again = w.deliveries.claim(t(50), LEASE, 10, 10, &[]).await.unwrap();
    assert_eq!((again.len(), again[0].delivery, again[0].attempts), (1, list[1].id, 1));
    // Deleting the search deletes its deliveries.
    assert!(w.searches.delete(a, s.id).await.unwrap());
    assert!(w.deliveries.list(a, s.id, None, 10).await.unwrap().is_empty());
}

/// Nodes claiming at the same moment never take the same delivery.
async fn concurrent_claims_take_different_deliveries(w: World) {
    let a = account(&w.db, "a@example.com").await;
    let s = search(&w.searches, a, "rust", Some("https://hooks.example.com/a")).await;
    let batch: Vec<NewMatch> = (0..60).map(|i| matched(&s, &format!("reed:{i}"), 1)).collect();
    w.matches.record(&batch).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let store = w.deliveries.clone();
        tasks.push(tokio::spawn(async move { store.claim(t(10), LEASE, 10, 10, &[]).await.unwrap() }));
    }
    let mut seen = std::collections::HashSet::new();
    let mut total = 0;
    for task in tasks {
        for c in task.await.unwrap() {
            total += 1;
            assert!(seen.insert(c.delivery), "delivery {} claimed twice", c.delivery);
        }
    }
    assert_eq!(total, 60, "six claims of ten took all sixty");
}

/// One account's long queue never fills a claim: at most `per_account` of each account, the
/// accounts waiting longest first, none of those the caller is busy with; a released delivery is
/// due again at once, with no attempt recorded.
async fn claims_are_fair_between_accounts(w: World) {
    let a = account(&w.db, "a@example.com").await;
    let b = account(&w.db, "b@example.com").await;
    let flood = search(&w.searches, a, "rust", Some("https://slow.example.com/a")).await;
    let quiet = search(&w.searches, b, "go", Some("https://hooks.example.com/b")).await;
    let many: Vec<NewMatch> = (0..30).map(|i| matched(&flood, &format!("reed:{i}"), 1)).collect();
    w.matches.record(&many).await.unwrap();
    w.matches.record(&[matched(&quiet, "reed:x", 1), matched(&quiet, "reed:y", 1)]).await.unwrap();
    let c = w.deliveries.claim(t(10), LEASE, 20, 4, &[]).await.unwrap();
    let of =
        |c: &[jobin_core::ports::Claimed], who: AccountId| c.iter().filter(|d| d.event.event.account == who).count();
    assert_eq!((of(&c, a), of(&c, b)), (4, 2), "four of A's thirty, both of B's");
    let c = w.deliveries.claim(t(11), LEASE, 20, 4, &[a]).await.unwrap();
    assert!(c.is_empty(), "A skipped, B's held by their lease: {c:?}");
    let c = w.deliveries.claim(t(12), LEASE, 3, 4, &[]).await.unwrap();
    assert_eq!((c.len(), of(&c, a)), (3, 3), "the limit holds across accounts");
    w.deliveries.release(c[0].delivery).await.unwrap();
    let again = w.deliveries.claim(t(13), LEASE, 20, 1, &[]).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].delivery, again[0].attempts), (c[0].delivery, 0), "released: due again, no attempt");
}

contract_suite! {
    cases: [an_event_is_queued_once_and_only_for_an_enabled_webhook,
    claims_are_fair_between_accounts,
    outcomes_move_deliveries_and_keep_the_webhooks_record,
    concurrent_claims_take_different_deliveries];
    sqlite => contract::sqlite(world),
    #[ignore = "needs PostgreSQL"]
    postgres => contract::postgres(world),
}
