//! Usage counters: fixed-window rate limits (per IP for public endpoints now; per key and per
//! month for plans in step 2).

use async_trait::async_trait;
use chrono::{DateTime, Datelike, TimeZone, Utc};

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

/// What an account's request asks of the meter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmitRequest {
    pub account: AccountId,
    /// Requests per minute (fixed windows aligned to the minute).
    pub per_minute: u32,
    /// `Some(limit)` when the request counts against the monthly quota (a gated data endpoint).
    pub monthly_limit: Option<u64>,
}

/// The meter's verdict, checked in the document's order: monthly quota, then the minute window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Counted in the minute window (and in the month when metered).
    Admitted,
    /// The monthly quota is spent; nothing was counted.
    MonthlyExceeded,
    /// The minute window is full; nothing was counted.
    MinuteExceeded,
    /// The request counts monthly but the meter holds no count for this account's month (a
    /// restart of an in-process meter, a Redis that lost its data, a new month): nothing was
    /// counted. Seed it from the durable count ([`UsageMeter::seed_monthly`]) and ask again.
    Unseeded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    pub verdict: Verdict,
    /// The minute window after this request (for the rate-limit headers).
    pub minute: WindowDecision,
    /// Requests counted this month after this request.
    pub monthly_used: u64,
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

/// The calendar month (UTC) containing `now`: its first instant and the first instant of the
/// next month (when a monthly quota resets).
pub fn month_bounds(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let (y, m) = (now.year(), now.month());
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let first = |y: i32, m: u32| Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single().unwrap_or(now);
    (first(y, m), first(ny, nm))
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

    /// Takes back one hit counted on `bucket` in the window containing `now` (never below zero):
    /// for attempts counted before their outcome was known that turned out not to count.
    async fn undo_hit(&self, bucket: &str, window_secs: u32, now: DateTime<Utc>) -> Result<(), MeterError>;

    /// Checks and counts one request of an account atomically (one step, also across nodes with a
    /// shared backend): when `monthly_limit` is set and the month's count has reached it →
    /// `MonthlyExceeded`; else when the minute window holds `per_minute` hits → `MinuteExceeded`;
    /// else both counters are incremented → `Admitted`. Rejected requests change no counter.
    /// `Err(Unavailable)` when the backend cannot be reached (callers fail closed).
    async fn admit(&self, req: AdmitRequest, now: DateTime<Utc>) -> Result<Admission, MeterError>;

    /// Requests counted against `account`'s monthly quota in the calendar month (UTC) containing
    /// `now`; `None` when the meter holds no count for that month (see [`Verdict::Unseeded`]).
    async fn monthly_used(&self, account: AccountId, now: DateTime<Utc>) -> Result<Option<u64>, MeterError>;

    /// Sets the month's count to `count` unless the meter already holds one (which then stands:
    /// another node may have seeded and counted meanwhile). Returns the count the meter holds.
    async fn seed_monthly(&self, account: AccountId, now: DateTime<Utc>, count: u64) -> Result<u64, MeterError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;
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

    proptest! {
        #[test]
        fn month_bounds_contain_now_and_are_consecutive_months(ts in 0i64..4_102_444_800) {
            let now = DateTime::<Utc>::from_timestamp(ts, 0).unwrap();
            let (start, next) = month_bounds(now);
            prop_assert!(start <= now && now < next);
            prop_assert_eq!((start.day(), start.hour(), start.minute(), start.second()), (1, 0, 0, 0));
            prop_assert_eq!((next.day(), next.hour()), (1, 0));
            prop_assert_eq!(month_bounds(next).0, next);
            let days = (next - start).num_days();
            prop_assert!((28..=31).contains(&days));
        }
    }

    #[test]
    fn december_rolls_into_january_and_leap_februaries_have_29_days() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(month_bounds(at("2025-12-31T23:59:59Z")), (at("2025-12-01T00:00:00Z"), at("2026-01-01T00:00:00Z")));
        assert_eq!(month_bounds(at("2026-01-01T00:00:00Z")).0, at("2026-01-01T00:00:00Z"));
        for (year, days) in [(2024, 29), (2025, 28), (2100, 28), (2000, 29)] {
            let (s, n) = month_bounds(at(&format!("{year}-02-15T12:00:00Z")));
            assert_eq!((n - s).num_days(), days, "{year}");
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
