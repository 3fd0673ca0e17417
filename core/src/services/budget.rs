//! Our own request budget per board, so searches never get the operator's key banned. Each board
//! has windows (for example Adzuna 25 per minute and 250 per day, from its terms); a request is
//! made only when every window has room. The budget is counted in the usage meter, so several
//! nodes sharing Redis share it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::domain::SourceId;
use crate::ports::{Clock, RequestBudget, SourceError, UsageMeter};

/// At most `limit` requests per `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetWindow {
    pub limit: u32,
    pub window_secs: u32,
}

impl BudgetWindow {
    pub const fn per_minute(limit: u32) -> Self {
        Self { limit, window_secs: 60 }
    }
    pub const fn per_hour(limit: u32) -> Self {
        Self { limit, window_secs: 3_600 }
    }
    pub const fn per_day(limit: u32) -> Self {
        Self { limit, window_secs: 86_400 }
    }
}

/// The default budget of each board, from its published terms where it has them:
/// Adzuna 25/min and 250/day (API terms); Reed 1,000/day (third-party figure; Reed publishes
/// none) and 30/min; Remotive 2/min and 4 fetches a day per its README (the adapter fetches the
/// whole feed once and filters it locally); Findwork 60/min (third-party) and 1,000/day;
/// Arbeitnow 30/min and 1,000/day (none published: "please do not abuse"); The Muse 500/hour
/// (its documented keyless limit).
pub fn default_budget(source: SourceId) -> Vec<BudgetWindow> {
    use BudgetWindow as W;
    match source {
        SourceId::Adzuna => vec![W::per_minute(25), W::per_day(250)],
        SourceId::Reed => vec![W::per_minute(30), W::per_day(1_000)],
        SourceId::Remotive => vec![W::per_minute(2), W::per_day(4)],
        SourceId::Findwork => vec![W::per_minute(60), W::per_day(1_000)],
        SourceId::Arbeitnow => vec![W::per_minute(30), W::per_day(1_000)],
        SourceId::TheMuse => vec![W::per_hour(500)],
        // The operator's own file: no upstream to protect.
        SourceId::Import => vec![],
    }
}

pub struct SourceBudget {
    meter: Arc<dyn UsageMeter>,
    clock: Arc<dyn Clock>,
    windows: HashMap<SourceId, Vec<BudgetWindow>>,
}

impl SourceBudget {
    /// Every board with its default budget, except those in `overrides`.
    pub fn new(
        meter: Arc<dyn UsageMeter>,
        clock: Arc<dyn Clock>,
        overrides: HashMap<SourceId, Vec<BudgetWindow>>,
    ) -> Self {
        let mut windows: HashMap<_, _> = SourceId::ALL.into_iter().map(|s| (s, default_budget(s))).collect();
        windows.extend(overrides);
        Self { meter, clock, windows }
    }

    pub fn windows(&self, source: SourceId) -> &[BudgetWindow] {
        self.windows.get(&source).map_or(&[], Vec::as_slice)
    }
}

#[async_trait::async_trait]
impl RequestBudget for SourceBudget {
    /// Spends one request of `source`'s budget. `BudgetExhausted` (with the time until the full
    /// window resets) when a window is full; a meter failure is a `Network` error, so the board is
    /// not called blind.
    async fn take(&self, source: SourceId) -> Result<(), SourceError> {
        let now = self.clock.now();
        for w in self.windows(source) {
            let bucket = format!("budget:{}:{}", source.as_str(), w.window_secs);
            let d = self
                .meter
                .hit_window(&bucket, w.limit, w.window_secs, now)
                .await
                .map_err(|e| SourceError::Network(anyhow::Error::new(e).context("request budget")))?;
            if !d.allowed {
                let wait = Duration::from_secs(d.retry_after_secs(now));
                return Err(SourceError::BudgetExhausted { retry_after: Some(wait) });
            }
        }
        Ok(())
    }

    async fn give_back(&self, source: SourceId) {
        let now = self.clock.now();
        for w in self.windows(source) {
            let bucket = format!("budget:{}:{}", source.as_str(), w.window_secs);
            if let Err(e) = self.meter.undo_hit(&bucket, w.window_secs, now).await {
                tracing::warn!(%source, error = %e, "could not give back a board request that never left");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::WindowDecision;
    use crate::ports::usage::MockUsageMeter;
    use crate::testing::FixedClock;

    #[tokio::test]
    async fn a_full_window_exhausts_the_budget_and_says_when_it_resets() {
        let mut meter = MockUsageMeter::new();
        meter.expect_hit_window().returning(|bucket, limit, window, now| {
            assert_eq!(bucket, "budget:adzuna:60");
            assert_eq!((limit, window), (25, 60));
            Ok(WindowDecision { allowed: false, limit, used: limit, resets_at: now + chrono::Duration::seconds(42) })
        });
        let budget = SourceBudget::new(Arc::new(meter), Arc::new(FixedClock::at(1_000)), HashMap::new());
        let err = budget.take(SourceId::Adzuna).await.unwrap_err();
        assert!(
            matches!(err, SourceError::BudgetExhausted { retry_after: Some(d) } if d == Duration::from_secs(42)),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_request_that_never_left_is_given_back_in_every_window() {
        let mut meter = MockUsageMeter::new();
        meter
            .expect_undo_hit()
            .withf(|bucket, secs, _| {
                (bucket, *secs) == ("budget:remotive:60", 60) || (bucket, *secs) == ("budget:remotive:86400", 86_400)
            })
            .times(2)
            .returning(|_, _, _| Ok(()));
        let budget = SourceBudget::new(Arc::new(meter), Arc::new(FixedClock::at(1_000)), HashMap::new());
        budget.give_back(SourceId::Remotive).await;
    }

    #[tokio::test]
    async fn every_window_must_have_room() {
        let mut meter = MockUsageMeter::new();
        meter
            .expect_hit_window()
            .times(2)
            .returning(|_, limit, _, now| Ok(WindowDecision { allowed: true, limit, used: 1, resets_at: now }));
        let budget = SourceBudget::new(Arc::new(meter), Arc::new(FixedClock::at(1_000)), HashMap::new());
        budget.take(SourceId::Adzuna).await.unwrap();
    }
}
