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

#[cfg(test)]
mod tests {
    use jobin_core::domain::AccountId;
    use jobin_core::ports::BillingStore;
    use sea_orm::{ConnectionTrait, Statement};
    use sea_orm_migration::{MigrationName, MigratorTrait};

    #[tokio::test]
    async fn a_customer_shared_before_stays_with_the_first_account() {
        let db = crate::db::connect("sqlite::memory:", 1).await.unwrap();
        crate::db::migrations::up_to_before(&db, super::Migration.name()).await;
        for id in 1..=3 {
            let customer = if id == 3 { "'cus_other'" } else { "'cus_shared'" };
            for sql in [
                format!(
                    "INSERT INTO accounts (id, email, password_hash, plan, created_at, updated_at) VALUES \
                     ({id}, 'a{id}@example.com', 'x', 'pro', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                ),
                format!(
                    "INSERT INTO billing (account_id, stripe_customer, stripe_subscription, status, updated_at) \
                     VALUES ({id}, {customer}, 'sub_{id}', 'active', '2026-01-01 00:00:00')"
                ),
            ] {
                db.execute_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
            }
        }
        crate::db::migrations::Migrator::up(&db, None).await.unwrap();
        let store = crate::db::SqlBillingStore::new(db);
        let customer = |id| {
            let store = store.clone();
            async move { store.billing(AccountId(id)).await.unwrap().unwrap().customer }
        };
        assert_eq!(customer(1).await.as_deref(), Some("cus_shared"));
        assert_eq!(customer(2).await, None);
        assert_eq!(customer(3).await.as_deref(), Some("cus_other"));
        assert_eq!(store.billing(AccountId(2)).await.unwrap().unwrap().subscription.as_deref(), Some("sub_2"));
    }
}
