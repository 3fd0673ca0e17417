//! `jobs.expired_reason`: why an expired posting expired (`left_listing`, `gone`, `age`); null for
//! active postings and for those expired before it was recorded.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    ExpiredReason,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.has_column("jobs", "expired_reason").await? {
            return Ok(());
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Jobs::Table)
                    .add_column(ColumnDef::new(Jobs::ExpiredReason).string_len(16).null())
                    .to_owned(),
            )
            .await
    }
}
