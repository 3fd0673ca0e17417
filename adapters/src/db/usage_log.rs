//! `UsageLog` over sea-orm.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jobin_core::domain::AccountId;
use jobin_core::ports::{KeyStoreError, MonthlyAdd, UsageLog, UsageRecord, month_key};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use std::collections::BTreeMap;

use super::entities::usage_log;
use super::migrations::UsageMonthly;
use super::store_err;

/// Adds to each account's durable monthly count (one upsert per account and month).
async fn add_monthly(conn: &impl ConnectionTrait, adds: &[MonthlyAdd]) -> Result<(), KeyStoreError> {
    let mut counts: BTreeMap<(i64, i32), i64> = BTreeMap::new();
    for a in adds {
        *counts.entry((a.account.0, a.month)).or_default() += i64::try_from(a.count).unwrap_or(i64::MAX);
    }
    for ((account, month), n) in counts.into_iter().filter(|(_, n)| *n > 0) {
        let upsert = Query::insert()
            .into_table(UsageMonthly::Table)
            .columns([UsageMonthly::AccountId, UsageMonthly::Month, UsageMonthly::Count])
            .values_panic([account.into(), month.into(), n.into()])
            .on_conflict(
                OnConflict::columns([UsageMonthly::AccountId, UsageMonthly::Month])
                    .value(UsageMonthly::Count, Expr::col((UsageMonthly::Table, UsageMonthly::Count)).add(n))
                    .to_owned(),
            )
            .to_owned();
        conn.execute(&upsert).await.map_err(store_err("adding to the monthly counts"))?;
    }
    Ok(())
}

#[derive(Clone)]
pub struct SqlUsageLog {
    db: DatabaseConnection,
}

impl SqlUsageLog {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl UsageLog for SqlUsageLog {
    async fn append(&self, records: &[UsageRecord]) -> Result<(), KeyStoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let txn = self.db.begin().await.map_err(store_err("beginning usage-log batch"))?;
        // Chunks keep each INSERT under the backends' bind-parameter limits.
        for chunk in records.chunks(500) {
            let rows = chunk.iter().map(|r| usage_log::ActiveModel {
                at: Set(r.at),
                account_id: Set(r.account.0),
                key_prefix: Set(r.key_prefix.clone()),
                endpoint: Set(r.endpoint.chars().take(128).collect()),
                status: Set(i32::from(r.status)),
                cache_hit: Set(r.cache_hit),
                latency_ms: Set(i32::try_from(r.latency_ms).unwrap_or(i32::MAX)),
                monthly: Set(r.monthly),
                ..Default::default()
            });
            usage_log::Entity::insert_many(rows).exec(&txn).await.map_err(store_err("writing usage-log batch"))?;
        }
        txn.commit().await.map_err(store_err("committing usage-log batch"))
    }

    async fn add_monthly(&self, adds: &[MonthlyAdd]) -> Result<(), KeyStoreError> {
        if adds.is_empty() {
            return Ok(());
        }
        let txn = self.db.begin().await.map_err(store_err("beginning monthly counts"))?;
        add_monthly(&txn, adds).await?;
        txn.commit().await.map_err(store_err("committing monthly counts"))
    }

    async fn recent(&self, account: AccountId, limit: u64) -> Result<Vec<UsageRecord>, KeyStoreError> {
        let rows = usage_log::Entity::find()
            .filter(usage_log::Column::AccountId.eq(account.0))
            .order_by_desc(usage_log::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(store_err("reading the usage log"))?;
        Ok(rows
            .into_iter()
            .map(|m| UsageRecord {
                at: m.at,
                account: AccountId(m.account_id),
                key_prefix: m.key_prefix,
                endpoint: m.endpoint,
                status: u16::try_from(m.status).unwrap_or(0),
                cache_hit: m.cache_hit,
                latency_ms: u32::try_from(m.latency_ms).unwrap_or(0),
                monthly: m.monthly,
            })
            .collect())
    }

    async fn monthly_count(&self, account: AccountId, now: DateTime<Utc>) -> Result<u64, KeyStoreError> {
        let select = Query::select()
            .column(UsageMonthly::Count)
            .from(UsageMonthly::Table)
            .and_where(Expr::col(UsageMonthly::AccountId).eq(account.0))
            .and_where(Expr::col(UsageMonthly::Month).eq(month_key(now)))
            .to_owned();
        let row = self.db.query_one(&select).await.map_err(store_err("reading the monthly count"))?;
        let count: i64 = match row {
            Some(row) => row.try_get("", "count").map_err(store_err("reading the monthly count"))?,
            None => 0,
        };
        Ok(u64::try_from(count).unwrap_or(0))
    }
}
