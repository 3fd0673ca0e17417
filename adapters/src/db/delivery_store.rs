//! `DeliveryStore` over sea-orm: the webhook delivery queue. Claiming is one `UPDATE … WHERE id IN
//! (SELECT … LIMIT n)` that sets a lease; on PostgreSQL the inner select takes its rows `FOR UPDATE
//! SKIP LOCKED`, so nodes claiming at once take different deliveries and never wait on each other
//! (SQLite runs one writer at a time). A delivery whose lease ran out (its node died) is due again.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jobin_core::domain::AccountId;
use jobin_core::ports::{
    Attempt, Claimed, Delivery, DeliveryState, DeliveryStore, MatchEvent, Next, SavedSearchStoreError,
};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement, TransactionTrait, Value,
};
use std::collections::HashMap;

use super::entities::{saved_search, search_match, webhook_attempt, webhook_delivery};
use super::saved_search_store::err;

/// Longest error kept per attempt, in characters.
const ERROR_MAX_CHARS: usize = 500;

#[derive(Clone)]
pub struct SqlDeliveryStore {
    db: DatabaseConnection,
}

impl SqlDeliveryStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// The matches the deliveries carry, by id.
    async fn events_of(
        &self,
        rows: &[webhook_delivery::Model],
    ) -> Result<HashMap<i64, search_match::Model>, SavedSearchStoreError> {
        Ok(search_match::Entity::find()
            .filter(search_match::Column::Id.is_in(rows.iter().map(|d| d.match_id)))
            .all(&self.db)
            .await
            .map_err(err("reading delivered matches"))?
            .into_iter()
            .map(|m| (m.id, m))
            .collect())
    }

    /// The deliveries with these ids (in this order), with their events and attempts.
    async fn load(&self, rows: Vec<webhook_delivery::Model>) -> Result<Vec<Delivery>, SavedSearchStoreError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = rows.iter().map(|d| d.id).collect();
        let matches = self.events_of(&rows).await?;
        let mut attempts: HashMap<i64, Vec<Attempt>> = HashMap::new();
        for a in webhook_attempt::Entity::find()
            .filter(webhook_attempt::Column::DeliveryId.is_in(ids))
            .order_by_asc(webhook_attempt::Column::Id)
            .all(&self.db)
            .await
            .map_err(err("reading delivery attempts"))?
        {
            attempts.entry(a.delivery_id).or_default().push(Attempt {
                at: a.at,
                status_code: a.status_code.and_then(|c| u16::try_from(c).ok()),
                latency_ms: u32::try_from(a.latency_ms).unwrap_or(0),
                error: a.error,
            });
        }
        rows.into_iter()
            .map(|d| {
                let event = event_of(&matches, &d)?;
                let state = DeliveryState::parse(&d.state).ok_or_else(|| {
                    SavedSearchStoreError::Failed(anyhow::anyhow!("delivery {}: unknown state {}", d.id, d.state))
                })?;
                Ok(Delivery {
                    id: d.id,
                    search: d.search_id,
                    account: AccountId(d.account_id),
                    event,
                    state,
                    next_attempt_at: d.next_attempt_at.filter(|_| state == DeliveryState::Pending),
                    attempts: attempts.remove(&d.id).unwrap_or_default(),
                    created_at: d.created_at,
                })
            })
            .collect()
    }
}

/// The event a delivery carries.
fn event_of(
    matches: &HashMap<i64, search_match::Model>,
    d: &webhook_delivery::Model,
) -> Result<MatchEvent, SavedSearchStoreError> {
    let m = matches.get(&d.match_id).ok_or_else(|| {
        SavedSearchStoreError::Failed(anyhow::anyhow!("delivery {} has no match {}", d.id, d.match_id))
    })?;
    Ok(MatchEvent::from(m.clone()))
}

