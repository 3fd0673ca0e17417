//! Daily email digests of saved searches (issue 20): whether a search has one, the newest match
//! it has reported, and when it last sent one.

use super::SavedSearches;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for col in [
            boolean(SavedSearches::Digest).default(false).to_owned(),
            big_integer(SavedSearches::DigestSentThrough).default(0).to_owned(),
            timestamp_with_time_zone_null(SavedSearches::DigestSentAt),
        ] {
            manager.alter_table(Table::alter().table(SavedSearches::Table).add_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
