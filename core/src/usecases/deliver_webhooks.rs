//! Sending queued `job.matched` events to saved searches' webhooks (issue 20). Every node runs
//! [`DeliverWebhooks::run_once`] on a schedule; the store hands each due delivery to one node for
//! a lease, so an event is sent by one node at a time, and a node that dies mid-delivery leaves it
//! to be taken again when the lease ends (at least once). A failed attempt is tried again after
//! about 30 s, 2 min, 10 min, 1 h and 6 h, then the delivery is dead (kept; `retry` sends it
//! again). A webhook whose every attempt has failed for 3 days is disabled and its owner told.

use std::sync::Arc;
use std::time::Duration;

use crate::domain::{SecretHasher, webhook};
use crate::ports::{
    Claimed, Clock, DeliveryStore, EventEncoder, JobStore, KeyStore, Next, Notice, Notifier, SavedSearchStoreError,
    WebhookSender,
};
use crate::usecases::saved_searches::send_signed;

/// Deliveries one run takes (sent concurrently).
pub const DELIVERY_BATCH: usize = 20;
/// How long a node holds a delivery it took: longer than a send may take.
pub const DELIVERY_LEASE: Duration = Duration::from_secs(120);

pub struct DeliverWebhooks {
    pub deliveries: Arc<dyn DeliveryStore>,
    pub jobs: Arc<dyn JobStore>,
    pub sender: Arc<dyn WebhookSender>,
    pub encoder: Arc<dyn EventEncoder>,
    pub hasher: SecretHasher,
    /// Finds the owner to tell of a disabled webhook.
    pub accounts: Arc<dyn KeyStore>,
    pub notifier: Arc<dyn Notifier>,
    pub clock: Arc<dyn Clock>,
}

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryRun {
    pub attempted: usize,
    pub delivered: usize,
    /// Failed attempts that will be tried again.
    pub retrying: usize,
    /// Failed attempts that were the last.
    pub dead: usize,
    /// Webhooks disabled by this run.
    pub disabled: usize,
}

impl DeliverWebhooks {
    /// Sends the deliveries due now (up to [`DELIVERY_BATCH`]).
    pub async fn run_once(&self) -> Result<DeliveryRun, SavedSearchStoreError> {
        let claimed = self.deliveries.claim(self.clock.now(), DELIVERY_LEASE, DELIVERY_BATCH).await?;
        let outcomes = futures::future::join_all(claimed.iter().map(|c| self.deliver(c))).await;
        let mut run = DeliveryRun::default();
        for outcome in outcomes {
            let (next, disabled) = outcome?;
            run.attempted += 1;
            match next {
                Next::Delivered => run.delivered += 1,
                Next::RetryAt(_) => run.retrying += 1,
                Next::Dead => run.dead += 1,
            }
            run.disabled += usize::from(disabled);
        }
        if run.attempted > 0 {
            tracing::info!(
                attempted = run.attempted,
                delivered = run.delivered,
                retrying = run.retrying,
                dead = run.dead,
                disabled = run.disabled,
                "webhook deliveries"
            );
        }
        Ok(run)
    }

    /// One attempt: its outcome, and whether the webhook was disabled.
    async fn deliver(&self, c: &Claimed) -> Result<(Next, bool), SavedSearchStoreError> {
        let job = match self.jobs.get(&c.event.event.job_id).await {
            Ok(job) => job,
            Err(e) => {
                // The event goes out without the posting rather than not at all.
                tracing::warn!(error = %e, delivery = c.delivery, "job store unreadable; event sent without its posting");
                None
            }
        };
        let body = self.encoder.matched(&c.event, job.as_ref());
        let secret = webhook::secret(&self.hasher, &c.nonce);
        let (delivered, attempt) = send_signed(self.sender.as_ref(), self.clock.as_ref(), &c.url, &secret, &body).await;
        let now = attempt.at;
        let attempts = c.attempts + 1;
        let next = if delivered {
            Next::Delivered
        } else {
            match webhook::retry_after(attempts) {
                Some(wait) => Next::RetryAt(now + wait),
                None => Next::Dead,
            }
        };
        self.deliveries.finish(c, attempt, next).await?;
        let failing_too_long = !delivered && c.failing_since.is_some_and(|since| now - since >= webhook::DISABLE_AFTER);
        if failing_too_long {
            self.deliveries.disable(c.event.event.search, now).await?;
            self.tell_owner(c).await;
        }
        Ok((next, failing_too_long))
    }

