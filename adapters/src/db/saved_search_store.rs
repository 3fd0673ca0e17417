//! `SavedSearchStore` and `MatchStore` over sea-orm (SQLite and PostgreSQL). Every statement but `all` filters by
//! account. The criteria are stored as the client's values and checked again when read, so a row
//! is only ever returned as a valid search.

use anyhow::anyhow;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jobin_core::domain::saved_search::{RawCriteria, SearchCriteria};
use jobin_core::domain::{AccountId, SecretHash};
use jobin_core::ports::{
    Created, DeliveryState, DigestState, MatchEvent, MatchStore, NewMatch, SavedSearch, SavedSearchPage,
    SavedSearchStore, SavedSearchStoreError, Webhook, WebhookChange,
};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use super::entities::{account, matcher_cursor, saved_search, search_match, webhook_delivery};

#[derive(Clone)]
pub struct SqlSavedSearchStore {
    db: DatabaseConnection,
}

impl SqlSavedSearchStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Reads `account`'s search `id`, applies `change` to its row, stamps `updated_at` and writes
    /// it; `Ok(None)` when there is no such search.
    async fn change(
        &self,
        account: AccountId,
        id: i64,
        now: DateTime<Utc>,
        context: &'static str,
        change: impl FnOnce(&mut saved_search::ActiveModel),
    ) -> Result<Option<SavedSearch>, SavedSearchStoreError> {
        let found = saved_search::Entity::find_by_id(id)
            .filter(saved_search::Column::AccountId.eq(account.0))
            .one(&self.db)
            .await
            .map_err(err("reading a saved search"))?;
        let Some(found) = found else { return Ok(None) };
        let mut row: saved_search::ActiveModel = found.into();
        change(&mut row);
        row.updated_at = Set(now);
        let m = row.update(&self.db).await.map_err(err(context))?;
        to_search(m).map(Some)
    }
}

pub(super) fn err(context: &'static str) -> impl FnOnce(DbErr) -> SavedSearchStoreError {
    move |e| {
        if super::is_unavailable(&e) {
            SavedSearchStoreError::Unavailable(anyhow::Error::new(e).context(context))
        } else {
            SavedSearchStoreError::Failed(anyhow::Error::new(e).context(context))
        }
    }
}

fn words(s: &str) -> Vec<String> {
    s.split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect()
}

fn to_search(m: saved_search::Model) -> Result<SavedSearch, SavedSearchStoreError> {
    let criteria = SearchCriteria::parse(RawCriteria {
        q: Some(m.q),
        location: m.location,
        country: m.country,
        remote: Some(m.remote),
        sources: words(&m.sources),
        salary_min: m.salary_min.and_then(|v| u64::try_from(v).ok()),
        salary_currency: m.salary_currency,
        employment_types: words(&m.employment_types),
        workplace_types: words(&m.workplace_types),
    })
    .map_err(|e| SavedSearchStoreError::Failed(anyhow!("saved search {}: stored {e}", m.id)))?;
    let webhook = match (m.webhook_url, m.webhook_nonce) {
        (Some(url), Some(nonce)) => {
            Some(Webhook { url, nonce, failing_since: m.webhook_failing_since, disabled_at: m.webhook_disabled_at })
        }
        _ => None,
    };
    Ok(SavedSearch {
        id: m.id,
        account: AccountId(m.account_id),
        name: m.name,
        criteria,
        created_at: m.created_at,
        updated_at: m.updated_at,
        webhook,
        feed_token: m.feed_token_hash.map(SecretHash::from_stored),
        digest: m.digest.then_some(DigestState { sent_through: m.digest_sent_through, sent_at: m.digest_sent_at }),
    })
}

/// The columns of `name` and `criteria`, as a request would give them.
fn set_fields(row: &mut saved_search::ActiveModel, name: String, c: &SearchCriteria) {
    let join = |names: Vec<&str>| names.join(" ");
    row.name = Set(name);
    row.q = Set(c.q.clone());
    row.location = Set(c.location.clone());
    row.country = Set(c.country.map(|k| k.code().to_owned()));
    row.remote = Set(c.remote);
    row.sources = Set(join(c.sources.iter().map(|s| s.as_str()).collect()));
    row.salary_min = Set(c.salary_floor.as_ref().map(|f| i64::try_from(f.annual).unwrap_or(i64::MAX)));
    row.salary_currency = Set(c.salary_floor.as_ref().map(|f| f.currency.clone()));
    row.employment_types = Set(join(c.employment_types.iter().map(|t| t.as_str()).collect()));
    row.workplace_types = Set(join(c.workplace_types.iter().map(|t| t.as_str()).collect()));
}

