//! Password change: the current password (checked against the same per-account allowance of
//! wrong guesses as login) and a new one. Every other login of the account ends with it; the
//! caller's own login, when it is one, stays on.

use std::sync::Arc;

use crate::domain::Password;
use crate::ports::{Clock, HashError, KeyStore, KeyStoreError, Logins, PasswordHasher};
use crate::usecases::login::{FailureAllowance, LoginError};
use crate::usecases::{FieldError, Principal, store_code};
use crate::{Code, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum ChangePasswordError {
    #[error(transparent)]
    Invalid(FieldError),
    #[error("The current password is wrong.")]
    WrongPassword,
    /// The wrong-password allowance of the account (shared with login) is spent.
    #[error("Too many wrong passwords for this account; retry in {retry_after_secs} s.")]
    TooManyFailures { retry_after_secs: u64 },
    #[error(transparent)]
    Meter(crate::ports::MeterError),
    #[error(transparent)]
    Hash(HashError),
    #[error(transparent)]
    Store(KeyStoreError),
}

impl ErrorCode for ChangePasswordError {
    fn code(&self) -> Code {
        match self {
            ChangePasswordError::Invalid(_) => Code::ValidationFailed,
            ChangePasswordError::WrongPassword => Code::InvalidCredentials,
            ChangePasswordError::TooManyFailures { .. } => Code::RateLimited,
            ChangePasswordError::Meter(_) => Code::DependencyUnavailable,
            ChangePasswordError::Hash(_) => Code::Internal,
            ChangePasswordError::Store(e) => store_code(e),
        }
    }
}

impl From<LoginError> for ChangePasswordError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::TooManyFailures { retry_after_secs } => {
                ChangePasswordError::TooManyFailures { retry_after_secs }
            }
            LoginError::Meter(e) => ChangePasswordError::Meter(e),
            LoginError::Hash(e) => ChangePasswordError::Hash(e),
            LoginError::Store(e) => ChangePasswordError::Store(e),
            LoginError::InvalidCredentials => ChangePasswordError::WrongPassword,
        }
    }
}

pub struct ChangePassword {
    pub store: Arc<dyn KeyStore>,
    pub passwords: Arc<dyn PasswordHasher>,
    pub failures: FailureAllowance,
    pub clock: Arc<dyn Clock>,
}

impl ChangePassword {
    /// Returns how many logins ended.
    pub async fn execute(&self, who: &Principal, current: &str, new: &str) -> Result<u64, ChangePasswordError> {
        // The new password's policy is checked first: a malformed request costs no guess.
        let new = Password::parse(new).map_err(|e| ChangePasswordError::Invalid(FieldError::new("new_password", e)))?;
        let current = Password::for_login(current).ok_or(ChangePasswordError::WrongPassword)?;
        let email = who.account.email.as_str();
        let now = self.clock.now();
        self.failures.charge(email, now).await?;
        let stored = self.store.find_login(&who.account.email).await.map_err(ChangePasswordError::Store)?;
        let hash = stored.map(|s| s.password_hash);
        if !self.passwords.verify(&current, hash).await.map_err(ChangePasswordError::Hash)? {
            return Err(ChangePasswordError::WrongPassword);
        }
        self.failures.forgive(email, now).await;
        let new_hash = self.passwords.hash(&new).await.map_err(ChangePasswordError::Hash)?;
        self.store
            .set_password(who.account.id, &new_hash, Logins::all_but(who.login()), now)
            .await
            .map_err(ChangePasswordError::Store)?
            // The caller's account was just read; it can only be gone if deleted meanwhile.
            .ok_or(ChangePasswordError::WrongPassword)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Account, AccountId, Email, KeyId, KeyPrefix, Plan, Scopes};
    use crate::ports::StoredLogin;
    use crate::ports::key_store::MockKeyStore;
    use crate::ports::password::MockPasswordHasher;
    use crate::ports::usage::MockUsageMeter;
    use crate::testing::FixedClock;
    use crate::usecases::Credential;
    use chrono::{DateTime, Utc};

    fn account() -> Account {
        Account {
            id: AccountId(3),
            email: Email::parse("dev@example.com").unwrap(),
            plan: Plan::Free,
            created_at: DateTime::<Utc>::from_timestamp(0, 0).unwrap(),
        }
    }

    fn session() -> Principal {
        Principal {
            account: account(),
            credential: Credential::Session { family: "mine".into() },
            scopes: Scopes::SESSION,
        }
    }

