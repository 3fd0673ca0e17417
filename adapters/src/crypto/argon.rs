//! argon2id password hashing with the OWASP-recommended parameters (m = 19 MiB, t = 2, p = 1),
//! run on the blocking pool and bounded in concurrency so a login flood cannot exhaust memory.

use anyhow::anyhow;
use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use async_trait::async_trait;
use jobin_core::domain::Password;
use jobin_core::ports::{HashError, PasswordHasher};
use std::sync::Arc;
use tokio::sync::{OnceCell, Semaphore};

/// OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane.
pub const OWASP_MEMORY_KIB: u32 = 19 * 1024;
pub const OWASP_ITERATIONS: u32 = 2;
pub const OWASP_PARALLELISM: u32 = 1;

pub struct Argon2Hasher {
    params: Params,
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified against when the email is unknown.
    dummy: OnceCell<String>,
}

impl Argon2Hasher {
    /// `max_concurrent` hashes run at once (each takes 19 MiB); more wait their turn.
    pub fn new(max_concurrent: usize) -> anyhow::Result<Self> {
        let params = Params::new(OWASP_MEMORY_KIB, OWASP_ITERATIONS, OWASP_PARALLELISM, None)
            .map_err(|e| anyhow!("argon2 parameters: {e}"))?;
        Ok(Self { params, permits: Arc::new(Semaphore::new(max_concurrent.max(1))), dummy: OnceCell::new() })
    }

    fn argon(params: Params) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(Argon2<'static>) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let _permit = self.permits.acquire().await.map_err(|e| HashError::Unknown(anyhow!("hasher closed: {e}")))?;
        let argon = Self::argon(self.params.clone());
        tokio::task::spawn_blocking(move || f(argon))
            .await
            .map_err(|e| HashError::Unknown(anyhow!("hashing task failed: {e}")))
    }

    async fn hash_str(&self, password: String) -> Result<String, HashError> {
        self.run(move |argon| {
            argon
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| HashError::Unknown(anyhow!("argon2 hash: {e}")))
        })
        .await?
    }

    async fn dummy_hash(&self) -> Result<String, HashError> {
        self.dummy.get_or_try_init(|| self.hash_str("jobin-dummy-password-for-timing".to_owned())).await.cloned()
    }
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> Result<String, HashError> {
        self.hash_str(password.expose().to_owned()).await
    }

    async fn verify(&self, password: &Password, hash: Option<String>) -> Result<bool, HashError> {
        let (hash, real) = match hash {
            Some(h) => (h, true),
            None => (self.dummy_hash().await?, false),
        };
        let password = password.expose().to_owned();
        let matched = self
            .run(move |argon| match PasswordHash::new(&hash) {
                Ok(parsed) => argon.verify_password(password.as_bytes(), &parsed).is_ok(),
                Err(e) => {
                    tracing::error!(error = %e, "stored password hash cannot be parsed");
                    false
                }
            })
            .await?;
        Ok(matched && real)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_owasp_argon2id_and_verifies() {
        let h = Argon2Hasher::new(2).unwrap();
        let pw = Password::parse("correct horse battery").unwrap();
        let hash = h.hash(&pw).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(h.verify(&pw, Some(hash.clone())).await.unwrap());
        let wrong = Password::parse("incorrect horse").unwrap();
        assert!(!h.verify(&wrong, Some(hash.clone())).await.unwrap());
        // Same password, fresh salt.
        assert_ne!(h.hash(&pw).await.unwrap(), hash);
    }

    #[tokio::test]
    async fn unknown_account_and_garbage_hash_never_match() {
        let h = Argon2Hasher::new(1).unwrap();
        let pw = Password::parse("jobin-dummy-password-for-timing").unwrap();
        // Even the dummy's own password does not "match" when no hash was given.
        assert!(!h.verify(&pw, None).await.unwrap());
        assert!(!h.verify(&pw, Some("not a phc string".into())).await.unwrap());
    }
}
