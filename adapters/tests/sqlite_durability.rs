//! The embedded store after a failed write: every write either answers an error or is durable.
//!
//! A full disk is made deterministic with `PRAGMA max_page_count` (the database cannot grow past
//! its current size); a read-only store with `PRAGMA query_only`. After each episode the test
//! writes again and checks each write from a second connection and after reopening the file.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed step should panic

use chrono::{DateTime, Utc};
use jobin_adapters::db::{self, SqlUsageLog};
use jobin_core::domain::AccountId;
use jobin_core::ports::{KeyStoreError, UsageLog, UsageRecord};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

fn rec(account: i64, i: u32, pad: usize) -> UsageRecord {
    UsageRecord {
        at: DateTime::<Utc>::from_timestamp(1_700_000_000 + i64::from(i), 0).unwrap(),
        account: AccountId(account),
        key_prefix: None,
        endpoint: format!("GET /jobs/search#{i}{}", "x".repeat(pad)),
        status: 200,
        cache_hit: false,
        latency_ms: i,
        monthly: true,
    }
}

async fn open(url: &str) -> DatabaseConnection {
    let db = db::connect(url, 1).await.unwrap();
    db::migrate(&db, url).await.unwrap();
    db
}

async fn pragma(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db.query_one_raw(Statement::from_string(DbBackend::Sqlite, sql.to_owned())).await.unwrap().unwrap();
    row.try_get_by_index::<i64>(0).unwrap_or(0)
}

async fn count(db: &DatabaseConnection, account: i64) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM usage_log WHERE account_id = {account}");
    pragma(db, &sql).await
}

/// Appends batches of big rows until the store refuses one; returns how many batches were taken
/// and the refusal.
async fn fill(log: &SqlUsageLog, account: i64) -> (u32, KeyStoreError) {
    for n in 0..10_000u32 {
        let batch: Vec<UsageRecord> = (0..20).map(|i| rec(account, n * 20 + i, 900)).collect();
        if let Err(e) = log.append(&batch).await {
            return (n, e);
        }
    }
    panic!("the store never filled");
}

/// One episode: `break_it` makes writes fail, `mend_it` makes them possible again (each on the
/// pool's connection); then writes must be durable.
async fn episode(break_it: &str, mend_it: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}?mode=rwc", dir.path().join("jobin.db").display());
    let accounts = {
        let db = open(&url).await;
        let a = jobin_adapters::testing::account(&db, "a@example.com").await;
        let b = jobin_adapters::testing::account(&db, "b@example.com").await;
        db.close().await.unwrap();
        (a.0, b.0)
    };
    let db = open(&url).await;
    let log = SqlUsageLog::new(db.clone());
    log.append(&[rec(accounts.0, 0, 0)]).await.unwrap();
    let pages = pragma(&db, "PRAGMA page_count").await;
    db.execute_unprepared(&break_it.replace("{pages}", &pages.to_string())).await.unwrap();

    let (taken, refusal) = fill(&log, accounts.0).await;
    assert!(
        matches!(refusal, KeyStoreError::Unavailable(_)),
        "a store that cannot write is unavailable (a 503), not an unknown error: {refusal:?}"
    );
    // Whatever was confirmed before the refusal stays.
    let confirmed_before = 1 + i64::from(taken) * 20;

    if let Some(mend) = mend_it {
        // The pool may have replaced its connection since; the mend applies to whichever it holds.
        db.execute_unprepared(mend).await.unwrap();
    }
    // After the episode, every confirmed write is durable: seen by a second connection and after
    // a reopen.
    let mut confirmed_after = 0;
    for n in 0..30u32 {
        log.append(&[rec(accounts.1, n, 0)]).await.expect("the store writes again after the episode");
        confirmed_after += 1;
    }
    let other = open(&url).await;
    assert_eq!(count(&other, accounts.1).await, confirmed_after, "a second connection sees every confirmed write");
    assert_eq!(count(&other, accounts.0).await, confirmed_before, "the writes confirmed before the episode stay");
    other.close().await.unwrap();
    db.close().await.unwrap();
    let reopened = open(&url).await;
    assert_eq!(count(&reopened, accounts.1).await, confirmed_after, "a reopen shows every confirmed write");
    assert_eq!(count(&reopened, accounts.0).await, confirmed_before);
}

