//! Key rotation: revoke every active key and return one new key. The new key keeps the scopes of
//! the keys it replaces (their union), or takes the ones asked for; a key rotating never grants
//! more than it holds. Rotation is what an owner does after a leak, so it also ends every login
//! of the account but the caller's own (in the same transaction). Rotations of one account never interleave: they hold the account's
//! rotation lock, and one that finds it held is refused (429) rather than queued.

use std::sync::Arc;
use std::time::Duration;

use crate::domain::{KeyName, Scopes};
use crate::ports::{Clock, KeyStore, KeyStoreError, Lock, LockError, Logins};
use crate::usecases::keys::{ScopeRequestError, granted_scopes, scope_not_held_message};
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
    #[error("{}", scope_not_held_message(.0))]
    ScopeNotHeld(Scopes),
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
            RotateError::ScopeNotHeld(_) => Code::InsufficientScope,
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
    /// `scopes`: the new key's scope names; by default the union of the scopes of the keys it
    /// replaces (all the caller may grant when there are none), limited to what the caller may
    /// grant.
    pub async fn execute(
        &self,
        who: &Principal,
        name: Option<&str>,
        scopes: Option<&[String]>,
    ) -> Result<IssuedKey, RotateError> {
        let name =
            KeyName::parse_or(name, ROTATED_KEY_NAME).map_err(|e| RotateError::Invalid(FieldError::new("name", e)))?;
        let scope_error = |e| match e {
            ScopeRequestError::Invalid(f) => RotateError::Invalid(f),
            ScopeRequestError::NotHeld(missing) => RotateError::ScopeNotHeld(missing),
        };
        // Asked-for scopes are checked before anything is locked or read.
        let asked = match scopes {
            Some(_) => Some(granted_scopes(who, scopes, Scopes::NONE).map_err(scope_error)?),
            None => None,
        };
        let lock_name = format!("rotate-keys:{}", who.account.id);
        let token = self
            .lock
            .try_acquire(&lock_name, ROTATION_LOCK_TTL)
            .await
            .map_err(RotateError::Lock)?
            .ok_or(RotateError::InProgress)?;
        let account = who.account.id;
        let now = self.clock.now();
        let result = async {
            let scopes = match asked {
                Some(scopes) => scopes,
                // Read under the lock: no other rotation changes the keys meanwhile.
                None => self.replaced_scopes(who).await?,
            };
            self.issuer
                .store_unique(name, scopes, who.login(), |new| {
                    self.store.rotate_keys(account, new, Logins::all_but(who.login()), now)
                })
                .await
                .map_err(RotateError::Store)
        }
        .await;
        // Released whatever happened; if the release fails the lock expires by its TTL.
        if let Err(e) = self.lock.release(&lock_name, &token).await {
            tracing::warn!(error = %e, "releasing the key-rotation lock failed; it expires by its TTL");
        }
        result
    }

    /// The union of the active keys' scopes, limited to what the caller may grant.
    async fn replaced_scopes(&self, who: &Principal) -> Result<Scopes, RotateError> {
        let active = self.store.list_active_keys(who.account.id).await.map_err(RotateError::Store)?;
        let held = active.iter().fold(Scopes::NONE, |acc, k| acc.union(k.scopes));
        let scopes = if held.is_empty() { who.grantable() } else { held.intersection(who.grantable()) };
        Ok(scopes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountId, ApiKeyRecord, KeyId, Plan, Scope, SecretHasher};
    use crate::ports::LockToken;
    use crate::ports::key_store::MockKeyStore;
    use crate::ports::lock::MockLock;
    use crate::testing::{CountingEntropy, FixedClock};
    use crate::usecases::Credential;
    use chrono::{DateTime, Utc};

    fn principal() -> Principal {
        crate::testing::principal(4, Plan::Free, Credential::Session { family: "f".into() }, Scopes::SESSION)
    }

    fn record(acc: AccountId, new: crate::ports::NewKey, now: DateTime<Utc>) -> ApiKeyRecord {
        ApiKeyRecord {
            id: KeyId(1),
            account_id: acc,
            name: new.name,
            prefix: new.prefix,
            scopes: new.scopes,
            created_at: now,
            last_used_at: None,
            revoked_at: None,
            minted_by_login: new.minted_by_login,
        }
    }

    fn active(scopes: &[Scope]) -> ApiKeyRecord {
        let (_, new) =
            KeyIssuer { hasher: SecretHasher::new(b"p".to_vec()), entropy: Arc::new(CountingEntropy::default()) }
                .generate(KeyName::parse("k").unwrap(), Scopes::of(scopes), None);
        record(AccountId(4), new, DateTime::<Utc>::from_timestamp(0, 0).unwrap())
    }

    fn held_lock() -> MockLock {
        let mut lock = MockLock::new();
        lock.expect_try_acquire().returning(|_, _| Ok(Some(LockToken("t".into()))));
        lock.expect_release().returning(|_, _| Ok(true));
        lock
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
        let e = rotate(store, lock).execute(&principal(), None, None).await.unwrap_err();
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
        store.expect_list_active_keys().returning(|_| Ok(vec![]));
        store.expect_rotate_keys().times(1).returning(|_, _, _, _| Err(KeyStoreError::PrefixTaken));
        store.expect_rotate_keys().times(1).returning(|acc, new, _, now| Ok(record(acc, new, now)));
        let issued = rotate(store, lock).execute(&principal(), None, None).await.unwrap();
        assert_eq!(issued.record.name.as_str(), ROTATED_KEY_NAME);
        assert_eq!(issued.record.prefix, issued.key.prefix());
        assert_eq!(issued.record.scopes, Scopes::ALL, "no key to replace: a session grants every scope");
    }

    #[tokio::test]
    async fn rotation_ends_every_other_login_and_records_the_minting_login() {
        // A session rotating keeps its own login and ends the others.
        let mut store = MockKeyStore::new();
        store.expect_list_active_keys().returning(|_| Ok(vec![]));
        store
            .expect_rotate_keys()
            .times(1)
            .withf(|_, new, end, _| {
                *end == Logins::AllExcept("f".into()) && new.minted_by_login.as_deref() == Some("f")
            })
            .returning(|acc, new, _, now| Ok(record(acc, new, now)));
        let issued = rotate(store, held_lock()).execute(&principal(), None, None).await.unwrap();
        assert_eq!(issued.record.minted_by_login.as_deref(), Some("f"));

        // A key rotating ends every login; the new key was minted by no login.
        let mut store = MockKeyStore::new();
        store.expect_list_active_keys().returning(|_| Ok(vec![]));
        store
            .expect_rotate_keys()
            .times(1)
            .withf(|_, new, end, _| *end == Logins::All && new.minted_by_login.is_none())
            .returning(|acc, new, _, now| Ok(record(acc, new, now)));
        let key = Principal {
            credential: Credential::ApiKey { id: KeyId(9), prefix: active(&[]).prefix },
            scopes: Scopes::of(&[Scope::KeysWrite]),
            ..principal()
        };
        rotate(store, held_lock()).execute(&key, None, None).await.unwrap();
    }

    #[tokio::test]
    async fn the_new_key_keeps_the_union_of_the_replaced_keys_scopes() {
        let mut store = MockKeyStore::new();
        store
            .expect_list_active_keys()
            .returning(|_| Ok(vec![active(&[Scope::JobsRead]), active(&[Scope::AnalyticsRead, Scope::KeysWrite])]));
        store.expect_rotate_keys().times(1).returning(|acc, new, _, now| Ok(record(acc, new, now)));
        let issued = rotate(store, held_lock()).execute(&principal(), None, None).await.unwrap();
        assert_eq!(issued.record.scopes, Scopes::of(&[Scope::JobsRead, Scope::AnalyticsRead, Scope::KeysWrite]));
    }

    #[tokio::test]
    async fn asked_scopes_replace_the_default_and_a_key_never_grants_beyond_its_own() {
        let mut store = MockKeyStore::new();
        store.expect_list_active_keys().never();
        store.expect_rotate_keys().times(1).returning(|acc, new, _, now| Ok(record(acc, new, now)));
        let asked = vec!["jobs:read".to_owned()];
        let issued = rotate(store, held_lock()).execute(&principal(), None, Some(&asked)).await.unwrap();
        assert_eq!(issued.record.scopes, Scopes::of(&[Scope::JobsRead]));

        // A keys:write-only key asking for jobs:read is refused before any lock or write.
        let mut lock = MockLock::new();
        lock.expect_try_acquire().never();
        let mut store = MockKeyStore::new();
        store.expect_rotate_keys().never();
        let key = Principal {
            credential: Credential::ApiKey { id: KeyId(9), prefix: active(&[]).prefix },
            scopes: Scopes::of(&[Scope::KeysWrite]),
            ..principal()
        };
        let e = rotate(store, lock).execute(&key, None, Some(&asked)).await.unwrap_err();
        assert_eq!(e.code(), Code::InsufficientScope);
        assert!(matches!(e, RotateError::ScopeNotHeld(m) if m == Scopes::of(&[Scope::JobsRead])));
    }

    #[tokio::test]
    async fn a_key_rotating_by_default_keeps_no_more_than_it_holds() {
        let mut store = MockKeyStore::new();
        store.expect_list_active_keys().returning(|_| Ok(vec![active(&Scope::ALL), active(&[Scope::KeysWrite])]));
        store.expect_rotate_keys().times(1).returning(|acc, new, _, now| Ok(record(acc, new, now)));
        let key = Principal {
            credential: Credential::ApiKey { id: KeyId(9), prefix: active(&[]).prefix },
            scopes: Scopes::of(&[Scope::KeysWrite, Scope::JobsRead]),
            ..principal()
        };
        let issued = rotate(store, held_lock()).execute(&key, None, None).await.unwrap();
        assert_eq!(issued.record.scopes, Scopes::of(&[Scope::KeysWrite, Scope::JobsRead]));
    }
}
