//! Redis: the usage meter: one Lua script checks and counts atomically, one round trip.

use async_trait::async_trait;
use chrono::{DateTime, Datelike, Utc};
use fred::prelude::*;
use fred::types::scripts::Script;
use jobin_core::domain::AccountId;
use jobin_core::ports::usage::{month_bounds, window_bounds};
use jobin_core::ports::{Admission, AdmitRequest, MeterError, UsageMeter, Verdict, WindowDecision};

use super::Redis;

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
