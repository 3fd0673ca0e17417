//! Turning presented credentials into a principal: API keys everywhere, login session tokens on
//! the account endpoints only.

use std::sync::Arc;

use crate::domain::{Account, ApiKeySecret, KeyId, KeyPrefix, Scopes, SecretHasher};
use crate::ports::{Clock, KeyStore, KeyStoreError, TokenError, TokenSigner};
use crate::services::LastUsedTracker;
use crate::usecases::store_code;
use crate::{Code, ErrorCode};

/// Credentials as sent by the client.
#[derive(Debug, Clone)]
pub enum Presented {
    /// An API key in its own header.
    ApiKeyHeader(String),
    /// A bearer token: an API key or a session token.
    Bearer(String),
}

/// How the caller authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    ApiKey { id: KeyId, prefix: KeyPrefix },
    Session { family: String },
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub account: Account,
    pub credential: Credential,
    /// What the credential may do: the key's scopes, or [`Scopes::SESSION`] for a login session.
    pub scopes: Scopes,
}

impl Principal {
    /// The scopes this caller may put on a key it creates: any for a login session (the owner,
    /// who proved the password), only its own for a key (a key never mints a stronger one).
    pub fn grantable(&self) -> Scopes {
        match self.credential {
            Credential::Session { .. } => Scopes::ALL,
            Credential::ApiKey { .. } => self.scopes,
        }
    }

    /// The caller's login (refresh-token family) when it is a login session.
    pub fn login(&self) -> Option<&str> {
        match &self.credential {
            Credential::Session { family } => Some(family),
            Credential::ApiKey { .. } => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("Invalid API key.")]
    InvalidKey,
    #[error("This API key has been revoked.")]
    KeyRevoked,
    #[error("The session token is not valid.")]
    InvalidSession,
    #[error("The session token has expired; refresh it or log in again.")]
    SessionExpired,
    #[error("This login has ended (logged out, or its refresh token was reused); log in again.")]
    SessionRevoked,
    #[error("This endpoint requires an API key; session tokens are accepted on account endpoints only.")]
    ApiKeyRequired,
    #[error(transparent)]
    Store(KeyStoreError),
}

impl ErrorCode for AuthError {
    fn code(&self) -> Code {
        match self {
            AuthError::InvalidKey | AuthError::InvalidSession => Code::InvalidCredentials,
            AuthError::KeyRevoked => Code::KeyRevoked,
            AuthError::SessionExpired => Code::TokenExpired,
            AuthError::SessionRevoked => Code::SessionRevoked,
            AuthError::ApiKeyRequired => Code::ApiKeyRequired,
            AuthError::Store(e) => store_code(e),
        }
    }
}

pub struct Authenticate {
    pub store: Arc<dyn KeyStore>,
    pub hasher: SecretHasher,
    pub signer: Arc<dyn TokenSigner>,
    pub clock: Arc<dyn Clock>,
    pub last_used: Arc<LastUsedTracker>,
}

impl Authenticate {
    /// Resolves the caller. `allow_session` is true for account operations.
    pub async fn execute(&self, presented: Presented, allow_session: bool) -> Result<Principal, AuthError> {
        match presented {
            Presented::ApiKeyHeader(raw) => self.by_key(raw.trim()).await,
            // Keys have a fixed prefix; anything else in a Bearer header is a session token.
            Presented::Bearer(raw) if raw.trim().starts_with("jl_") => self.by_key(raw.trim()).await,
            Presented::Bearer(_) if !allow_session => Err(AuthError::ApiKeyRequired),
            Presented::Bearer(raw) => self.by_session(raw.trim()).await,
        }
    }

    async fn by_key(&self, raw: &str) -> Result<Principal, AuthError> {
        // Format first: a malformed key never reaches the store.
        let key = ApiKeySecret::parse(raw).map_err(|_| AuthError::InvalidKey)?;
        let hash = self.hasher.hash(key.expose());
        let (record, account) =
            self.store.find_key_by_hash(&hash).await.map_err(AuthError::Store)?.ok_or(AuthError::InvalidKey)?;
        if record.revoked_at.is_some() {
            return Err(AuthError::KeyRevoked);
        }
        self.last_used.record(record.id, self.clock.now());
        Ok(Principal {
            account,
            scopes: record.scopes,
            credential: Credential::ApiKey { id: record.id, prefix: record.prefix },
        })
    }

    async fn by_session(&self, raw: &str) -> Result<Principal, AuthError> {
        let claims = self.signer.verify(raw, self.clock.now()).map_err(|e| match e {
            TokenError::Expired => AuthError::SessionExpired,
            TokenError::Invalid => AuthError::InvalidSession,
        })?;
        let account = self
            .store
            .find_account(claims.account_id)
            .await
            .map_err(AuthError::Store)?
            .ok_or(AuthError::InvalidSession)?;
        // An access token lives an hour; the login it belongs to can end before that.
        if !self.store.session_active(&claims.family).await.map_err(AuthError::Store)? {
            return Err(AuthError::SessionRevoked);
        }
        Ok(Principal { account, credential: Credential::Session { family: claims.family }, scopes: Scopes::SESSION })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountId, ApiKeyRecord, Email, KeyName, Plan};
    use crate::ports::AccessClaims;
    use crate::ports::key_store::MockKeyStore;
    use crate::ports::token::MockTokenSigner;
    use crate::testing::FixedClock;
    use chrono::{DateTime, Utc};