#[async_trait]
impl DeliveryStore for SqlDeliveryStore {
    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: usize,
        per_account: usize,
        skip: &[AccountId],
    ) -> Result<Vec<Claimed>, SavedSearchStoreError> {
        let backend = self.db.get_database_backend();
        let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(2));
        let p = |i: usize| match backend {
            DbBackend::Postgres => format!("${i}"),
            _ => "?".to_owned(),
        };
        let due = "d.state = 'pending' AND d.next_attempt_at <= {now} \
                   AND (d.lease_until IS NULL OR d.lease_until < {now}) \
                   AND s.webhook_url IS NOT NULL AND s.webhook_disabled_at IS NULL";
        // The accounts with deliveries due, the longest waiting first (those this node is busy
        // with left out); then at most `per_account` of each, so one account's queue never fills
        // a claim.
        let skipped = if skip.is_empty() {
            String::new()
        } else {
            let ids: Vec<String> = skip.iter().map(|a| a.0.to_string()).collect();
            format!(" AND d.account_id NOT IN ({})", ids.join(","))
        };
        let sql = format!(
            "SELECT d.account_id AS account_id, MIN(d.next_attempt_at) AS waiting FROM webhook_deliveries d \
             JOIN saved_searches s ON s.id = d.search_id WHERE {}{skipped} \
             GROUP BY d.account_id ORDER BY waiting, d.account_id LIMIT {limit}",
            due.replace("{now}", &p(1))
        );
        let values: Vec<Value> = match backend {
            DbBackend::Postgres => vec![now.into()],
            _ => vec![now.into(), now.into()],
        };
        let accounts: Vec<i64> = self
            .db
            .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
            .await
            .map_err(err("finding accounts with due webhook deliveries"))?
            .iter()
            .filter_map(|r| r.try_get::<i64>("", "account_id").ok())
            .collect();
        let lock = if backend == DbBackend::Postgres { " FOR UPDATE OF d SKIP LOCKED" } else { "" };
        // One account's claim: $4 is the account, the limit is spelled in (it varies).
        let claim = format!(
            "UPDATE webhook_deliveries SET lease_until = {}, updated_at = {} WHERE id IN (\
               SELECT d.id FROM webhook_deliveries d JOIN saved_searches s ON s.id = d.search_id \
               WHERE {} AND d.account_id = {} \
               ORDER BY d.next_attempt_at, d.id LIMIT ",
            p(1),
            p(2),
            due.replace("{now}", &p(3)),
            p(4)
        );
        let mut ids: Vec<i64> = Vec::new();
        for account in accounts {
            let room = limit.saturating_sub(ids.len()).min(per_account);
            if room == 0 {
                break;
            }
            let sql = format!("{claim}{room}{lock}) RETURNING id");
            let values: Vec<Value> = match backend {
                DbBackend::Postgres => vec![until.into(), now.into(), now.into(), account.into()],
                _ => vec![until.into(), now.into(), now.into(), now.into(), account.into()],
            };
            let rows = self
                .db
                .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
                .await
                .map_err(err("claiming webhook deliveries"))?;
            ids.extend(rows.iter().filter_map(|r| r.try_get::<i64>("", "id").ok()));
        }
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let deliveries = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::Id.is_in(ids))
            .order_by_asc(webhook_delivery::Column::NextAttemptAt)
            .order_by_asc(webhook_delivery::Column::Id)
            .all(&self.db)
            .await
            .map_err(err("reading claimed deliveries"))?;
        let search_ids: Vec<i64> = deliveries.iter().map(|d| d.search_id).collect();
        let searches: HashMap<i64, saved_search::Model> = saved_search::Entity::find()
            .filter(saved_search::Column::Id.is_in(search_ids))
            .all(&self.db)
            .await
            .map_err(err("reading webhooks"))?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        // What sending needs: the event and the webhook (not the earlier attempts).
        let matches = self.events_of(&deliveries).await?;
        let mut claimed = Vec::with_capacity(deliveries.len());
        for d in &deliveries {
            let Some(s) = searches.get(&d.search_id) else { continue };
            let (Some(url), Some(nonce)) = (s.webhook_url.clone(), s.webhook_nonce.clone()) else { continue };
            claimed.push(Claimed {
                delivery: d.id,
                attempts: u32::try_from(d.attempts).unwrap_or(0),
                event: event_of(&matches, d)?,
                url,
                nonce,
                search_name: s.name.clone(),
                failing_since: s.webhook_failing_since,
            });
        }
        Ok(claimed)
    }

    async fn release(&self, delivery: i64) -> Result<(), SavedSearchStoreError> {
        webhook_delivery::Entity::update_many()
            .col_expr(
                webhook_delivery::Column::LeaseUntil,
                sea_orm::sea_query::Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(webhook_delivery::Column::Id.eq(delivery))
            .exec(&self.db)
            .await
            .map_err(err("releasing a webhook delivery"))?;
        Ok(())
    }

    async fn finish(&self, claimed: &Claimed, attempt: Attempt, next: Next) -> Result<(), SavedSearchStoreError> {
        let txn = self.db.begin().await.map_err(err("beginning to record an attempt"))?;
        let failed = next != Next::Delivered;
        let at = attempt.at;
        webhook_attempt::Entity::insert(webhook_attempt::ActiveModel {
            delivery_id: Set(claimed.delivery),
            at: Set(at),
            status_code: Set(attempt.status_code.map(i32::from)),
            latency_ms: Set(i32::try_from(attempt.latency_ms).unwrap_or(i32::MAX)),
            error: Set(attempt.error.map(|e| e.chars().take(ERROR_MAX_CHARS).collect())),
            ..Default::default()
        })
        .exec_without_returning(&txn)
        .await
        .map_err(err("recording an attempt"))?;
        let (state, due) = match next {
            Next::Delivered => (DeliveryState::Delivered, None),
            Next::RetryAt(t) => (DeliveryState::Pending, Some(t)),
            Next::Dead => (DeliveryState::Dead, None),
        };
        webhook_delivery::Entity::update_many()
            .col_expr(webhook_delivery::Column::State, Expr::value(state.as_str()))
            .col_expr(webhook_delivery::Column::Attempts, Expr::col(webhook_delivery::Column::Attempts).add(1))
            .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(due))
            .col_expr(webhook_delivery::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(webhook_delivery::Column::UpdatedAt, Expr::value(at))
            .filter(webhook_delivery::Column::Id.eq(claimed.delivery))
            .exec(&txn)
            .await
            .map_err(err("recording a delivery's outcome"))?;
        let search =
            saved_search::Entity::update_many().filter(saved_search::Column::Id.eq(claimed.event.event.search));
        let search = if failed {
            search
                .col_expr(saved_search::Column::WebhookFailingSince, Expr::value(at))
                .filter(saved_search::Column::WebhookFailingSince.is_null())
        } else {
            search.col_expr(saved_search::Column::WebhookFailingSince, Expr::value(Option::<DateTime<Utc>>::None))
        };
        search.exec(&txn).await.map_err(err("recording a webhook's health"))?;
        txn.commit().await.map_err(err("committing an attempt"))
    }

    async fn disable(&self, search: i64, now: DateTime<Utc>) -> Result<(), SavedSearchStoreError> {
        saved_search::Entity::update_many()
            .col_expr(saved_search::Column::WebhookDisabledAt, Expr::value(now))
            .filter(saved_search::Column::Id.eq(search))
            .exec(&self.db)
            .await
            .map_err(err("disabling a webhook"))?;
        Ok(())
    }

    async fn list(
        &self,
        account: AccountId,
        search: i64,
        before: Option<i64>,
        limit: u64,
    ) -> Result<Vec<Delivery>, SavedSearchStoreError> {
        let mut find = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::AccountId.eq(account.0))
            .filter(webhook_delivery::Column::SearchId.eq(search));
        if let Some(before) = before {
            find = find.filter(webhook_delivery::Column::Id.lt(before));
        }
        let rows = find
            .order_by_desc(webhook_delivery::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(err("listing deliveries"))?;
        self.load(rows).await
    }

    async fn retry(
        &self,
        account: AccountId,
        search: i64,
        delivery: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<Delivery>, SavedSearchStoreError> {
        let r = webhook_delivery::Entity::update_many()
            .col_expr(webhook_delivery::Column::State, Expr::value(DeliveryState::Pending.as_str()))
            .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(now))
            .col_expr(webhook_delivery::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(webhook_delivery::Column::UpdatedAt, Expr::value(now))
            .filter(webhook_delivery::Column::Id.eq(delivery))
            .filter(webhook_delivery::Column::AccountId.eq(account.0))
            .filter(webhook_delivery::Column::SearchId.eq(search))
            .exec(&self.db)
            .await
            .map_err(err("queueing a delivery again"))?;
        if r.rows_affected == 0 {
            return Ok(None);
        }
        let row =
            webhook_delivery::Entity::find_by_id(delivery).one(&self.db).await.map_err(err("reading a delivery"))?;
        Ok(self.load(row.into_iter().collect()).await?.pop())
    }
}
