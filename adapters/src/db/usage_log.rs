//! `UsageLog` over sea-orm.

use async_trait::async_trait;
use jobin_core::domain::AccountId;
use jobin_core::ports::{KeyStoreError, UsageLog, UsageRecord};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::entities::usage_log;
use super::store_err;

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
                ..Default::default()
            });
            usage_log::Entity::insert_many(rows).exec(&txn).await.map_err(store_err("writing usage-log batch"))?;
        }
        txn.commit().await.map_err(store_err("committing usage-log batch"))
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
            })
            .collect())
    }
}
