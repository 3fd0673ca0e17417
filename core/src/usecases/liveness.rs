//! The liveness pass: postings of boards that publish no whole listing (Adzuna, Reed, Findwork)
//! are seen again only when a search or watch query brings them back, so before one is served
//! stale its own page is asked (`LivenessProbe`): gone (404/410, a redirect to a search page, a
//! page saying the job is closed) expires it with the reason `gone`; alive counts as seen now; no
//! answer to go by leaves it as it is (it expires by age, `JOBIN_EXPIRE_AFTER`, as before).
//!
//! Bounded and polite: at most `batch` postings a cycle, the longest unseen first, one request at a
//! time with a pause between them, one node at a time (the `liveness` lock). A posting whose check
//! gave no answer is not asked again by this node for `stale_after`, so postings that never answer
//! cannot hold the head of the queue.

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
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

/// How many unanswered postings a node remembers, at most (the oldest are forgotten first).
const UNANSWERED_CAP: usize = 10_000;

/// What the liveness pass reads, writes and asks with.
pub struct LivenessPorts {
    pub store: Arc<dyn JobStore>,
    pub probe: Arc<dyn LivenessProbe>,
    pub lock: Arc<dyn Lock>,
    pub clock: Arc<dyn Clock>,
    pub timer: Arc<dyn Timer>,
}

pub struct CheckLiveness {
    ports: LivenessPorts,
    settings: LivenessSettings,
    /// Postings whose check gave no answer, and when.
    unanswered: Mutex<HashMap<String, DateTime<Utc>>>,
}

impl CheckLiveness {
    pub fn new(ports: LivenessPorts, settings: LivenessSettings) -> Self {
        Self { ports, settings, unanswered: Mutex::new(HashMap::new()) }
    }

    fn unanswered(&self) -> std::sync::MutexGuard<'_, HashMap<String, DateTime<Utc>>> {
        self.unanswered.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub async fn run_cycle(&self) -> Result<LivenessReport, JobStoreError> {
        let token = match self.ports.lock.try_acquire(LIVENESS_LOCK, self.settings.lock_ttl).await {
            Ok(Some(t)) => t,
            Ok(None) => return Ok(LivenessReport::default()),
            Err(e) => {
                tracing::warn!(error = %e, "liveness lock unavailable; pass skipped");
                return Ok(LivenessReport::default());
            }
        };
        let report = self.pass().await;
        if let Err(e) = self.ports.lock.release(LIVENESS_LOCK, &token).await {
            tracing::warn!(error = %e, "liveness lock not released; it expires by itself");
        }
        report
    }

    async fn pass(&self) -> Result<LivenessReport, JobStoreError> {
        let mut report = LivenessReport { ran: true, ..Default::default() };
        let stale_after = chrono::Duration::from_std(self.settings.stale_after).unwrap_or(chrono::Duration::days(1));
        let now = self.ports.clock.now();
        // Unanswered within `stale_after`: skipped (asked for on top of the batch).
        let skip: std::collections::HashSet<String> = {
            let mut unanswered = self.unanswered();
            unanswered.retain(|_, at| *at > now - stale_after);
            unanswered.keys().cloned().collect()
        };
        let due = self.ports.store.stale(&UNLISTED_BOARDS, now - stale_after, self.settings.batch + skip.len()).await?;
        let due = due.into_iter().filter(|s| !skip.contains(&s.job.id)).take(self.settings.batch);
        for (i, stored) in due.enumerate() {
            if i > 0 {
                self.ports.timer.sleep(self.settings.pause).await;
            }
            report.checked += 1;
            match self.ports.probe.check(&stored.job.url).await {
                Liveness::Gone => {
                    report.gone += self.ports.store.expire_ids(&[stored.job.id], self.ports.clock.now()).await?
                }
                Liveness::Alive => {
                    // Seen now: the same content, so only `last_seen_at` moves.
                    self.ports.store.upsert(&[stored.job], self.ports.clock.now()).await?;
                    report.alive += 1;
                }
                Liveness::Unknown => {
                    let mut unanswered = self.unanswered();
                    if unanswered.len() >= UNANSWERED_CAP
                        && let Some(oldest) = unanswered.iter().min_by_key(|(_, at)| **at).map(|(id, _)| id.clone())
                    {
                        unanswered.remove(&oldest);
                    }
                    unanswered.insert(stored.job.id, self.ports.clock.now());
                    report.unknown += 1;
                }
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

    /// The pass over these doubles, with the default settings.
    fn pass(
        store: Arc<dyn JobStore>,
        probe: Arc<dyn LivenessProbe>,
        lock: Arc<dyn Lock>,
        clock: Arc<dyn Clock>,
    ) -> CheckLiveness {
        CheckLiveness::new(
            LivenessPorts { store, probe, lock, clock, timer: Arc::new(TokioTimer) },
            LivenessSettings::default(),
        )
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
        let pass = pass(Arc::new(store), Arc::new(probe), Arc::new(lock()), clock);
        let r = pass.run_cycle().await.unwrap();
        assert_eq!(r, LivenessReport { ran: true, checked: 3, alive: 1, gone: 1, unknown: 1 });
    }

    #[tokio::test(start_paused = true)]
    async fn a_posting_that_gave_no_answer_is_not_asked_again_within_the_day() {
        let clock = Arc::new(FixedClock::at(1_800_100_000));
        let mut store = MockJobStore::new();
        // The first pass asks for the batch; the second for one more, to make up for the skipped.
        let mut limits = vec![61usize, 60];
        store.expect_stale().times(2).returning(move |_, _, limit| {
            assert_eq!(Some(limit), limits.pop());
            Ok(vec![stored(3)])
        });
        let mut probe = MockLivenessProbe::new();
        probe.expect_check().times(1).returning(|_| Liveness::Unknown);
        let pass = pass(Arc::new(store), Arc::new(probe), Arc::new(lock()), clock);
        assert_eq!(pass.run_cycle().await.unwrap().unknown, 1);
        assert_eq!(pass.run_cycle().await.unwrap().checked, 0);
    }

    #[tokio::test]
    async fn another_node_holding_the_pass_means_nothing_is_asked() {
        let mut lock = MockLock::new();
        lock.expect_try_acquire().returning(|_, _| Ok(None));
        let pass = pass(
            Arc::new(MockJobStore::new()),
            Arc::new(MockLivenessProbe::new()),
            Arc::new(lock),
            Arc::new(FixedClock::at(1_800_100_000)),
        );
        assert_eq!(pass.run_cycle().await.unwrap(), LivenessReport::default());
    }
}
