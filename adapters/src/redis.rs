//! Redis adapters (fred) for several app nodes: the cache (GET / SET PX), the usage meter (one Lua script checks and counts
//! atomically, one round trip) and the lock (token-owned `SET NX PX`, compare-and-delete release).
//!
//! Failure behaviour: commands time out after `COMMAND_TIMEOUT` while Redis is unreachable and map
//! to the port's `Unavailable` error (callers fail closed with 503); fred reconnects in the
//! background, so service resumes by itself when Redis returns. After a command fails for want of
//! Redis, the others fail at once for [`FAST_FAIL`] instead of each waiting out the timeout; then
//! one command probes, and its success closes the breaker.

use anyhow::Context;
use async_trait::async_trait;
use chrono::{DateTime, Datelike, Utc};
use fred::prelude::*;
use fred::types::scripts::Script;
use jobin_core::domain::{AccountId, random_token};
use jobin_core::ports::usage::{month_bounds, window_bounds};
use jobin_core::ports::{
    Admission, AdmitRequest, Cache, CacheError, Entropy, Lock, LockError, LockToken, MeterError, UsageMeter, Verdict,
    WindowDecision,
};
use std::sync::Arc;
use std::time::Duration;

/// How long a command may wait (including while reconnecting) before it fails.
pub const COMMAND_TIMEOUT: Duration = Duration::from_millis(750);

/// How long commands fail at once after one failed for want of Redis.
pub const FAST_FAIL: Duration = Duration::from_secs(1);

/// Fails commands fast while Redis is known to be unreachable; one probe at a time after that.
struct Breaker {
    base: std::time::Instant,
    /// Milliseconds since `base` until which commands fail at once; 0 when closed.
    open_until: std::sync::atomic::AtomicU64,
    probing: std::sync::atomic::AtomicBool,
}

#[derive(Debug, PartialEq, Eq)]
enum Pass {
    Go,
    Probe,
    FailFast,
}

impl Breaker {
    fn new() -> Self {
        Self {
            base: std::time::Instant::now(),
            open_until: std::sync::atomic::AtomicU64::new(0),
            probing: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_millis()).unwrap_or(u64::MAX).max(1)
    }

    fn pass(&self) -> Pass {
        use std::sync::atomic::Ordering::*;
        let until = self.open_until.load(Acquire);
        if until == 0 {
            return Pass::Go;
        }
        if self.now_ms() < until || self.probing.compare_exchange(false, true, AcqRel, Acquire).is_err() {
            return Pass::FailFast;
        }
        Pass::Probe
    }

    fn record(&self, pass: &Pass, outage: bool) {
        use std::sync::atomic::Ordering::*;
        if outage {
            let until = self.now_ms() + u64::try_from(FAST_FAIL.as_millis()).unwrap_or(1_000);
            self.open_until.store(until, Release);
        } else {
            self.open_until.store(0, Release);
        }
        if *pass == Pass::Probe {
            self.probing.store(false, Release);
        }
    }
}

/// Errors that mean Redis cannot be reached (not a bad command).
fn is_outage(e: &fred::error::Error) -> bool {
    use fred::error::ErrorKind::*;
    matches!(e.kind(), IO | Timeout | Canceled | Routing | Backpressure)
}

/// How every client is built: bounded connection and command waits, reconnection forever.
fn builder(config: Config) -> Builder {
    let mut b = Builder::from_config(config);
    b.with_connection_config(|c| {
        c.connection_timeout = Duration::from_secs(2);
        c.internal_command_timeout = Duration::from_secs(2);
    })
    .with_performance_config(|p| p.default_command_timeout = COMMAND_TIMEOUT)
    .set_policy(ReconnectPolicy::new_exponential(0, 50, 1_000, 2));
    b
}

/// A connected client, shared by the Redis adapters.
#[derive(Clone)]
pub struct Redis {
    client: Client,
    /// How `client` was built (a subscriber connects the same way).
    config: Config,
    /// Prepended to every key (tests use a unique one per run).
    prefix: String,
    breaker: Arc<Breaker>,
}

