//! One `Cache` contract, run against the in-process and the Redis adapters.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use jobin_adapters::contract_suite;
use jobin_adapters::memory::MemoryCache;
use jobin_adapters::redis::RedisCache;
use jobin_adapters::testing::{Subject, contract};
use jobin_core::ports::Cache;
use std::sync::Arc;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

async fn stores_replaces_and_misses(cache: Arc<dyn Cache>) {
    assert_eq!(cache.get("q:rust:gb").await.unwrap(), None);
    cache.set("q:rust:gb", b"v1".to_vec(), LONG).await.unwrap();
    assert_eq!(cache.get("q:rust:gb").await.unwrap(), Some(b"v1".to_vec()));
    cache.set("q:rust:gb", b"v2".to_vec(), LONG).await.unwrap();
    assert_eq!(cache.get("q:rust:gb").await.unwrap(), Some(b"v2".to_vec()));
    assert_eq!(cache.get("q:rust:us").await.unwrap(), None);
    // Binary values survive untouched.
    let bytes: Vec<u8> = (0..=255).collect();
    cache.set("bin", bytes.clone(), LONG).await.unwrap();
    assert_eq!(cache.get("bin").await.unwrap(), Some(bytes));
}

async fn entries_expire_after_their_ttl(cache: Arc<dyn Cache>) {
    cache.set("short", b"x".to_vec(), Duration::from_millis(80)).await.unwrap();
    cache.set("long", b"y".to_vec(), LONG).await.unwrap();
    assert!(cache.get("short").await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(cache.get("short").await.unwrap(), None);
    assert_eq!(cache.get("long").await.unwrap(), Some(b"y".to_vec()));
}

contract_suite! {
    cases: [stores_replaces_and_misses, entries_expire_after_their_ttl];
    memory => async { Some(Subject::new(Arc::new(MemoryCache::new(100)) as Arc<dyn Cache>)) },
    #[ignore = "needs Redis"]
    redis => contract::redis(|r| Arc::new(RedisCache::new(r)) as Arc<dyn Cache>),
}

/// The in-process cache's own bound (beyond the contract).
mod memory_bound {
    use super::*;

    #[tokio::test]
    async fn stays_within_capacity_evicting_expired_then_oldest() {
        let c = MemoryCache::new(3);
        c.set("dead", b"0".to_vec(), Duration::from_millis(1)).await.unwrap();
        c.set("a", b"1".to_vec(), LONG).await.unwrap();
        c.set("b", b"2".to_vec(), LONG).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        c.set("c", b"3".to_vec(), LONG).await.unwrap(); // evicts the expired one, not "a"
        assert_eq!(c.get("a").await.unwrap(), Some(b"1".to_vec()));
        c.set("d", b"4".to_vec(), LONG).await.unwrap(); // full of live entries: the oldest goes
        assert_eq!(c.get("a").await.unwrap(), None);
        assert_eq!(c.len(), 3);
        for k in ["b", "c", "d"] {
            assert!(c.get(k).await.unwrap().is_some(), "{k}");
        }
    }
}
