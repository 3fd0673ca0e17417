//! Randomness for secrets (API keys, refresh tokens, lock tokens).

/// A source of cryptographically secure random bytes. Implementations MUST be a CSPRNG; a failure
/// to obtain entropy is unrecoverable and MAY panic rather than return weak bytes.
pub trait Entropy: Send + Sync {
    fn fill(&self, dest: &mut [u8]);
}
