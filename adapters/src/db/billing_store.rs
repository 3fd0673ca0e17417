//! `BillingStore` over sea-orm (SQLite and PostgreSQL). The plan lives on `accounts`; Stripe ids,
//! status and the newest applied event time on `billing`; applied event ids on `billing_events`,
//! whose primary key makes "apply once" hold even for concurrent deliveries of one event.

use anyhow::anyhow;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jobin_core::domain::AccountId;
use jobin_core::ports::{BillingChange, BillingRecord, BillingStatus, BillingStore, KeyStoreError};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, TransactionTrait};

use super::entities::{account, billing, billing_event};
use super::key_store::to_account;
use super::store_err;

#[derive(Clone)]
pub struct SqlBillingStore {
    db: DatabaseConnection,
}

impl SqlBillingStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn status_of(raw: &str) -> Result<BillingStatus, KeyStoreError> {
    match raw {
        "active" => Ok(BillingStatus::Active),
        "past_due" => Ok(BillingStatus::PastDue),
        "canceled" => Ok(BillingStatus::Canceled),
        other => Err(KeyStoreError::Unknown(anyhow!("stored billing status `{other}`"))),
    }
}

async fn record<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<BillingRecord>, KeyStoreError> {
    let Some(acc) = account::Entity::find_by_id(id).one(db).await.map_err(store_err("reading an account"))? else {
        return Ok(None);
    };
    let row = billing::Entity::find_by_id(id).one(db).await.map_err(store_err("reading billing"))?;
    let account = to_account(acc)?;
    Ok(Some(match row {
        None => BillingRecord {
            account,
            customer: None,
            subscription: None,
            status: BillingStatus::Active,
            last_event_at: None,
        },
        Some(b) => BillingRecord {
            account,
            customer: b.stripe_customer,
            subscription: b.stripe_subscription,
            status: status_of(&b.status)?,
            last_event_at: b.last_event_at,
        },
    }))
}

#[async_trait]
impl BillingStore for SqlBillingStore {
    async fn billing(&self, account: AccountId) -> Result<Option<BillingRecord>, KeyStoreError> {
        record(&self.db, account.0).await
    }

    async fn find_by_provider_ids(
        &self,
        subscription: Option<String>,
        customer: Option<String>,
    ) -> Result<Option<BillingRecord>, KeyStoreError> {
        let mut found = None;
        if let Some(sub) = subscription {
            found = billing::Entity::find()
                .filter(billing::Column::StripeSubscription.eq(sub))
                .one(&self.db)
                .await
                .map_err(store_err("finding billing by subscription"))?;
        }
        if found.is_none()
            && let Some(cus) = customer
        {
            found = billing::Entity::find()
                .filter(billing::Column::StripeCustomer.eq(cus))
                .one(&self.db)
                .await
                .map_err(store_err("finding billing by customer"))?;
        }
        match found {
            Some(b) => record(&self.db, b.account_id).await,
            None => Ok(None),
        }
    }

    async fn apply_event(
        &self,
        event_id: &str,
        account: Option<AccountId>,
        change: &BillingChange,
        now: DateTime<Utc>,
    ) -> Result<bool, KeyStoreError> {
        let txn = self.db.begin().await.map_err(store_err("beginning a billing event"))?;
        let inserted = billing_event::Entity::insert(billing_event::ActiveModel {
            event_id: Set(event_id.to_owned()),
            account_id: Set(account.map(|a| a.0)),
            received_at: Set(now),
        })
        .on_conflict(OnConflict::column(billing_event::Column::EventId).do_nothing().to_owned())
        .exec_without_returning(&txn)
        .await
        .map_err(store_err("recording a billing event"))?;
        if inserted == 0 {
            return Ok(false); // a replay; the transaction is dropped (rolled back)
        }
        if let Some(id) = account {
            let current = billing::Entity::find_by_id(id.0).one(&txn).await.map_err(store_err("reading billing"))?;
            let (customer, subscription, status, last) = match &current {
                Some(b) => {
                    (b.stripe_customer.clone(), b.stripe_subscription.clone(), b.status.clone(), b.last_event_at)
                }
                None => (None, None, BillingStatus::Active.as_str().to_owned(), None),
            };
            let row = billing::ActiveModel {
                account_id: Set(id.0),
                stripe_customer: Set(change.customer.clone().or(customer)),
                stripe_subscription: Set(change.subscription.clone().or(subscription)),
                status: Set(change.status.map(|s| s.as_str().to_owned()).unwrap_or(status)),
                last_event_at: Set(change.last_event_at.or(last)),
                updated_at: Set(now),
            };
            let write = if current.is_some() {
                billing::Entity::update(row).exec(&txn).await.map(|_| ())
            } else {
                billing::Entity::insert(row).exec_without_returning(&txn).await.map(|_| ())
            };
            write.map_err(store_err("writing billing"))?;
            if let Some(plan) = change.plan {
                account::Entity::update_many()
                    .col_expr(account::Column::Plan, Expr::value(plan.as_str()))
                    .col_expr(account::Column::UpdatedAt, Expr::value(now))
                    .filter(account::Column::Id.eq(id.0))
                    .exec(&txn)
                    .await
                    .map_err(store_err("changing a plan"))?;
            }
        }
        txn.commit().await.map_err(store_err("committing a billing event"))?;
        Ok(true)
    }
}
