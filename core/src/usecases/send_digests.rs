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
