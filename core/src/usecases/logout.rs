//! Ending logins: the caller's own (`logout`, with its session token) or every login of the
//! account (`logout-all`, with a session or a key that may manage keys). An ended login's refresh
//! tokens are revoked and its access tokens are refused from the next request on.

use std::sync::Arc;

use crate::ports::{Clock, KeyStore, KeyStoreError, Logins};
use crate::usecases::{Credential, Principal, store_code};
use crate::{Code, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum LogoutError {
    #[error(
        "Logging out ends the login whose session token is sent; an API key is not a login (revoke keys instead, or end every login)."
    )]
    NotASession,
    #[error(transparent)]
    Store(KeyStoreError),
}

impl ErrorCode for LogoutError {
    fn code(&self) -> Code {
        match self {
            LogoutError::NotASession => Code::ValidationFailed,
            LogoutError::Store(e) => store_code(e),
        }
    }
}

pub struct Logout {
    pub store: Arc<dyn KeyStore>,
    pub clock: Arc<dyn Clock>,
}

impl Logout {
    /// Ends the caller's login.
    pub async fn this_login(&self, who: &Principal) -> Result<(), LogoutError> {
        let Credential::Session { family } = &who.credential else { return Err(LogoutError::NotASession) };
        self.store
            .revoke_sessions(who.account.id, Logins::One(family.clone()), self.clock.now())
            .await
            .map_err(LogoutError::Store)?;
        Ok(())
    }

    /// Ends every login of the caller's account.
    pub async fn every_login(&self, who: &Principal) -> Result<(), LogoutError> {
        self.store.revoke_sessions(who.account.id, Logins::All, self.clock.now()).await.map_err(LogoutError::Store)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountId, Plan, Scopes};
    use crate::ports::key_store::MockKeyStore;
    use crate::testing::FixedClock;

    fn who(credential: Credential) -> Principal {
        crate::testing::principal(9, Plan::Free, credential, Scopes::ALL)
    }

    fn logout(store: MockKeyStore) -> Logout {
        Logout { store: Arc::new(store), clock: Arc::new(FixedClock::at(1_764_547_200)) }
    }

    #[tokio::test]
    async fn logout_ends_the_callers_login_only_and_logout_all_every_login() {
        let mut store = MockKeyStore::new();
        store
            .expect_revoke_sessions()
            .withf(|account, logins, _| *account == AccountId(9) && matches!(logins, Logins::One(f) if f == "fam-1"))
            .times(1)
            .returning(|_, _, _| Ok(1));
        store
            .expect_revoke_sessions()
            .withf(|account, logins, _| *account == AccountId(9) && matches!(logins, Logins::All))
            .times(1)
            .returning(|_, _, _| Ok(1));
        let l = logout(store);
        l.this_login(&who(Credential::Session { family: "fam-1".into() })).await.unwrap();
        l.every_login(&who(Credential::Session { family: "fam-1".into() })).await.unwrap();
    }

    #[tokio::test]
    async fn an_api_key_is_not_a_login_to_end() {
        let e = logout(MockKeyStore::new()).this_login(&who(crate::testing::api_key())).await.unwrap_err();
        assert!(matches!(e, LogoutError::NotASession));
        assert_eq!(e.code(), Code::ValidationFailed);
    }
}
