//! `MatchStore` over sea-orm (SQLite and PostgreSQL): the saved searches' match events, the
//! webhook deliveries queued with them in one transaction, and the matcher's cursor.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jobin_core::domain::AccountId;
use jobin_core::ports::{DeliveryState, MatchEvent, MatchStore, NewMatch, SavedSearchStoreError};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};

use super::entities::{matcher_cursor, saved_search, search_match, webhook_delivery};
use super::saved_search_store::err;

/// `MatchStore` over sea-orm: a unique index on (search, job, version) makes a repeated match a
/// skipped row (`ON CONFLICT DO NOTHING`), and the cursor one row that only moves forward.
#[derive(Clone)]
pub struct SqlMatchStore {
    db: DatabaseConnection,
}

impl SqlMatchStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// Matches per INSERT: 6 values each (24,000 parameters), under SQLite's 32,766 and PostgreSQL's
/// 65,535. Large statements matter: with 500 rows a statement, recording 60,000 matches took 5×
/// as long on PostgreSQL (`make bench-matching`).
const MATCH_CHUNK: usize = 4_000;
/// Deliveries per INSERT: 8 values each (24,000 parameters).
const DELIVERY_CHUNK: usize = 3_000;

#[async_trait]
impl MatchStore for SqlMatchStore {
    /// Records the new matches and, in the same transaction, queues a webhook delivery for each
    /// new one whose search has an enabled webhook: an event is queued exactly when produced.
    async fn record(&self, matches: &[NewMatch]) -> Result<usize, SavedSearchStoreError> {
        let txn = self.db.begin().await.map_err(err("beginning to record matches"))?;
        let new = record_in_chunks(&txn, matches).await?;
        if !new.is_empty() {
            let mut searches: Vec<i64> = new.iter().map(|m| m.search_id).collect();
            searches.sort_unstable();
            searches.dedup();
            let hooked: std::collections::HashSet<i64> = saved_search::Entity::find()
                .select_only()
                .column(saved_search::Column::Id)
                .filter(saved_search::Column::Id.is_in(searches))
                .filter(saved_search::Column::WebhookUrl.is_not_null())
                .filter(saved_search::Column::WebhookDisabledAt.is_null())
                .into_tuple::<i64>()
                .all(&txn)
                .await
                .map_err(err("finding webhooks"))?
                .into_iter()
                .collect();
            let queued: Vec<webhook_delivery::ActiveModel> = new
                .iter()
                .filter(|m| hooked.contains(&m.search_id))
                .map(|m| webhook_delivery::ActiveModel {
                    match_id: Set(m.id),
                    search_id: Set(m.search_id),
                    account_id: Set(m.account_id),
                    state: Set(DeliveryState::Pending.as_str().to_owned()),
                    attempts: Set(0),
                    next_attempt_at: Set(Some(m.created_at)),
                    lease_until: Set(None),
                    created_at: Set(m.created_at),
                    updated_at: Set(m.created_at),
                    ..Default::default()
                })
                .collect();
            for chunk in queued.chunks(DELIVERY_CHUNK) {
                webhook_delivery::Entity::insert_many(chunk.to_vec())
                    .exec_without_returning(&txn)
                    .await
                    .map_err(err("queueing webhook deliveries"))?;
            }
        }
        txn.commit().await.map_err(err("committing matches"))?;
        Ok(new.len())
    }

    async fn cursor(&self) -> Result<i64, SavedSearchStoreError> {
        let row = matcher_cursor::Entity::find_by_id(CURSOR_ROW)
            .one(&self.db)
            .await
            .map_err(err("reading the matcher cursor"))?;
        Ok(row.map_or(0, |r| r.seq))
    }

    async fn advance(&self, seq: i64) -> Result<(), SavedSearchStoreError> {
        let first = matcher_cursor::ActiveModel { id: Set(CURSOR_ROW), seq: Set(0) };
        matcher_cursor::Entity::insert(first)
            .on_conflict(OnConflict::column(matcher_cursor::Column::Id).do_nothing().to_owned())
            .exec_without_returning(&self.db)
            .await
            .map_err(err("creating the matcher cursor"))?;
        matcher_cursor::Entity::update_many()
            .col_expr(matcher_cursor::Column::Seq, Expr::value(seq))
            .filter(matcher_cursor::Column::Id.eq(CURSOR_ROW))
            .filter(matcher_cursor::Column::Seq.lt(seq))
            .exec(&self.db)
            .await
            .map_err(err("moving the matcher cursor"))?;
        Ok(())
    }

