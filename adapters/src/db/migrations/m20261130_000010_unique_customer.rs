//! One Stripe customer per account: a unique index on `billing.stripe_customer` (several NULLs
//! allowed). Should two accounts already share a customer (possible before this migration), the
//! account that got it first (lowest id) keeps it and the others' customer is cleared — their plan
//! and subscription stay; the webhook refuses such a second attachment from now on.

use super::Billing;
use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_raw(Statement::from_string(
            db.get_database_backend(),
            "UPDATE billing SET stripe_customer = NULL WHERE stripe_customer IS NOT NULL AND account_id NOT IN \
             (SELECT MIN(account_id) FROM billing WHERE stripe_customer IS NOT NULL GROUP BY stripe_customer)",
        ))
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_billing_customer")
                    .table(Billing::Table)
                    .col(Billing::StripeCustomer)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }
}
