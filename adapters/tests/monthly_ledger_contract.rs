//! The `MonthlyLedger` contract, run against the batched ledger over the usage log on SQLite and
//! PostgreSQL: a request added is counted at once (durable plus waiting), per account and per
//! month; closing writes what waits, so a new ledger over the same store — a restart, another
//! node — counts it; closing twice is harmless.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use chrono::{DateTime, Utc};
use jobin_adapters::contract_suite;
use jobin_adapters::db::SqlUsageLog;
use jobin_adapters::monthly_ledger::BatchedLedger;
use jobin_adapters::testing::contract;
use jobin_core::domain::AccountId;
use jobin_core::ports::{MonthlyLedger, UsageLog};
use std::sync::Arc;

/// A ledger, and how to open another over the same store.
#[derive(Clone)]
struct Ledgers {
    log: Arc<dyn UsageLog>,
}

impl Ledgers {
    fn open(&self) -> Arc<dyn MonthlyLedger> {
        BatchedLedger::spawn(self.log.clone())
    }
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

async fn an_added_request_counts_at_once_per_account_and_month(l: Ledgers) {
    let ledger = l.open();
    let (nov, dec) = (at("2026-11-30T23:59:59Z"), at("2026-12-01T00:00:00Z"));
    for _ in 0..3 {
        ledger.add(AccountId(1), nov);
    }
    ledger.add(AccountId(1), dec);
    ledger.add(AccountId(2), nov);
    assert_eq!(ledger.count(AccountId(1), nov).await.unwrap(), 3);
    assert_eq!(ledger.count(AccountId(1), dec).await.unwrap(), 1, "a new month starts from zero");
    assert_eq!(ledger.count(AccountId(2), nov).await.unwrap(), 1);
    assert_eq!(ledger.count(AccountId(3), nov).await.unwrap(), 0);
    ledger.close().await;
}

async fn what_is_closed_is_counted_by_the_next_ledger(l: Ledgers) {
    let nov = at("2026-11-15T12:00:00Z");
    let first = l.open();
    for _ in 0..5 {
        first.add(AccountId(9), nov);
    }
    first.close().await;
    first.close().await;
    let next = l.open();
    assert_eq!(next.count(AccountId(9), nov).await.unwrap(), 5, "durable across a restart");
    next.add(AccountId(9), nov);
    assert_eq!(next.count(AccountId(9), nov).await.unwrap(), 6, "durable plus waiting");
    next.close().await;
    assert_eq!(l.open().count(AccountId(9), nov).await.unwrap(), 6);
}

fn ledgers(db: sea_orm::DatabaseConnection) -> Ledgers {
    Ledgers { log: Arc::new(SqlUsageLog::new(db)) }
}

contract_suite! {
    cases: [an_added_request_counts_at_once_per_account_and_month, what_is_closed_is_counted_by_the_next_ledger];
    sqlite => contract::sqlite(ledgers),
    #[ignore = "needs PostgreSQL"]
    postgres => contract::postgres(ledgers),
}
