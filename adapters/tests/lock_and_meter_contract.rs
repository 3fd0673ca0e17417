//! Contracts for the `Lock` and `UsageMeter` ports, run against the in-process and the Redis
//! adapters.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use chrono::{DateTime, Utc};
use jobin_adapters::contract_suite;
use jobin_adapters::crypto::OsEntropy;
use jobin_adapters::memory::{MemoryLock, MemoryMeter};
use jobin_adapters::redis::{RedisLock, RedisMeter};
use jobin_adapters::testing::{Subject, contract};
use jobin_core::domain::AccountId;
use jobin_core::ports::{AdmitRequest, Lock, LockToken, UsageMeter, Verdict};
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

fn acct(n: i64, per_minute: u32, monthly: Option<u64>) -> AdmitRequest {
    AdmitRequest { account: AccountId(n), per_minute, monthly_limit: monthly }
}

async fn undo_hit_takes_back_one_hit_and_never_goes_below_zero(meter: Arc<dyn UsageMeter>) {
    for _ in 0..3 {
        assert!(meter.hit_window("undo", 3, 60, t(0)).await.unwrap().allowed);
    }
    assert!(!meter.hit_window("undo", 3, 60, t(1)).await.unwrap().allowed);
    meter.undo_hit("undo", 60, t(2)).await.unwrap();
    let d = meter.hit_window("undo", 3, 60, t(3)).await.unwrap();
    assert_eq!((d.allowed, d.used), (true, 3));
    // An empty window stays at zero.
    meter.undo_hit("undo-empty", 60, t(0)).await.unwrap();
    meter.undo_hit("undo-empty", 60, t(0)).await.unwrap();
    assert_eq!(meter.hit_window("undo-empty", 3, 60, t(0)).await.unwrap().used, 1);
}

/// Seeds an account's month with `count` (what the usage log would say).
async fn seed(meter: &Arc<dyn UsageMeter>, account: i64, at: DateTime<Utc>, count: u64) {
    assert_eq!(meter.seed_monthly(AccountId(account), at, count).await.unwrap(), count);
}

