//! An in-process `UsageMeter`: fixed-window counters in a map, exact under concurrency because
//! each check-and-count happens under one mutex.

use async_trait::async_trait;
use chrono::{DateTime, Datelike, Utc};
use jobin_core::domain::AccountId;
use jobin_core::ports::usage::window_bounds;
use jobin_core::ports::{MeterError, UsageMeter, WindowDecision};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct MemoryMeter {
    /// bucket → (window end, hits in that window)
    windows: Mutex<HashMap<String, (DateTime<Utc>, u32)>>,
    /// (account, year, month) → requests counted against the monthly quota. The quota stage that
    /// counts them is issue 3; until then nothing is counted and every month reads 0.
    monthly: Mutex<HashMap<(AccountId, i32, u32), u64>>,
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
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        // Expired windows are dropped as we go so the map only holds live buckets.
        if windows.len() > 4096 {
            windows.retain(|_, (end, _)| *end > now);
        }
        let slot = windows.entry(bucket.to_owned()).or_insert((resets_at, 0));
        if slot.0 != resets_at {
            *slot = (resets_at, 0);
        }
        let allowed = slot.1 < limit;
        if allowed {
            slot.1 += 1;
        }
        Ok(WindowDecision { allowed, limit, used: slot.1, resets_at })
    }

    async fn monthly_used(&self, account: AccountId, now: DateTime<Utc>) -> Result<u64, MeterError> {
        let m = self.monthly.lock().unwrap_or_else(|p| p.into_inner());
        Ok(m.get(&(account, now.year(), now.month())).copied().unwrap_or(0))
    }
}
