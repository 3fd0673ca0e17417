//! `MonthlyLedger` over a `UsageLog`: each admission is added in memory at once and written to the
//! durable monthly counts at least every [`WRITE_EVERY`], and at once when [`WRITE_AT`] additions
//! wait. A crash (SIGKILL, power) loses at most what waits: fewer than `WRITE_AT` admissions (plus
//! those admitted during the one write in flight), never more than `WRITE_EVERY` of them at a
//! steady pace. A count answers durable plus waiting, under the same lock a write holds from taking
//! the waiting additions to their commit, so it never sees a batch twice or not at all.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jobin_core::domain::AccountId;
use jobin_core::ports::{KeyStoreError, MonthlyAdd, MonthlyLedger, UsageLog, month_key};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// The longest an admission waits before it is written.
pub const WRITE_EVERY: Duration = Duration::from_millis(50);
/// Waiting admissions that start a write at once.
pub const WRITE_AT: u64 = 25;

pub struct BatchedLedger {
    log: Arc<dyn UsageLog>,
    waiting: std::sync::Mutex<Waiting>,
    /// Held by a write from taking the waiting additions to their commit, and by a count.
    writing: tokio::sync::Mutex<()>,
    wake: Arc<Notify>,
    stop: Arc<Notify>,
    task: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// Admissions not yet written, per account and month, and their total.
#[derive(Default)]
struct Waiting {
    counts: HashMap<(AccountId, i32), u64>,
    total: u64,
}

impl Waiting {
    fn add(&mut self, key: (AccountId, i32), n: u64) {
        *self.counts.entry(key).or_default() += n;
        self.total += n;
    }
}

impl BatchedLedger {
    /// The ledger and its writer task (needs a Tokio runtime). The task is spawned only once the
    /// ledger is built: a task started inside its construction could find nothing to upgrade to.
    pub fn spawn(log: Arc<dyn UsageLog>) -> Arc<Self> {
        let ledger = Arc::new(Self {
            log,
            waiting: Default::default(),
            writing: tokio::sync::Mutex::new(()),
            wake: Arc::new(Notify::new()),
            stop: Arc::new(Notify::new()),
            task: Default::default(),
        });
        let task = tokio::spawn(run(Arc::downgrade(&ledger), ledger.wake.clone(), ledger.stop.clone()));
        *ledger.task.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
        ledger
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes what waits; on failure it keeps waiting (and is written by a later attempt).
    pub async fn write(&self) -> Result<(), KeyStoreError> {
        let _writing = self.writing.lock().await;
        let batch: Vec<MonthlyAdd> = std::mem::take(&mut *self.waiting())
            .counts
            .into_iter()
            .map(|((account, month), count)| MonthlyAdd { account, month, count })
            .collect();
        if batch.is_empty() {
            return Ok(());
        }
        self.log.add_monthly(&batch).await.inspect_err(|_| {
            let mut waiting = self.waiting();
            for a in &batch {
                waiting.add((a.account, a.month), a.count);
            }
        })
    }

    /// Writes everything waiting (retrying a few times) and stops the task. Idempotent.
    pub async fn close(&self) {
        self.stop.notify_one();
        let task = self.task.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(task) = task {
            let _ = task.await;
        }
        for attempt in 1..=5u64 {
            match self.write().await {
                Ok(()) => return,
                Err(e) => tracing::warn!(error = %e, attempt, "monthly counts not written at shutdown; retrying"),
            }
            tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
        }
        tracing::error!(lost = self.unwritten(), "monthly counts could not be written at shutdown");
    }

    /// Admissions added and not yet written.
    pub fn unwritten(&self) -> u64 {
        self.waiting().total
    }
}

/// The writer task; it holds the ledger only while writing, so a ledger never closed still drops.
async fn run(ledger: std::sync::Weak<BatchedLedger>, wake: Arc<Notify>, stop: Arc<Notify>) {
    let mut tick = tokio::time::interval(WRITE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = wake.notified() => {}
            _ = stop.notified() => return,
        }
        let Some(l) = ledger.upgrade() else { return };
        if let Err(e) = l.write().await {
            tracing::warn!(error = %e, waiting = l.unwritten(), "monthly counts not written; will retry");
        }
    }
}

#[async_trait]
impl MonthlyLedger for BatchedLedger {
    fn add(&self, account: AccountId, now: DateTime<Utc>) {
        let mut waiting = self.waiting();
        waiting.add((account, month_key(now)), 1);
        let full = waiting.total >= WRITE_AT;
        drop(waiting);
        if full {
            self.wake.notify_one();
        }
    }

    async fn count(&self, account: AccountId, now: DateTime<Utc>) -> Result<u64, KeyStoreError> {
        let _writing = self.writing.lock().await;
        let durable = self.log.monthly_count(account, now).await?;
        Ok(durable + self.waiting().counts.get(&(account, month_key(now))).copied().unwrap_or(0))
    }

