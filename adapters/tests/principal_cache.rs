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
