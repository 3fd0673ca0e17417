//! Signed session (access) tokens.

use chrono::{DateTime, Utc};

use crate::domain::AccountId;

/// What an access token proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessClaims {
    pub account_id: AccountId,
    /// The refresh-token family this session belongs to.
    pub family: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the session token has expired")]
    Expired,
    #[error("the session token is not valid")]
    Invalid,
}

/// Issues and verifies access tokens. Cheap and CPU-bound, hence synchronous.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TokenSigner: Send + Sync {
    /// Signs a token for `claims`.
    fn issue(&self, claims: &AccessClaims, now: DateTime<Utc>) -> String;

    /// `Err(Invalid)` for a bad signature, algorithm or shape; `Err(Expired)` if `now` is at or
    /// past its expiry.
    fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<AccessClaims, TokenError>;
}
