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
