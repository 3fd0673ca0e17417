//! Sending queued `job.matched` events to saved searches' webhooks (issue 20). Every node runs
//! [`DeliverWebhooks::run_once`] on a schedule; the store hands each due delivery to one node for
//! a lease, so an event is sent by one node at a time, and a node that dies mid-delivery leaves it
//! to be taken again when the lease ends (at least once). A failed attempt is tried again after
//! about 30 s, 2 min, 10 min, 1 h and 6 h, then the delivery is dead (kept; `retry` sends it
//! again). A webhook whose every attempt has failed for 3 days is disabled and its owner told.

use futures::future::BoxFuture;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::domain::{AccountId, SecretHasher, webhook};
use crate::ports::{
    Claimed, Clock, DeliveryStore, EventEncoder, JobStore, KeyStore, Next, Notice, Notifier, SavedSearchStoreError,
    WebhookSender,
};
use crate::usecases::saved_searches::send_signed;

/// Deliveries one run claims at most.
pub const DELIVERY_BATCH: usize = 20;
/// How long a node holds a delivery it took: longer than a send may take.
pub const DELIVERY_LEASE: Duration = Duration::from_secs(120);
/// Deliveries of one account a node sends at once: a receiver that hangs holds only these.
pub const PER_ACCOUNT_IN_FLIGHT: usize = 4;
/// Deliveries to one destination (scheme, host and port) a node sends at once.
pub const PER_DESTINATION_IN_FLIGHT: usize = 8;

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
    /// What this node is sending now, by account and destination.
    pub in_flight: Arc<InFlight>,
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

/// The deliveries a node is sending, counted by account and by destination, so that one
/// account's slow or dead receiver holds only its own slots.
#[derive(Debug, Default)]
pub struct InFlight {
    counts: Mutex<(HashMap<AccountId, usize>, HashMap<String, usize>)>,
}

/// A delivery's place among those in flight; given back when dropped.
pub struct Slot {
    owner: Arc<InFlight>,
    account: AccountId,
    destination: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        fn give_back<K: std::hash::Hash + Eq>(counts: &mut HashMap<K, usize>, key: &K) {
            if let Some(n) = counts.get_mut(key) {
                *n -= 1;
                if *n == 0 {
                    counts.remove(key);
                }
            }
        }
        let mut counts = self.owner.counts.lock().unwrap_or_else(|p| p.into_inner());
        give_back(&mut counts.0, &self.account);
        give_back(&mut counts.1, &self.destination);
    }
}

impl InFlight {
    /// The accounts with all their slots taken.
    fn busy_accounts(&self) -> Vec<AccountId> {
        let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts.0.iter().filter(|(_, n)| **n >= PER_ACCOUNT_IN_FLIGHT).map(|(a, _)| *a).collect()
    }

    /// A slot for a delivery of `account` to `destination`, if both have one free.
    fn take(self: &Arc<Self>, account: AccountId, destination: String) -> Option<Slot> {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let by_account = counts.0.get(&account).copied().unwrap_or(0);
        let by_destination = counts.1.get(&destination).copied().unwrap_or(0);
        if by_account >= PER_ACCOUNT_IN_FLIGHT || by_destination >= PER_DESTINATION_IN_FLIGHT {
            return None;
        }
        *counts.0.entry(account).or_default() += 1;
        *counts.1.entry(destination.clone()).or_default() += 1;
        Some(Slot { owner: self.clone(), account, destination })
    }
}

/// Where a delivery goes, as far as sharing a receiver goes: scheme, host and port.
fn destination(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => format!("{}://{}:{}", u.scheme(), u.host_str().unwrap_or(""), u.port_or_known_default().unwrap_or(0)),
        Err(_) => url.to_owned(),
    }
}

/// One delivery's attempt, to run: its outcome and whether its webhook was disabled.
pub type Started = BoxFuture<'static, Result<(Next, bool), SavedSearchStoreError>>;

impl DeliverWebhooks {
    /// Claims the deliveries due now that this node may start (at most [`PER_ACCOUNT_IN_FLIGHT`]
    /// of an account and [`PER_DESTINATION_IN_FLIGHT`] to a destination at once, counting those
    /// still running) and answers one future per delivery, each holding its slots until it
    /// ends. The server spawns each, so a receiver that hangs delays only its own account's
    /// deliveries, for at most the sender's time budget per attempt.
    pub async fn start_due(self: &Arc<Self>) -> Result<Vec<Started>, SavedSearchStoreError> {
        let busy = self.in_flight.busy_accounts();
        let claimed = self
            .deliveries
            .claim(self.clock.now(), DELIVERY_LEASE, DELIVERY_BATCH, PER_ACCOUNT_IN_FLIGHT, &busy)
            .await?;
        let mut started: Vec<Started> = Vec::with_capacity(claimed.len());
        for c in claimed {
            match self.in_flight.take(c.event.event.account, destination(&c.url)) {
                Some(slot) => {
                    let me = self.clone();
                    started.push(Box::pin(async move {
                        let outcome = me.deliver(&c).await;
                        drop(slot);
                        outcome
                    }));
                }
                // Its account or destination is full on this node: due again at once.
                None => self.deliveries.release(c.delivery).await?,
            }
        }
        Ok(started)
    }

    /// Sends the deliveries due now (as [`Self::start_due`]) and waits for them all.
    pub async fn run_once(self: &Arc<Self>) -> Result<DeliveryRun, SavedSearchStoreError> {
        let outcomes = futures::future::join_all(self.start_due().await?).await;
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
    use crate::domain::{Account, Email, Plan};
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
        store.expect_claim().returning(move |_, _, _, _, _| Ok(vec![claim.clone()]));
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
            in_flight: Arc::default(),
        };
        let r = Arc::new(d).run_once().await.unwrap();
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
