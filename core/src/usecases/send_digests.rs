//! Daily email digests of saved searches (issue 20): each search with a digest on gets at most one
//! email a day, listing the matches found since its last one (none sent when there are none). One
//! node sends at a time (a lock); a digest is noted as sent after the email went, so a node that
//! dies between the two sends it again rather than never.

use chrono::Duration;
use std::fmt::Write;
use std::sync::Arc;

use crate::ports::{
    Clock, JobStore, KeyStore, Lock, MatchStore, Notice, Notifier, SavedSearchStore, SavedSearchStoreError,
};

/// The name of the lock a digest run holds.
pub const DIGEST_LOCK: &str = "saved-search-digests";
/// At most one digest per search in this long.
pub const DIGEST_EVERY: Duration = Duration::hours(24);
/// Postings listed in one email (the rest are counted).
pub const DIGEST_LISTED: usize = 20;
/// Matches read per digest.
const DIGEST_READ: u64 = 500;

pub struct SendDigests {
    pub searches: Arc<dyn SavedSearchStore>,
    pub matches: Arc<dyn MatchStore>,
    pub jobs: Arc<dyn JobStore>,
    pub accounts: Arc<dyn KeyStore>,
    pub notifier: Arc<dyn Notifier>,
    pub lock: Arc<dyn Lock>,
    pub clock: Arc<dyn Clock>,
}

impl SendDigests {
    /// Sends the digests that are due; answers how many went (`None`: another node holds the
    /// lock, or it cannot be reached).
    pub async fn run_once(&self) -> Result<Option<usize>, SavedSearchStoreError> {
        let token = match self.lock.try_acquire(DIGEST_LOCK, std::time::Duration::from_secs(600)).await {
            Ok(Some(t)) => t,
            Ok(None) => return Ok(None),
            Err(e) => {
                tracing::warn!(error = %e, "digest lock unavailable; run skipped");
                return Ok(None);
            }
        };
        let sent = self.send_due().await;
        if let Err(e) = self.lock.release(DIGEST_LOCK, &token).await {
            tracing::warn!(error = %e, "digest lock not released; it expires by itself");
        }
        sent.map(Some)
    }

