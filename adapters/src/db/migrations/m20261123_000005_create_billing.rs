//! billing: one row per account that has Stripe history (customer, subscription, status, the
//! newest subscription event applied); billing_events: every webhook event id applied (each once).

use super::{Billing, BillingEvents};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Billing::Table)
                    .if_not_exists()
                    .col(big_integer(Billing::AccountId).primary_key())
                    .col(string_len_null(Billing::StripeCustomer, 255))
                    .col(string_len_null(Billing::StripeSubscription, 255))
                    .col(string_len(Billing::Status, 16))
                    .col(big_integer_null(Billing::LastEventAt))
                    .col(timestamp_with_time_zone(Billing::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, col) in
            [("ix_billing_customer", Billing::StripeCustomer), ("ix_billing_subscription", Billing::StripeSubscription)]
        {
            manager
                .create_index(Index::create().name(name).table(Billing::Table).col(col).if_not_exists().to_owned())
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(BillingEvents::Table)
                    .if_not_exists()
                    .col(string_len(BillingEvents::EventId, 255).primary_key())
                    .col(big_integer_null(BillingEvents::AccountId))
                    .col(timestamp_with_time_zone(BillingEvents::ReceivedAt))
                    .to_owned(),
            )
            .await
    }
}
