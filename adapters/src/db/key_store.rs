//! `KeyStore` over sea-orm (SQLite and PostgreSQL).

use anyhow::anyhow;
use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use jobin_core::domain::{
    Account, AccountId, ApiKeyRecord, Email, KeyId, KeyName, KeyPrefix, Plan, Scopes, SecretHash,
};
use jobin_core::ports::{KeyStore, KeyStoreError, Logins, NewKey, NewRefreshToken, RefreshOutcome, StoredLogin};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::entities::{account, api_key, refresh_token};
use super::{is_unique_violation, store_err};

#[derive(Clone)]
pub struct SqlKeyStore {
    db: DatabaseConnection,
    /// The last write probe: when, and its failure if it failed (one probe per `PROBE_EVERY`,
    /// however often the health check is called).
    probed: std::sync::Arc<tokio::sync::Mutex<Option<Probed>>>,
}

/// When the write probe ran, and its failure if it failed.
type Probed = (std::time::Instant, Option<String>);

/// The size of the probe's row.
const PROBE_BYTES: usize = 64 * 1024;

/// How long a write probe's outcome stands.
const PROBE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

impl SqlKeyStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db, probed: Default::default() }
    }

    /// Writes a 64 KiB row and deletes it in one committed transaction: the store must take new
    /// pages and a commit, as real writes would (a disk with less room than that is full for them).
    async fn probe(&self) -> Result<(), sea_orm::DbErr> {
        let backend = self.db.get_database_backend();
        let txn = self.db.begin().await?;
        let insert = match backend {
            sea_orm::DbBackend::Postgres => "INSERT INTO store_probe (filler) VALUES ($1)",
            _ => "INSERT INTO store_probe (filler) VALUES (?)",
        };
        txn.execute_raw(sea_orm::Statement::from_sql_and_values(backend, insert, [vec![0u8; PROBE_BYTES].into()]))
            .await?;
        txn.execute_unprepared("DELETE FROM store_probe").await?;
        txn.commit().await
    }
}

pub(crate) fn to_account(m: account::Model) -> Result<Account, KeyStoreError> {
    Ok(Account {
        id: AccountId(m.id),
        email: Email::parse(&m.email)
            .map_err(|e| KeyStoreError::Unknown(anyhow!("stored email of account {} is invalid: {e}", m.id)))?,
        plan: Plan::parse(&m.plan)
            .map_err(|e| KeyStoreError::Unknown(anyhow!("stored plan of account {}: {e}", m.id)))?,
        created_at: m.created_at,
    })
}

fn to_key(m: api_key::Model) -> Result<ApiKeyRecord, KeyStoreError> {
    Ok(ApiKeyRecord {
        id: KeyId(m.id),
        account_id: AccountId(m.account_id),
        name: KeyName::from_stored(m.name),
        prefix: KeyPrefix::parse(&m.prefix)
            .map_err(|e| KeyStoreError::Unknown(anyhow!("stored prefix of key {}: {e}", m.id)))?,
        scopes: Scopes::from_stored(&m.scopes)
            .map_err(|e| KeyStoreError::Unknown(anyhow!("stored scopes of key {}: {e}", m.id)))?,
        created_at: m.created_at,
        last_used_at: m.last_used_at,
        revoked_at: m.revoked_at,
        minted_by_login: m.minted_by_login,
    })
}

fn key_model(account: AccountId, key: &NewKey, now: DateTime<Utc>) -> api_key::ActiveModel {
    api_key::ActiveModel {
        account_id: Set(account.0),
        name: Set(key.name.as_str().to_owned()),
        key_hash: Set(key.hash.as_str().to_owned()),
        prefix: Set(key.prefix.display()),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
        scopes: Set(key.scopes.to_stored()),
        minted_by_login: Set(key.minted_by_login.clone()),
        ..Default::default()
    }
}