#[tokio::test]
async fn after_a_full_disk_every_confirmed_write_is_durable() {
    episode("PRAGMA max_page_count = {pages}", Some("PRAGMA max_page_count = 1073741823")).await;
}

#[tokio::test]
async fn after_a_read_only_store_every_confirmed_write_is_durable() {
    episode("PRAGMA query_only = ON", Some("PRAGMA query_only = OFF")).await;
}

/// The driver's state after a COMMIT that SQLite refused having already rolled the transaction
/// back (what a full disk does at commit): the transaction is closed behind the driver's back, its
/// COMMIT and then its ROLLBACK fail. Made deterministic here with a ROLLBACK inside the
/// transaction. Then one transaction that is rolled back, as any failed request's is: on a
/// connection the driver still counts inside a transaction, its rollback keeps SQLite's open.
#[tokio::test]
async fn after_a_commit_that_sqlite_rolled_back_every_confirmed_write_is_durable() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}?mode=rwc", dir.path().join("jobin.db").display());
    let db = open(&url).await;
    let account = jobin_adapters::testing::account(&db, "a@example.com").await.0;
    let log = SqlUsageLog::new(db.clone());
    let txn = sea_orm::TransactionTrait::begin(&db).await.unwrap();
    txn.execute_unprepared("ROLLBACK").await.unwrap();
    assert!(txn.commit().await.is_err(), "SQLite refuses a COMMIT with no transaction");
    let txn = sea_orm::TransactionTrait::begin(&db).await.unwrap();
    drop(txn);
    for n in 0..30u32 {
        log.append(&[rec(account, n, 0)]).await.expect("the store writes after the failed commits");
    }
    let other = open(&url).await;
    assert_eq!(count(&other, account).await, 30, "a second connection sees every confirmed write");
    other.close().await.unwrap();
    db.close().await.unwrap();
    assert_eq!(count(&open(&url).await, account).await, 30, "a reopen shows every confirmed write");
}

/// A real full disk (a small tmpfs filled by another file), then freed: every write during the
/// episode answers an error, and every write confirmed after it is durable.
#[tokio::test]
async fn on_a_real_full_disk_writes_fail_and_after_it_every_confirmed_write_is_durable() {
    let Some(disk) = jobin_adapters::testing::SmallDisk::mount(4) else { return };
    let url = format!("sqlite:{}?mode=rwc", disk.path.join("jobin.db").display());
    let db = open(&url).await;
    let a = jobin_adapters::testing::account(&db, "a@example.com").await.0;
    let b = jobin_adapters::testing::account(&db, "b@example.com").await.0;
    let log = SqlUsageLog::new(db.clone());
    disk.fill();
    let (mut taken, mut refused) = (0, 0);
    for n in 0..100u32 {
        let batch: Vec<UsageRecord> = (0..50).map(|i| rec(a, n * 50 + i, 100)).collect();
        match log.append(&batch).await {
            Ok(()) => taken += 1,
            Err(e) => {
                assert!(matches!(e, KeyStoreError::Unavailable(_)), "a full disk is unavailable: {e:?}");
                refused += 1;
            }
        }
    }
    assert!(refused > 0, "a full disk refuses writes ({taken} batches taken)");
    {
        use jobin_core::ports::KeyStore;
        let probe = jobin_adapters::db::SqlKeyStore::new(db.clone()).probe_write().await;
        assert!(matches!(probe, Err(KeyStoreError::Unavailable(_))), "the write probe sees the full disk: {probe:?}");
    }
    disk.free();
    for n in 0..30u32 {
        log.append(&[rec(b, n, 0)]).await.expect("the store writes again once the disk has room");
    }
    let other = open(&url).await;
    assert_eq!(count(&other, a).await, i64::from(taken) * 50, "a second connection sees what was confirmed during");
    assert_eq!(count(&other, b).await, 30, "a second connection sees every write confirmed after");
    other.close().await.unwrap();
    db.close().await.unwrap();
    let reopened = open(&url).await;
    assert_eq!(count(&reopened, a).await, i64::from(taken) * 50);
    assert_eq!(count(&reopened, b).await, 30, "a reopen shows every confirmed write");
    reopened.close().await.unwrap();
}
