//! Contracts for the `Lock` and `UsageMeter` ports, run against the in-process adapters (step 2
//! adds the Redis adapters to the same suites).

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use chrono::{DateTime, Utc};
use jobin_adapters::crypto::OsEntropy;
use jobin_adapters::memory::{MemoryLock, MemoryMeter};
use jobin_core::ports::{Lock, LockToken, UsageMeter};
use std::sync::Arc;
use std::time::Duration;

fn t(s: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_700_000_040 + s, 0).unwrap()
}

async fn lock_is_exclusive_and_owned(lock: Arc<dyn Lock>) {
    let a = lock.try_acquire("x", Duration::from_secs(30)).await.unwrap().unwrap();
    assert!(lock.try_acquire("x", Duration::from_secs(30)).await.unwrap().is_none());
    // Other names are independent.
    let y = lock.try_acquire("y", Duration::from_secs(30)).await.unwrap().unwrap();
    // Only the owner's token releases it.
    assert!(!lock.release("x", &LockToken("forged".into())).await.unwrap());
    assert!(lock.try_acquire("x", Duration::from_secs(30)).await.unwrap().is_none());
    assert!(lock.release("x", &a).await.unwrap());
    assert!(!lock.release("x", &a).await.unwrap());
    let b = lock.try_acquire("x", Duration::from_secs(30)).await.unwrap().unwrap();
    assert_ne!(a, b);
    assert!(lock.release("y", &y).await.unwrap());
}

async fn lock_expires_and_a_late_release_changes_nothing(lock: Arc<dyn Lock>) {
    let old = lock.try_acquire("z", Duration::from_millis(50)).await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(120)).await;
    let new = lock.try_acquire("z", Duration::from_secs(30)).await.unwrap().unwrap();
    assert!(!lock.release("z", &old).await.unwrap());
    assert!(lock.try_acquire("z", Duration::from_secs(30)).await.unwrap().is_none());
    assert!(lock.release("z", &new).await.unwrap());
}

async fn parallel_acquirers_get_one_lock(lock: Arc<dyn Lock>) {
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let lock = lock.clone();
            tokio::spawn(async move { lock.try_acquire("p", Duration::from_secs(30)).await.unwrap() })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.unwrap().is_some());
    }
    assert_eq!(winners, 1);
}

async fn window_admits_exactly_the_limit_under_concurrency(meter: Arc<dyn UsageMeter>) {
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let meter = meter.clone();
            tokio::spawn(async move { meter.hit_window("ip:register:1.2.3.4", 7, 60, t(0)).await.unwrap() })
        })
        .collect();
    let mut admitted = 0;
    for task in tasks {
        let d = task.await.unwrap();
        assert_eq!(d.limit, 7);
        assert!(d.used <= 7);
        admitted += u32::from(d.allowed);
    }
    assert_eq!(admitted, 7);
}

async fn window_resets_at_the_boundary_and_buckets_are_separate(meter: Arc<dyn UsageMeter>) {
    // t(0) is aligned to a minute boundary (1_700_000_040 is a multiple of 60).
    for i in 0..2 {
        let d = meter.hit_window("b", 2, 60, t(i)).await.unwrap();
        assert!(d.allowed);
        assert_eq!(d.resets_at, t(60));
    }
    let denied = meter.hit_window("b", 2, 60, t(59)).await.unwrap();
    assert!(!denied.allowed);
    assert_eq!((denied.used, denied.remaining()), (2, 0));
    assert!(meter.hit_window("other", 2, 60, t(59)).await.unwrap().allowed);
    let next = meter.hit_window("b", 2, 60, t(60)).await.unwrap();
    assert!(next.allowed);
    assert_eq!((next.used, next.resets_at), (1, t(120)));
}

mod memory {
    use super::*;

    fn lock() -> Arc<dyn Lock> {
        Arc::new(MemoryLock::new(Arc::new(OsEntropy)))
    }

    #[tokio::test]
    async fn lock_exclusive() {
        lock_is_exclusive_and_owned(lock()).await;
    }
    #[tokio::test]
    async fn lock_expiry() {
        lock_expires_and_a_late_release_changes_nothing(lock()).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lock_parallel() {
        parallel_acquirers_get_one_lock(lock()).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn meter_exact() {
        window_admits_exactly_the_limit_under_concurrency(Arc::new(MemoryMeter::default())).await;
    }
    #[tokio::test]
    async fn meter_windows() {
        window_resets_at_the_boundary_and_buckets_are_separate(Arc::new(MemoryMeter::default())).await;
    }
}
