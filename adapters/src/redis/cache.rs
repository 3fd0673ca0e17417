//! Redis: the cache: GET / SET PX.

use async_trait::async_trait;
use fred::prelude::*;
use jobin_core::ports::{Cache, CacheError};
use std::time::Duration;

use super::Redis;

/// `Cache` shared by every node using the same Redis.
pub struct RedisCache {
    redis: Redis,
}

impl RedisCache {
    pub fn new(redis: Redis) -> Self {
        Self { redis }
    }
}

pub(super) fn cache_unavailable(e: fred::error::Error) -> CacheError {
    CacheError::Unavailable(anyhow::Error::new(e).context("Redis cache"))
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let key = self.redis.key(format_args!("cache:{key}"));
        let v: Option<Vec<u8>> = self.redis.run(self.redis.client.get(key)).await.map_err(cache_unavailable)?;
        Ok(v)
    }

    async fn set(&self, key: &str, value: Vec<u8>, ttl: Duration) -> Result<(), CacheError> {
        let key = self.redis.key(format_args!("cache:{key}"));
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1);
        let _: Option<String> = self
            .redis
            .run(self.redis.client.set(key, value.as_slice(), Some(Expiration::PX(ttl_ms)), None, false))
            .await
            .map_err(cache_unavailable)?;
        Ok(())
    }
}
