//! Login: email + password → a one-hour access token and a rotating refresh token.

use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

use crate::domain::{AccountId, Email, LoginId, Password, SecretHasher, random_token};
use crate::ports::{
    AccessClaims, Clock, Entropy, HashError, KeyStore, KeyStoreError, MeterError, NewRefreshToken, PasswordHasher,
    TokenSigner, UsageMeter,
};
use crate::usecases::store_code;
use crate::{Code, ErrorCode};

/// Access tokens live one hour (the document's `expires_in: 3600`).
pub const ACCESS_TTL_SECS: i64 = 3600;
/// Refresh tokens live 30 days, and each can be spent once.
pub const REFRESH_TTL_DAYS: i64 = 30;
/// A login lasts at most this long from the password being proved, however often it is
/// refreshed (the server configuration may set another).
pub const DEFAULT_MAX_LOGIN_AGE_DAYS: i64 = 30;
/// Failed logins one account (one email, registered or not) may take per window…
pub const LOGIN_FAILURES_ALLOWED: u32 = 10;
/// …of this many seconds (fixed windows aligned to the epoch, shared by every node).
pub const LOGIN_FAILURE_WINDOW_SECS: u32 = 15 * 60;

#[derive(Debug, Clone)]
pub struct SessionTokens {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds the access token lives: an hour, less when the login reaches its maximum age sooner.
    pub expires_in: i64,
    pub login: LoginId,
    /// When the login ends at the latest (its maximum age); refreshing does not move it.
    pub login_expires_at: DateTime<Utc>,
}

/// Mints the token pair for a session family (new at login, kept on refresh).
#[derive(Clone)]
pub struct SessionIssuer {
    pub store: Arc<dyn KeyStore>,
    pub signer: Arc<dyn TokenSigner>,
    pub hasher: SecretHasher,
    pub entropy: Arc<dyn Entropy>,
    pub clock: Arc<dyn Clock>,
    /// How long a login lasts from `login_started_at` at most.
    pub max_login_age: Duration,
}

impl SessionIssuer {
    pub fn new_family(&self) -> String {
        random_token(self.entropy.as_ref())
    }

    /// When a login that began at `started` ends at the latest.
    pub fn login_ends_at(&self, started: DateTime<Utc>) -> DateTime<Utc> {
        started + self.max_login_age
    }

