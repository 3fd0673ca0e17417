//! An in-process `Lock`: token-owned entries that expire after their TTL.

use async_trait::async_trait;
use jobin_core::domain::random_token;
use jobin_core::ports::{Entropy, Lock, LockError, LockToken};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct MemoryLock {
    held: Mutex<HashMap<String, (LockToken, Instant)>>,
    entropy: Arc<dyn Entropy>,
}

impl MemoryLock {
    pub fn new(entropy: Arc<dyn Entropy>) -> Self {
        Self { held: Mutex::new(HashMap::new()), entropy }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, HashMap<String, (LockToken, Instant)>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl Lock for MemoryLock {
    async fn try_acquire(&self, name: &str, ttl: Duration) -> Result<Option<LockToken>, LockError> {
        let now = Instant::now();
        let mut held = self.held();
        // Drop expired entries so the map stays as small as the set of live locks.
        held.retain(|_, (_, until)| *until > now);
        if held.contains_key(name) {
            return Ok(None);
        }
        let token = LockToken(random_token(self.entropy.as_ref()));
        held.insert(name.to_owned(), (token.clone(), now + ttl));
        Ok(Some(token))
    }

    async fn release(&self, name: &str, token: &LockToken) -> Result<bool, LockError> {
        let mut held = self.held();
        match held.get(name) {
            Some((owner, until)) if owner == token && *until > Instant::now() => {
                held.remove(name);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
