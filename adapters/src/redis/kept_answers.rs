//! Redis: kept answers (`Idempotency-Key`): sealed, bounded per account and in total.

use async_trait::async_trait;
use chrono::Utc;
use fred::prelude::*;
use fred::types::scripts::Script;
use jobin_core::domain::AccountId;
use jobin_core::ports::CacheError;
use std::time::Duration;

use super::Redis;
use super::cache::cache_unavailable;

/// Keeps one answer (see `RedisKeptAnswers`). ARGV: base, account, key, value, now (ms), ttl
/// (ms), the account's entries and bytes, the store's bytes. Returns 1 when kept, 0 when not.
/// Keys (built here, one Redis): `base:v:<account>:<key>` the value (with its TTL),
/// `base:i:<account>` the account's keys by expiry, `base:s:<account>` their sizes (and `#`, the
/// account's bytes), `base:accounts` accounts by their soonest expiry, `base:total` the bytes of all.
const KEEP_ANSWER: &str = r#"
local base, acct, k, v = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local now, ttl = tonumber(ARGV[5]), tonumber(ARGV[6])
local max_n, max_b, max_t = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local total_key, accounts = base .. ':total', base .. ':accounts'
local function idx(a) return base .. ':i:' .. a end
local function sizes(a) return base .. ':s:' .. a end
local function val(a, key) return base .. ':v:' .. a .. ':' .. key end
local function drop(a, keys)
  local freed = 0
  for _, key in ipairs(keys) do
    local size = redis.call('HGET', sizes(a), key)
    if size then
      freed = freed + tonumber(size)
      redis.call('HDEL', sizes(a), key)
    end
    redis.call('ZREM', idx(a), key)
    redis.call('DEL', val(a, key))
  end
  if freed > 0 then
    redis.call('HINCRBY', sizes(a), '#', -freed)
    redis.call('DECRBY', total_key, freed)
  end
end
local function settle(a)
  local first = redis.call('ZRANGE', idx(a), 0, 0, 'WITHSCORES')
  if #first == 0 then
    redis.call('ZREM', accounts, a)
    redis.call('DEL', sizes(a), idx(a))
  else
    redis.call('ZADD', accounts, first[2], a)
  end
end
-- Expired answers of up to 32 accounts, and of this one.
local due = redis.call('ZRANGEBYSCORE', accounts, '-inf', now, 'LIMIT', 0, 32)
table.insert(due, acct)
for _, a in ipairs(due) do
  drop(a, redis.call('ZRANGEBYSCORE', idx(a), '-inf', now))
  settle(a)
end
drop(acct, {k})
local size = string.len(v) + string.len(k) + 64
if size > max_b or max_n < 1 then settle(acct) return 0 end
-- The account's own oldest answers make room.
while true do
  local n = redis.call('ZCARD', idx(acct))
  local b = tonumber(redis.call('HGET', sizes(acct), '#') or '0')
  if n < max_n and b + size <= max_b then break end
  local oldest = redis.call('ZRANGE', idx(acct), 0, 0)
  if #oldest == 0 then break end
  drop(acct, oldest)
end
if tonumber(redis.call('GET', total_key) or '0') + size > max_t then settle(acct) return 0 end
redis.call('SET', val(acct, k), v, 'PX', ttl)
redis.call('ZADD', idx(acct), now + ttl, k)
redis.call('HSET', sizes(acct), k, size)
redis.call('HINCRBY', sizes(acct), '#', size)
redis.call('INCRBY', total_key, size)
settle(acct)
return 1
"#;

/// `KeptAnswers` shared by every node using the same Redis: the partitions and the byte counts
/// are kept by one script, so concurrent nodes never pass a bound.
pub struct RedisKeptAnswers {
    redis: Redis,
    limits: jobin_core::ports::KeptLimits,
    keep: Script,
}

impl RedisKeptAnswers {
    pub fn new(redis: Redis, limits: jobin_core::ports::KeptLimits) -> Self {
        Self { redis, limits, keep: Script::from_lua(KEEP_ANSWER) }
    }

    fn base(&self) -> String {
        self.redis.key(format_args!("kept"))
    }

    /// The stored value of `account`'s answer under `key`, as Redis holds it (for tests that
    /// look at what is kept at rest).
    pub async fn raw_value(&self, account: AccountId, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        self.get_raw(account, key).await
    }

    async fn get_raw(&self, account: AccountId, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let key = format!("{}:v:{}:{key}", self.base(), account.0);
        self.redis.run(self.redis.client.get(key)).await.map_err(cache_unavailable)
    }
}

#[async_trait]
impl jobin_core::ports::KeptAnswers for RedisKeptAnswers {
    async fn get(&self, account: AccountId, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        self.get_raw(account, key).await
    }

    async fn keep(
        &self,
        account: AccountId,
        key: &str,
        value: Vec<u8>,
        ttl: Duration,
    ) -> Result<jobin_core::ports::Keeping, CacheError> {
        let now_ms = Utc::now().timestamp_millis();
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1);
        let n = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
        let args: Vec<fred::types::Value> = vec![
            self.base().into(),
            account.0.to_string().into(),
            key.into(),
            fred::types::Value::Bytes(value.into()),
            now_ms.into(),
            ttl_ms.into(),
            n(self.limits.account_entries).into(),
            n(self.limits.account_bytes).into(),
            n(self.limits.total_bytes).into(),
        ];
        let kept: i64 = self
            .redis
            .run(self.keep.evalsha_with_reload(&self.redis.client, Vec::<String>::new(), args))
            .await
            .map_err(cache_unavailable)?;
        Ok(if kept == 1 { jobin_core::ports::Keeping::Kept } else { jobin_core::ports::Keeping::NoRoom })
    }

    async fn total_bytes(&self) -> Result<u64, CacheError> {
        let key = format!("{}:total", self.base());
        let v: Option<i64> = self.redis.run(self.redis.client.get(key)).await.map_err(cache_unavailable)?;
        Ok(u64::try_from(v.unwrap_or(0)).unwrap_or(0))
    }
}