    /// A token pair for the login `family`, which began at `login_started_at`. Neither token
    /// outlives the login's maximum age. The caller checks that the login has not reached it.
    pub async fn issue(
        &self,
        account: AccountId,
        family: String,
        login_started_at: DateTime<Utc>,
    ) -> Result<SessionTokens, KeyStoreError> {
        let now = self.clock.now();
        let ends = self.login_ends_at(login_started_at);
        let refresh = random_token(self.entropy.as_ref());
        let token = NewRefreshToken {
            account,
            family: family.clone(),
            hash: self.hasher.hash(&refresh),
            login_started_at,
            expires_at: (now + Duration::days(REFRESH_TTL_DAYS)).min(ends),
        };
        self.store.insert_refresh_token(token, now).await?;
        let access_expires = (now + Duration::seconds(ACCESS_TTL_SECS)).min(ends);
        let login = LoginId::of(&family);
        let claims = AccessClaims { account_id: account, family, expires_at: access_expires };
        Ok(SessionTokens {
            access_token: self.signer.issue(&claims, now),
            refresh_token: refresh,
            expires_in: (access_expires - now).num_seconds().max(0),
            login,
            login_expires_at: ends,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// One message for unknown email and wrong password.
    #[error("Invalid email or password.")]
    InvalidCredentials,
    /// The account's failed-login allowance is spent until `retry_after_secs` from now.
    #[error("Too many failed logins for this account; retry in {retry_after_secs} s.")]
    TooManyFailures { retry_after_secs: u64 },
    #[error(transparent)]
    Meter(MeterError),
    #[error(transparent)]
    Hash(HashError),
    #[error(transparent)]
    Store(KeyStoreError),
}

impl ErrorCode for LoginError {
    fn code(&self) -> Code {
        match self {
            LoginError::InvalidCredentials => Code::InvalidCredentials,
            LoginError::TooManyFailures { .. } => Code::RateLimited,
            LoginError::Meter(_) => Code::DependencyUnavailable,
            LoginError::Hash(_) => Code::Internal,
            LoginError::Store(e) => store_code(e),
        }
    }
}

/// The per-account allowance of wrong passwords, shared by login and password change: an attempt
/// is counted before the password is checked (so concurrent guesses cannot overrun it) and given
/// back when it succeeds.
#[derive(Clone)]
pub struct FailureAllowance {
    /// Exact across nodes with a shared meter.
    pub meter: Arc<dyn UsageMeter>,
}

impl FailureAllowance {
    fn bucket(who: &str) -> String {
        format!("login-failures:{who}")
    }

    /// Counts an attempt for `who` (a normalized email); refused once the allowance is spent.
    pub async fn charge(&self, who: &str, now: DateTime<Utc>) -> Result<(), LoginError> {
        let window = self
            .meter
            .hit_window(&Self::bucket(who), LOGIN_FAILURES_ALLOWED, LOGIN_FAILURE_WINDOW_SECS, now)
            .await
            .map_err(LoginError::Meter)?;
        if !window.allowed {
            return Err(LoginError::TooManyFailures { retry_after_secs: window.retry_after_secs(now) });
        }
        Ok(())
    }

    /// Gives back an attempt that proved the password.
    pub async fn forgive(&self, who: &str, now: DateTime<Utc>) {
        if let Err(e) = self.meter.undo_hit(&Self::bucket(who), LOGIN_FAILURE_WINDOW_SECS, now).await {
            tracing::warn!(error = %e, "could not take back a successful password check");
        }
    }
}

pub struct Login {
    pub store: Arc<dyn KeyStore>,
    pub passwords: Arc<dyn PasswordHasher>,
    pub sessions: SessionIssuer,
    /// Counts failed logins per account.
    pub failures: FailureAllowance,
}

impl Login {
    /// Each attempt is counted against the account's failure allowance ([`FailureAllowance`]).
    /// Unknown emails are counted alike, so the refusal reveals nothing about registration.
    pub async fn execute(&self, email: &str, password: &str) -> Result<SessionTokens, LoginError> {
        let password = Password::for_login(password).ok_or(LoginError::InvalidCredentials)?;
        let parsed = Email::parse(email);
        let who = parsed.as_ref().map(|e| e.as_str().to_owned()).unwrap_or_else(|_| email.trim().to_lowercase());
        let now = self.sessions.clock.now();
        self.failures.charge(&who, now).await?;
        let stored = match parsed {
            Ok(email) => self.store.find_login(&email).await.map_err(LoginError::Store)?,
            Err(_) => None,
        };
        // Unknown emails still pay for a verification, so timing does not reveal registration.
        let hash = stored.as_ref().map(|s| s.password_hash.clone());
        let ok = self.passwords.verify(&password, hash).await.map_err(LoginError::Hash)?;
        match stored {
            Some(s) if ok => {
                self.failures.forgive(&who, now).await;
                self.sessions.issue(s.account.id, self.sessions.new_family(), now).await.map_err(LoginError::Store)
            }
            _ => Err(LoginError::InvalidCredentials),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Account, Plan};
    use crate::ports::key_store::MockKeyStore;
    use crate::ports::password::MockPasswordHasher;
    use crate::ports::token::MockTokenSigner;
    use crate::ports::{StoredLogin, TokenError};
    use crate::testing::{CountingEntropy, FixedClock};
    use chrono::{DateTime, Utc};

    /// Tokens that name their account; none verifies.
    fn echo_signer() -> MockTokenSigner {
        let mut signer = MockTokenSigner::new();
        signer.expect_issue().returning(|c, _| format!("session-for-{}", c.account_id));
        signer.expect_verify().returning(|_, _| Err(TokenError::Invalid));
        signer
    }

    fn login(store: MockKeyStore, passwords: MockPasswordHasher) -> Login {
        let store: Arc<dyn KeyStore> = Arc::new(store);
        let mut meter = crate::ports::usage::MockUsageMeter::new();
        meter.expect_hit_window().returning(|_, limit, _, now| {
            Ok(crate::ports::WindowDecision { allowed: true, limit, used: 1, resets_at: now })
        });
        meter.expect_undo_hit().returning(|_, _, _| Ok(()));
        Login {
            failures: FailureAllowance { meter: Arc::new(meter) },
            store: store.clone(),
            passwords: Arc::new(passwords),
            sessions: SessionIssuer {
                store,
                signer: Arc::new(echo_signer()),
                hasher: SecretHasher::new(b"p".to_vec()),
                entropy: Arc::new(CountingEntropy::default()),
                clock: Arc::new(FixedClock::at(1_000)),
                max_login_age: Duration::days(DEFAULT_MAX_LOGIN_AGE_DAYS),
            },
        }
    }

    fn stored() -> StoredLogin {
        StoredLogin {
            account: Account {
                id: AccountId(9),
                email: Email::parse("dev@example.com").unwrap(),
                plan: Plan::Free,
                created_at: DateTime::<Utc>::from_timestamp(0, 0).unwrap(),
            },
            password_hash: "$argon2id$stored".into(),
        }
    }

    #[tokio::test]
    async fn unknown_email_and_wrong_password_look_the_same_and_both_verify() {
        let mut store = MockKeyStore::new();
        store.expect_find_login().times(1).returning(|_| Ok(None));
        store.expect_find_login().times(1).returning(|_| Ok(Some(stored())));
        let mut pw = MockPasswordHasher::new();
        // The unknown email is verified against the dummy (None), the known one against its hash.
        pw.expect_verify().withf(|_, h| h.is_none()).times(1).returning(|_, _| Ok(false));
        pw.expect_verify().withf(|_, h| h.as_deref() == Some("$argon2id$stored")).times(1).returning(|_, _| Ok(false));
        let l = login(store, pw);
        let a = l.execute("nobody@example.com", "whatever1").await.unwrap_err();
        let b = l.execute("dev@example.com", "wrong-pass").await.unwrap_err();
        assert_eq!(a.to_string(), b.to_string());
        assert_eq!(a.code(), Code::InvalidCredentials);
        assert_eq!(b.code(), Code::InvalidCredentials);
    }

    #[tokio::test]
    async fn success_stores_a_hashed_refresh_token_and_returns_a_one_hour_session() {
        let mut store = MockKeyStore::new();
        store.expect_find_login().returning(|_| Ok(Some(stored())));
        store
            .expect_insert_refresh_token()
            .times(1)
            .withf(|t, now| {
                t.account == AccountId(9)
                    && t.hash.as_str().len() == 64
                    && t.login_started_at == *now
                    && (t.expires_at - *now) == Duration::days(REFRESH_TTL_DAYS)
            })
            .returning(|_, _| Ok(()));
        let mut pw = MockPasswordHasher::new();
        pw.expect_verify().returning(|_, _| Ok(true));
        let tokens = login(store, pw).execute(" DEV@example.com ", "right-pass").await.unwrap();
        assert_eq!(tokens.access_token, "session-for-9");
        assert_eq!(tokens.expires_in, 3600);
        assert_eq!(tokens.refresh_token.len(), 64);
    }

    #[tokio::test]
    async fn a_spent_failure_allowance_refuses_before_any_password_check() {
        let mut passwords = MockPasswordHasher::new();
        passwords.expect_verify().never();
        let mut store = MockKeyStore::new();
        store.expect_find_login().never();
        let mut l = login(store, passwords);
        let mut meter = crate::ports::usage::MockUsageMeter::new();
        meter
            .expect_hit_window()
            .withf(|bucket, limit, window, _| {
                bucket == "login-failures:dev@example.com" && *limit == 10 && *window == 900
            })
            .returning(|_, limit, _, now| {
                Ok(crate::ports::WindowDecision {
                    allowed: false,
                    limit,
                    used: limit,
                    resets_at: now + chrono::Duration::seconds(300),
                })
            });
        l.failures = FailureAllowance { meter: Arc::new(meter) };
        let e = l.execute(" Dev@Example.com ", "whatever123").await.unwrap_err();
        assert!(matches!(e, LoginError::TooManyFailures { retry_after_secs: 300 }), "{e:?}");
        assert_eq!(e.code(), Code::RateLimited);
    }
}
