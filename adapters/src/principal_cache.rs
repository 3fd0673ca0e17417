//! The principal cache: for a few seconds a node remembers which key record and account a key
//! hash belongs to, an account's active keys and its billing record, so that an authenticated
//! request reads no database. Decorators of the key store and the billing store keep it honest:
//! - every write this node makes through them (revoke, rotate, new key, plan change, a billing
//!   event) forgets the account's entries at once, so the node that made the change never answers
//!   from the old state;
//! - another node's writes reach this one through an [`Announcer`] (Redis pub/sub between nodes:
//!   `principal_news`), which makes it forget the account's entries as soon as the message
//!   arrives; a message lost on the way leaves the entry's life (`ttl`, a few seconds) as the
//!   bound on how long a key revoked elsewhere, or a plan changed elsewhere, can still be served.
//!
//! Only what the store found is kept (an unknown key is asked again: random keys cannot fill it);
//! at most `capacity` keys, the whole map dropped when full (entries are cheap to read again).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jobin_core::domain::{Account, AccountId, ApiKeyRecord, Email, KeyId, KeyPrefix, Plan, SecretHash};
use jobin_core::ports::{
    BillingChange, BillingRecord, BillingStore, KeyStore, KeyStoreError, Logins, NewKey, NewRefreshToken,
    RefreshOutcome, StoredLogin,
};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// How long a node may serve a key or plan another node changed (the README states it).
pub const PRINCIPAL_TTL: Duration = Duration::from_secs(3);
const CAPACITY: usize = 100_000;

struct Entry<T> {
    value: T,
    until: Instant,
}

#[derive(Default)]
struct Maps {
    keys: HashMap<SecretHash, Entry<(ApiKeyRecord, Account)>>,
    lists: HashMap<AccountId, Entry<Vec<ApiKeyRecord>>>,
    billing: HashMap<AccountId, Entry<BillingRecord>>,
}

/// The copy under `key`, if it still lives.
fn live<K: Eq + Hash, V: Clone>(map: &HashMap<K, Entry<V>>, key: &K) -> Option<V> {
    map.get(key).filter(|e| e.until > Instant::now()).map(|e| e.value.clone())
}

/// Tells the other nodes that this one changed an account's keys or plan, so that they forget
/// their copies before the copies' life ends. Best effort, never on the request's path.
pub trait Announcer: Send + Sync {
    fn changed(&self, account: AccountId);
}

pub struct PrincipalCache {
    ttl: Duration,
    capacity: usize,
    maps: Mutex<Maps>,
    announcer: OnceLock<Arc<dyn Announcer>>,
}

impl PrincipalCache {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, capacity: CAPACITY, maps: Mutex::new(Maps::default()), announcer: OnceLock::new() }
    }

    /// From now on, this node's changes are announced to the others through `announcer`.
    pub fn announce_with(&self, announcer: Arc<dyn Announcer>) {
        let _ = self.announcer.set(announcer);
    }

    fn maps(&self) -> MutexGuard<'_, Maps> {
        self.maps.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn key(&self, hash: &SecretHash) -> Option<(ApiKeyRecord, Account)> {
        live(&self.maps().keys, hash)
    }

    fn keep_key(&self, hash: &SecretHash, found: &(ApiKeyRecord, Account)) {
        self.keep(&mut self.maps().keys, hash.clone(), found.clone());
    }

    fn list(&self, account: AccountId) -> Option<Vec<ApiKeyRecord>> {
        live(&self.maps().lists, &account)
    }

    fn keep_list(&self, account: AccountId, keys: &[ApiKeyRecord]) {
        self.keep(&mut self.maps().lists, account, keys.to_vec());
    }

    fn billing(&self, account: AccountId) -> Option<BillingRecord> {
        live(&self.maps().billing, &account)
    }

    fn keep_billing(&self, account: AccountId, record: &BillingRecord) {
        self.keep(&mut self.maps().billing, account, record.clone());
    }

    /// Keeps `value` under `key` for the cache's life; a full map starts over.
    fn keep<K: Eq + Hash, V>(&self, map: &mut HashMap<K, Entry<V>>, key: K, value: V) {
        if map.len() >= self.capacity {
            map.clear();
        }
        map.insert(key, Entry { value, until: Instant::now() + self.ttl });
    }

    /// Forgets the copies of these keys (their last-use time changed).
    fn forget_keys(&self, ids: &[KeyId]) {
        let mut maps = self.maps();
        maps.keys.retain(|_, e| !ids.contains(&e.value.0.id));
        maps.lists.retain(|_, e| !e.value.iter().any(|k| ids.contains(&k.id)));
    }

    /// This node changed `account`: forgets everything about it (its keys, its key list, its
    /// billing record) and tells the other nodes.
    pub fn forget_account(&self, account: AccountId) {
        self.forget_announced(account);
        if let Some(a) = self.announcer.get() {
            a.changed(account);
        }
    }

    /// Another node changed `account`: forgets everything about it here.
    pub fn forget_announced(&self, account: AccountId) {
        let mut maps = self.maps();
        maps.keys.retain(|_, e| e.value.1.id != account);
        maps.lists.remove(&account);
        maps.billing.remove(&account);
    }

    /// Forgets every copy (news from other nodes may have been lost, e.g. while reconnecting).
    pub fn forget_all(&self) {
        *self.maps() = Maps::default();
    }
}

/// The key store behind the principal cache.
pub struct CachedKeyStore {
    inner: Arc<dyn KeyStore>,
    cache: Arc<PrincipalCache>,
}

impl CachedKeyStore {
    pub fn new(inner: Arc<dyn KeyStore>, cache: Arc<PrincipalCache>) -> Self {
        Self { inner, cache }
    }
}

