//! The batched, asynchronous usage-log writer. Requests hand records to a bounded channel (when
//! it is full the request waits: backpressure, not loss); a task writes them in batches of up to
//! `BATCH` every `FLUSH_EVERY`; `close` drains everything at graceful shutdown. A failed write
//! keeps its batch for the next attempt.

use jobin_core::ports::{UsageLog, UsageRecord};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, Notify, mpsc};
use tokio::task::JoinHandle;

pub const BATCH: usize = 500;
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);
const CHANNEL: usize = 10_000;
/// Records kept across failed writes before the oldest are dropped (and counted in the log).
const MAX_BACKLOG: usize = 200_000;

pub struct UsageWriter {
    tx: mpsc::Sender<UsageRecord>,
    shutdown: Arc<Notify>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl UsageWriter {
    /// Starts the writer task (needs a Tokio runtime).
    pub fn spawn(log: Arc<dyn UsageLog>) -> Self {
        let (tx, rx) = mpsc::channel(CHANNEL);
        let shutdown = Arc::new(Notify::new());
        let task = tokio::spawn(run(log, rx, shutdown.clone()));
        Self { tx, shutdown, task: Mutex::new(Some(task)) }
    }

    pub async fn record(&self, r: UsageRecord) {
        if let Err(mpsc::error::TrySendError::Full(r)) = self.tx.try_send(r) {
            let _ = self.tx.send(r).await;
        }
    }

    /// Writes everything recorded so far and stops the task. Idempotent.
    pub async fn close(&self) {
        self.shutdown.notify_one();
        if let Some(task) = self.task.lock().await.take() {
            let _ = task.await;
        }
    }
}

async fn flush(log: &dyn UsageLog, buf: &mut Vec<UsageRecord>) -> bool {
    while !buf.is_empty() {
        let n = buf.len().min(BATCH);
        match log.append(&buf[..n]).await {
            Ok(()) => {
                buf.drain(..n);
                crate::metrics::usage_rows_written(n);
            }
            Err(e) => {
                tracing::warn!(error = %e, pending = buf.len(), "usage-log write failed; will retry");
                if buf.len() > MAX_BACKLOG {
                    let dropped = buf.len() - MAX_BACKLOG;
                    buf.drain(..dropped);
                    tracing::error!(dropped, "usage-log backlog over its bound; oldest records dropped");
                }
                return false;
            }
        }
    }
    true
}

async fn run(log: Arc<dyn UsageLog>, mut rx: mpsc::Receiver<UsageRecord>, shutdown: Arc<Notify>) {
    let mut buf: Vec<UsageRecord> = Vec::new();
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    loop {
        tokio::select! {
            received = rx.recv() => match received {
                Some(r) => {
                    buf.push(r);
                    crate::metrics::usage_queue_depth(buf.len() + rx.len());
                    if buf.len() >= BATCH {
                        flush(log.as_ref(), &mut buf).await;
                    }
                }
                None => break,
            },
            _ = tick.tick() => {
                flush(log.as_ref(), &mut buf).await;
                crate::metrics::usage_queue_depth(buf.len() + rx.len());
            }
            _ = shutdown.notified() => break,
        }
    }
    while let Ok(r) = rx.try_recv() {
        buf.push(r);
    }
    for attempt in 1..=5 {
        if flush(log.as_ref(), &mut buf).await {
            tracing::info!("usage log flushed");
            return;
        }
        tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
    }
    tracing::error!(lost = buf.len(), "usage log could not be written at shutdown");
}

#[cfg(test)]
mod tests {
    use super::*;
    use jobin_core::domain::AccountId;
    use jobin_core::ports::KeyStoreError;
    use std::sync::Mutex as StdMutex;

    /// Fails the first `fail` writes, then records batches.
    struct Flaky {
        fail: StdMutex<u32>,
        batches: StdMutex<Vec<usize>>,
        rows: StdMutex<Vec<UsageRecord>>,
    }

    #[async_trait::async_trait]
    impl UsageLog for Flaky {
        async fn append(&self, records: &[UsageRecord]) -> Result<(), KeyStoreError> {
            let mut fail = self.fail.lock().unwrap();
            if *fail > 0 {
                *fail -= 1;
                return Err(KeyStoreError::Unavailable(anyhow::anyhow!("down")));
            }
            self.batches.lock().unwrap().push(records.len());
            self.rows.lock().unwrap().extend_from_slice(records);
            Ok(())
        }
        async fn add_monthly(&self, _: &[jobin_core::ports::MonthlyAdd]) -> Result<(), KeyStoreError> {
            Ok(())
        }
        async fn recent(&self, _: AccountId, _: u64) -> Result<Vec<UsageRecord>, KeyStoreError> {
            Ok(vec![])
        }
        async fn monthly_count(&self, _: AccountId, _: chrono::DateTime<chrono::Utc>) -> Result<u64, KeyStoreError> {
            Ok(0)
        }
    }

    fn rec(i: u32) -> UsageRecord {
        UsageRecord {
            at: chrono::Utc::now(),
            account: AccountId(1),
            key_prefix: None,
            endpoint: "GET /auth/me".into(),
            status: 200,
            cache_hit: false,
            latency_ms: i,
            monthly: false,
        }
    }

    #[tokio::test]
    async fn nothing_is_lost_at_close_even_after_failed_writes_and_batches_are_bounded() {
        let log =
            Arc::new(Flaky { fail: StdMutex::new(2), batches: StdMutex::new(vec![]), rows: StdMutex::new(vec![]) });
        let w = UsageWriter::spawn(log.clone());
        for i in 0..1_234 {
            w.record(rec(i)).await;
        }
        w.close().await;
        w.close().await;
        let rows = log.rows.lock().unwrap();
        assert_eq!(rows.len(), 1_234);
        let mut latencies: Vec<u32> = rows.iter().map(|r| r.latency_ms).collect();
        latencies.sort_unstable();
        assert_eq!(latencies, (0..1_234).collect::<Vec<_>>());
        assert!(log.batches.lock().unwrap().iter().all(|n| *n <= BATCH));
    }
}