/// Ends the logins of `account` that `which` names; returns how many ended.
async fn end_logins(
    conn: &impl ConnectionTrait,
    account: AccountId,
    which: Logins,
    now: DateTime<Utc>,
) -> Result<u64, KeyStoreError> {
    let mut live = Condition::all()
        .add(refresh_token::Column::AccountId.eq(account.0))
        .add(refresh_token::Column::RevokedAt.is_null());
    live = match which {
        Logins::One(family) => live.add(refresh_token::Column::Family.eq(family)),
        Logins::All => live,
        Logins::AllExcept(family) => live.add(refresh_token::Column::Family.ne(family)),
    };
    let families: Vec<String> = refresh_token::Entity::find()
        .filter(live.clone())
        .select_only()
        .column(refresh_token::Column::Family)
        .distinct()
        .into_tuple()
        .all(conn)
        .await
        .map_err(store_err("listing logins"))?;
    if families.is_empty() {
        return Ok(0);
    }
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(live)
        .exec(conn)
        .await
        .map_err(store_err("ending logins"))?;
    Ok(families.len() as u64)
}

/// Inserts a key; a unique violation can only be the per-account prefix (hashes of 256-bit
/// random keys do not collide).
async fn insert_key_row(
    conn: &impl ConnectionTrait,
    account: AccountId,
    key: &NewKey,
    now: DateTime<Utc>,
) -> Result<ApiKeyRecord, KeyStoreError> {
    match key_model(account, key, now).insert(conn).await {
        Ok(m) => to_key(m),
        Err(e) if is_unique_violation(&e) => Err(KeyStoreError::PrefixTaken),
        Err(e) => Err(store_err("inserting an API key")(e)),
    }
}

#[async_trait]
impl KeyStore for SqlKeyStore {
    async fn ping(&self) -> Result<(), KeyStoreError> {
        self.db.ping().await.map_err(|e| KeyStoreError::Unavailable(anyhow::Error::new(e).context("database ping")))
    }

    async fn probe_write(&self) -> Result<(), KeyStoreError> {
        let mut probed = self.probed.lock().await;
        let failure = match &*probed {
            Some((at, failure)) if at.elapsed() < PROBE_EVERY => failure.clone(),
            _ => {
                let failure = self.probe().await.err().map(|e| format!("{e}"));
                *probed = Some((std::time::Instant::now(), failure.clone()));
                failure
            }
        };
        match failure {
            None => Ok(()),
            Some(e) => Err(KeyStoreError::Unavailable(anyhow!("the database cannot take a write: {e}"))),
        }
    }