    /// Issues none; verifies `valid` (account 7), refuses `expired` as expired and the rest.
    fn no_sessions() -> MockTokenSigner {
        let mut signer = MockTokenSigner::new();
        signer.expect_issue().never();
        signer.expect_verify().returning(|token, _| match token {
            "expired" => Err(TokenError::Expired),
            "valid" => Ok(AccessClaims {
                account_id: AccountId(7),
                family: "fam".into(),
                expires_at: DateTime::<Utc>::from_timestamp(2_000_000_000, 0).unwrap(),
            }),
            _ => Err(TokenError::Invalid),
        });
        signer
    }

    fn account() -> Account {
        Account {
            id: AccountId(7),
            email: Email::parse("a@example.com").unwrap(),
            plan: Plan::Free,
            created_at: DateTime::<Utc>::from_timestamp(0, 0).unwrap(),
        }
    }

    fn auth(store: MockKeyStore) -> Authenticate {
        Authenticate {
            store: Arc::new(store),
            hasher: SecretHasher::new(b"pepper".to_vec()),
            signer: Arc::new(no_sessions()),
            clock: Arc::new(FixedClock::at(1_700_000_000)),
            last_used: Arc::new(LastUsedTracker::default()),
        }
    }

    fn key() -> ApiKeySecret {
        ApiKeySecret::from_random([0xab; 32])
    }

    fn record(revoked: bool) -> ApiKeyRecord {
        ApiKeyRecord {
            id: KeyId(3),
            account_id: AccountId(7),
            name: KeyName::parse("k").unwrap(),
            prefix: key().prefix(),
            scopes: Scopes::of(&[crate::domain::Scope::JobsRead]),
            created_at: DateTime::<Utc>::from_timestamp(0, 0).unwrap(),
            last_used_at: None,
            revoked_at: revoked.then(|| DateTime::<Utc>::from_timestamp(5, 0).unwrap()),
            minted_by_login: None,
        }
    }

    #[tokio::test]
    async fn malformed_key_is_rejected_without_a_lookup() {
        let mut store = MockKeyStore::new();
        store.expect_find_key_by_hash().never();
        let a = auth(store);
        for raw in ["jl_live_short", "", "Bearer", &format!("jl_live_{}", "G".repeat(64))] {
            let err = a.execute(Presented::ApiKeyHeader(raw.into()), true).await.unwrap_err();
            assert_eq!(err.code(), Code::InvalidCredentials, "{raw}");
        }
    }

    #[tokio::test]
    async fn active_key_authenticates_and_is_marked_used() {
        let mut store = MockKeyStore::new();
        let expected = SecretHasher::new(b"pepper".to_vec()).hash(key().expose());
        store
            .expect_find_key_by_hash()
            .withf(move |h| *h == expected)
            .returning(|_| Ok(Some((record(false), account()))));
        let a = auth(store);
        let p = a.execute(Presented::Bearer(key().expose().into()), false).await.unwrap();
        assert_eq!(p.account.id, AccountId(7));
        assert_eq!(p.scopes, record(false).scopes, "a key carries its stored scopes");
        assert_eq!(p.grantable(), p.scopes, "a key grants only what it holds");
        assert!(a.last_used.pending(KeyId(3)).is_some());
    }

    #[tokio::test]
    async fn revoked_and_unknown_keys_are_distinguished() {
        let mut store = MockKeyStore::new();
        store.expect_find_key_by_hash().times(1).returning(|_| Ok(Some((record(true), account()))));
        store.expect_find_key_by_hash().times(1).returning(|_| Ok(None));
        let a = auth(store);
        let revoked = a.execute(Presented::ApiKeyHeader(key().expose().into()), true).await;
        assert_eq!(revoked.unwrap_err().code(), Code::KeyRevoked);
        let unknown = a.execute(Presented::ApiKeyHeader(key().expose().into()), true).await;
        assert_eq!(unknown.unwrap_err().code(), Code::InvalidCredentials);
    }

    #[tokio::test]
    async fn session_tokens_only_where_allowed() {
        let a = auth(MockKeyStore::new());
        let e = a.execute(Presented::Bearer("eyJ.x.y".into()), false).await.unwrap_err();
        assert_eq!(e.code(), Code::ApiKeyRequired);
        let e = a.execute(Presented::Bearer("expired".into()), true).await.unwrap_err();
        assert_eq!(e.code(), Code::TokenExpired);
        let e = a.execute(Presented::Bearer("forged".into()), true).await.unwrap_err();
        assert_eq!(e.code(), Code::InvalidCredentials);
    }

    #[tokio::test]
    async fn a_session_holds_the_account_scopes_only_and_may_grant_any() {
        let mut store = MockKeyStore::new();
        store.expect_find_account().returning(|_| Ok(Some(account())));
        store.expect_session_active().withf(|f| f == "fam").returning(|_| Ok(true));
        let p = auth(store).execute(Presented::Bearer("valid".into()), true).await.unwrap();
        assert_eq!(p.scopes, Scopes::SESSION);
        assert!(!p.scopes.contains(crate::domain::Scope::JobsRead));
        assert_eq!(p.grantable(), Scopes::ALL);
    }
}