    async fn close(&self) {
        BatchedLedger::close(self).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jobin_core::ports::UsageRecord;
    use std::sync::Mutex;

    /// Durable counts in memory; `fail` writes refused; a write may be held open at `gate`.
    #[derive(Default)]
    struct Counts {
        durable: Mutex<HashMap<(AccountId, i32), u64>>,
        fail: Mutex<u32>,
        gate: Option<Arc<tokio::sync::Semaphore>>,
    }

    #[async_trait]
    impl UsageLog for Counts {
        async fn append(&self, _: &[UsageRecord]) -> Result<(), KeyStoreError> {
            Ok(())
        }
        async fn add_monthly(&self, adds: &[MonthlyAdd]) -> Result<(), KeyStoreError> {
            if let Some(gate) = &self.gate {
                let _pass = gate.acquire().await;
            }
            {
                let mut fail = self.fail.lock().unwrap();
                if *fail > 0 {
                    *fail -= 1;
                    return Err(KeyStoreError::Unavailable(anyhow::anyhow!("disk full")));
                }
            }
            let mut durable = self.durable.lock().unwrap();
            for a in adds {
                *durable.entry((a.account, a.month)).or_default() += a.count;
            }
            Ok(())
        }
        async fn monthly_count(&self, account: AccountId, now: DateTime<Utc>) -> Result<u64, KeyStoreError> {
            Ok(self.durable.lock().unwrap().get(&(account, month_key(now))).copied().unwrap_or(0))
        }
        async fn recent(&self, _: AccountId, _: u64) -> Result<Vec<UsageRecord>, KeyStoreError> {
            Ok(vec![])
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_764_547_200, 0).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn a_count_is_durable_plus_waiting_and_a_failed_write_keeps_what_waits() {
        let log = Arc::new(Counts { fail: Mutex::new(1), ..Default::default() });
        let ledger = BatchedLedger::spawn(log.clone());
        let (a, b) = (AccountId(1), AccountId(2));
        for _ in 0..7 {
            ledger.add(a, now());
        }
        ledger.add(b, now());
        assert_eq!(ledger.count(a, now()).await.unwrap(), 7, "nothing written yet: all of it waits");
        assert!(ledger.write().await.is_err(), "the disk is full");
        assert_eq!(ledger.count(a, now()).await.unwrap(), 7, "a failed write keeps what waits");
        assert_eq!(ledger.unwritten(), 8);
        ledger.write().await.unwrap();
        assert_eq!((ledger.unwritten(), log.monthly_count(a, now()).await.unwrap()), (0, 7));
        assert_eq!(ledger.count(a, now()).await.unwrap(), 7);
        assert_eq!(ledger.count(b, now()).await.unwrap(), 1);
        let next_month = now() + chrono::Duration::days(40);
        ledger.add(a, next_month);
        assert_eq!(ledger.count(a, now()).await.unwrap(), 7, "months are apart");
        assert_eq!(ledger.count(a, next_month).await.unwrap(), 1);
        ledger.close().await;
        assert_eq!(log.monthly_count(a, next_month).await.unwrap(), 1, "close writes what waits");
    }

    #[tokio::test(start_paused = true)]
    async fn what_waits_is_written_within_its_interval_and_at_once_past_its_number() {
        let log = Arc::new(Counts::default());
        let ledger = BatchedLedger::spawn(log.clone());
        let a = AccountId(1);
        tokio::time::sleep(Duration::from_millis(1)).await; // the first tick passes
        ledger.add(a, now());
        tokio::time::sleep(WRITE_EVERY + Duration::from_millis(1)).await;
        assert_eq!(log.monthly_count(a, now()).await.unwrap(), 1, "written within {WRITE_EVERY:?}");
        // WRITE_AT additions start a write without waiting for the interval (time stands still).
        for _ in 0..WRITE_AT {
            ledger.add(a, now());
        }
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert_eq!(log.monthly_count(a, now()).await.unwrap(), 1 + WRITE_AT, "written at once");
        ledger.close().await;
    }

    #[tokio::test]
    async fn a_count_during_a_write_sees_the_batch_once() {
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let log = Arc::new(Counts { gate: Some(gate.clone()), ..Default::default() });
        let ledger = BatchedLedger::spawn(log.clone());
        let a = AccountId(1);
        for _ in 0..5 {
            ledger.add(a, now());
        }
        let writing = tokio::spawn({
            let ledger = ledger.clone();
            async move { ledger.write().await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await; // the write holds its batch, uncommitted
        let counting = tokio::spawn({
            let ledger = ledger.clone();
            async move { ledger.count(a, now()).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!counting.is_finished(), "a count waits for the write in flight");
        gate.add_permits(100);
        writing.await.unwrap().unwrap();
        assert_eq!(counting.await.unwrap().unwrap(), 5);
        ledger.close().await;
    }

    /// The writer task starts on another worker at once; it must find its ledger built (a task
    /// that started before the ledger existed would end, and nothing would be written until close).
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn every_ledger_writes_without_being_closed() {
        for round in 0..200 {
            let log = Arc::new(Counts::default());
            let ledger = BatchedLedger::spawn(log.clone());
            let a = AccountId(round);
            ledger.add(a, now());
            let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
            while log.monthly_count(a, now()).await.unwrap() == 0 {
                assert!(tokio::time::Instant::now() < deadline, "ledger {round} never wrote what waited");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
}
