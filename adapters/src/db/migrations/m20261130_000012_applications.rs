//! The tracker: `applications` (one row per application, per account) and `application_events`
//! (their timelines). Every list the tracker serves filters by account first, so each index leads
//! with `account_id` and ends with `id` (the tie-breaker of every sort).

use super::{Accounts, ApplicationEvents, Applications};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Applications::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Applications::Id))
                    .col(big_integer(Applications::AccountId))
                    .col(string_len(Applications::JobTitle, 200))
                    .col(string_len(Applications::CompanyName, 200))
                    .col(string_len(Applications::CompanySort, 200))
                    .col(string_len_null(Applications::JobId, 512))
                    .col(text_null(Applications::Url))
                    .col(string_len_null(Applications::Location, 200))
                    .col(double_null(Applications::SalaryMin))
                    .col(double_null(Applications::SalaryMax))
                    .col(string_len_null(Applications::SalaryCurrency, 3))
                    .col(string_len_null(Applications::SalaryPeriod, 8))
                    .col(string_len(Applications::Status, 16))
                    .col(timestamp_with_time_zone_null(Applications::AppliedAt))
                    .col(text_null(Applications::Notes))
                    .col(text(Applications::Tags).default(""))
                    .col(timestamp_with_time_zone(Applications::CreatedAt))
                    .col(timestamp_with_time_zone(Applications::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Applications::Table, Applications::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("ix_applications_account_created", Applications::CreatedAt),
            ("ix_applications_account_updated", Applications::UpdatedAt),
            ("ix_applications_account_applied", Applications::AppliedAt),
            ("ix_applications_account_company", Applications::CompanySort),
            ("ix_applications_account_status", Applications::Status),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Applications::Table)
                        .col(Applications::AccountId)
                        .col(column)
                        .col(Applications::Id)
                        .if_not_exists()
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ApplicationEvents::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ApplicationEvents::Id))
                    .col(big_integer(ApplicationEvents::ApplicationId))
                    .col(string_len(ApplicationEvents::Kind, 16))
                    .col(timestamp_with_time_zone(ApplicationEvents::At))
                    .col(string_len_null(ApplicationEvents::FromStatus, 16))
                    .col(string_len_null(ApplicationEvents::ToStatus, 16))
                    .col(text_null(ApplicationEvents::Note))
                    .col(timestamp_with_time_zone(ApplicationEvents::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApplicationEvents::Table, ApplicationEvents::ApplicationId)
                            .to(Applications::Table, Applications::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_application_events_application_at")
                    .table(ApplicationEvents::Table)
                    .col(ApplicationEvents::ApplicationId)
                    .col(ApplicationEvents::At)
                    .col(ApplicationEvents::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }
}
