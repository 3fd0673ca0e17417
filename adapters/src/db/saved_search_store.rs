//! `SavedSearchStore` over sea-orm (SQLite and PostgreSQL). Every statement but `all` filters by
//! account. The criteria are stored as the client's values and checked again when read, so a row
//! is only ever returned as a valid search.

use anyhow::anyhow;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jobin_core::domain::saved_search::{RawCriteria, SearchCriteria};
use jobin_core::domain::{AccountId, SecretHash};
use jobin_core::ports::{
    Created, DigestState, SavedSearch, SavedSearchPage, SavedSearchStore, SavedSearchStoreError, Webhook, WebhookChange,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use super::entities::{account, saved_search};

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