    async fn tell_owner(&self, c: &Claimed) {
        let account = match self.accounts.find_account(c.event.event.account).await {
            Ok(Some(a)) => a,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "owner of a disabled webhook not found; not told");
                return;
            }
        };
        let notice = Notice {
            to: account.email.as_str().to_owned(),
            subject: format!("JobIn: the webhook of your saved search \"{}\" was disabled", c.search_name),
            body: format!(
                "Every delivery to {} has failed for 3 days, so the webhook of your saved search \"{}\" \
                 (id {}) is disabled: no event is sent to it until you set its webhook_url again. Its \
                 matches are still recorded, and the deliveries that failed can be retried.",
                c.url, c.search_name, c.event.event.search
            ),
        };
        if let Err(e) = self.notifier.send(&notice).await {
            tracing::warn!(error = %e, "could not tell the owner of a disabled webhook");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Account, AccountId, Email, Plan};
    use crate::ports::key_store::MockKeyStore;
    use crate::ports::notifier::MockNotifier;
    use crate::ports::webhook::{MockDeliveryStore, MockEventEncoder, MockWebhookSender};
    use crate::ports::{MatchEvent, NewMatch, SendFailure, job_store::MockJobStore};
    use crate::testing::FixedClock;
    use chrono::{DateTime, Utc};
    use std::sync::Mutex;

    const NOW: i64 = 1_796_551_200;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(NOW + s, 0).unwrap()
    }

    fn claimed(attempts: u32, failing_since: Option<DateTime<Utc>>) -> Claimed {
        Claimed {
            delivery: 9,
            event: MatchEvent {
                id: 77,
                event: NewMatch {
                    search: 3,
                    account: AccountId(5),
                    job_id: "reed:1".into(),
                    job_updated_at: at(-60),
                    seq: 1,
                    created_at: at(-30),
                },
            },
            attempts,
            url: "https://hooks.example.com/x".into(),
            nonce: "n".into(),
            search_name: "Rust".into(),
            failing_since,
        }
    }

    /// One delivery sent to a receiver answering `status`; what `finish` was told and whether the
    /// owner was notified.
    async fn run(c: Claimed, status: Result<u16, SendFailure>) -> (DeliveryRun, Next, Option<String>, bool) {
        let mut store = MockDeliveryStore::new();
        let claim = c.clone();
        store.expect_claim().returning(move |_, _, _| Ok(vec![claim.clone()]));
        type Finished = Option<(Next, Option<String>)>;
        let seen: Arc<Mutex<Finished>> = Arc::default();
        let keep = seen.clone();
        store.expect_finish().returning(move |_, attempt, next| {
            *keep.lock().unwrap() = Some((next, attempt.error));
            Ok(())
        });
        store.expect_disable().returning(|_, _| Ok(()));
        let mut jobs = MockJobStore::new();
        jobs.expect_get().returning(|_| Ok(None));
        let mut sender = MockWebhookSender::new();
        let hasher = SecretHasher::new(b"pepper".to_vec());
        let secret = webhook::secret(&hasher, "n");
        sender.expect_post().times(1).returning(move |url, body, signature| {
            assert_eq!(url, "https://hooks.example.com/x");
            assert_eq!(signature, webhook::signature(&secret, at(0), body), "signed with the webhook's secret");
            status.clone()
        });
        let mut encoder = MockEventEncoder::new();
        encoder.expect_matched().returning(|e, _| format!("{{\"id\":{}}}", e.id).into_bytes());
        let mut accounts = MockKeyStore::new();
        accounts.expect_find_account().returning(|id| {
            Ok(Some(Account {
                id,
                email: Email::parse("owner@example.com").unwrap(),
                plan: Plan::Free,
                created_at: at(-1_000_000),
            }))
        });
        let told = Arc::new(Mutex::new(false));
        let keep_told = told.clone();
        let mut notifier = MockNotifier::new();
        notifier.expect_send().returning(move |n| {
            assert_eq!(n.to, "owner@example.com");
            assert!(n.subject.contains("\"Rust\"") && n.body.contains("disabled"), "{n:?}");
            *keep_told.lock().unwrap() = true;
            Ok(())
        });
        let d = DeliverWebhooks {
            deliveries: Arc::new(store),
            jobs: Arc::new(jobs),
            sender: Arc::new(sender),
            encoder: Arc::new(encoder),
            hasher,
            accounts: Arc::new(accounts),
            notifier: Arc::new(notifier),
            clock: Arc::new(FixedClock::at(NOW)),
        };
        let r = d.run_once().await.unwrap();
        let (next, error) = seen.lock().unwrap().take().unwrap();
        let told = *told.lock().unwrap();
        (r, next, error, told)
    }

    #[tokio::test]
    async fn a_2xx_delivers_and_anything_else_is_tried_again_later() {
        let (r, next, error, _) = run(claimed(0, None), Ok(204)).await;
        assert_eq!((r.delivered, next, error), (1, Next::Delivered, None));
        let (r, next, error, _) = run(claimed(0, None), Ok(500)).await;
        assert_eq!((r.retrying, next), (1, Next::RetryAt(at(30))));
        assert_eq!(error.as_deref(), Some("the receiver answered 500"));
        let (_, next, _, _) = run(claimed(3, None), Ok(302)).await;
        assert_eq!(next, Next::RetryAt(at(3_600)), "a redirect is not followed: the fourth attempt failed");
        let (_, next, error, _) = run(claimed(4, None), Err(SendFailure("timeout".into()))).await;
        assert_eq!((next, error.as_deref()), (Next::RetryAt(at(21_600)), Some("timeout")));
    }

    #[tokio::test]
    async fn the_last_attempt_failing_kills_the_delivery() {
        let (r, next, _, told) = run(claimed(5, None), Ok(503)).await;
        assert_eq!((r.dead, next, told), (1, Next::Dead, false));
    }

    #[tokio::test]
    async fn a_webhook_failing_for_three_days_is_disabled_and_its_owner_told() {
        let almost = at(0) - webhook::DISABLE_AFTER + chrono::Duration::seconds(1);
        let (r, _, _, told) = run(claimed(1, Some(almost)), Ok(500)).await;
        assert_eq!((r.disabled, told), (0, false), "not yet three days");
        let (r, _, _, told) = run(claimed(1, Some(at(0) - webhook::DISABLE_AFTER)), Ok(500)).await;
        assert_eq!((r.disabled, told), (1, true));
        let (r, _, _, told) = run(claimed(1, Some(at(-400_000))), Ok(200)).await;
        assert_eq!((r.delivered, r.disabled, told), (1, 0, false), "a success is never a reason to disable");
    }
}
