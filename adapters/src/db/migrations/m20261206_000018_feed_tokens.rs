//! The Atom feed's read token of a saved search (issue 20), kept only as its peppered hash.

use super::SavedSearches;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SavedSearches::Table)
                    .add_column(string_len_null(SavedSearches::FeedTokenHash, 64).to_owned())
                    .to_owned(),
            )
            .await
    }
}