    fn meter(allowed: bool) -> MockUsageMeter {
        let mut meter = MockUsageMeter::new();
        meter.expect_hit_window().withf(|b, _, _, _| b == "login-failures:dev@example.com").returning(
            move |_, limit, _, now| {
                Ok(crate::ports::WindowDecision {
                    allowed,
                    limit,
                    used: 1,
                    resets_at: now + chrono::Duration::seconds(120),
                })
            },
        );
        meter
    }

    fn change(store: MockKeyStore, pw: MockPasswordHasher, meter: MockUsageMeter) -> ChangePassword {
        ChangePassword {
            store: Arc::new(store),
            passwords: Arc::new(pw),
            failures: FailureAllowance { meter: Arc::new(meter) },
            clock: Arc::new(FixedClock::at(1_000)),
        }
    }

    fn stored_login(store: &mut MockKeyStore) {
        store
            .expect_find_login()
            .returning(|_| Ok(Some(StoredLogin { account: account(), password_hash: "$argon2id$old".into() })));
    }

    #[tokio::test]
    async fn the_right_password_sets_the_new_hash_and_ends_every_other_login() {
        let mut store = MockKeyStore::new();
        stored_login(&mut store);
        store
            .expect_set_password()
            .times(1)
            .withf(|acc, hash, end, _| {
                *acc == AccountId(3) && hash == "$argon2id$new" && *end == Logins::AllExcept("mine".into())
            })
            .returning(|_, _, _, _| Ok(Some(2)));
        let mut pw = MockPasswordHasher::new();
        pw.expect_verify()
            .withf(|p, h| p.expose() == "old-password" && h.as_deref() == Some("$argon2id$old"))
            .returning(|_, _| Ok(true));
        pw.expect_hash().withf(|p| p.expose() == "new-password").returning(|_| Ok("$argon2id$new".into()));
        let mut m = meter(true);
        m.expect_undo_hit().times(1).returning(|_, _, _| Ok(()));
        let ended = change(store, pw, m).execute(&session(), "old-password", "new-password").await.unwrap();
        assert_eq!(ended, 2);
    }

    #[tokio::test]
    async fn a_key_changing_the_password_ends_every_login() {
        let mut store = MockKeyStore::new();
        stored_login(&mut store);
        store.expect_set_password().withf(|_, _, end, _| *end == Logins::All).returning(|_, _, _, _| Ok(Some(1)));
        let mut pw = MockPasswordHasher::new();
        pw.expect_verify().returning(|_, _| Ok(true));
        pw.expect_hash().returning(|_| Ok("$argon2id$new".into()));
        let mut m = meter(true);
        m.expect_undo_hit().returning(|_, _, _| Ok(()));
        let prefix = KeyPrefix::parse("jl_live_ab12****").unwrap();
        let key = Principal { credential: Credential::ApiKey { id: KeyId(1), prefix }, ..session() };
        assert_eq!(change(store, pw, m).execute(&key, "old-password", "new-password").await.unwrap(), 1);
    }

    #[tokio::test]
    async fn a_wrong_password_changes_nothing_and_is_not_forgiven() {
        let mut store = MockKeyStore::new();
        stored_login(&mut store);
        store.expect_set_password().never();
        let mut pw = MockPasswordHasher::new();
        pw.expect_verify().returning(|_, _| Ok(false));
        pw.expect_hash().never();
        let mut m = meter(true);
        m.expect_undo_hit().never();
        let e = change(store, pw, m).execute(&session(), "guess-1234", "new-password").await.unwrap_err();
        assert_eq!(e.code(), Code::InvalidCredentials);
    }

    #[tokio::test]
    async fn a_spent_allowance_refuses_before_the_password_is_checked() {
        let mut store = MockKeyStore::new();
        store.expect_find_login().never();
        let mut pw = MockPasswordHasher::new();
        pw.expect_verify().never();
        let e = change(store, pw, meter(false)).execute(&session(), "old-password", "new-password").await.unwrap_err();
        assert!(matches!(e, ChangePasswordError::TooManyFailures { retry_after_secs: 120 }), "{e:?}");
        assert_eq!(e.code(), Code::RateLimited);
    }

    #[tokio::test]
    async fn a_new_password_against_the_policy_costs_no_guess() {
        let mut m = MockUsageMeter::new();
        m.expect_hit_window().never();
        let e = change(MockKeyStore::new(), MockPasswordHasher::new(), m)
            .execute(&session(), "old-password", "short")
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::ValidationFailed);
        assert!(matches!(e, ChangePasswordError::Invalid(f) if f.field == "new_password"));
    }
}
