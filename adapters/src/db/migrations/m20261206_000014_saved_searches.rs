//! Saved searches (issue 20): one row per search, per account. The criteria are kept in columns
//! as the client gave them (checked again when read), so a list is one index range by account.

use super::{Accounts, SavedSearches};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SavedSearches::Table)
                    .if_not_exists()
                    .col(big_pk_auto(SavedSearches::Id))
                    .col(big_integer(SavedSearches::AccountId))
                    .col(string_len(SavedSearches::Name, 100))
                    .col(string_len(SavedSearches::Q, 200))
                    .col(string_len_null(SavedSearches::Location, 200))
                    .col(string_len_null(SavedSearches::Country, 2))
                    .col(boolean(SavedSearches::Remote))
                    .col(text(SavedSearches::Sources).default(""))
                    .col(big_integer_null(SavedSearches::SalaryMin))
                    .col(string_len_null(SavedSearches::SalaryCurrency, 3))
                    .col(text(SavedSearches::EmploymentTypes).default(""))
                    .col(text(SavedSearches::WorkplaceTypes).default(""))
                    .col(timestamp_with_time_zone(SavedSearches::CreatedAt))
                    .col(timestamp_with_time_zone(SavedSearches::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SavedSearches::Table, SavedSearches::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_saved_searches_account")
                    .table(SavedSearches::Table)
                    .col(SavedSearches::AccountId)
                    .col(SavedSearches::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }
}
