//! An in-process `Cache`: bounded in entries, per-entry TTL. When full, expired entries go first,
//! then the oldest-written.

use async_trait::async_trait;
use jobin_core::ports::{Cache, CacheError};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

struct Entry {
    value: Vec<u8>,
    expires: Instant,
    seq: u64,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<String, Entry>,
    /// write sequence → key, oldest first, for eviction.
    order: BTreeMap<u64, String>,
    next_seq: u64,
}

impl Inner {
    fn remove(&mut self, key: &str) {
        if let Some(e) = self.entries.remove(key) {
            self.order.remove(&e.seq);
        }
    }
}

pub struct MemoryCache {
    capacity: usize,
    inner: Mutex<Inner>,
}

impl MemoryCache {
    pub fn new(capacity: usize) -> Self {
        Self { capacity: capacity.max(1), inner: Mutex::new(Inner::default()) }
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn len(&self) -> usize {
        self.inner().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let mut inner = self.inner();
        match inner.entries.get(key) {
            Some(e) if e.expires > Instant::now() => Ok(Some(e.value.clone())),
            Some(_) => {
                inner.remove(key);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    async fn set(&self, key: &str, value: Vec<u8>, ttl: Duration) -> Result<(), CacheError> {
        let now = Instant::now();
        let mut inner = self.inner();
        inner.remove(key);
        if inner.entries.len() >= self.capacity {
            let expired: Vec<String> =
                inner.entries.iter().filter(|(_, e)| e.expires <= now).map(|(k, _)| k.clone()).collect();
            for k in expired {
                inner.remove(&k);
            }
        }
        while inner.entries.len() >= self.capacity {
            let Some((_, oldest)) = inner.order.pop_first() else { break };
            inner.entries.remove(&oldest);
        }
        let seq = inner.next_seq;
        inner.next_seq += 1;
        inner.order.insert(seq, key.to_owned());
        inner.entries.insert(key.to_owned(), Entry { value, expires: now + ttl, seq });
        Ok(())
    }
}
