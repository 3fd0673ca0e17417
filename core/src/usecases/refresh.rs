//! Session refresh: spends a refresh token and returns a new pair in the same family. A token
//! presented twice revokes its whole family (the legitimate holder must log in again).

use std::sync::Arc;

use crate::ports::{KeyStore, KeyStoreError, RefreshOutcome};
use crate::usecases::{SessionIssuer, SessionTokens, store_code};
use crate::{Code, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("The refresh token is not valid.")]
    Invalid,
    #[error("The refresh token has expired; log in again.")]
    Expired,
    #[error("This refresh token was already used; every session of its login has been revoked. Log in again.")]
    Reused,
    #[error(transparent)]
    Store(KeyStoreError),
}

impl ErrorCode for RefreshError {
    fn code(&self) -> Code {
        match self {
            RefreshError::Invalid => Code::InvalidCredentials,
            RefreshError::Expired => Code::TokenExpired,
            RefreshError::Reused => Code::RefreshTokenReused,
            RefreshError::Store(e) => store_code(e),
        }
    }
}

pub struct Refresh {
    pub store: Arc<dyn KeyStore>,
    pub sessions: SessionIssuer,
}

impl Refresh {
    pub async fn execute(&self, refresh_token: &str) -> Result<SessionTokens, RefreshError> {
        let token = refresh_token.trim();
        // Our tokens are 64 hex characters; anything else cannot match and is not looked up.
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(RefreshError::Invalid);
        }
        let now = self.sessions.clock.now();
        let hash = self.sessions.hasher.hash(token);
        match self.store.consume_refresh_token(&hash, now).await.map_err(RefreshError::Store)? {
            RefreshOutcome::Valid { expires_at, .. } if expires_at <= now => Err(RefreshError::Expired),
            RefreshOutcome::Valid { account_id, family, .. } => {
                self.sessions.issue(account_id, family).await.map_err(RefreshError::Store)
            }
            RefreshOutcome::Reused { .. } => Err(RefreshError::Reused),
            RefreshOutcome::Unknown => Err(RefreshError::Invalid),
        }
    }
}
