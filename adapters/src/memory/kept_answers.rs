//! In-process `KeptAnswers`: a partition per account (its answers in the order they were kept,
//! with their byte count), and the bytes of all partitions against the store's cap.

use async_trait::async_trait;
use jobin_core::domain::AccountId;
use jobin_core::ports::{CacheError, Keeping, KeptAnswers, KeptLimits};
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

struct Entry {
    value: Vec<u8>,
    expires: Instant,
    size: usize,
}

#[derive(Default)]
struct Partition {
    entries: HashMap<String, Entry>,
    /// Keys, oldest kept first (a key kept again moves to the back).
    order: VecDeque<String>,
    bytes: usize,
}

impl Partition {
    /// Removes `key`; the bytes it freed.
    fn remove(&mut self, key: &str) -> usize {
        let Some(e) = self.entries.remove(key) else { return 0 };
        self.order.retain(|k| k != key);
        self.bytes -= e.size;
        e.size
    }

    /// Removes the expired entries; the bytes freed.
    fn purge(&mut self, now: Instant) -> usize {
        let dead: Vec<String> = self.entries.iter().filter(|(_, e)| e.expires <= now).map(|(k, _)| k.clone()).collect();
        dead.iter().map(|k| self.remove(k)).sum()
    }
}

#[derive(Default)]
struct Inner {
    partitions: HashMap<AccountId, Partition>,
    total: usize,
}

pub struct MemoryKeptAnswers {
    limits: KeptLimits,
    inner: Mutex<Inner>,
}

impl MemoryKeptAnswers {
    pub fn new(limits: KeptLimits) -> Self {
        Self { limits, inner: Mutex::new(Inner::default()) }
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every value held now, for tests that look at what is kept at rest.
    pub fn raw_values(&self) -> Vec<Vec<u8>> {
        self.inner().partitions.values().flat_map(|p| p.entries.values().map(|e| e.value.clone())).collect()
    }
}

#[async_trait]
impl KeptAnswers for MemoryKeptAnswers {
    async fn get(&self, account: AccountId, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let inner = self.inner();
        let live =
            inner.partitions.get(&account).and_then(|p| p.entries.get(key)).filter(|e| e.expires > Instant::now());
        Ok(live.map(|e| e.value.clone()))
    }

    async fn keep(&self, account: AccountId, key: &str, value: Vec<u8>, ttl: Duration) -> Result<Keeping, CacheError> {
        let now = Instant::now();
        let size = KeptLimits::size_of(key, &value);
        let limits = self.limits;
        let mut guard = self.inner();
        let inner = &mut *guard;
        let partition = inner.partitions.entry(account).or_default();
        let mut freed = partition.purge(now) + partition.remove(key);
        if size > limits.account_bytes || limits.account_entries == 0 {
            inner.total -= freed;
            return Ok(Keeping::NoRoom);
        }
        // The account's own oldest answers make room in its partition.
        while partition.entries.len() >= limits.account_entries || partition.bytes + size > limits.account_bytes {
            let Some(oldest) = partition.order.front().cloned() else { break };
            freed += partition.remove(&oldest);
        }
        inner.total -= freed;
        if inner.total + size > limits.total_bytes {
            // Expired answers anywhere may free enough; live ones of others are never taken.
            let mut reclaimed = 0;
            for p in inner.partitions.values_mut() {
                reclaimed += p.purge(now);
            }
            inner.partitions.retain(|_, p| !p.entries.is_empty());
            inner.total -= reclaimed;
            if inner.total + size > limits.total_bytes {
                return Ok(Keeping::NoRoom);
            }
        }
        let partition = inner.partitions.entry(account).or_default();
        partition.order.push_back(key.to_owned());
        partition.entries.insert(key.to_owned(), Entry { value, expires: now + ttl, size });
        partition.bytes += size;
        inner.total += size;
        Ok(Keeping::Kept)
    }

    async fn total_bytes(&self) -> Result<u64, CacheError> {
        Ok(self.inner().total as u64)
    }
}
