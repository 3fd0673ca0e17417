//! Key revocation: revoke one of the caller's keys by its display prefix.

use std::sync::Arc;

use crate::domain::KeyPrefix;
use crate::ports::{Clock, KeyStore, KeyStoreError};
use crate::usecases::{FieldError, Principal, store_code};
use crate::{Code, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum RevokeError {
    #[error(transparent)]
    Invalid(FieldError),
    /// Also for another account's prefix: the answer reveals nothing about other accounts.
    #[error("No active key with prefix {0} on this account.")]
    NotFound(String),
    #[error(transparent)]
    Store(KeyStoreError),
}

impl ErrorCode for RevokeError {
    fn code(&self) -> Code {
        match self {
            RevokeError::Invalid(_) => Code::ValidationFailed,
            RevokeError::NotFound(_) => Code::KeyNotFound,
            RevokeError::Store(e) => store_code(e),
        }
    }
}

pub struct RevokeKey {
    pub store: Arc<dyn KeyStore>,
    pub clock: Arc<dyn Clock>,
}

impl RevokeKey {
    pub async fn execute(&self, who: &Principal, prefix: &str) -> Result<KeyPrefix, RevokeError> {
        let prefix = KeyPrefix::parse(prefix.trim()).map_err(|e| RevokeError::Invalid(FieldError::new("prefix", e)))?;
        let revoked =
            self.store.revoke_key(who.account.id, &prefix, self.clock.now()).await.map_err(RevokeError::Store)?;
        if revoked { Ok(prefix) } else { Err(RevokeError::NotFound(prefix.display())) }
    }
}
