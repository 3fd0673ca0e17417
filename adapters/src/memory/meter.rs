//! An in-process `UsageMeter` for the embedded default (one node): fixed-window and monthly
//! counters in maps, exact under concurrency because each check-and-count happens under one mutex.
//! A restart empties them; the monthly counts are seeded again from the usage log
//! ([`Verdict::Unseeded`]).

use async_trait::async_trait;
use chrono::{DateTime, Datelike, Utc};
use jobin_core::domain::AccountId;
use jobin_core::ports::usage::window_bounds;
use jobin_core::ports::{Admission, AdmitRequest, MeterError, UsageMeter, Verdict, WindowDecision};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// Past this many buckets, expired windows are swept on the next hit.
const SWEEP_AT: usize = 4096;

#[derive(Default)]
struct Counters {
    /// bucket → (window end, hits in that window)
    windows: HashMap<String, (DateTime<Utc>, u32)>,
    /// (account, year, month) → requests counted against the monthly quota
    monthly: HashMap<(AccountId, i32, u32), u64>,
}

impl Counters {
    /// The live count of `bucket`'s window ending at `resets_at`.
    fn window(&mut self, bucket: &str, resets_at: DateTime<Utc>, now: DateTime<Utc>) -> &mut u32 {
        if self.windows.len() > SWEEP_AT {
            self.windows.retain(|_, (end, _)| *end > now);
        }
        let slot = self.windows.entry(bucket.to_owned()).or_insert((resets_at, 0));
        if slot.0 != resets_at {
            *slot = (resets_at, 0);
        }
        &mut slot.1
    }
}

#[derive(Default)]
pub struct MemoryMeter {
    counters: Mutex<Counters>,
}

impl MemoryMeter {
    fn counters(&self) -> MutexGuard<'_, Counters> {
        self.counters.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn month_key(account: AccountId, now: DateTime<Utc>) -> (AccountId, i32, u32) {
    (account, now.year(), now.month())
}

#[async_trait]
impl UsageMeter for MemoryMeter {
    async fn hit_window(
        &self,
        bucket: &str,
        limit: u32,
        window_secs: u32,
        now: DateTime<Utc>,
    ) -> Result<WindowDecision, MeterError> {
        let (_, resets_at) = window_bounds(now, window_secs);
        let mut c = self.counters();
        let used = c.window(bucket, resets_at, now);
        let allowed = *used < limit;
        if allowed {
            *used += 1;
        }
        Ok(WindowDecision { allowed, limit, used: *used, resets_at })
    }

    async fn undo_hit(&self, bucket: &str, window_secs: u32, now: DateTime<Utc>) -> Result<(), MeterError> {
        let (_, resets_at) = window_bounds(now, window_secs);
        let mut c = self.counters();
        let used = c.window(bucket, resets_at, now);
        *used = used.saturating_sub(1);
        Ok(())
    }

    async fn admit(&self, req: AdmitRequest, now: DateTime<Utc>) -> Result<Admission, MeterError> {
        let (_, resets_at) = window_bounds(now, 60);
        let mut c = self.counters();
        let month = month_key(req.account, now);
        let held = c.monthly.get(&month).copied();
        let monthly_used = held.unwrap_or(0);
        let bucket = format!("acct:{}", req.account);
        let minute_used = *c.window(&bucket, resets_at, now);
        let decision = |used, allowed| WindowDecision { allowed, limit: req.per_minute, used, resets_at };
        if req.monthly_limit.is_some() && held.is_none() {
            return Ok(Admission { verdict: Verdict::Unseeded, minute: decision(minute_used, false), monthly_used });
        }
        if req.monthly_limit.is_some_and(|limit| monthly_used >= limit) {
            return Ok(Admission {
                verdict: Verdict::MonthlyExceeded,
                minute: decision(minute_used, false),
                monthly_used,
            });
        }
        if minute_used >= req.per_minute {
            return Ok(Admission {
                verdict: Verdict::MinuteExceeded,
                minute: decision(minute_used, false),
                monthly_used,
            });
        }
        *c.window(&bucket, resets_at, now) += 1;
        let monthly_used = if req.monthly_limit.is_some() {
            let m = c.monthly.entry(month).or_default();
            *m += 1;
            *m
        } else {
            monthly_used
        };
        Ok(Admission { verdict: Verdict::Admitted, minute: decision(minute_used + 1, true), monthly_used })
    }

    async fn monthly_used(&self, account: AccountId, now: DateTime<Utc>) -> Result<Option<u64>, MeterError> {
        Ok(self.counters().monthly.get(&month_key(account, now)).copied())
    }

    async fn seed_monthly(&self, account: AccountId, now: DateTime<Utc>, count: u64) -> Result<u64, MeterError> {
        Ok(*self.counters().monthly.entry(month_key(account, now)).or_insert(count))
    }
}
