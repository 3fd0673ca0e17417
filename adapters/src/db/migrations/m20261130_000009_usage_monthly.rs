//! The durable monthly quota counts: `usage_monthly` (account, month as `yyyymm`, requests counted
//! against the quota), added to in the usage log's own transaction, and `usage_log.monthly` (the row
//! was counted). Rows logged before this migration did not say whether they were counted; they are
//! counted when they look like an admitted data request (a `/jobs/*` route other than
//! `/jobs/expired`, answered with neither 401, 403, 429 nor 503). A 403 after admission (an AI model
//! above the plan's tier) is not in that estimate.

use super::{UsageLog, UsageMonthly};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COUNTED_BEFORE: &str = "endpoint LIKE '%/jobs/%' AND endpoint NOT LIKE '%/jobs/expired%' \
     AND status NOT IN (401, 403, 429, 503)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UsageMonthly::Table)
                    .if_not_exists()
                    .col(big_integer(UsageMonthly::AccountId))
                    .col(integer(UsageMonthly::Month))
                    .col(big_integer(UsageMonthly::Count).default(0))
                    .primary_key(Index::create().col(UsageMonthly::AccountId).col(UsageMonthly::Month))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(UsageLog::Table)
                    .add_column(boolean(UsageLog::Monthly).default(false).to_owned())
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        let month = match backend {
            DbBackend::Postgres => "CAST(to_char(at AT TIME ZONE 'UTC', 'YYYYMM') AS INTEGER)",
            // sea-orm stores SQLite timestamps as text starting `YYYY-MM-DD`, in UTC here.
            _ => "CAST(substr(at, 1, 4) || substr(at, 6, 2) AS INTEGER)",
        };
        for sql in [
            format!("UPDATE usage_log SET monthly = TRUE WHERE {COUNTED_BEFORE}"),
            format!(
                "INSERT INTO usage_monthly (account_id, month, count) \
                 SELECT account_id, {month}, COUNT(*) FROM usage_log WHERE monthly GROUP BY account_id, {month}"
            ),
        ] {
            db.execute_raw(Statement::from_string(backend, sql)).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::db::migrations::Migrator;
    use chrono::{DateTime, Utc};
    use jobin_core::domain::AccountId;
    use jobin_core::ports::UsageLog;
    use sea_orm::{ConnectionTrait, Statement, Value};
    use sea_orm_migration::{MigrationName, MigratorTrait};

    #[tokio::test]
    async fn rows_logged_before_are_counted_when_they_look_admitted() {
        let db = crate::db::connect("sqlite::memory:", 1).await.unwrap();
        crate::db::migrations::up_to_before(&db, super::Migration.name()).await;
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let rows = [
            (1, "2026-10-31T23:59:59Z", "GET /v1/jobs/search", 200), // October
            (1, "2026-11-01T00:00:00Z", "GET /jobs/search", 200),
            (1, "2026-11-02T10:00:00Z", "GET /v1/jobs/salary", 400), // admitted, then invalid
            (1, "2026-11-02T10:00:01Z", "GET /v1/jobs/expired", 200), // never counted monthly
            (1, "2026-11-02T10:00:02Z", "GET /v1/jobs/search", 429),
            (1, "2026-11-02T10:00:03Z", "GET /v1/jobs/trends", 403),
            (1, "2026-11-02T10:00:04Z", "GET /v1/auth/me", 200),
            (2, "2026-11-03T00:00:00Z", "POST /v1/jobs/feed", 200),
        ];
        for (account, t, endpoint, status) in rows {
            let stmt = Statement::from_sql_and_values(
                db.get_database_backend(),
                "INSERT INTO usage_log (at, account_id, key_prefix, endpoint, status, cache_hit, latency_ms) \
                 VALUES (?, ?, NULL, ?, ?, FALSE, 1)",
                [Value::from(at(t)), Value::from(account as i64), Value::from(endpoint), Value::from(status)],
            );
            db.execute_raw(stmt).await.unwrap();
        }
        Migrator::up(&db, None).await.unwrap();
        let log = crate::db::SqlUsageLog::new(db);
        let nov = at("2026-11-15T00:00:00Z");
        assert_eq!(log.monthly_count(AccountId(1), nov).await.unwrap(), 2);
        assert_eq!(log.monthly_count(AccountId(1), at("2026-10-15T00:00:00Z")).await.unwrap(), 1);
        assert_eq!(log.monthly_count(AccountId(2), nov).await.unwrap(), 1);
    }
}
