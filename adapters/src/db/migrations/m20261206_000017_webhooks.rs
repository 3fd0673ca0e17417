//! Webhooks of saved searches (issue 20): the webhook's columns on `saved_searches` (its URL, the
//! nonce its signing secret is derived from, since when it has been failing, when it was
//! disabled), `webhook_deliveries` (one per `job.matched` event to send: the queue nodes claim
//! from, with its state, attempt count, when it is next due and whose lease holds it) and
//! `webhook_attempts` (each attempt's time, status, latency and error).

use super::{SavedSearches, SearchMatches, WebhookAttempts, WebhookDeliveries};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for col in [
            string_len_null(SavedSearches::WebhookUrl, 2048),
            string_len_null(SavedSearches::WebhookNonce, 64),
            timestamp_with_time_zone_null(SavedSearches::WebhookFailingSince),
            timestamp_with_time_zone_null(SavedSearches::WebhookDisabledAt),
        ] {
            manager
                .alter_table(Table::alter().table(SavedSearches::Table).add_column(col.to_owned()).to_owned())
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .if_not_exists()
                    .col(big_pk_auto(WebhookDeliveries::Id))
                    .col(big_integer(WebhookDeliveries::MatchId))
                    .col(big_integer(WebhookDeliveries::SearchId))
                    .col(big_integer(WebhookDeliveries::AccountId))
                    .col(string_len(WebhookDeliveries::State, 16))
                    .col(integer(WebhookDeliveries::Attempts).default(0))
                    .col(timestamp_with_time_zone_null(WebhookDeliveries::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(WebhookDeliveries::LeaseUntil))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookDeliveries::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookDeliveries::Table, WebhookDeliveries::MatchId)
                            .to(SearchMatches::Table, SearchMatches::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookDeliveries::Table, WebhookDeliveries::SearchId)
                            .to(SavedSearches::Table, SavedSearches::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            // One delivery per event.
            ("ux_webhook_deliveries_match", vec![WebhookDeliveries::MatchId]),
            // What claiming reads: the due pending ones.
            ("ix_webhook_deliveries_due", vec![WebhookDeliveries::State, WebhookDeliveries::NextAttemptAt]),
            // A search's deliveries, newest first.
            (
                "ix_webhook_deliveries_search",
                vec![WebhookDeliveries::AccountId, WebhookDeliveries::SearchId, WebhookDeliveries::Id],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(WebhookDeliveries::Table).if_not_exists();
            for c in cols {
                index.col(c);
            }
            if name.starts_with("ux_") {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(WebhookAttempts::Table)
                    .if_not_exists()
                    .col(big_pk_auto(WebhookAttempts::Id))
                    .col(big_integer(WebhookAttempts::DeliveryId))
                    .col(timestamp_with_time_zone(WebhookAttempts::At))
                    .col(integer_null(WebhookAttempts::StatusCode))
                    .col(integer(WebhookAttempts::LatencyMs))
                    .col(string_len_null(WebhookAttempts::Error, 500))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookAttempts::Table, WebhookAttempts::DeliveryId)
                            .to(WebhookDeliveries::Table, WebhookDeliveries::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_attempts_delivery")
                    .table(WebhookAttempts::Table)
                    .col(WebhookAttempts::DeliveryId)
                    .col(WebhookAttempts::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }
}
