//! `server_mode`: whether the database belongs to a demo (fake job boards) or a real server, claimed
//! by the first start, so the two never share one (a demo's invented postings served as the market).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
pub(crate) enum ServerMode {
    Table,
    Id,
    Mode,
    ClaimedAt,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ServerMode::Table)
                    .if_not_exists()
                    .col(integer(ServerMode::Id).primary_key())
                    .col(string_len(ServerMode::Mode, 16))
                    .col(timestamp_with_time_zone(ServerMode::ClaimedAt))
                    .to_owned(),
            )
            .await
    }
}
