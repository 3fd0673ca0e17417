//! Password hashing (slow on purpose; adapters run it off the async executor).

use async_trait::async_trait;

use crate::domain::Password;

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("password hashing failed")]
    Unknown(#[source] anyhow::Error),
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// A PHC string (`$argon2id$…`) with a fresh salt.
    async fn hash(&self, password: &Password) -> Result<String, HashError>;

    /// Whether `password` matches `hash`. With `hash = None` it does the same work against a fixed
    /// hash and returns `Ok(false)`, so unknown and known emails take the same time.
    /// A stored hash that cannot be parsed is `Ok(false)` (and logged by the adapter).
    async fn verify(&self, password: &Password, hash: Option<String>) -> Result<bool, HashError>;
}
