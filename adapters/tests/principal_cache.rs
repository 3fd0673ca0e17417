//! The principal cache's two promises, on SQLite: what this node writes through the cached stores
//! is never answered from an old copy, and what another node writes (straight to the database
//! here) shows once the copy's life ends.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test: a failed step should panic

use chrono::{DateTime, Utc};
use jobin_adapters::db::SqlBillingStore;
use jobin_adapters::principal_cache::{CachedBillingStore, PrincipalCache};
use jobin_adapters::testing::{account, sqlite_memory};
use jobin_core::domain::Plan;
use jobin_core::ports::{BillingChange, BillingStore};
use std::sync::Arc;
use std::time::Duration;

fn t(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap()
}

fn plan(p: Plan) -> BillingChange {
    BillingChange { plan: Some(p), ..Default::default() }
}

#[tokio::test]
async fn own_writes_show_at_once_and_other_nodes_writes_within_the_ttl() {
    let db = sqlite_memory().await.unwrap();
    let a = account(&db, "a@example.com").await;
    let database: Arc<dyn BillingStore> = Arc::new(SqlBillingStore::new(db.clone()));
    let ttl = Duration::from_millis(300);
    let cached = CachedBillingStore::new(database.clone(), Arc::new(PrincipalCache::new(ttl)));

    assert_eq!(cached.billing(a).await.unwrap().unwrap().account.plan, Plan::Free);
    // This node's change: seen at once.
    assert!(cached.apply_event("evt_1", Some(a), &plan(Plan::Pro), t(1)).await.unwrap());
    assert_eq!(cached.billing(a).await.unwrap().unwrap().account.plan, Plan::Pro);
    // Another node's change: the copy answers until it expires, then the database does.
    assert!(database.apply_event("evt_2", Some(a), &plan(Plan::Scale), t(2)).await.unwrap());
    assert_eq!(cached.billing(a).await.unwrap().unwrap().account.plan, Plan::Pro, "within the copy's life");
    tokio::time::sleep(ttl + Duration::from_millis(50)).await;
    assert_eq!(cached.billing(a).await.unwrap().unwrap().account.plan, Plan::Scale, "after it");
}

/// Two nodes on one database and one Redis: a change made through one node's stores reaches the
/// other's copies by pub/sub, long before their life (a minute here) would end; a node's own
/// message does not make it forget again.
#[tokio::test]
async fn other_nodes_forget_at_once_when_redis_carries_the_news() {
    use jobin_adapters::principal_news;
    let Some((redis_a, prefix)) = jobin_adapters::testing::redis().await else { return };
    let redis_b = jobin_adapters::testing::redis_peer(&prefix).await.unwrap();
    let db = sqlite_memory().await.unwrap();
    let acct = account(&db, "news@example.com").await;
    let database: Arc<dyn BillingStore> = Arc::new(SqlBillingStore::new(db.clone()));
    let ttl = Duration::from_secs(60);
    let node = |redis: jobin_adapters::redis::Redis| {
        let database = database.clone();
        async move {
            let cache = Arc::new(PrincipalCache::new(ttl));
            principal_news::connect(&redis, cache.clone()).await.unwrap();
            CachedBillingStore::new(database, cache)
        }
    };
    let (a, b) = (node(redis_a).await, node(redis_b).await);
    assert_eq!(plan_on(&b, acct).await, Plan::Free, "node B keeps a copy");

    let changed = std::time::Instant::now();
    assert!(a.apply_event("evt_news", Some(acct), &plan(Plan::Pro), t(1)).await.unwrap());
    assert_eq!(plan_on(&a, acct).await, Plan::Pro, "at once on the node that made the change");
    loop {
        if plan_on(&b, acct).await == Plan::Pro {
            break;
        }
        assert!(changed.elapsed() < Duration::from_secs(2), "node B still serves its copy after 2 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // A change straight to the database (no news) is not seen before the copy's life ends: the
    // copy above was forgotten by the message, not by its life.
    assert!(database.apply_event("evt_silent", Some(acct), &plan(Plan::Scale), t(2)).await.unwrap());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(plan_on(&b, acct).await, Plan::Pro, "no news, the copy stands");
}

async fn plan_on(store: &CachedBillingStore, account: jobin_core::domain::AccountId) -> Plan {
    store.billing(account).await.unwrap().unwrap().account.plan
}
