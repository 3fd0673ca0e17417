//! Hashing of bearer secrets (API keys, refresh tokens) for storage and lookup.
//!
//! Secrets are long random values, so a fast keyed hash is the right tool (a slow password hash
//! would only add latency to every request): HMAC-SHA-256 keyed with a server-side pepper, so a
//! leaked database alone does not let anyone test candidate keys.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

use crate::ports::Entropy;

/// Hex-encoded HMAC-SHA-256 of a secret. Safe to store and to index.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SecretHash(String);

impl SecretHash {
    /// Wraps a hash read back from storage.
    pub fn from_stored(hex: String) -> Self {
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretHash({}…)", &self.0[..self.0.len().min(8)])
    }
}

/// Computes peppered hashes of secrets.
#[derive(Clone)]
pub struct SecretHasher {
    pepper: Vec<u8>,
}

impl SecretHasher {
    pub fn new(pepper: impl Into<Vec<u8>>) -> Self {
        Self { pepper: pepper.into() }
    }

    pub fn hash(&self, secret: &str) -> SecretHash {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.pepper) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(secret.as_bytes());
        SecretHash(hex::encode(mac.finalize().into_bytes()))
    }
}

impl fmt::Debug for SecretHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHasher(<pepper redacted>)")
    }
}

/// `N` random bytes from the entropy port.
pub fn random_bytes<const N: usize>(entropy: &dyn Entropy) -> [u8; N] {
    let mut buf = [0u8; N];
    entropy.fill(&mut buf);
    buf
}

/// A random token of 32 bytes, hex-encoded (refresh tokens, lock tokens).
pub fn random_token(entropy: &dyn Entropy) -> String {
    hex::encode(random_bytes::<32>(entropy))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_on_pepper_and_secret() {
        let a = SecretHasher::new(b"pepper-a".to_vec());
        let b = SecretHasher::new(b"pepper-b".to_vec());
        assert_eq!(a.hash("k1"), a.hash("k1"));
        assert_ne!(a.hash("k1"), a.hash("k2"));
        assert_ne!(a.hash("k1"), b.hash("k1"));
        assert_eq!(a.hash("k1").as_str().len(), 64);
    }

    #[test]
    fn matches_a_known_hmac_vector() {
        // RFC 4231 test case 2.
        let h = SecretHasher::new(b"Jefe".to_vec());
        assert_eq!(
            h.hash("what do ya want for nothing?").as_str(),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