impl Redis {
    /// Connects to `url` (`redis://host:port/db`); fails if Redis does not answer now.
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let config = Config::from_url(url).context("JOBIN_REDIS_URL is not a valid redis:// URL")?;
        let client = builder(config.clone()).build().context("building the Redis client")?;
        tokio::time::timeout(Duration::from_secs(3), client.init())
            .await
            .context("Redis did not answer within 3 s")?
            .context("connecting to Redis")?;
        Ok(Self { client, config, prefix: prefix.to_owned(), breaker: Arc::new(Breaker::new()) })
    }

    /// A client of its own for subscriptions (a subscribed connection runs no other command),
    /// connected like this one; it subscribes again after each reconnection.
    pub(crate) async fn subscriber(&self) -> anyhow::Result<fred::clients::SubscriberClient> {
        let client = builder(self.config.clone()).build_subscriber_client().context("building a Redis subscriber")?;
        tokio::time::timeout(Duration::from_secs(3), client.init())
            .await
            .context("Redis did not answer within 3 s")?
            .context("connecting a Redis subscriber")?;
        Ok(client)
    }

    /// Publishes `message` on `channel` (under the prefix).
    pub(crate) async fn publish(&self, channel: &str, message: String) -> Result<(), fred::error::Error> {
        self.run(self.client.publish::<(), _, _>(self.channel(channel), message)).await
    }

    /// `channel` under the prefix, as `publish` names it.
    pub(crate) fn channel(&self, channel: &str) -> String {
        self.key(format_args!("{channel}"))
    }

    /// Runs one command through the breaker.
    async fn run<T>(
        &self,
        command: impl std::future::Future<Output = Result<T, fred::error::Error>>,
    ) -> Result<T, fred::error::Error> {
        let pass = self.breaker.pass();
        if pass == Pass::FailFast {
            return Err(fred::error::Error::new(
                fred::error::ErrorKind::IO,
                "Redis is unreachable (failing fast after the last failure)",
            ));
        }
        let result = command.await;
        let outage = result.as_ref().err().is_some_and(is_outage);
        if outage || pass == Pass::Probe {
            self.breaker.record(&pass, outage);
        }
        result
    }

    fn key(&self, parts: std::fmt::Arguments<'_>) -> String {
        format!("{}{parts}", self.prefix)
    }

    pub async fn ping(&self) -> bool {
        self.client.ping::<String>(None).await.is_ok()
    }
}

#[async_trait::async_trait]
impl jobin_core::ports::Reachable for Redis {
    async fn ping(&self) -> bool {
        Redis::ping(self).await
    }
}

fn unavailable(e: fred::error::Error) -> MeterError {
    MeterError::Unavailable(anyhow::Error::new(e).context("Redis usage meter"))
}

/// KEYS[1] = bucket; ARGV = limit, window ms. Returns {allowed 0|1, count}.
const HIT_WINDOW: &str = r#"
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return {0, n} end
n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return {1, n}
"#;

/// KEYS[1] = minute bucket, KEYS[2] = month counter (same hash slot);
/// ARGV = per-minute limit, monthly limit (-1: not metered), minute ttl ms. The month counter is
/// created only by `SEED_MONTH`, with its expiry.
/// Returns {verdict 0 admitted | 1 monthly exceeded | 2 minute exceeded | 3 unseeded, minute count,
/// month count}. A metered request finding no month counter (Redis lost it, or a new month) counts
/// nothing: the caller seeds the counter from the durable count and asks again.
const ADMIT: &str = r#"
local minute = tonumber(redis.call('GET', KEYS[1]) or '0')
local held = redis.call('GET', KEYS[2])
local month = tonumber(held or '0')
local monthly_limit = tonumber(ARGV[2])
if monthly_limit >= 0 and not held then return {3, minute, 0} end
if monthly_limit >= 0 and month >= monthly_limit then return {1, minute, month} end
if minute >= tonumber(ARGV[1]) then return {2, minute, month} end
minute = redis.call('INCR', KEYS[1])
if minute == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
if monthly_limit >= 0 then
  month = redis.call('INCR', KEYS[2])
end
return {0, minute, month}
"#;

/// KEYS[1] = month counter; ARGV = count, ttl s. Sets the counter unless it exists; returns it.
const SEED_MONTH: &str = r#"
redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2])
return tonumber(redis.call('GET', KEYS[1]))
"#;

/// KEYS[1] = bucket. Takes one hit back, never below zero.
const UNDO_HIT: &str = r#"
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then redis.call('DECR', KEYS[1]) end
return 0
"#;

/// `UsageMeter` shared by every node using the same Redis.
pub struct RedisMeter {
    redis: Redis,
    hit_window: Script,
    admit: Script,
    seed_month: Script,
    undo_hit: Script,
}

impl RedisMeter {
    pub fn new(redis: Redis) -> Self {
        Self {
            redis,
            hit_window: Script::from_lua(HIT_WINDOW),
            admit: Script::from_lua(ADMIT),
            seed_month: Script::from_lua(SEED_MONTH),
            undo_hit: Script::from_lua(UNDO_HIT),
        }
    }

    fn month_key(&self, account: AccountId, now: DateTime<Utc>) -> String {
        // `{acct:N}` is a hash tag: both keys of one account land in one cluster slot.
        self.redis.key(format_args!("mq:{{acct:{}}}:{}-{:02}", account, now.year(), now.month()))
    }
}

/// A month's counter is kept until well after the month ends (for `/auth/me` and audits).
fn month_ttl_s(now: DateTime<Utc>) -> i64 {
    (month_bounds(now).1 - now).num_seconds().max(1) + 40 * 86_400
}

