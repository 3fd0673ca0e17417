//! One `BillingStore` contract, run against SQLite (in memory) and PostgreSQL, each plain and behind
//! the principal cache's decorator (`CachedBillingStore`), as the server runs it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use chrono::{DateTime, Utc};
use jobin_adapters::contract_suite;
use jobin_adapters::db::SqlBillingStore;
use jobin_adapters::principal_cache::{CachedBillingStore, PrincipalCache};
use jobin_adapters::testing::{account, contract};
use jobin_core::domain::{AccountId, Plan};
use jobin_core::ports::{BillingChange, BillingStatus, BillingStore};
use sea_orm::DatabaseConnection;
use std::sync::Arc;

fn t(s: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_700_000_000 + s, 0).unwrap()
}

fn paid(plan: Plan, at: i64) -> BillingChange {
    BillingChange {
        plan: Some(plan),
        status: Some(BillingStatus::Active),
        customer: Some("cus_1".into()),
        subscription: Some("sub_1".into()),
        last_event_at: Some(at),
    }
}

async fn accounts_start_active_without_stripe_ids(s: Stores) {
    let db = s.db.clone();
    let store = s.store.clone();
    let a = account(&db, "a@example.com").await;
    let r = store.billing(a).await.unwrap().unwrap();
    assert_eq!(
        (r.account.plan, r.status, r.customer, r.last_event_at),
        (Plan::Free, BillingStatus::Active, None, None)
    );
    assert_eq!(store.billing(AccountId(999_999)).await.unwrap(), None);
    assert_eq!(store.find_by_provider_ids(Some("sub_1".into()), Some("cus_1".into())).await.unwrap(), None);
}

async fn an_event_applies_once_with_its_plan_change(s: Stores) {
    let db = s.db.clone();
    let store = s.store.clone();
    let a = account(&db, "a@example.com").await;
    assert!(store.apply_event("evt_1", Some(a), &paid(Plan::Pro, 100), t(1)).await.unwrap());
    let r = store.billing(a).await.unwrap().unwrap();
    assert_eq!((r.account.plan, r.status, r.last_event_at), (Plan::Pro, BillingStatus::Active, Some(100)));
    assert_eq!(store.find_by_provider_ids(Some("sub_1".into()), None).await.unwrap().unwrap().account.id, a);
    assert_eq!(
        store.find_by_provider_ids(Some("sub_other".into()), Some("cus_1".into())).await.unwrap().unwrap().account.id,
        a
    );
    // Replay with different content: refused, nothing written.
    assert!(!store.apply_event("evt_1", Some(a), &paid(Plan::Scale, 200), t(2)).await.unwrap());
    assert_eq!(store.billing(a).await.unwrap().unwrap().account.plan, Plan::Pro);
    // A partial change keeps the other fields.
    let past_due = BillingChange { status: Some(BillingStatus::PastDue), ..Default::default() };
    assert!(store.apply_event("evt_2", Some(a), &past_due, t(3)).await.unwrap());
    let r = store.billing(a).await.unwrap().unwrap();
    assert_eq!(
        (r.account.plan, r.status, r.customer.as_deref(), r.last_event_at),
        (Plan::Pro, BillingStatus::PastDue, Some("cus_1"), Some(100))
    );
    // Events for no account are recorded once too.
    assert!(store.apply_event("evt_3", None, &BillingChange::default(), t(4)).await.unwrap());
    assert!(!store.apply_event("evt_3", None, &BillingChange::default(), t(4)).await.unwrap());
}

async fn concurrent_deliveries_of_one_event_apply_it_once(s: Stores) {
    let db = s.db.clone();
    let store = s.store.clone();
    let a = account(&db, "a@example.com").await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.apply_event("evt_race", Some(a), &paid(Plan::Scale, 5), t(5)).await })
        })
        .collect();
    let mut applied = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(true) => applied += 1,
            Ok(false) => {}
            // SQLite may report a busy database to a loser; it must not have applied anything.
            Err(e) => eprintln!("a concurrent delivery failed (retried by Stripe): {e}"),
        }
    }
    assert_eq!(applied, 1);
    assert_eq!(store.billing(a).await.unwrap().unwrap().account.plan, Plan::Scale);
}

/// The store refuses a second account for one Stripe customer (the webhook checks first; this is
/// the backstop for a race), and writes nothing of that event.
async fn one_stripe_customer_belongs_to_one_account(s: Stores) {
    let db = s.db.clone();
    let store = s.store.clone();
    let a = account(&db, "a@example.com").await;
    let b = account(&db, "bb@example.com").await;
    assert!(store.apply_event("evt_a", Some(a), &paid(Plan::Pro, 100), t(1)).await.unwrap());
    let stolen = BillingChange { subscription: Some("sub_b".into()), ..paid(Plan::Scale, 200) };
    assert!(store.apply_event("evt_b", Some(b), &stolen, t(2)).await.is_err());
    let r = store.billing(b).await.unwrap().unwrap();
    assert_eq!((r.account.plan, r.customer), (Plan::Free, None));
    assert_eq!(store.find_by_provider_ids(None, Some("cus_1".into())).await.unwrap().unwrap().account.id, a);
    // Nothing of the refused event was kept: it can be delivered again.
    let fine = BillingChange { customer: Some("cus_b".into()), ..stolen };
    assert!(store.apply_event("evt_b", Some(b), &fine, t(3)).await.unwrap());
}

/// The store under test and the database its accounts are made in.
#[derive(Clone)]
struct Stores {
    db: DatabaseConnection,
    store: Arc<dyn BillingStore>,
}

fn plain(db: DatabaseConnection) -> Stores {
    Stores { store: Arc::new(SqlBillingStore::new(db.clone())), db }
}

/// Behind the principal cache's decorator, as the server runs it.
fn cached(db: DatabaseConnection) -> Stores {
    let cache = Arc::new(PrincipalCache::new(std::time::Duration::from_secs(3)));
    Stores { store: Arc::new(CachedBillingStore::new(Arc::new(SqlBillingStore::new(db.clone())), cache)), db }
}

contract_suite! {
    cases: [accounts_start_active_without_stripe_ids,
    an_event_applies_once_with_its_plan_change,
    concurrent_deliveries_of_one_event_apply_it_once,
    one_stripe_customer_belongs_to_one_account];
    sqlite => contract::sqlite(plain),
    cached_sqlite => contract::sqlite(cached),
    #[ignore = "needs PostgreSQL"]
    postgres => contract::postgres(plain),
    #[ignore = "needs PostgreSQL"]
    cached_postgres => contract::postgres(cached),
}
