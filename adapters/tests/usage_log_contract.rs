//! The `UsageLog` contract against SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use chrono::{DateTime, Utc};
use jobin_adapters::contract_suite;
use jobin_adapters::db::SqlUsageLog;
use jobin_adapters::testing::contract;
use jobin_core::domain::AccountId;
use jobin_core::ports::{UsageLog, UsageRecord};
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

fn log(db: sea_orm::DatabaseConnection) -> Arc<dyn UsageLog> {
    Arc::new(SqlUsageLog::new(db))
}

contract_suite! {
    cases: [appends_batches_and_reads_back_newest_first];
    sqlite => contract::sqlite(log),
    #[ignore = "needs PostgreSQL"]
    postgres => contract::postgres(log),
}
