//! The liveness pass: postings of boards that publish no whole listing (Adzuna, Reed, Findwork)
//! are seen again only when a search or watch query brings them back, so before one is served
//! stale its own page is asked (`LivenessProbe`): gone (404/410, a redirect to a search page, a
//! page saying the job is closed) expires it with the reason `gone`; alive counts as seen now; no
//! answer to go by leaves it as it is (it expires by age, `JOBIN_EXPIRE_AFTER`, as before).
//!
//! Bounded and polite: at most `batch` postings a cycle, the longest unseen first, one request at a
//! time with a pause between them, one node at a time (the `liveness` lock).

use std::sync::Arc;
use std::time::Duration;

use crate::domain::SourceId;
use crate::ports::{Clock, JobStore, JobStoreError, Liveness, LivenessProbe, Lock, Timer};

/// The boards whose postings the pass checks: those without a whole listing to crawl.
pub const UNLISTED_BOARDS: [SourceId; 3] = [SourceId::Adzuna, SourceId::Reed, SourceId::Findwork];

/// The name of the lock one pass holds.
pub const LIVENESS_LOCK: &str = "liveness";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LivenessSettings {
    /// A posting not seen for this long is checked.
    pub stale_after: Duration,
    /// Postings checked a cycle, at most.
    pub batch: usize,
    /// Between two checks.
    pub pause: Duration,
    pub lock_ttl: Duration,
}

impl Default for LivenessSettings {
    fn default() -> Self {
        Self {
            stale_after: Duration::from_secs(24 * 3600),
            batch: 60,
            pause: Duration::from_secs(1),
            lock_ttl: Duration::from_secs(30 * 60),
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LivenessReport {
    /// False when another node held the lock.
    pub ran: bool,
    pub checked: usize,
    pub alive: usize,
    pub gone: u64,
    pub unknown: usize,
}

pub struct CheckLiveness {
    pub store: Arc<dyn JobStore>,
    pub probe: Arc<dyn LivenessProbe>,
    pub lock: Arc<dyn Lock>,
    pub clock: Arc<dyn Clock>,
    pub timer: Arc<dyn Timer>,
    pub settings: LivenessSettings,
}

impl CheckLiveness {
    pub async fn run_cycle(&self) -> Result<LivenessReport, JobStoreError> {
        let token = match self.lock.try_acquire(LIVENESS_LOCK, self.settings.lock_ttl).await {
            Ok(Some(t)) => t,
            Ok(None) => return Ok(LivenessReport::default()),
            Err(e) => {
                tracing::warn!(error = %e, "liveness lock unavailable; pass skipped");
                return Ok(LivenessReport::default());
            }
        };
        let report = self.pass().await;
        if let Err(e) = self.lock.release(LIVENESS_LOCK, &token).await {
            tracing::warn!(error = %e, "liveness lock not released; it expires by itself");
        }
        report
    }

    async fn pass(&self) -> Result<LivenessReport, JobStoreError> {
        let mut report = LivenessReport { ran: true, ..Default::default() };
        let stale_after = chrono::Duration::from_std(self.settings.stale_after).unwrap_or(chrono::Duration::days(1));
        let due = self.store.stale(&UNLISTED_BOARDS, self.clock.now() - stale_after, self.settings.batch).await?;
        for (i, stored) in due.into_iter().enumerate() {
            if i > 0 {
                self.timer.sleep(self.settings.pause).await;
            }
            report.checked += 1;
            match self.probe.check(&stored.job.url).await {
                Liveness::Gone => report.gone += self.store.expire_ids(&[stored.job.id], self.clock.now()).await?,
                Liveness::Alive => {
                    // Seen now: the same content, so only `last_seen_at` moves.
                    self.store.upsert(&[stored.job], self.clock.now()).await?;
                    report.alive += 1;
                }
                Liveness::Unknown => report.unknown += 1,
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Job;
    use crate::ports::job_store::MockJobStore;
    use crate::ports::liveness::MockLivenessProbe;
    use crate::ports::lock::MockLock;
    use crate::ports::{LockToken, StoredJob, UpsertReport};
    use crate::testing::{FixedClock, TokioTimer};
    use chrono::{DateTime, Utc};

    fn stored(n: u32) -> StoredJob {
        let at = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let source = UNLISTED_BOARDS[n as usize % 3];
        StoredJob {
            job: Job {
                url: format!("https://jobs.example.com/{n}"),
                ..Job::sample(source, &n.to_string(), "Nurse", "Care Ltd", "Leeds")
            },
            seq: i64::from(n),
            first_seen_at: at,
            last_seen_at: at,
            updated_at: at,
        }
    }

    fn lock() -> MockLock {
        let mut lock = MockLock::new();
        lock.expect_try_acquire().returning(|_, _| Ok(Some(LockToken("t".into()))));
        lock.expect_release().returning(|_, _| Ok(true));
        lock
    }

    #[tokio::test(start_paused = true)]
    async fn gone_expires_alive_is_seen_unknown_is_left_and_only_stale_unlisted_postings_are_asked() {
        let clock = Arc::new(FixedClock::at(1_800_100_000));
        let mut store = MockJobStore::new();
        let now = clock.now();
        store
            .expect_stale()
            .withf(move |sources, before, limit| {
                sources == UNLISTED_BOARDS && *before == now - chrono::Duration::hours(24) && *limit == 60
            })
            .returning(|_, _, _| Ok(vec![stored(1), stored(2), stored(3)]));
        store.expect_expire_ids().withf(|ids, _| ids == [stored(2).job.id]).times(1).returning(|_, _| Ok(1));
        store
            .expect_upsert()
            .withf(move |jobs, at| jobs.len() == 1 && jobs[0].id == stored(1).job.id && *at == now)
            .times(1)
            .returning(|_, _| Ok(UpsertReport { unchanged: 1, ..Default::default() }));
        let mut probe = MockLivenessProbe::new();
        probe.expect_check().returning(|url| match url.rsplit('/').next() {
            Some("1") => Liveness::Alive,
            Some("2") => Liveness::Gone,
            _ => Liveness::Unknown,
        });
        let pass = CheckLiveness {
            store: Arc::new(store),
            probe: Arc::new(probe),
            lock: Arc::new(lock()),
            clock,
            timer: Arc::new(TokioTimer),
            settings: LivenessSettings::default(),
        };
        let r = pass.run_cycle().await.unwrap();
        assert_eq!(r, LivenessReport { ran: true, checked: 3, alive: 1, gone: 1, unknown: 1 });
    }

    #[tokio::test]
    async fn another_node_holding_the_pass_means_nothing_is_asked() {
        let mut lock = MockLock::new();
        lock.expect_try_acquire().returning(|_, _| Ok(None));
        let pass = CheckLiveness {
            store: Arc::new(MockJobStore::new()),
            probe: Arc::new(MockLivenessProbe::new()),
            lock: Arc::new(lock),
            clock: Arc::new(FixedClock::at(1_800_100_000)),
            timer: Arc::new(TokioTimer),
            settings: LivenessSettings::default(),
        };
        assert_eq!(pass.run_cycle().await.unwrap(), LivenessReport::default());
    }
}