    async fn create_account(
        &self,
        email: &Email,
        password_hash: &str,
        plan: Plan,
        first_key: NewKey,
        now: DateTime<Utc>,
    ) -> Result<(Account, ApiKeyRecord), KeyStoreError> {
        let txn = self.db.begin().await.map_err(store_err("beginning registration"))?;
        let inserted = account::ActiveModel {
            email: Set(email.as_str().to_owned()),
            password_hash: Set(password_hash.to_owned()),
            plan: Set(plan.as_str().to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await;
        let account = match inserted {
            Ok(m) => to_account(m)?,
            Err(e) if is_unique_violation(&e) => return Err(KeyStoreError::EmailTaken),
            Err(e) => return Err(store_err("inserting an account")(e)),
        };
        let key = insert_key_row(&txn, account.id, &first_key, now).await?;
        txn.commit().await.map_err(store_err("committing registration"))?;
        Ok((account, key))
    }

    async fn find_login(&self, email: &Email) -> Result<Option<StoredLogin>, KeyStoreError> {
        let found = account::Entity::find()
            .filter(account::Column::Email.eq(email.as_str()))
            .one(&self.db)
            .await
            .map_err(store_err("looking up an account by email"))?;
        found
            .map(|m| {
                let password_hash = m.password_hash.clone();
                Ok(StoredLogin { account: to_account(m)?, password_hash })
            })
            .transpose()
    }

    async fn find_account(&self, id: AccountId) -> Result<Option<Account>, KeyStoreError> {
        account::Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .map_err(store_err("looking up an account"))?
            .map(to_account)
            .transpose()
    }

    async fn set_plan(&self, email: &Email, plan: Plan, now: DateTime<Utc>) -> Result<Option<Account>, KeyStoreError> {
        let updated = account::Entity::update_many()
            .col_expr(account::Column::Plan, Expr::value(plan.as_str()))
            .col_expr(account::Column::UpdatedAt, Expr::value(now))
            .filter(account::Column::Email.eq(email.as_str()))
            .exec(&self.db)
            .await
            .map_err(store_err("setting a plan"))?;
        if updated.rows_affected == 0 {
            return Ok(None);
        }
        Ok(self.find_login(email).await?.map(|s| s.account))
    }

    async fn find_key_by_hash(&self, hash: &SecretHash) -> Result<Option<(ApiKeyRecord, Account)>, KeyStoreError> {
        let found = api_key::Entity::find()
            .filter(api_key::Column::KeyHash.eq(hash.as_str()))
            .find_also_related(account::Entity)
            .one(&self.db)
            .await
            .map_err(store_err("looking up an API key"))?;
        match found {
            Some((key, Some(acc))) => Ok(Some((to_key(key)?, to_account(acc)?))),
            Some((key, None)) => Err(KeyStoreError::Unknown(anyhow!("key {} has no account", key.id))),
            None => Ok(None),
        }
    }

    async fn list_active_keys(&self, account: AccountId) -> Result<Vec<ApiKeyRecord>, KeyStoreError> {
        api_key::Entity::find()
            .filter(api_key::Column::AccountId.eq(account.0))
            .filter(api_key::Column::RevokedAt.is_null())
            .order_by_asc(api_key::Column::Id)
            .all(&self.db)
            .await
            .map_err(store_err("listing keys"))?
            .into_iter()
            .map(to_key)
            .collect()
    }

    async fn insert_key(
        &self,
        account: AccountId,
        key: NewKey,
        max_active: u32,
        now: DateTime<Utc>,
    ) -> Result<ApiKeyRecord, KeyStoreError> {
        let txn = self.db.begin().await.map_err(store_err("beginning key creation"))?;
        let active = api_key::Entity::find()
            .filter(api_key::Column::AccountId.eq(account.0))
            .filter(api_key::Column::RevokedAt.is_null())
            .count(&txn)
            .await
            .map_err(store_err("counting active keys"))?;
        if active >= u64::from(max_active) {
            return Err(KeyStoreError::KeyLimitReached);
        }
        let record = insert_key_row(&txn, account, &key, now).await?;
        txn.commit().await.map_err(store_err("committing key creation"))?;
        Ok(record)
    }

    async fn rotate_keys(
        &self,
        account: AccountId,
        key: NewKey,
        end: Logins,
        now: DateTime<Utc>,
    ) -> Result<ApiKeyRecord, KeyStoreError> {
        let txn = self.db.begin().await.map_err(store_err("beginning rotation"))?;
        api_key::Entity::update_many()
            .col_expr(api_key::Column::RevokedAt, Expr::value(now))
            .filter(api_key::Column::AccountId.eq(account.0))
            .filter(api_key::Column::RevokedAt.is_null())
            .exec(&txn)
            .await
            .map_err(store_err("revoking keys"))?;
        let record = insert_key_row(&txn, account, &key, now).await?;
        end_logins(&txn, account, end, now).await?;
        txn.commit().await.map_err(store_err("committing rotation"))?;
        Ok(record)
    }

    async fn set_password(
        &self,
        account: AccountId,
        password_hash: &str,
        end: Logins,
        now: DateTime<Utc>,
    ) -> Result<Option<u64>, KeyStoreError> {
        let txn = self.db.begin().await.map_err(store_err("beginning a password change"))?;
        let updated = account::Entity::update_many()
            .col_expr(account::Column::PasswordHash, Expr::value(password_hash))
            .col_expr(account::Column::UpdatedAt, Expr::value(now))
            .filter(account::Column::Id.eq(account.0))
            .exec(&txn)
            .await
            .map_err(store_err("changing a password"))?;
        if updated.rows_affected == 0 {
            return Ok(None);
        }
        let ended = end_logins(&txn, account, end, now).await?;
        txn.commit().await.map_err(store_err("committing a password change"))?;
        Ok(Some(ended))
    }

    async fn revoke_key(
        &self,
        account: AccountId,
        prefix: &KeyPrefix,
        now: DateTime<Utc>,
    ) -> Result<bool, KeyStoreError> {
        let res = api_key::Entity::update_many()
            .col_expr(api_key::Column::RevokedAt, Expr::value(now))
            .filter(api_key::Column::AccountId.eq(account.0))
            .filter(api_key::Column::Prefix.eq(prefix.display()))
            .filter(api_key::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(store_err("revoking a key"))?;
        Ok(res.rows_affected > 0)
    }

    async fn record_key_use(&self, uses: &[(KeyId, DateTime<Utc>)]) -> Result<(), KeyStoreError> {
        let txn = self.db.begin().await.map_err(store_err("beginning last-used flush"))?;
        for (id, at) in uses {
            // Whole seconds: plenty for "last used", and one text format on SQLite so the
            // comparison below orders correctly there too.
            let at = at.trunc_subsecs(0);
            api_key::Entity::update_many()
                .col_expr(api_key::Column::LastUsedAt, Expr::value(at))
                .filter(api_key::Column::Id.eq(id.0))
                .filter(api_key::Column::LastUsedAt.is_null().or(api_key::Column::LastUsedAt.lt(at)))
                .exec(&txn)
                .await
                .map_err(store_err("recording key use"))?;
        }
        txn.commit().await.map_err(store_err("committing last-used flush"))
    }

    async fn insert_refresh_token(&self, token: NewRefreshToken, now: DateTime<Utc>) -> Result<(), KeyStoreError> {
        refresh_token::ActiveModel {
            account_id: Set(token.account.0),
            family: Set(token.family),
            token_hash: Set(token.hash.as_str().to_owned()),
            created_at: Set(now),
            expires_at: Set(token.expires_at),
            used_at: Set(None),
            revoked_at: Set(None),
            login_started_at: Set(Some(token.login_started_at)),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(store_err("storing a refresh token"))?;
        Ok(())
    }

    async fn session_active(&self, family: &str) -> Result<bool, KeyStoreError> {
        let live = refresh_token::Entity::find()
            .filter(refresh_token::Column::Family.eq(family))
            .filter(refresh_token::Column::RevokedAt.is_null())
            .count(&self.db)
            .await
            .map_err(store_err("reading a login"))?;
        Ok(live > 0)
    }

    async fn revoke_sessions(
        &self,
        account: AccountId,
        which: Logins,
        now: DateTime<Utc>,
    ) -> Result<u64, KeyStoreError> {
        let txn = self.db.begin().await.map_err(store_err("beginning to end logins"))?;
        let ended = end_logins(&txn, account, which, now).await?;
        txn.commit().await.map_err(store_err("committing ended logins"))?;
        Ok(ended)
    }

    async fn consume_refresh_token(
        &self,
        hash: &SecretHash,
        now: DateTime<Utc>,
    ) -> Result<RefreshOutcome, KeyStoreError> {
        // The conditional UPDATE is the atomic step: of concurrent spenders only one changes a row.
        let spent = refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
            .filter(refresh_token::Column::TokenHash.eq(hash.as_str()))
            .filter(refresh_token::Column::UsedAt.is_null())
            .filter(refresh_token::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(store_err("spending a refresh token"))?;
        let row = refresh_token::Entity::find()
            .filter(refresh_token::Column::TokenHash.eq(hash.as_str()))
            .one(&self.db)
            .await
            .map_err(store_err("reading a refresh token"))?;
        let Some(row) = row else {
            return Ok(RefreshOutcome::Unknown);
        };
        if spent.rows_affected == 1 {
            return Ok(RefreshOutcome::Valid {
                account_id: AccountId(row.account_id),
                family: row.family,
                login_started_at: row.login_started_at.unwrap_or(row.created_at),
                expires_at: row.expires_at,
            });
        }
        // A replay: revoke every token of the family, the successor included.
        refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
            .filter(refresh_token::Column::Family.eq(row.family.as_str()))
            .filter(refresh_token::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(store_err("revoking a token family"))?;
        Ok(RefreshOutcome::Reused { family: row.family })
    }
}