fn as_u32(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

#[async_trait]
impl UsageMeter for RedisMeter {
    async fn hit_window(
        &self,
        bucket: &str,
        limit: u32,
        window_secs: u32,
        now: DateTime<Utc>,
    ) -> Result<WindowDecision, MeterError> {
        let (start, resets_at) = window_bounds(now, window_secs);
        let key = self.redis.key(format_args!("rl:{bucket}:{}", start.timestamp()));
        // Keep the key a little past its window so a slow clock on another node still sees it.
        let ttl_ms = (resets_at - now).num_milliseconds().max(1) + 5_000;
        let (allowed, n): (i64, i64) = self
            .redis
            .run(self.hit_window.evalsha_with_reload(&self.redis.client, vec![key], vec![i64::from(limit), ttl_ms]))
            .await
            .map_err(unavailable)?;
        Ok(WindowDecision { allowed: allowed == 1, limit, used: as_u32(n), resets_at })
    }

    async fn undo_hit(&self, bucket: &str, window_secs: u32, now: DateTime<Utc>) -> Result<(), MeterError> {
        let (start, _) = window_bounds(now, window_secs);
        let key = self.redis.key(format_args!("rl:{bucket}:{}", start.timestamp()));
        let _: i64 = self
            .redis
            .run(self.undo_hit.evalsha_with_reload(&self.redis.client, vec![key], Vec::<i64>::new()))
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn admit(&self, req: AdmitRequest, now: DateTime<Utc>) -> Result<Admission, MeterError> {
        let (start, resets_at) = window_bounds(now, 60);
        let minute_key = self.redis.key(format_args!("rl:{{acct:{}}}:{}", req.account, start.timestamp()));
        let month_key = self.month_key(req.account, now);
        let minute_ttl_ms = (resets_at - now).num_milliseconds().max(1) + 5_000;
        let monthly_limit = req.monthly_limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX)).unwrap_or(-1);
        let (verdict, minute, month): (i64, i64, i64) = self
            .redis
            .run(self.admit.evalsha_with_reload(
                &self.redis.client,
                vec![minute_key, month_key],
                vec![i64::from(req.per_minute), monthly_limit, minute_ttl_ms],
            ))
            .await
            .map_err(unavailable)?;
        let verdict = match verdict {
            0 => Verdict::Admitted,
            1 => Verdict::MonthlyExceeded,
            3 => Verdict::Unseeded,
            _ => Verdict::MinuteExceeded,
        };
        Ok(Admission {
            verdict,
            minute: WindowDecision {
                allowed: verdict == Verdict::Admitted,
                limit: req.per_minute,
                used: as_u32(minute),
                resets_at,
            },
            monthly_used: u64::try_from(month.max(0)).unwrap_or(0),
        })
    }

    async fn monthly_used(&self, account: AccountId, now: DateTime<Utc>) -> Result<Option<u64>, MeterError> {
        let n: Option<i64> =
            self.redis.run(self.redis.client.get(self.month_key(account, now))).await.map_err(unavailable)?;
        Ok(n.map(|n| u64::try_from(n.max(0)).unwrap_or(0)))
    }

    async fn seed_monthly(&self, account: AccountId, now: DateTime<Utc>, count: u64) -> Result<u64, MeterError> {
        let count = i64::try_from(count).unwrap_or(i64::MAX);
        let held: i64 = self
            .redis
            .run(self.seed_month.evalsha_with_reload(
                &self.redis.client,
                vec![self.month_key(account, now)],
                vec![count, month_ttl_s(now)],
            ))
            .await
            .map_err(unavailable)?;
        Ok(u64::try_from(held.max(0)).unwrap_or(0))
    }
}

/// `Cache` shared by every node using the same Redis.
pub struct RedisCache {
    redis: Redis,
}

impl RedisCache {
    pub fn new(redis: Redis) -> Self {
        Self { redis }
    }
}

fn cache_unavailable(e: fred::error::Error) -> CacheError {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_fails_fast_after_an_outage_and_lets_one_probe_through() {
        let b = Breaker::new();
        assert_eq!(b.pass(), Pass::Go);
        b.record(&Pass::Go, true);
        assert_eq!(b.pass(), Pass::FailFast, "right after a failure");
        // Once the fast-fail period is over, exactly one caller probes.
        b.open_until.store(1, std::sync::atomic::Ordering::Release);
        assert_eq!(b.pass(), Pass::Probe);
        assert_eq!(b.pass(), Pass::FailFast, "one probe at a time");
        b.record(&Pass::Probe, true);
        assert_eq!(b.pass(), Pass::FailFast, "a failed probe opens it again");
        b.open_until.store(1, std::sync::atomic::Ordering::Release);
        let probe = b.pass();
        b.record(&probe, false);
        assert_eq!(b.pass(), Pass::Go, "a good probe closes it");
    }
}
