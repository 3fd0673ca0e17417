//! One `KeptAnswers` contract (issue 34), run against the in-process and the Redis adapters: an
//! account's answers are its own, its budget makes room from its own oldest, another account's
//! flood never evicts them, and the store's byte cap is never passed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use jobin_adapters::contract_suite;
use jobin_adapters::memory::MemoryKeptAnswers;
use jobin_adapters::redis::RedisKeptAnswers;
use jobin_adapters::testing::{Subject, contract};
use jobin_core::domain::AccountId;
use jobin_core::ports::{Keeping, KeptAnswers, KeptLimits};
use std::sync::Arc;
use std::time::Duration;

const DAY: Duration = Duration::from_secs(24 * 3600);
const A: AccountId = AccountId(1);
const B: AccountId = AccountId(2);

/// 100 answers or 64 KiB an account, 1 MiB in all.
const LIMITS: KeptLimits = KeptLimits { account_entries: 100, account_bytes: 64 * 1024, total_bytes: 1024 * 1024 };

fn key(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

async fn answers_are_kept_per_account(kept: Arc<dyn KeptAnswers>) {
    assert_eq!(kept.get(A, &key(1)).await.unwrap(), None);
    assert_eq!(kept.keep(A, &key(1), b"a1".to_vec(), DAY).await.unwrap(), Keeping::Kept);
    assert_eq!(kept.get(A, &key(1)).await.unwrap(), Some(b"a1".to_vec()));
    assert_eq!(kept.get(B, &key(1)).await.unwrap(), None, "another account's key space");
    assert_eq!(kept.keep(A, &key(1), b"again".to_vec(), DAY).await.unwrap(), Keeping::Kept);
    assert_eq!(kept.get(A, &key(1)).await.unwrap(), Some(b"again".to_vec()));
    let bytes: Vec<u8> = (0..=255).collect();
    kept.keep(B, &key(2), bytes.clone(), DAY).await.unwrap();
    assert_eq!(kept.get(B, &key(2)).await.unwrap(), Some(bytes));
    let expected = KeptLimits::size_of(&key(1), b"again") + KeptLimits::size_of(&key(2), &[0; 256]);
    assert_eq!(kept.total_bytes().await.unwrap(), expected as u64, "replacing a key counts it once");
}

async fn answers_expire_and_free_their_bytes(kept: Arc<dyn KeptAnswers>) {
    kept.keep(A, &key(1), vec![1; 1000], Duration::from_millis(80)).await.unwrap();
    kept.keep(A, &key(2), vec![2; 10], DAY).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(kept.get(A, &key(1)).await.unwrap(), None);
    kept.keep(A, &key(3), vec![3; 10], DAY).await.unwrap();
    let live = KeptLimits::size_of(&key(2), &[0; 10]) * 2;
    assert_eq!(kept.total_bytes().await.unwrap(), live as u64, "the expired answer no longer counts");
}

async fn an_account_over_its_budget_loses_its_own_oldest(kept: Arc<dyn KeptAnswers>) {
    kept.keep(B, &key(0), b"b".to_vec(), DAY).await.unwrap();
    for i in 0..150 {
        assert_eq!(kept.keep(A, &key(i), vec![7; 100], DAY).await.unwrap(), Keeping::Kept);
    }
    assert_eq!(kept.get(A, &key(49)).await.unwrap(), None, "the oldest 50 made room");
    assert!(kept.get(A, &key(50)).await.unwrap().is_some());
    assert!(kept.get(A, &key(149)).await.unwrap().is_some());
    // By bytes: 20 KiB answers, 64 KiB an account: three fit, the fourth evicts the first.
    for i in 200..204 {
        assert_eq!(kept.keep(A, &key(i), vec![8; 20 * 1024], DAY).await.unwrap(), Keeping::Kept);
    }
    assert_eq!(kept.get(A, &key(200)).await.unwrap(), None);
    assert!(kept.get(A, &key(203)).await.unwrap().is_some());
    assert_eq!(kept.get(B, &key(0)).await.unwrap(), Some(b"b".to_vec()), "B untouched");
    // An answer larger than an account may hold is not kept, and evicts nothing.
    assert_eq!(kept.keep(A, &key(300), vec![9; 65 * 1024], DAY).await.unwrap(), Keeping::NoRoom);
    assert!(kept.get(A, &key(203)).await.unwrap().is_some());
}

/// 10,000 answers from B leave A's replayable.
async fn a_flood_from_one_account_never_evicts_anothers(kept: Arc<dyn KeptAnswers>) {
    assert_eq!(kept.keep(A, &key(1), b"{\"id\":1}".to_vec(), DAY).await.unwrap(), Keeping::Kept);
    for i in 0..10_000 {
        kept.keep(B, &key(i), vec![b'x'; 200], DAY).await.unwrap();
    }
    assert_eq!(kept.get(A, &key(1)).await.unwrap(), Some(b"{\"id\":1}".to_vec()));
}

/// Many accounts together fill the store to its cap and no further; the next account's answer is
/// not kept rather than evicting a live one; once answers expire there is room again.
async fn the_store_never_passes_its_byte_cap(kept: Arc<dyn KeptAnswers>) {
    let big = vec![b'y'; 60 * 1024];
    let mut refused = 0;
    for account in 10..40 {
        if kept.keep(AccountId(account), &key(1), big.clone(), Duration::from_millis(300)).await.unwrap()
            == Keeping::NoRoom
        {
            refused += 1;
        }
        assert!(kept.total_bytes().await.unwrap() <= LIMITS.total_bytes as u64);
    }
    assert_eq!(refused, 30 - LIMITS.total_bytes / KeptLimits::size_of(&key(1), &big), "full, and no further");
    assert!(kept.get(AccountId(10), &key(1)).await.unwrap().is_some(), "the first kept are still there");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(kept.keep(AccountId(99), &key(1), big, DAY).await.unwrap(), Keeping::Kept, "expired answers made room");
}

contract_suite! {
    cases: [
        answers_are_kept_per_account,
        answers_expire_and_free_their_bytes,
        an_account_over_its_budget_loses_its_own_oldest,
        a_flood_from_one_account_never_evicts_anothers,
        the_store_never_passes_its_byte_cap,
    ];
    memory => async { Some(Subject::new(Arc::new(MemoryKeptAnswers::new(LIMITS)) as Arc<dyn KeptAnswers>)) },
    #[ignore = "needs Redis"]
    redis => contract::redis(|r| Arc::new(RedisKeptAnswers::new(r, LIMITS)) as Arc<dyn KeptAnswers>),
}
