//! Usage counters: fixed-window rate limits (per IP for public endpoints now; per key and per
//! month for plans in step 2).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::AccountId;

/// The answer of a window check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowDecision {
    pub allowed: bool,
    pub limit: u32,
    /// Hits counted in this window, including this one if it was allowed.
    pub used: u32,
    /// When the current window ends.
    pub resets_at: DateTime<Utc>,
}

impl WindowDecision {
    pub fn remaining(&self) -> u32 {
        self.limit.saturating_sub(self.used)
    }

    /// Whole seconds until the window resets, at least 1 (for `Retry-After`).
    pub fn retry_after_secs(&self, now: DateTime<Utc>) -> u64 {
        let secs = (self.resets_at - now).num_milliseconds().max(0) as u64;
        secs.div_ceil(1000).max(1)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MeterError {
    #[error("the usage meter backend is unreachable")]
    Unavailable(#[source] anyhow::Error),
}

/// Start and end of the fixed window of `window_secs` seconds containing `now` (aligned to the
/// Unix epoch, so every node computes the same window).
pub fn window_bounds(now: DateTime<Utc>, window_secs: u32) -> (DateTime<Utc>, DateTime<Utc>) {
    let w = i64::from(window_secs.max(1));
    let start = now.timestamp().div_euclid(w) * w;
    let start = DateTime::<Utc>::from_timestamp(start, 0).unwrap_or(now);
    (start, start + chrono::Duration::seconds(w))
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UsageMeter: Send + Sync {
    /// Counts a hit on `bucket` in the fixed window containing `now` if fewer than `limit` hits
    /// were counted there; a rejected hit is not counted. Exact under concurrency.
    async fn hit_window(
        &self,
        bucket: &str,
        limit: u32,
        window_secs: u32,
        now: DateTime<Utc>,
    ) -> Result<WindowDecision, MeterError>;

    /// Requests counted against `account`'s monthly quota in the calendar month (UTC) containing
    /// `now`; 0 when none were counted.
    async fn monthly_used(&self, account: AccountId, now: DateTime<Utc>) -> Result<u64, MeterError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn window_contains_now_and_is_aligned(ts in 0i64..4_102_444_800, w in 1u32..7200) {
            let now = DateTime::<Utc>::from_timestamp(ts, 0).unwrap();
            let (start, end) = window_bounds(now, w);
            prop_assert!(start <= now && now < end);
            prop_assert_eq!((end - start).num_seconds(), i64::from(w));
            prop_assert_eq!(start.timestamp() % i64::from(w), 0);
        }
    }

    #[test]
    fn retry_after_rounds_up_and_is_at_least_one_second() {
        let now = DateTime::<Utc>::from_timestamp(1_000, 500_000_000).unwrap();
        let d = WindowDecision {
            allowed: false,
            limit: 5,
            used: 5,
            resets_at: DateTime::<Utc>::from_timestamp(1_020, 0).unwrap(),
        };
        assert_eq!(d.retry_after_secs(now), 20);
        assert_eq!(d.retry_after_secs(d.resets_at), 1);
        assert_eq!(d.remaining(), 0);
    }
}
