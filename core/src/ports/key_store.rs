//! Accounts, API keys and login sessions (refresh tokens).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::{Account, AccountId, ApiKeyRecord, Email, KeyId, KeyName, KeyPrefix, Plan, Scopes, SecretHash};

/// A key to store: its label, its peppered hash, its display prefix and its scopes.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub name: KeyName,
    pub hash: SecretHash,
    pub prefix: KeyPrefix,
    pub scopes: Scopes,
    /// The login (refresh-token family) whose session mints the key, if a session does.
    pub minted_by_login: Option<String>,
}

/// A refresh token to store (by hash) in its login's family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefreshToken {
    pub account: AccountId,
    pub family: String,
    pub hash: SecretHash,
    /// When the login began (the password was proved); carried from token to token.
    pub login_started_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Which logins of an account to end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Logins {
    /// The one with this refresh-token family.
    One(String),
    /// Every one.
    All,
    /// Every one but this family (the caller's own, when it is a login session).
    AllExcept(String),
}

impl Logins {
    /// Every login but the caller's: `family` is the caller's login if it is a session.
    pub fn all_but(family: Option<&str>) -> Self {
        match family {
            Some(f) => Logins::AllExcept(f.to_owned()),
            None => Logins::All,
        }
    }
}

/// What login needs: the account and its password hash (PHC string).
#[derive(Debug, Clone)]
pub struct StoredLogin {
    pub account: Account,
    pub password_hash: String,
}

/// The result of presenting a refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// The token was valid and is now spent; issue a successor in the same family.
    Valid { account_id: AccountId, family: String, login_started_at: DateTime<Utc>, expires_at: DateTime<Utc> },
    /// The token had already been spent (or its family revoked): a replay. The store has revoked
    /// the whole family by the time this is returned.
    Reused { family: String },
    /// No such token.
    Unknown,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    #[error("email already registered")]
    EmailTaken,
    #[error("the account already has a key with this display prefix")]
    PrefixTaken,
    #[error("the account has the maximum number of active keys")]
    KeyLimitReached,
    #[error("the store is unreachable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unknown(anyhow::Error),
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Round trip to the store. `Err(Unavailable)` when it cannot be reached.
    async fn ping(&self) -> Result<(), KeyStoreError>;

    /// Whether the store can take a write now (a store can answer reads on a full disk or a
    /// read-only file). `Err(Unavailable)` when it cannot.
    async fn probe_write(&self) -> Result<(), KeyStoreError>;

    /// Creates an account together with its first key, atomically.
    /// `Err(EmailTaken)` if the normalized email exists; nothing is written then.
    async fn create_account(
        &self,
        email: &Email,
        password_hash: &str,
        plan: Plan,
        first_key: NewKey,
        now: DateTime<Utc>,
    ) -> Result<(Account, ApiKeyRecord), KeyStoreError>;

    /// The account and password hash for a normalized email; `Ok(None)` if unknown.
    async fn find_login(&self, email: &Email) -> Result<Option<StoredLogin>, KeyStoreError>;

    /// `Ok(None)` if the account does not exist.
    async fn find_account(&self, id: AccountId) -> Result<Option<Account>, KeyStoreError>;

    /// Sets the plan of the account with this email; `Ok(None)` if there is none.
    async fn set_plan(&self, email: &Email, plan: Plan, now: DateTime<Utc>) -> Result<Option<Account>, KeyStoreError>;

    /// The key with this hash, revoked or not, and its account; `Ok(None)` if unknown.
    async fn find_key_by_hash(&self, hash: &SecretHash) -> Result<Option<(ApiKeyRecord, Account)>, KeyStoreError>;

    /// The account's active (not revoked) keys, oldest first.
    async fn list_active_keys(&self, account: AccountId) -> Result<Vec<ApiKeyRecord>, KeyStoreError>;

    /// Adds a key. `Err(PrefixTaken)` if any key of the account (revoked ones included) has the
    /// same display prefix; `Err(KeyLimitReached)` if the account already has `max_active`
    /// active keys. Nothing is written on error.
    async fn insert_key(
        &self,
        account: AccountId,
        key: NewKey,
        max_active: u32,
        now: DateTime<Utc>,
    ) -> Result<ApiKeyRecord, KeyStoreError>;

    /// Revokes every active key of the account, adds `key` and ends the logins `end_logins`
    /// names, in one transaction. `Err(PrefixTaken)` as for `insert_key`; nothing is written on
    /// error.
    async fn rotate_keys(
        &self,
        account: AccountId,
        key: NewKey,
        end_logins: Logins,
        now: DateTime<Utc>,
    ) -> Result<ApiKeyRecord, KeyStoreError>;

    /// Replaces the account's password hash and ends the logins `end_logins` names, in one
    /// transaction. Returns how many logins ended; `Ok(None)` if the account does not exist.
    async fn set_password(
        &self,
        account: AccountId,
        password_hash: &str,
        end_logins: Logins,
        now: DateTime<Utc>,
    ) -> Result<Option<u64>, KeyStoreError>;

    /// Revokes the account's active key with this prefix. `Ok(false)` if the account has no
    /// active key with it (including keys of other accounts).
    async fn revoke_key(
        &self,
        account: AccountId,
        prefix: &KeyPrefix,
        now: DateTime<Utc>,
    ) -> Result<bool, KeyStoreError>;

    /// Records last-use times in one batch; a time never moves backwards.
    async fn record_key_use(&self, uses: &[(KeyId, DateTime<Utc>)]) -> Result<(), KeyStoreError>;

    /// Stores a refresh token.
    async fn insert_refresh_token(&self, token: NewRefreshToken, now: DateTime<Utc>) -> Result<(), KeyStoreError>;

    /// Whether the login (refresh-token family) is still on: it has a refresh token not revoked.
    /// A login ends when its family is revoked (reuse detected, logout, key rotation, password
    /// change).
    async fn session_active(&self, family: &str) -> Result<bool, KeyStoreError>;

    /// Ends the logins of `account` that `which` names. Returns how many logins ended.
    async fn revoke_sessions(
        &self,
        account: AccountId,
        which: Logins,
        now: DateTime<Utc>,
    ) -> Result<u64, KeyStoreError>;

    /// Spends a refresh token atomically: of two concurrent calls with one token, at most one
    /// gets `Valid`. A spent token or one in a revoked family yields `Reused` after the family has
    /// been revoked. Expiry is the caller's check on `Valid.expires_at`.
    async fn consume_refresh_token(
        &self,
        hash: &SecretHash,
        now: DateTime<Utc>,
    ) -> Result<RefreshOutcome, KeyStoreError>;
}