    async fn send_due(&self) -> Result<usize, SavedSearchStoreError> {
        let now = self.clock.now();
        let mut sent = 0;
        for search in self.searches.due_digests(now - DIGEST_EVERY).await? {
            let Some(digest) = search.digest else { continue };
            let new: Vec<_> = self
                .matches
                .recent(search.account, search.id, None, DIGEST_READ)
                .await?
                .into_iter()
                .filter(|m| m.id > digest.sent_through)
                .collect();
            let Some(newest) = new.first().map(|m| m.id) else { continue };
            let account = match self.accounts.find_account(search.account).await {
                Ok(Some(a)) => a,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, search = search.id, "digest owner unreadable; tried next run");
                    continue;
                }
            };
            let mut body = format!(
                "{} new posting{} matched your saved search \"{}\" (q: {}):\n\n",
                new.len(),
                if new.len() == 1 { "" } else { "s" },
                search.name,
                search.criteria.q
            );
            for m in new.iter().take(DIGEST_LISTED) {
                match self.jobs.get(&m.event.job_id).await {
                    Ok(Some(found)) => {
                        let job = &found.stored.job;
                        let place = [job.location.city.as_str(), job.location.country.as_str()]
                            .into_iter()
                            .filter(|p| !p.is_empty())
                            .collect::<Vec<_>>()
                            .join(", ");
                        let _ = writeln!(body, "- {} at {} ({})\n  {}", job.title, job.company, place, job.url);
                    }
                    _ => {
                        let _ = writeln!(body, "- {} (no longer stored)", m.event.job_id);
                    }
                }
            }
            if new.len() > DIGEST_LISTED {
                let _ = writeln!(
                    body,
                    "\n…and {} more: list the search's matches through the API.",
                    new.len() - DIGEST_LISTED
                );
            }
            let _ = write!(
                body,
                "\nTurn this digest off by setting digest to false on the saved search (id {}).",
                search.id
            );
            let notice = Notice {
                to: account.email.as_str().to_owned(),
                subject: format!("JobIn: {} new for \"{}\"", new.len(), search.name),
                body,
            };
            if let Err(e) = self.notifier.send(&notice).await {
                tracing::warn!(error = %e, search = search.id, "digest not sent; tried next run");
                continue;
            }
            self.searches.digest_sent(search.id, newest, now).await?;
            sent += 1;
        }
        if sent > 0 {
            tracing::info!(sent, "saved-search digests");
        }
        Ok(sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::saved_search::{RawCriteria, SearchCriteria};
    use crate::domain::{Account, AccountId, Email, Job, Plan, SourceId};
    use crate::ports::job_store::MockJobStore;
    use crate::ports::key_store::MockKeyStore;
    use crate::ports::lock::MockLock;
    use crate::ports::match_store::MockMatchStore;
    use crate::ports::notifier::MockNotifier;
    use crate::ports::saved_search_store::MockSavedSearchStore;
    use crate::ports::{DigestState, FoundJob, LockToken, MatchEvent, NewMatch, NotifyError, SavedSearch, StoredJob};
    use crate::testing::FixedClock;
    use chrono::{DateTime, Utc};
    use std::sync::Mutex;

    const NOW: i64 = 1_800_000_000;

    fn at(ts: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(ts, 0).unwrap()
    }

    fn search(id: i64, sent_through: i64) -> SavedSearch {
        SavedSearch {
            id,
            account: AccountId(id),
            name: format!("Search {id}"),
            criteria: SearchCriteria::parse(RawCriteria { q: Some("rust".into()), ..Default::default() }).unwrap(),
            created_at: at(NOW - 86_400 * 10),
            updated_at: at(NOW - 86_400 * 10),
            webhook: None,
            feed_token: None,
            digest: Some(DigestState { sent_through, sent_at: Some(at(NOW - 86_400 * 2)) }),
        }
    }

    fn event(id: i64, search: i64, job: &str) -> MatchEvent {
        let event = NewMatch {
            search,
            account: AccountId(search),
            job_id: job.into(),
            job_updated_at: at(NOW),
            seq: id,
            created_at: at(NOW),
        };
        MatchEvent { id, event }
    }

    fn locked() -> MockLock {
        let mut lock = MockLock::new();
        lock.expect_try_acquire()
            .withf(|name, _| name == DIGEST_LOCK)
            .returning(|_, _| Ok(Some(LockToken("t".into()))));
        lock.expect_release().times(1).returning(|_, _| Ok(true));
        lock
    }

    fn accounts() -> MockKeyStore {
        let mut keys = MockKeyStore::new();
        keys.expect_find_account().returning(|id| {
            let email = Email::parse(&format!("owner{}@example.com", id.0)).unwrap();
            Ok(Some(Account { id, email, plan: Plan::Pro, created_at: at(0) }))
        });
        keys
    }

    fn jobs() -> MockJobStore {
        let mut jobs = MockJobStore::new();
        jobs.expect_get().returning(|id| {
            if id == "reed:gone" {
                return Ok(None);
            }
            let native = id.trim_start_matches("reed:");
            let job = Job::sample(SourceId::Reed, native, "Rust Developer", "Acme", "London");
            let stored = StoredJob { job, seq: 1, first_seen_at: at(0), last_seen_at: at(0), updated_at: at(0) };
            Ok(Some(FoundJob { stored, expired_at: None, expired_reason: None }))
        });
        jobs
    }

    fn digests(
        searches: MockSavedSearchStore,
        matches: MockMatchStore,
        notifier: MockNotifier,
        lock: MockLock,
    ) -> SendDigests {
        SendDigests {
            searches: Arc::new(searches),
            matches: Arc::new(matches),
            jobs: Arc::new(jobs()),
            accounts: Arc::new(accounts()),
            notifier: Arc::new(notifier),
            lock: Arc::new(lock),
            clock: Arc::new(FixedClock::at(NOW)),
        }
    }

    #[tokio::test]
    async fn a_due_search_gets_one_email_of_its_new_matches_and_is_noted_sent_through_the_newest() {
        let mut searches = MockSavedSearchStore::new();
        searches
            .expect_due_digests()
            .withf(|before| *before == at(NOW) - DIGEST_EVERY)
            .returning(|_| Ok(vec![search(1, 10), search(2, 30)]));
        let mut matches = MockMatchStore::new();
        matches.expect_recent().returning(|_, search, _, _| {
            Ok(match search {
                // Newest first; 10 and below were in the last digest.
                1 => vec![event(12, 1, "reed:12"), event(11, 1, "reed:gone"), event(10, 1, "reed:10")],
                // Nothing since the last one: no email.
                _ => vec![event(30, 2, "reed:30")],
            })
        });
        let noted: Arc<Mutex<Vec<(i64, i64)>>> = Arc::default();
        let to = noted.clone();
        searches.expect_digest_sent().returning(move |id, through, when| {
            assert_eq!(when, at(NOW));
            to.lock().unwrap().push((id, through));
            Ok(())
        });
        let sent: Arc<Mutex<Vec<Notice>>> = Arc::default();
        let outbox = sent.clone();
        let mut notifier = MockNotifier::new();
        notifier.expect_send().returning(move |n| {
            outbox.lock().unwrap().push(n.clone());
            Ok(())
        });
        let d = digests(searches, matches, notifier, locked());
        assert_eq!(d.run_once().await.unwrap(), Some(1));
        let sent = sent.lock().unwrap();
        assert_eq!(sent.len(), 1);
        let n = &sent[0];
        assert_eq!(n.to, "owner1@example.com");
        assert_eq!(n.subject, "JobIn: 2 new for \"Search 1\"");
        assert!(n.body.starts_with("2 new postings matched your saved search \"Search 1\" (q: rust)"), "{}", n.body);
        assert!(n.body.contains("- Rust Developer at Acme (London"), "{}", n.body);
        assert!(n.body.contains("- reed:gone (no longer stored)"), "{}", n.body);
        assert!(!n.body.contains("reed:10"), "an old match is not listed again: {}", n.body);
        assert_eq!(*noted.lock().unwrap(), [(1, 12)]);
    }

    #[tokio::test]
    async fn an_email_that_did_not_go_is_not_noted_sent_so_the_next_run_sends_it() {
        let mut searches = MockSavedSearchStore::new();
        searches.expect_due_digests().returning(|_| Ok(vec![search(1, 0)]));
        searches.expect_digest_sent().never();
        let mut matches = MockMatchStore::new();
        matches.expect_recent().returning(|_, _, _, _| Ok(vec![event(1, 1, "reed:1")]));
        let mut notifier = MockNotifier::new();
        notifier.expect_send().times(1).returning(|_| Err(NotifyError::Unavailable(anyhow::anyhow!("smtp down"))));
        let d = digests(searches, matches, notifier, locked());
        assert_eq!(d.run_once().await.unwrap(), Some(0));
    }

    #[tokio::test]
    async fn a_node_without_the_lock_sends_nothing() {
        let mut lock = MockLock::new();
        lock.expect_try_acquire().returning(|_, _| Ok(None));
        let d = digests(MockSavedSearchStore::new(), MockMatchStore::new(), MockNotifier::new(), lock);
        assert_eq!(d.run_once().await.unwrap(), None);
    }
}
