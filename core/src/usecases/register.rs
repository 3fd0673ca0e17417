//! Registration: a Free account and its first API key, shown once.

use std::sync::Arc;

use crate::domain::{Account, Email, KeyName, Password, Plan, Scopes};
use crate::ports::{Clock, HashError, KeyStore, KeyStoreError, PasswordHasher};
use crate::usecases::{FieldError, IssuedKey, KeyIssuer, store_code};
use crate::{Code, ErrorCode};

/// Label of the key created at registration (the same default as a key created later).
pub const FIRST_KEY_NAME: &str = "Default Key";

#[derive(Debug)]
pub struct Registered {
    pub account: Account,
    pub key: IssuedKey,
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error(transparent)]
    Invalid(FieldError),
    #[error("This email is already registered; log in instead.")]
    EmailTaken,
    #[error(transparent)]
    Hash(HashError),
    #[error(transparent)]
    Store(KeyStoreError),
}

impl ErrorCode for RegisterError {
    fn code(&self) -> Code {
        match self {
            RegisterError::Invalid(_) => Code::ValidationFailed,
            RegisterError::EmailTaken => Code::EmailTaken,
            RegisterError::Hash(_) => Code::Internal,
            RegisterError::Store(e) => store_code(e),
        }
    }
}

pub struct Register {
    pub store: Arc<dyn KeyStore>,
    pub passwords: Arc<dyn PasswordHasher>,
    pub issuer: KeyIssuer,
    pub clock: Arc<dyn Clock>,
}

impl Register {
    pub async fn execute(&self, email: &str, password: &str) -> Result<Registered, RegisterError> {
        let email = Email::parse(email).map_err(|e| RegisterError::Invalid(FieldError::new("email", e)))?;
        let password = Password::parse(password).map_err(|e| RegisterError::Invalid(FieldError::new("password", e)))?;
        let password_hash = self.passwords.hash(&password).await.map_err(RegisterError::Hash)?;
        let name =
            KeyName::parse_or(None, FIRST_KEY_NAME).map_err(|e| RegisterError::Invalid(FieldError::new("name", e)))?;
        // A new account has no keys, so the first prefix cannot collide.
        let (key, new_key) = self.issuer.generate(name, Scopes::ALL, None);
        let (account, record) =
            self.store.create_account(&email, &password_hash, Plan::Free, new_key, self.clock.now()).await.map_err(
                |e| match e {
                    KeyStoreError::EmailTaken => RegisterError::EmailTaken,
                    e => RegisterError::Store(e),
                },
            )?;
        Ok(Registered { account, key: IssuedKey { key, record } })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SecretHasher;
    use crate::ports::key_store::MockKeyStore;
    use crate::ports::password::MockPasswordHasher;
    use crate::testing::{CountingEntropy, FixedClock};

    fn register(store: MockKeyStore, pw: MockPasswordHasher) -> Register {
        Register {
            store: Arc::new(store),
            passwords: Arc::new(pw),
            issuer: KeyIssuer {
                hasher: SecretHasher::new(b"p".to_vec()),
                entropy: Arc::new(CountingEntropy::default()),
            },
            clock: Arc::new(FixedClock::at(0)),
        }
    }

    #[tokio::test]
    async fn invalid_input_is_rejected_before_hashing_or_storing() {
        let mut pw = MockPasswordHasher::new();
        pw.expect_hash().never();
        let mut store = MockKeyStore::new();
        store.expect_create_account().never();
        let r = register(store, pw);
        let e = r.execute("not-an-email", "longenough").await.unwrap_err();
        assert!(matches!(&e, RegisterError::Invalid(f) if f.field == "email"));
        let e = r.execute("dev@example.com", "short").await.unwrap_err();
        assert!(matches!(&e, RegisterError::Invalid(f) if f.field == "password"));
        assert_eq!(e.code(), Code::ValidationFailed);
    }

    #[tokio::test]
    async fn duplicate_email_maps_to_email_taken() {
        let mut pw = MockPasswordHasher::new();
        pw.expect_hash().returning(|_| Ok("$argon2id$x".into()));
        let mut store = MockKeyStore::new();
        store
            .expect_create_account()
            .withf(|email, hash, plan, key, _| {
                email.as_str() == "dev@example.com"
                    && hash == "$argon2id$x"
                    && *plan == Plan::Free
                    && key.name.as_str() == FIRST_KEY_NAME
            })
            .returning(|_, _, _, _, _| Err(KeyStoreError::EmailTaken));
        let e = register(store, pw).execute("Dev@Example.com", "longenough").await.unwrap_err();
        assert_eq!(e.code(), Code::EmailTaken);
    }
}