#[async_trait]
impl SavedSearchStore for SqlSavedSearchStore {
    async fn create(
        &self,
        account: AccountId,
        name: String,
        criteria: SearchCriteria,
        webhook: Option<(String, String)>,
        cap: u64,
        now: DateTime<Utc>,
    ) -> Result<Created, SavedSearchStoreError> {
        let txn = self.db.begin().await.map_err(err("beginning a saved-search insert"))?;
        // One writer per account at a time: the count below is then the count at the insert.
        // (SQLite runs one write transaction at a time already.)
        if self.db.get_database_backend() == DbBackend::Postgres {
            account::Entity::find_by_id(account.0)
                .lock_exclusive()
                .one(&txn)
                .await
                .map_err(err("locking the account"))?;
        }
        let held = saved_search::Entity::find()
            .filter(saved_search::Column::AccountId.eq(account.0))
            .count(&txn)
            .await
            .map_err(err("counting saved searches"))?;
        if held >= cap {
            return Ok(Created::AtCap { cap });
        }
        let mut row = saved_search::ActiveModel {
            account_id: Set(account.0),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        set_fields(&mut row, name, &criteria);
        if let Some((url, nonce)) = webhook {
            row.webhook_url = Set(Some(url));
            row.webhook_nonce = Set(Some(nonce));
        }
        let m = row.insert(&txn).await.map_err(err("inserting a saved search"))?;
        txn.commit().await.map_err(err("committing a saved search"))?;
        Ok(Created::Saved(Box::new(to_search(m)?)))
    }

    async fn get(&self, account: AccountId, id: i64) -> Result<Option<SavedSearch>, SavedSearchStoreError> {
        saved_search::Entity::find_by_id(id)
            .filter(saved_search::Column::AccountId.eq(account.0))
            .one(&self.db)
            .await
            .map_err(err("reading a saved search"))?
            .map(to_search)
            .transpose()
    }

    async fn update(
        &self,
        account: AccountId,
        id: i64,
        name: String,
        criteria: SearchCriteria,
        now: DateTime<Utc>,
    ) -> Result<Option<SavedSearch>, SavedSearchStoreError> {
        self.change(account, id, now, "updating a saved search", |row| set_fields(row, name, &criteria)).await
    }

    async fn set_webhook(
        &self,
        account: AccountId,
        id: i64,
        change: WebhookChange,
        now: DateTime<Utc>,
    ) -> Result<Option<SavedSearch>, SavedSearchStoreError> {
        self.change(account, id, now, "changing a webhook", |row| {
            match change {
                WebhookChange::Remove => {
                    row.webhook_url = Set(None);
                    row.webhook_nonce = Set(None);
                }
                WebhookChange::Set { url, nonce } => {
                    row.webhook_url = Set(Some(url));
                    if let Some(nonce) = nonce {
                        row.webhook_nonce = Set(Some(nonce));
                    }
                }
            }
            row.webhook_failing_since = Set(None);
            row.webhook_disabled_at = Set(None);
        })
        .await
    }

    async fn set_feed_token(
        &self,
        account: AccountId,
        id: i64,
        token: Option<SecretHash>,
        now: DateTime<Utc>,
    ) -> Result<Option<SavedSearch>, SavedSearchStoreError> {
        self.change(account, id, now, "changing a feed token", |row| {
            row.feed_token_hash = Set(token.map(|t| t.as_str().to_owned()));
        })
        .await
    }

    async fn set_digest(
        &self,
        account: AccountId,
        id: i64,
        sent_through: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Option<SavedSearch>, SavedSearchStoreError> {
        self.change(account, id, now, "changing a digest", |row| {
            row.digest = Set(sent_through.is_some());
            if let Some(through) = sent_through {
                row.digest_sent_through = Set(through);
                row.digest_sent_at = Set(None);
            }
        })
        .await
    }

    async fn due_digests(&self, sent_before: DateTime<Utc>) -> Result<Vec<SavedSearch>, SavedSearchStoreError> {
        use sea_orm::Condition;
        let rows = saved_search::Entity::find()
            .filter(saved_search::Column::Digest.eq(true))
            .filter(
                Condition::any()
                    .add(saved_search::Column::DigestSentAt.is_null())
                    .add(saved_search::Column::DigestSentAt.lte(sent_before)),
            )
            .order_by_asc(saved_search::Column::Id)
            .all(&self.db)
            .await
            .map_err(err("finding due digests"))?;
        rows.into_iter().map(to_search).collect()
    }

    async fn digest_sent(&self, id: i64, through: i64, at: DateTime<Utc>) -> Result<(), SavedSearchStoreError> {
        saved_search::Entity::update_many()
            .col_expr(saved_search::Column::DigestSentThrough, Expr::value(through))
            .col_expr(saved_search::Column::DigestSentAt, Expr::value(at))
            .filter(saved_search::Column::Id.eq(id))
            .exec(&self.db)
            .await
            .map_err(err("noting a digest"))?;
        Ok(())
    }

    async fn find(&self, id: i64) -> Result<Option<SavedSearch>, SavedSearchStoreError> {
        saved_search::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(err("reading a saved search"))?
            .map(to_search)
            .transpose()
    }

    async fn delete(&self, account: AccountId, id: i64) -> Result<bool, SavedSearchStoreError> {
        let r = saved_search::Entity::delete_many()
            .filter(saved_search::Column::Id.eq(id))
            .filter(saved_search::Column::AccountId.eq(account.0))
            .exec(&self.db)
            .await
            .map_err(err("deleting a saved search"))?;
        Ok(r.rows_affected > 0)
    }

    async fn list(
        &self,
        account: AccountId,
        offset: u64,
        limit: u64,
    ) -> Result<SavedSearchPage, SavedSearchStoreError> {
        let mine = || saved_search::Entity::find().filter(saved_search::Column::AccountId.eq(account.0));
        let total = mine().count(&self.db).await.map_err(err("counting saved searches"))?;
        if offset >= total {
            // Past the end (and never an offset the database cannot take).
            return Ok(SavedSearchPage { items: Vec::new(), total });
        }
        let rows = mine()
            .order_by_asc(saved_search::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(err("listing saved searches"))?;
        Ok(SavedSearchPage { items: rows.into_iter().map(to_search).collect::<Result<_, _>>()?, total })
    }

    async fn all(&self) -> Result<Vec<SavedSearch>, SavedSearchStoreError> {
        let rows = saved_search::Entity::find()
            .order_by_asc(saved_search::Column::Id)
            .all(&self.db)
            .await
            .map_err(err("reading every saved search"))?;
        rows.into_iter().map(to_search).collect()
    }
}

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