    async fn recent(
        &self,
        account: AccountId,
        search: i64,
        before: Option<i64>,
        limit: u64,
    ) -> Result<Vec<MatchEvent>, SavedSearchStoreError> {
        let mut find = search_match::Entity::find()
            .filter(search_match::Column::AccountId.eq(account.0))
            .filter(search_match::Column::SearchId.eq(search));
        if let Some(before) = before {
            find = find.filter(search_match::Column::Id.lt(before));
        }
        let rows = find
            .order_by_desc(search_match::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(err("reading matches"))?;
        Ok(rows.into_iter().map(MatchEvent::from).collect())
    }
}

impl From<search_match::Model> for MatchEvent {
    fn from(m: search_match::Model) -> Self {
        MatchEvent {
            id: m.id,
            event: NewMatch {
                search: m.search_id,
                account: AccountId(m.account_id),
                job_id: m.job_id,
                job_updated_at: m.job_updated_at,
                seq: m.seq,
                created_at: m.created_at,
            },
        }
    }
}

/// The cursor's one row.
const CURSOR_ROW: i16 = 1;

/// Appends the `n`th (from 1) bound parameter's placeholder: `$n` on PostgreSQL, `?` on SQLite.
fn push_param(sql: &mut String, backend: DbBackend, n: usize) {
    match backend {
        DbBackend::Postgres => {
            use std::fmt::Write as _;
            let _ = write!(sql, "${n}");
        }
        _ => sql.push('?'),
    }
}

/// A match just recorded: what queueing its delivery needs.
struct Recorded {
    id: i64,
    search_id: i64,
    account_id: i64,
    created_at: DateTime<Utc>,
}

/// Multi-row inserts of [`MATCH_CHUNK`] rows, the new ones returned. Written as SQL rather than
/// through the entity: at tens of thousands of rows a run, building the statement and reading
/// every column back cost more than the rows themselves (`make bench-matching`).
async fn record_in_chunks(
    txn: &sea_orm::DatabaseTransaction,
    matches: &[NewMatch],
) -> Result<Vec<Recorded>, SavedSearchStoreError> {
    use sea_orm::{ConnectionTrait, Statement, Value};
    let backend = txn.get_database_backend();
    let mut new = Vec::new();
    for chunk in matches.chunks(MATCH_CHUNK) {
        let mut sql = String::with_capacity(120 + chunk.len() * 48);
        sql.push_str(
            "INSERT INTO search_matches (search_id, account_id, job_id, job_updated_at, seq, created_at) VALUES ",
        );
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 6);
        for (i, m) in chunk.iter().enumerate() {
            sql.push_str(if i == 0 { "(" } else { ",(" });
            for c in 0..6 {
                if c > 0 {
                    sql.push(',');
                }
                push_param(&mut sql, backend, i * 6 + c + 1);
            }
            sql.push(')');
            values.extend([
                m.search.into(),
                m.account.0.into(),
                m.job_id.clone().into(),
                m.job_updated_at.into(),
                m.seq.into(),
                m.created_at.into(),
            ]);
        }
        sql.push_str(
            " ON CONFLICT (search_id, job_id, job_updated_at) DO NOTHING RETURNING id, search_id, account_id, created_at",
        );
        let rows = txn
            .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
            .await
            .map_err(err("recording matches"))?;
        for row in rows {
            new.push(Recorded {
                id: row.try_get("", "id").map_err(err("reading a recorded match"))?,
                search_id: row.try_get("", "search_id").map_err(err("reading a recorded match"))?,
                account_id: row.try_get("", "account_id").map_err(err("reading a recorded match"))?,
                created_at: row.try_get("", "created_at").map_err(err("reading a recorded match"))?,
            });
        }
    }
    Ok(new)
}