async fn admit_is_exact_under_concurrency(meter: Arc<dyn UsageMeter>) {
    seed(&meter, 1, t(0), 0).await;
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let meter = meter.clone();
            tokio::spawn(async move { meter.admit(acct(1, 1_000, Some(13)), t(0)).await.unwrap() })
        })
        .collect();
    let mut admitted = 0;
    for task in tasks {
        let a = task.await.unwrap();
        match a.verdict {
            Verdict::Admitted => admitted += 1,
            Verdict::MonthlyExceeded => assert_eq!(a.monthly_used, 13),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(admitted, 13);
    assert_eq!(meter.monthly_used(AccountId(1), t(0)).await.unwrap(), Some(13));
}

async fn rejected_requests_count_against_nothing(meter: Arc<dyn UsageMeter>) {
    // Minute window of 3, month of 5.
    seed(&meter, 2, t(0), 0).await;
    seed(&meter, 3, t(0), 0).await;
    for i in 1..=3u32 {
        let a = meter.admit(acct(2, 3, Some(5)), t(0)).await.unwrap();
        assert_eq!(
            (a.verdict, a.minute.used, a.minute.remaining(), a.monthly_used),
            (Verdict::Admitted, i, 3 - i, u64::from(i))
        );
    }
    let a = meter.admit(acct(2, 3, Some(5)), t(1)).await.unwrap();
    assert_eq!((a.verdict, a.minute.used, a.monthly_used), (Verdict::MinuteExceeded, 3, 3));
    assert_eq!(a.minute.resets_at, t(60));
    // Unmetered requests (account endpoints) use the minute window but not the month.
    let a = meter.admit(acct(2, 3, None), t(60)).await.unwrap();
    assert_eq!((a.verdict, a.minute.used, a.monthly_used), (Verdict::Admitted, 1, 3));
    for _ in 0..2 {
        assert_eq!(meter.admit(acct(2, 3, Some(5)), t(61)).await.unwrap().verdict, Verdict::Admitted);
    }
    // Month spent: 429 before the minute limit, and nothing more counted.
    let a = meter.admit(acct(2, 3, Some(5)), t(120)).await.unwrap();
    assert_eq!((a.verdict, a.monthly_used, a.minute.used), (Verdict::MonthlyExceeded, 5, 0));
    assert_eq!(meter.monthly_used(AccountId(2), t(120)).await.unwrap(), Some(5));
    // Another account is separate.
    assert_eq!(meter.admit(acct(3, 3, Some(5)), t(120)).await.unwrap().verdict, Verdict::Admitted);
}

async fn the_month_resets_on_the_first(meter: Arc<dyn UsageMeter>) {
    let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
    seed(&meter, 4, at("2025-12-31T23:59:59Z"), 0).await;
    assert_eq!(meter.admit(acct(4, 10, Some(1)), at("2025-12-31T23:59:59Z")).await.unwrap().verdict, Verdict::Admitted);
    assert_eq!(
        meter.admit(acct(4, 10, Some(1)), at("2025-12-31T23:59:59Z")).await.unwrap().verdict,
        Verdict::MonthlyExceeded
    );
    // A new month has no count until it is seeded.
    let jan = meter.admit(acct(4, 10, Some(1)), at("2026-01-01T00:00:00Z")).await.unwrap();
    assert_eq!(jan.verdict, Verdict::Unseeded);
    seed(&meter, 4, at("2026-01-01T00:00:00Z"), 0).await;
    let jan = meter.admit(acct(4, 10, Some(1)), at("2026-01-01T00:00:00Z")).await.unwrap();
    assert_eq!((jan.verdict, jan.monthly_used), (Verdict::Admitted, 1));
}

async fn an_unseeded_month_counts_nothing_and_the_first_seed_stands(meter: Arc<dyn UsageMeter>) {
    assert_eq!(meter.monthly_used(AccountId(5), t(0)).await.unwrap(), None);
    let a = meter.admit(acct(5, 10, Some(5)), t(0)).await.unwrap();
    assert_eq!((a.verdict, a.minute.used), (Verdict::Unseeded, 0), "nothing counted");
    // Unmetered requests need no month.
    assert_eq!(meter.admit(acct(5, 10, None), t(0)).await.unwrap().verdict, Verdict::Admitted);
    // Concurrent seeds (several nodes after a Redis restart): one value wins, all see it.
    let seeds: Vec<_> = (0..8u64)
        .map(|n| {
            let meter = meter.clone();
            tokio::spawn(async move { meter.seed_monthly(AccountId(5), t(0), 4 + n).await.unwrap() })
        })
        .collect();
    let mut held = vec![];
    for s in seeds {
        held.push(s.await.unwrap());
    }
    held.dedup();
    assert_eq!(held.len(), 1, "{held:?}");
    let seeded = held[0];
    assert_eq!(meter.seed_monthly(AccountId(5), t(0), 0).await.unwrap(), seeded, "a held count stands");
    assert_eq!(meter.monthly_used(AccountId(5), t(0)).await.unwrap(), Some(seeded));
    let mut last = meter.admit(acct(5, 100, Some(12)), t(0)).await.unwrap();
    let mut admitted = 0;
    while last.verdict == Verdict::Admitted {
        admitted += 1;
        last = meter.admit(acct(5, 100, Some(12)), t(0)).await.unwrap();
    }
    assert_eq!((last.verdict, admitted), (Verdict::MonthlyExceeded, 12 - seeded));
}

/// The `Lock` contract.
mod lock {
    use super::*;

    fn memory() -> Arc<dyn Lock> {
        Arc::new(MemoryLock::new(Arc::new(OsEntropy)))
    }

    contract_suite! {
        cases: [lock_is_exclusive_and_owned, lock_expires_and_a_late_release_changes_nothing, parallel_acquirers_get_one_lock];
        memory => async { Some(Subject::new(memory())) },
        #[ignore = "needs Redis"]
        redis => contract::redis(|r| Arc::new(RedisLock::new(r, Arc::new(OsEntropy))) as Arc<dyn Lock>),
    }
}

/// The `UsageMeter` contract.
mod meter {
    use super::*;

    contract_suite! {
        cases: [
            window_admits_exactly_the_limit_under_concurrency,
            window_resets_at_the_boundary_and_buckets_are_separate,
            admit_is_exact_under_concurrency,
            rejected_requests_count_against_nothing,
            the_month_resets_on_the_first,
            an_unseeded_month_counts_nothing_and_the_first_seed_stands,
            undo_hit_takes_back_one_hit_and_never_goes_below_zero,
        ];
        memory => async { Some(Subject::new(Arc::new(MemoryMeter::default()) as Arc<dyn UsageMeter>)) },
        #[ignore = "needs Redis"]
        redis => contract::redis(|r| Arc::new(RedisMeter::new(r)) as Arc<dyn UsageMeter>),
    }
}

/// Several Redis clients ("nodes") share one state.
mod redis_nodes {
    use super::*;
    use jobin_adapters::testing;

    /// Two clients ("nodes") on one Redis: N parallel requests against a limit of L admit exactly L,
    /// and a lock taken through one is held for the other.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "needs Redis"]
    async fn two_nodes_share_limits_and_locks() {
        let Some((a, prefix)) = testing::redis().await else { return };
        let b = testing::redis_peer(&prefix).await.unwrap();
        let meters: [Arc<dyn UsageMeter>; 2] =
            [Arc::new(RedisMeter::new(a.clone())), Arc::new(RedisMeter::new(b.clone()))];
        seed(&meters[0], 9, t(0), 0).await;
        let tasks: Vec<_> = (0..60)
            .map(|i| {
                let m = meters[i % 2].clone();
                tokio::spawn(async move { m.admit(acct(9, 17, Some(1_000)), t(0)).await.unwrap().verdict })
            })
            .collect();
        let mut admitted = 0;
        for task in tasks {
            admitted += usize::from(task.await.unwrap() == Verdict::Admitted);
        }
        assert_eq!(admitted, 17);
        assert_eq!(meters[1].monthly_used(AccountId(9), t(0)).await.unwrap(), Some(17));

        let la = RedisLock::new(a, Arc::new(OsEntropy));
        let lb = RedisLock::new(b, Arc::new(OsEntropy));
        let held = la.try_acquire("rotate", Duration::from_secs(30)).await.unwrap().unwrap();
        assert!(lb.try_acquire("rotate", Duration::from_secs(30)).await.unwrap().is_none());
        assert!(!lb.release("rotate", &LockToken("guess".into())).await.unwrap());
        assert!(la.release("rotate", &held).await.unwrap());
        assert!(lb.try_acquire("rotate", Duration::from_secs(30)).await.unwrap().is_some());
    }
}
