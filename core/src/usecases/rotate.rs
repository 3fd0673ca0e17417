//! Key rotation: revoke every active key and return one new key. Rotations of one
//! account never interleave: they hold the account's rotation lock, and one that finds it held
//! is refused (429) rather than queued.

use std::sync::Arc;
use std::time::Duration;

use crate::domain::KeyName;
use crate::ports::{Clock, KeyStore, KeyStoreError, Lock, LockError};
use crate::usecases::{FieldError, IssuedKey, KeyIssuer, Principal, store_code};
use crate::{Code, ErrorCode};

/// Default label of a rotated key.
pub const ROTATED_KEY_NAME: &str = "Rotated Key";
/// Longest a rotation may hold the lock if its node dies mid-way.
pub const ROTATION_LOCK_TTL: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    #[error(transparent)]
    Invalid(FieldError),
    #[error("Another key rotation for this account is in progress; retry in a moment.")]
    InProgress,
    #[error(transparent)]
    Lock(LockError),
    #[error(transparent)]
    Store(KeyStoreError),
}

impl ErrorCode for RotateError {
    fn code(&self) -> Code {
        match self {
            RotateError::Invalid(_) => Code::ValidationFailed,
            RotateError::InProgress => Code::RotationInProgress,
            RotateError::Lock(_) => Code::DependencyUnavailable,
            RotateError::Store(e) => store_code(e),
        }
    }
}

pub struct RotateKeys {
    pub store: Arc<dyn KeyStore>,
    pub lock: Arc<dyn Lock>,
    pub issuer: KeyIssuer,
    pub clock: Arc<dyn Clock>,
}

impl RotateKeys {
    pub async fn execute(&self, who: &Principal, name: Option<&str>) -> Result<IssuedKey, RotateError> {
        let name =
            KeyName::parse_or(name, ROTATED_KEY_NAME).map_err(|e| RotateError::Invalid(FieldError::new("name", e)))?;
        let lock_name = format!("rotate-keys:{}", who.account.id);
        let token = self
            .lock
            .try_acquire(&lock_name, ROTATION_LOCK_TTL)
            .await
            .map_err(RotateError::Lock)?
            .ok_or(RotateError::InProgress)?;
        let account = who.account.id;
        let now = self.clock.now();
        let result = self
            .issuer
            .store_unique(name, |new| self.store.rotate_keys(account, new, now))
            .await
            .map_err(RotateError::Store);
        // Released whatever happened; if the release fails the lock expires by its TTL.
        if let Err(e) = self.lock.release(&lock_name, &token).await {
            tracing::warn!(error = %e, "releasing the key-rotation lock failed; it expires by its TTL");
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Account, AccountId, ApiKeyRecord, Email, KeyId, Plan, SecretHasher};
    use crate::ports::LockToken;
    use crate::ports::key_store::MockKeyStore;
    use crate::ports::lock::MockLock;
    use crate::testing::{CountingEntropy, FixedClock};
    use crate::usecases::Credential;
    use chrono::{DateTime, Utc};

    fn principal() -> Principal {
        Principal {
            account: Account {
                id: AccountId(4),
                email: Email::parse("a@example.com").unwrap(),
                plan: Plan::Free,
                created_at: DateTime::<Utc>::from_timestamp(0, 0).unwrap(),
            },
            credential: Credential::Session { family: "f".into() },
        }
    }

    fn rotate(store: MockKeyStore, lock: MockLock) -> RotateKeys {
        RotateKeys {
            store: Arc::new(store),
            lock: Arc::new(lock),
            issuer: KeyIssuer {
                hasher: SecretHasher::new(b"p".to_vec()),
                entropy: Arc::new(CountingEntropy::default()),
            },
            clock: Arc::new(FixedClock::at(0)),
        }
    }

    #[tokio::test]
    async fn a_held_lock_means_in_progress_and_nothing_is_written() {
        let mut lock = MockLock::new();
        lock.expect_try_acquire().returning(|_, _| Ok(None));
        lock.expect_release().never();
        let mut store = MockKeyStore::new();
        store.expect_rotate_keys().never();
        let e = rotate(store, lock).execute(&principal(), None).await.unwrap_err();
        assert_eq!(e.code(), Code::RotationInProgress);
    }

    #[tokio::test]
    async fn retries_prefix_collisions_and_releases_the_lock() {
        let mut lock = MockLock::new();
        lock.expect_try_acquire()
            .withf(|name, _| name == "rotate-keys:4")
            .returning(|_, _| Ok(Some(LockToken("t".into()))));
        lock.expect_release()
            .times(1)
            .withf(|name, t| name == "rotate-keys:4" && t.0 == "t")
            .returning(|_, _| Ok(true));
        let mut store = MockKeyStore::new();
        store.expect_rotate_keys().times(1).returning(|_, _, _| Err(KeyStoreError::PrefixTaken));
        store.expect_rotate_keys().times(1).returning(|acc, new, now| {
            Ok(ApiKeyRecord {
                id: KeyId(1),
                account_id: acc,
                name: new.name,
                prefix: new.prefix,
                created_at: now,
                last_used_at: None,
                revoked_at: None,
            })
        });
        let issued = rotate(store, lock).execute(&principal(), None).await.unwrap();
        assert_eq!(issued.record.name.as_str(), ROTATED_KEY_NAME);
        assert_eq!(issued.record.prefix, issued.key.prefix());
    }
}
