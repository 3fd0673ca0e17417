//! usage_log: one row per authenticated request (written in batches).

use super::UsageLog;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UsageLog::Table)
                    .if_not_exists()
                    .col(big_pk_auto(UsageLog::Id))
                    .col(timestamp_with_time_zone(UsageLog::At))
                    .col(big_integer(UsageLog::AccountId))
                    .col(string_len_null(UsageLog::KeyPrefix, 16))
                    .col(string_len(UsageLog::Endpoint, 128))
                    .col(integer(UsageLog::Status))
                    .col(boolean(UsageLog::CacheHit))
                    .col(integer(UsageLog::LatencyMs))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_usage_log_account_at")
                    .table(UsageLog::Table)
                    .col(UsageLog::AccountId)
                    .col(UsageLog::At)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }
}
