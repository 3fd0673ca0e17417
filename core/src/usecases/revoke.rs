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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountId, Plan, Scopes};
    use crate::ports::key_store::MockKeyStore;
    use crate::testing::FixedClock;

    fn who() -> Principal {
        crate::testing::principal(3, Plan::Free, crate::testing::api_key(), Scopes::ALL)
    }

    fn revoke(store: MockKeyStore) -> RevokeKey {
        RevokeKey { store: Arc::new(store), clock: Arc::new(FixedClock::at(1_764_547_200)) }
    }

    #[tokio::test]
    async fn the_callers_key_is_revoked_by_its_shown_prefix_with_or_without_the_mask() {
        for shown in ["jl_live_cd34****", " jl_live_cd34 "] {
            let mut store = MockKeyStore::new();
            store
                .expect_revoke_key()
                .withf(|account, prefix, _| *account == AccountId(3) && prefix.display() == "jl_live_cd34****")
                .times(1)
                .returning(|_, _, _| Ok(true));
            assert_eq!(revoke(store).execute(&who(), shown).await.unwrap().display(), "jl_live_cd34****");
        }
    }

    #[tokio::test]
    async fn a_prefix_the_account_does_not_hold_is_not_found_and_a_malformed_one_is_invalid() {
        let mut store = MockKeyStore::new();
        store.expect_revoke_key().times(1).returning(|_, _, _| Ok(false));
        let e = revoke(store).execute(&who(), "jl_live_ef56").await.unwrap_err();
        assert_eq!(e.to_string(), "No active key with prefix jl_live_ef56**** on this account.");
        assert_eq!(e.code(), Code::KeyNotFound);

        let e = revoke(MockKeyStore::new()).execute(&who(), "sk_live_nope").await.unwrap_err();
        assert!(matches!(&e, RevokeError::Invalid(f) if f.field == "prefix"), "{e:?}");
    }
}
