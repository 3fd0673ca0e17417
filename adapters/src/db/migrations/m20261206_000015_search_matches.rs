//! Matching's output (issue 20): `search_matches`, one row per saved search, posting and version
//! of the posting (a unique index makes a repeat a no-op), and `matcher_cursor`, the one row that
//! says how far through the jobs' change stream matching has read.

use super::{MatcherCursor, SavedSearches, SearchMatches};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SearchMatches::Table)
                    .if_not_exists()
                    .col(big_pk_auto(SearchMatches::Id))
                    .col(big_integer(SearchMatches::SearchId))
                    .col(big_integer(SearchMatches::AccountId))
                    .col(string_len(SearchMatches::JobId, 512))
                    .col(timestamp_with_time_zone(SearchMatches::JobUpdatedAt))
                    .col(big_integer(SearchMatches::Seq))
                    .col(timestamp_with_time_zone(SearchMatches::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SearchMatches::Table, SearchMatches::SearchId)
                            .to(SavedSearches::Table, SavedSearches::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_search_matches_version")
                    .table(SearchMatches::Table)
                    .col(SearchMatches::SearchId)
                    .col(SearchMatches::JobId)
                    .col(SearchMatches::JobUpdatedAt)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_search_matches_account_search")
                    .table(SearchMatches::Table)
                    .col(SearchMatches::AccountId)
                    .col(SearchMatches::SearchId)
                    .col(SearchMatches::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MatcherCursor::Table)
                    .if_not_exists()
                    .col(small_integer(MatcherCursor::Id).primary_key())
                    .col(big_integer(MatcherCursor::Seq))
                    .to_owned(),
            )
            .await
    }
}
