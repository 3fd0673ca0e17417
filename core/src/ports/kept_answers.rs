//! Kept answers of `Idempotency-Key` requests (issue 34): one partition per account, bounded in
//! entries and bytes, inside a store bounded in bytes, so that no account's traffic can evict
//! another's records or grow the server's memory without bound.

use async_trait::async_trait;
use std::time::Duration;

use crate::domain::AccountId;
use crate::ports::CacheError;

/// The bounds of a store of kept answers. An entry's size is its value's and key's bytes plus
/// [`ENTRY_OVERHEAD`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeptLimits {
    /// Answers one account may hold at once.
    pub account_entries: usize,
    /// Bytes one account's answers may take.
    pub account_bytes: usize,
    /// Bytes every account's answers may take together.
    pub total_bytes: usize,
}

/// What an entry costs beyond its key and value (the store's bookkeeping), in bytes.
pub const ENTRY_OVERHEAD: usize = 64;

impl KeptLimits {
    /// The size an entry is counted at.
    pub fn size_of(key: &str, value: &[u8]) -> usize {
        key.len() + value.len() + ENTRY_OVERHEAD
    }
}

/// Whether an answer was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keeping {
    Kept,
    /// Not kept: larger than an account may hold, or the store is full of live answers of other
    /// accounts (which are never evicted for it).
    NoRoom,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait KeptAnswers: Send + Sync {
    /// The answer `account` kept under `key`, while it lives.
    async fn get(&self, account: AccountId, key: &str) -> Result<Option<Vec<u8>>, CacheError>;

    /// Keeps `value` under `key` in `account`'s partition for `ttl` (replacing what the key held).
    /// Expired answers go first; when the partition is still over its entries or bytes, the
    /// account's own oldest answers make room. Other accounts' answers are never evicted: when
    /// the store's total would pass its cap, the answer is not kept.
    async fn keep(&self, account: AccountId, key: &str, value: Vec<u8>, ttl: Duration) -> Result<Keeping, CacheError>;

    /// The bytes counted against the store's cap now (expired answers may still count until the
    /// next `keep` sweeps them).
    async fn total_bytes(&self) -> Result<u64, CacheError>;
}
