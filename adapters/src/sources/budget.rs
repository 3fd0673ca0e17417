//! Our own request budget per board, so searches never get the operator's key banned. Each board
//! has windows (for example Adzuna 25 per minute and 250 per day, from its terms); a request is
//! made only when every window has room. [`BoardContext::fetch`](super::BoardContext::fetch)
//! spends it for each request that leaves — a board whose listing is kept locally (Remotive,
//! Arbeitnow, The Muse) spends none for a search answered from it, which is why the board's HTTP
//! call, not the search's fan-out, is where it is spent. It is counted in the usage meter, so
//! several nodes sharing Redis share it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use jobin_core::domain::SourceId;
use jobin_core::ports::{Clock, SourceError, UsageMeter};

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

pub struct RequestBudget {
    meter: Arc<dyn UsageMeter>,
    clock: Arc<dyn Clock>,
    windows: HashMap<SourceId, Vec<BudgetWindow>>,
}

impl RequestBudget {
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

    /// Spends one request of `source`'s budget: `BudgetExhausted` (with the time until the full
    /// window resets) when a window is full; a meter failure is a `Network` error, so the board is
    /// never called blind.
    pub async fn take(&self, source: SourceId) -> Result<(), SourceError> {
        let now = self.clock.now();
        for w in self.windows(source) {
            let d = self
                .meter
                .hit_window(&bucket(source, w), w.limit, w.window_secs, now)
                .await
                .map_err(|e| SourceError::Network(anyhow::Error::new(e).context("request budget")))?;
            if !d.allowed {
                let wait = Duration::from_secs(d.retry_after_secs(now));
                return Err(SourceError::BudgetExhausted { retry_after: Some(wait) });
            }
        }
        Ok(())
    }

    /// Returns the request [`RequestBudget::take`] spent when it never reached the board (no
    /// connection was made), so an outage on our side does not use up the board's budget.
    pub async fn give_back(&self, source: SourceId) {
        let now = self.clock.now();
        for w in self.windows(source) {
            if let Err(e) = self.meter.undo_hit(&bucket(source, w), w.window_secs, now).await {
                tracing::warn!(%source, error = %e, "could not give back a board request that never left");
            }
        }
    }
}

/// The meter's bucket of one window of a board.
fn bucket(source: SourceId, w: &BudgetWindow) -> String {
    format!("budget:{}:{}", source.as_str(), w.window_secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use crate::memory::MemoryMeter;

    fn budget(overrides: HashMap<SourceId, Vec<BudgetWindow>>) -> (RequestBudget, Arc<MemoryMeter>) {
        let meter = Arc::new(MemoryMeter::default());
        (RequestBudget::new(meter.clone(), Arc::new(SystemClock), overrides), meter)
    }

    #[tokio::test]
    async fn a_full_window_exhausts_the_budget_and_says_when_it_resets() {
        let (b, _) = budget(HashMap::from([(SourceId::Adzuna, vec![BudgetWindow::per_minute(2)])]));
        b.take(SourceId::Adzuna).await.unwrap();
        b.take(SourceId::Adzuna).await.unwrap();
        let err = b.take(SourceId::Adzuna).await.unwrap_err();
        assert!(
            matches!(err, SourceError::BudgetExhausted { retry_after: Some(d) } if d > Duration::ZERO && d <= Duration::from_secs(60)),
            "{err:?}"
        );
        b.take(SourceId::Reed).await.expect("each board has its own budget");
    }

    #[tokio::test]
    async fn every_window_must_have_room_and_a_request_that_never_left_is_given_back() {
        let windows = vec![BudgetWindow::per_minute(5), BudgetWindow::per_day(1)];
        let (b, _) = budget(HashMap::from([(SourceId::Remotive, windows)]));
        b.take(SourceId::Remotive).await.unwrap();
        assert!(b.take(SourceId::Remotive).await.is_err(), "the day's window is full though the minute's is not");
        b.give_back(SourceId::Remotive).await;
        b.take(SourceId::Remotive).await.expect("given back in every window");
    }

    #[test]
    fn every_board_has_a_budget_from_its_terms_and_the_import_none() {
        for s in SourceId::ALL {
            assert_eq!(default_budget(s).is_empty(), s == SourceId::Import, "{s}");
        }
        assert_eq!(default_budget(SourceId::Adzuna), [BudgetWindow::per_minute(25), BudgetWindow::per_day(250)]);
    }
}