#[async_trait]
impl KeyStore for CachedKeyStore {
    async fn ping(&self) -> Result<(), KeyStoreError> {
        self.inner.ping().await
    }

    async fn probe_write(&self) -> Result<(), KeyStoreError> {
        self.inner.probe_write().await
    }

    async fn create_account(
        &self,
        email: &Email,
        password_hash: &str,
        plan: Plan,
        first_key: NewKey,
        now: DateTime<Utc>,
    ) -> Result<(Account, ApiKeyRecord), KeyStoreError> {
        self.inner.create_account(email, password_hash, plan, first_key, now).await
    }

    async fn find_login(&self, email: &Email) -> Result<Option<StoredLogin>, KeyStoreError> {
        self.inner.find_login(email).await
    }

    async fn find_account(&self, id: AccountId) -> Result<Option<Account>, KeyStoreError> {
        self.inner.find_account(id).await
    }

    async fn set_plan(&self, email: &Email, plan: Plan, now: DateTime<Utc>) -> Result<Option<Account>, KeyStoreError> {
        let r = self.inner.set_plan(email, plan, now).await?;
        if let Some(account) = &r {
            self.cache.forget_account(account.id);
        }
        Ok(r)
    }

    async fn find_key_by_hash(&self, hash: &SecretHash) -> Result<Option<(ApiKeyRecord, Account)>, KeyStoreError> {
        if let Some(hit) = self.cache.key(hash) {
            return Ok(Some(hit));
        }
        let found = self.inner.find_key_by_hash(hash).await?;
        if let Some(found) = &found {
            self.cache.keep_key(hash, found);
        }
        Ok(found)
    }

    async fn list_active_keys(&self, account: AccountId) -> Result<Vec<ApiKeyRecord>, KeyStoreError> {
        if let Some(hit) = self.cache.list(account) {
            return Ok(hit);
        }
        let keys = self.inner.list_active_keys(account).await?;
        self.cache.keep_list(account, &keys);
        Ok(keys)
    }

    async fn insert_key(
        &self,
        account: AccountId,
        key: NewKey,
        max_active: u32,
        now: DateTime<Utc>,
    ) -> Result<ApiKeyRecord, KeyStoreError> {
        let r = self.inner.insert_key(account, key, max_active, now).await;
        self.cache.forget_account(account);
        r
    }

    async fn rotate_keys(
        &self,
        account: AccountId,
        key: NewKey,
        end_logins: Logins,
        now: DateTime<Utc>,
    ) -> Result<ApiKeyRecord, KeyStoreError> {
        let r = self.inner.rotate_keys(account, key, end_logins, now).await;
        self.cache.forget_account(account);
        r
    }

    async fn set_password(
        &self,
        account: AccountId,
        password_hash: &str,
        end_logins: Logins,
        now: DateTime<Utc>,
    ) -> Result<Option<u64>, KeyStoreError> {
        self.inner.set_password(account, password_hash, end_logins, now).await
    }

    async fn revoke_key(
        &self,
        account: AccountId,
        prefix: &KeyPrefix,
        now: DateTime<Utc>,
    ) -> Result<bool, KeyStoreError> {
        let r = self.inner.revoke_key(account, prefix, now).await;
        self.cache.forget_account(account);
        r
    }

    async fn record_key_use(&self, uses: &[(KeyId, DateTime<Utc>)]) -> Result<(), KeyStoreError> {
        let r = self.inner.record_key_use(uses).await;
        self.cache.forget_keys(&uses.iter().map(|(id, _)| *id).collect::<Vec<_>>());
        r
    }

    async fn insert_refresh_token(&self, token: NewRefreshToken, now: DateTime<Utc>) -> Result<(), KeyStoreError> {
        self.inner.insert_refresh_token(token, now).await
    }

    async fn session_active(&self, family: &str) -> Result<bool, KeyStoreError> {
        self.inner.session_active(family).await
    }

    async fn revoke_sessions(
        &self,
        account: AccountId,
        which: Logins,
        now: DateTime<Utc>,
    ) -> Result<u64, KeyStoreError> {
        self.inner.revoke_sessions(account, which, now).await
    }

    async fn consume_refresh_token(
        &self,
        hash: &SecretHash,
        now: DateTime<Utc>,
    ) -> Result<RefreshOutcome, KeyStoreError> {
        self.inner.consume_refresh_token(hash, now).await
    }
}

/// The billing store behind the principal cache: an applied event (a plan change) forgets the
/// account at once.
pub struct CachedBillingStore {
    inner: Arc<dyn BillingStore>,
    cache: Arc<PrincipalCache>,
}

impl CachedBillingStore {
    pub fn new(inner: Arc<dyn BillingStore>, cache: Arc<PrincipalCache>) -> Self {
        Self { inner, cache }
    }
}

#[async_trait]
impl BillingStore for CachedBillingStore {
    async fn billing(&self, account: AccountId) -> Result<Option<BillingRecord>, KeyStoreError> {
        if let Some(hit) = self.cache.billing(account) {
            return Ok(Some(hit));
        }
        let found = self.inner.billing(account).await?;
        if let Some(record) = &found {
            self.cache.keep_billing(account, record);
        }
        Ok(found)
    }

    async fn find_by_provider_ids(
        &self,
        subscription: Option<String>,
        customer: Option<String>,
    ) -> Result<Option<BillingRecord>, KeyStoreError> {
        self.inner.find_by_provider_ids(subscription, customer).await
    }

    async fn apply_event(
        &self,
        event_id: &str,
        account: Option<AccountId>,
        change: &BillingChange,
        now: DateTime<Utc>,
    ) -> Result<bool, KeyStoreError> {
        let r = self.inner.apply_event(event_id, account, change, now).await;
        if let Some(account) = account {
            self.cache.forget_account(account);
        }
        r
    }
}
