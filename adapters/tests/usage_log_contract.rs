//! The `UsageLog` contract against SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use chrono::{DateTime, Utc};
use jobin_adapters::contract_suite;
use jobin_adapters::db::SqlUsageLog;
use jobin_adapters::testing::contract;
use jobin_core::domain::AccountId;
use jobin_core::ports::{MonthlyAdd, UsageLog, UsageRecord, month_key};
use std::sync::Arc;

fn rec(account: i64, i: u32) -> UsageRecord {
    UsageRecord {
        at: DateTime::<Utc>::from_timestamp(1_700_000_000 + i64::from(i), 0).unwrap(),
        account: AccountId(account),
        key_prefix: i.is_multiple_of(2).then(|| "jl_live_ab12****".to_owned()),
        endpoint: format!("GET /jobs/search#{i}"),
        status: 200,
        cache_hit: i.is_multiple_of(3),
        latency_ms: i,
        monthly: !i.is_multiple_of(4),
    }
}

async fn appends_batches_and_reads_back_newest_first(log: Arc<dyn UsageLog>) {
    let batch: Vec<UsageRecord> = (0..1_200).map(|i| rec(1, i)).collect();
    log.append(&batch).await.unwrap();
    log.append(&[rec(2, 7)]).await.unwrap();
    log.append(&[]).await.unwrap();
    let recent = log.recent(AccountId(1), 3).await.unwrap();
    assert_eq!(recent, vec![rec(1, 1_199), rec(1, 1_198), rec(1, 1_197)]);
    assert_eq!(log.recent(AccountId(1), 5_000).await.unwrap().len(), 1_200);
    assert_eq!(log.recent(AccountId(2), 10).await.unwrap(), vec![rec(2, 7)]);
}

async fn monthly_counts_are_durable_per_account_and_month(log: Arc<dyn UsageLog>) {
    let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
    let nov = at("2023-11-14T22:13:20Z");
    assert_eq!(log.monthly_count(AccountId(7), nov).await.unwrap(), 0);
    let add = |account: i64, month: i32, count: u64| MonthlyAdd { account: AccountId(account), month, count };
    log.add_monthly(&[add(7, 202311, 30), add(8, 202311, 1), add(7, 202311, 0)]).await.unwrap();
    assert_eq!(log.monthly_count(AccountId(7), nov).await.unwrap(), 30);
    // Later additions add; another account and another month are separate; the history rows
    // (append) are not the counts.
    log.add_monthly(&[add(7, 202311, 1), add(7, 202312, 2)]).await.unwrap();
    log.append(&(0..40).map(|i| rec(7, i)).collect::<Vec<_>>()).await.unwrap();
    log.add_monthly(&[]).await.unwrap();
    assert_eq!(log.monthly_count(AccountId(7), nov).await.unwrap(), 31);
    assert_eq!(log.monthly_count(AccountId(8), nov).await.unwrap(), 1);
    assert_eq!(log.monthly_count(AccountId(7), at("2023-12-31T23:59:59Z")).await.unwrap(), 2);
    assert_eq!(log.monthly_count(AccountId(7), at("2023-10-31T23:59:59Z")).await.unwrap(), 0);
    assert_eq!(month_key(at("2023-12-31T23:59:59Z")), 202312);
    assert_eq!(month_key(at("2024-01-01T00:00:00Z")), 202401);
}

fn log(db: sea_orm::DatabaseConnection) -> Arc<dyn UsageLog> {
    Arc::new(SqlUsageLog::new(db))
}

contract_suite! {
    cases: [appends_batches_and_reads_back_newest_first, monthly_counts_are_durable_per_account_and_month];
    sqlite => contract::sqlite(log),
    #[ignore = "needs PostgreSQL"]
    postgres => contract::postgres(log),
}
