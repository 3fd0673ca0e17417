//! `store_probe`: the table the health check writes to (and empties in the same transaction) to
//! tell a store that answers reads but cannot take a write (a full disk, a read-only file).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
pub(crate) enum StoreProbe {
    Table,
    Id,
    Filler,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StoreProbe::Table)
                    .if_not_exists()
                    .col(pk_auto(StoreProbe::Id))
                    .col(blob(StoreProbe::Filler))
                    .to_owned(),
            )
            .await
    }
}
