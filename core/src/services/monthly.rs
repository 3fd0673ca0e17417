//! The monthly quota's counts: the meter (in-process or Redis) answers fast, the ledger's
//! per-account monthly counts are what survives. When the meter holds no count for an account's
//! month (after a restart, a Redis that lost its data, on a new node), it is seeded from the
//! ledger (durable plus what this node has not yet written) before anything is admitted, so a
//! restart never hands out a fresh quota. What a seed can miss is what other nodes admitted and
//! have not yet written, and what a crash lost: the ledger's bound each.

use chrono::{DateTime, Utc};
use std::sync::Arc;

use crate::domain::AccountId;
use crate::ports::{MeterError, MonthlyLedger, UsageMeter};

pub struct MonthlyCounts {
    pub meter: Arc<dyn UsageMeter>,
    pub ledger: Arc<dyn MonthlyLedger>,
}

impl MonthlyCounts {
    /// Seeds the meter with the ledger's count of the account's month (unless another request or
    /// node seeded it first) and returns the count the meter holds.
    pub async fn seed(&self, account: AccountId, now: DateTime<Utc>) -> Result<u64, MeterError> {
        let durable =
            self.ledger.count(account, now).await.map_err(|e| {
                MeterError::Unavailable(anyhow::Error::new(e).context("reading the durable monthly count"))
            })?;
        let held = self.meter.seed_monthly(account, now, durable).await?;
        tracing::debug!(account = %account, durable, held, "seeded the monthly count");
        Ok(held)
    }

    /// The account's count for the month containing `now`, seeding the meter when it has none.
    pub async fn used(&self, account: AccountId, now: DateTime<Utc>) -> Result<u64, MeterError> {
        match self.meter.monthly_used(account, now).await? {
            Some(n) => Ok(n),
            None => self.seed(account, now).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::KeyStoreError;
    use crate::ports::monthly_ledger::MockMonthlyLedger;
    use crate::ports::usage::MockUsageMeter;

    fn now() -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_764_547_200, 0).unwrap()
    }

    #[tokio::test]
    async fn a_missing_count_is_seeded_from_the_durable_one() {
        let mut meter = MockUsageMeter::new();
        meter.expect_monthly_used().returning(|_, _| Ok(None));
        meter.expect_seed_monthly().withf(|a, _, n| *a == AccountId(3) && *n == 42).times(1).returning(|_, _, n| Ok(n));
        let mut log = MockMonthlyLedger::new();
        log.expect_count().times(1).returning(|_, _| Ok(42));
        let m = MonthlyCounts { meter: Arc::new(meter), ledger: Arc::new(log) };
        assert_eq!(m.used(AccountId(3), now()).await.unwrap(), 42);
    }

    #[tokio::test]
    async fn a_held_count_is_not_reread_and_a_concurrent_seed_stands() {
        let mut meter = MockUsageMeter::new();
        meter.expect_monthly_used().returning(|_, _| Ok(Some(7)));
        // Another node seeded (and counted) first: its count is the answer.
        meter.expect_seed_monthly().returning(|_, _, _| Ok(50));
        let mut log = MockMonthlyLedger::new();
        log.expect_count().times(1).returning(|_, _| Ok(40));
        let m = MonthlyCounts { meter: Arc::new(meter), ledger: Arc::new(log) };
        assert_eq!(m.used(AccountId(3), now()).await.unwrap(), 7);
        assert_eq!(m.seed(AccountId(3), now()).await.unwrap(), 50);
    }

    #[tokio::test]
    async fn an_unreadable_durable_count_fails_closed() {
        let mut meter = MockUsageMeter::new();
        meter.expect_seed_monthly().never();
        let mut log = MockMonthlyLedger::new();
        log.expect_count().returning(|_, _| Err(KeyStoreError::Unavailable(anyhow::anyhow!("database down"))));
        let m = MonthlyCounts { meter: Arc::new(meter), ledger: Arc::new(log) };
        assert!(matches!(m.seed(AccountId(3), now()).await, Err(MeterError::Unavailable(_))));
    }
}
