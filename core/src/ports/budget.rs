//! The request budget a board adapter spends before each call to its board, so searches never get
//! the operator's key banned. Implemented by [`crate::services::SourceBudget`] over the usage
//! meter; tests may pass one that always (or never) has room.

use async_trait::async_trait;

use crate::domain::SourceId;
use crate::ports::SourceError;

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RequestBudget: Send + Sync {
    /// Spends one request of `source`'s budget. MUST return `BudgetExhausted` (with the time until
    /// the full window resets) when a window is full, and `Network` when the budget cannot be
    /// counted, so the board is never called blind.
    async fn take(&self, source: SourceId) -> Result<(), SourceError>;

    /// Returns the request [`RequestBudget::take`] spent when it never reached the board (no
    /// connection was made), so an outage on our side does not use up the board's budget.
    async fn give_back(&self, source: SourceId);
}
