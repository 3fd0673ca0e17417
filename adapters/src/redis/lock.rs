//! Redis: the lock: token-owned `SET NX PX`, compare-and-delete release.

use async_trait::async_trait;
use fred::prelude::*;
use fred::types::scripts::Script;
use jobin_core::domain::random_token;
use jobin_core::ports::{Entropy, Lock, LockError, LockToken};
use std::sync::Arc;
use std::time::Duration;

use super::Redis;

/// KEYS[1] = lock; ARGV[1] = token. Deletes only if the caller still owns it.
const RELEASE: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end
"#;

/// `Lock` shared by every node using the same Redis.
pub struct RedisLock {
    redis: Redis,
    entropy: Arc<dyn Entropy>,
    release: Script,
}

impl RedisLock {
    pub fn new(redis: Redis, entropy: Arc<dyn Entropy>) -> Self {
        Self { redis, entropy, release: Script::from_lua(RELEASE) }
    }
}

fn lock_unavailable(e: fred::error::Error) -> LockError {
    LockError::Unavailable(anyhow::Error::new(e).context("Redis lock"))
}

#[async_trait]
impl Lock for RedisLock {
    async fn try_acquire(&self, name: &str, ttl: Duration) -> Result<Option<LockToken>, LockError> {
        let token = random_token(self.entropy.as_ref());
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1);
        let key = self.redis.key(format_args!("lock:{name}"));
        let set: Option<String> = self
            .redis
            .run(self.redis.client.set(key, token.as_str(), Some(Expiration::PX(ttl_ms)), Some(SetOptions::NX), false))
            .await
            .map_err(lock_unavailable)?;
        Ok(set.map(|_| LockToken(token)))
    }

    async fn release(&self, name: &str, token: &LockToken) -> Result<bool, LockError> {
        let key = self.redis.key(format_args!("lock:{name}"));
        let deleted: i64 = self
            .redis
            .run(self.release.evalsha_with_reload(&self.redis.client, vec![key], vec![token.0.clone()]))
            .await
            .map_err(lock_unavailable)?;
        Ok(deleted == 1)
    }
}
