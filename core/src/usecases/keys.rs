//! Issuing API keys (shared by register, create and rotate) and creating an additional key.

use std::sync::Arc;

use crate::domain::{ApiKeyRecord, ApiKeySecret, KeyName, SecretHasher, secret::random_bytes};
use crate::ports::{Clock, Entropy, KeyStore, KeyStoreError, NewKey};
use crate::usecases::{FieldError, Principal, store_code};
use crate::{Code, ErrorCode};

/// Default label of a key created without a name.
pub const DEFAULT_KEY_NAME: &str = "Default Key";
/// An account may hold this many active keys.
pub const MAX_ACTIVE_KEYS: u32 = 20;
/// Draws of a new key when its display prefix collides with one of the account's keys.
const PREFIX_ATTEMPTS: usize = 16;

/// A key as shown once to its owner.
#[derive(Debug, Clone)]
pub struct IssuedKey {
    pub key: ApiKeySecret,
    pub record: ApiKeyRecord,
}

/// Generates keys and their storable form.
#[derive(Clone)]
pub struct KeyIssuer {
    pub hasher: SecretHasher,
    pub entropy: Arc<dyn Entropy>,
}

impl KeyIssuer {
    pub fn generate(&self, name: KeyName) -> (ApiKeySecret, NewKey) {
        let key = ApiKeySecret::from_random(random_bytes::<32>(self.entropy.as_ref()));
        let new = NewKey { name, hash: self.hasher.hash(key.expose()), prefix: key.prefix() };
        (key, new)
    }

    /// Runs `store_op` with fresh keys until one's display prefix is free on the account.
    pub async fn store_unique<F, Fut>(&self, name: KeyName, mut store_op: F) -> Result<IssuedKey, KeyStoreError>
    where
        F: FnMut(NewKey) -> Fut,
        Fut: std::future::Future<Output = Result<ApiKeyRecord, KeyStoreError>>,
    {
        for _ in 0..PREFIX_ATTEMPTS {
            let (key, new) = self.generate(name.clone());
            match store_op(new).await {
                Ok(record) => return Ok(IssuedKey { key, record }),
                Err(KeyStoreError::PrefixTaken) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(KeyStoreError::Unknown(anyhow::anyhow!("no free display prefix after {PREFIX_ATTEMPTS} draws")))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CreateKeyError {
    #[error(transparent)]
    Invalid(FieldError),
    #[error("an account may have at most {MAX_ACTIVE_KEYS} active keys; revoke one first")]
    LimitReached,
    #[error(transparent)]
    Store(KeyStoreError),
}

impl ErrorCode for CreateKeyError {
    fn code(&self) -> Code {
        match self {
            CreateKeyError::Invalid(_) => Code::ValidationFailed,
            CreateKeyError::LimitReached => Code::KeyLimitReached,
            CreateKeyError::Store(e) => store_code(e),
        }
    }
}

/// An additional key for the caller's account.
pub struct CreateKey {
    pub store: Arc<dyn KeyStore>,
    pub issuer: KeyIssuer,
    pub clock: Arc<dyn Clock>,
}

impl CreateKey {
    pub async fn execute(&self, who: &Principal, name: Option<&str>) -> Result<IssuedKey, CreateKeyError> {
        let name = KeyName::parse_or(name, DEFAULT_KEY_NAME)
            .map_err(|e| CreateKeyError::Invalid(FieldError::new("name", e)))?;
        let now = self.clock.now();
        let account = who.account.id;
        self.issuer.store_unique(name, |new| self.store.insert_key(account, new, MAX_ACTIVE_KEYS, now)).await.map_err(
            |e| match e {
                KeyStoreError::KeyLimitReached => CreateKeyError::LimitReached,
                e => CreateKeyError::Store(e),
            },
        )
    }
}
