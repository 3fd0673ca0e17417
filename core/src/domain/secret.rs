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

/// Seals values the server keeps that may hold a secret shown once (kept idempotent answers hold
/// new API keys, webhook secrets and feed tokens): ChaCha20-Poly1305 under a key derived from the
/// pepper for one purpose, each value bound to its context (whose it is, under which key), so a
/// copy of the store alone reads nothing and a sealed value cannot be moved to another context.
#[derive(Clone)]
pub struct Sealer {
    key: [u8; 32],
}

/// Bytes a sealed value adds: its nonce and tag.
pub const SEAL_OVERHEAD: usize = 12 + 16;

impl Sealer {
    pub fn new(pepper: &[u8], purpose: &str) -> Self {
        let mut mac = match Hmac::<Sha256>::new_from_slice(pepper) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(b"jobin sealing key v1|");
        mac.update(purpose.as_bytes());
        Self { key: mac.finalize().into_bytes().into() }
    }

    /// `nonce ‖ ciphertext ‖ tag`. The nonce must never repeat under this key: take it from a
    /// CSPRNG.
    pub fn seal(&self, nonce: [u8; 12], context: &[u8], plain: &[u8]) -> Vec<u8> {
        use chacha20poly1305::aead::{Aead, KeyInit, Payload};
        let cipher = chacha20poly1305::ChaCha20Poly1305::new(&self.key.into());
        let sealed = match cipher.encrypt(&nonce.into(), Payload { msg: plain, aad: context }) {
            Ok(c) => c,
            Err(_) => unreachable!("ChaCha20-Poly1305 encrypts any message that fits in memory"),
        };
        let mut out = Vec::with_capacity(12 + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// The value sealed for `context`; `None` when it was not (another key, another context, or
    /// altered).
    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        use chacha20poly1305::aead::{Aead, KeyInit, Payload};
        if sealed.len() < SEAL_OVERHEAD {
            return None;
        }
        let (nonce, body) = sealed.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().ok()?;
        let cipher = chacha20poly1305::ChaCha20Poly1305::new(&self.key.into());
        cipher.decrypt(&nonce.into(), Payload { msg: body, aad: context }).ok()
    }
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer(<key redacted>)")
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

    #[test]
    fn sealed_values_open_only_in_their_context_under_their_pepper() {
        let sealer = Sealer::new(b"pepper", "kept answers");
        let sealed = sealer.seal([7; 12], b"account 1|key", b"jl_live_secret whsec_x jf_y");
        assert_eq!(sealed.len(), 27 + SEAL_OVERHEAD);
        let text = String::from_utf8_lossy(&sealed);
        assert!(!text.contains("jl_live_") && !text.contains("whsec_") && !text.contains("jf_"), "no clear text");
        assert_eq!(sealer.open(b"account 1|key", &sealed).as_deref(), Some(&b"jl_live_secret whsec_x jf_y"[..]));
        assert_eq!(sealer.open(b"account 2|key", &sealed), None, "another context");
        assert_eq!(Sealer::new(b"other", "kept answers").open(b"account 1|key", &sealed), None, "another pepper");
        assert_eq!(Sealer::new(b"pepper", "other purpose").open(b"account 1|key", &sealed), None);
        let mut altered = sealed.clone();
        altered[20] ^= 1;
        assert_eq!(sealer.open(b"account 1|key", &altered), None, "altered");
        assert_eq!(sealer.open(b"account 1|key", &sealed[..10]), None, "cut short");
        assert_ne!(sealer.seal([8; 12], b"account 1|key", b"same"), sealer.seal([9; 12], b"account 1|key", b"same"));
    }
}
