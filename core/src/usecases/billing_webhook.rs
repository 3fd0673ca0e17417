//! The payment provider's webhook: its events → plan sync.
//!
//! 1. The delivery is read through [`PaymentEvents`] (the adapter checks the provider's signature
//!    over the raw body and reads its event format); a bad signature or a body that is not an event
//!    is refused and changes nothing.
//! 2. Each event id is applied once: a replay is acknowledged and changes nothing.
//! 3. The account is the session's `client_reference_id` (checkout), else the one whose provider
//!    subscription or customer the event names; an event for no known account is acknowledged.
//! 4. Order: the provider may deliver events late or out of order. A subscription event older than the
//!    newest one applied (by the provider's `created`) changes nothing, nor does an update in the same
//!    second as a deletion, so the account converges to the latest state whatever the order.
//! 5. Effects: checkout completed → the session's plan, active; subscription updated → the plan of
//!    its price (active/trialing), past_due kept on its plan (past_due/unpaid), Free when canceled or
//!    expired; deleted → Free; invoice payment failed → past_due, plan kept. Plan changes,
//!    cancellations and failed payments are notified by email (a failed notification is logged and
//!    never undoes the change).

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Arc;

use crate::domain::billing::{NoticeLinks, notices};
use crate::domain::{AccountId, BillingEvent, EventKind, Plan, SubscriptionStatus};
use crate::ports::{
    BillingChange, BillingRecord, BillingStatus, BillingStore, Clock, KeyStoreError, Notice, Notifier, PaymentEvents,
    WebhookReadError,
};
use crate::{Code, ErrorCode};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOutcome {
    Applied,
    /// Seen before; nothing changed.
    Replayed,
    /// Older than the state already applied; recorded, nothing changed.
    Stale,
    /// No account matches, or the type is not one we act on; recorded, nothing changed.
    Ignored,
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error(transparent)]
    Read(WebhookReadError),
    #[error(transparent)]
    Store(KeyStoreError),
}

impl ErrorCode for WebhookError {
    fn code(&self) -> Code {
        match self {
            WebhookError::Read(WebhookReadError::Signature(_)) => Code::InvalidSignature,
            WebhookError::Read(WebhookReadError::Body(_)) => Code::ValidationFailed,
            WebhookError::Store(e) => crate::usecases::store_code(e),
        }
    }
}

pub struct BillingWebhook {
    pub store: Arc<dyn BillingStore>,
    pub notifier: Arc<dyn Notifier>,
    pub clock: Arc<dyn Clock>,
    /// Reads the provider's deliveries (signature and format).
    pub events: Arc<dyn PaymentEvents>,
    /// The provider's price id → plan.
    pub prices: HashMap<String, Plan>,
    /// Where the notices send the account holder.
    pub links: NoticeLinks,
}

/// The account id we put in `client_reference_id` (`acct_<id>`).
pub fn client_reference(account: AccountId) -> String {
    format!("acct_{}", account.0)
}

fn parse_reference(raw: &str) -> Option<AccountId> {
    raw.strip_prefix("acct_")?.parse().ok().map(AccountId)
}

impl BillingWebhook {
    pub async fn execute(&self, signature: &str, body: &[u8]) -> Result<WebhookOutcome, WebhookError> {
        let now = self.clock.now();
        let event = self.events.read(signature, body, now).map_err(WebhookError::Read)?;
        self.apply(event, now).await
    }

    async fn record_only(
        &self,
        event: &BillingEvent,
        now: DateTime<Utc>,
        outcome: WebhookOutcome,
    ) -> Result<WebhookOutcome, WebhookError> {
        let fresh = self
            .store
            .apply_event(&event.id, None, &BillingChange::default(), now)
            .await
            .map_err(WebhookError::Store)?;
        Ok(if fresh { outcome } else { WebhookOutcome::Replayed })
    }

    /// Applies a verified event.
    pub async fn apply(&self, event: BillingEvent, now: DateTime<Utc>) -> Result<WebhookOutcome, WebhookError> {
        let record = self.account_for(&event).await.map_err(WebhookError::Store)?;
        let Some(record) = record else {
            tracing::info!(event = %event.id, "webhook event for no known account; acknowledged");
            return self.record_only(&event, now, WebhookOutcome::Ignored).await;
        };
        // One provider customer belongs to one account: a checkout naming another account for a
        // customer already attached is refused (logged, acknowledged so the provider stops retrying).
        if let EventKind::CheckoutCompleted { customer: Some(customer), .. } = &event.kind
            && record.customer.as_deref() != Some(customer.as_str())
            && let Some(owner) =
                self.store.find_by_provider_ids(None, Some(customer.clone())).await.map_err(WebhookError::Store)?
            && owner.account.id != record.account.id
        {
            tracing::error!(
                event = %event.id,
                customer = %customer,
                owner = %owner.account.id,
                account = %record.account.id,
                "checkout names a payment customer that belongs to another account; not applied (acknowledged)"
            );
            return self.record_only(&event, now, WebhookOutcome::Ignored).await;
        }
        let stale = |created: i64| match record.last_event_at {
            Some(last) => created < last || (created == last && record.status == BillingStatus::Canceled),
            None => false,
        };
        let at = Some(event.created);
        let change = match &event.kind {
            EventKind::CheckoutCompleted { customer, subscription, plan, .. } => {
                let plan = plan.as_deref().and_then(|p| Plan::parse(p).ok());
                if stale(event.created) {
                    // A later subscription event already set the plan; keep the ids only.
                    BillingChange {
                        customer: customer.clone(),
                        subscription: subscription.clone(),
                        ..Default::default()
                    }
                } else {
                    BillingChange {
                        plan,
                        status: Some(BillingStatus::Active),
                        customer: customer.clone(),
                        subscription: subscription.clone(),
                        last_event_at: at,
                    }
                }
            }
            EventKind::SubscriptionUpdated { subscription, customer, status, price_ids, .. } => {
                if stale(event.created) {
                    return self.record_only(&event, now, WebhookOutcome::Stale).await;
                }
                let priced = price_ids.iter().find_map(|p| self.prices.get(p)).copied();
                let (plan, status) = match status {
                    SubscriptionStatus::Active | SubscriptionStatus::Trialing => (priced, BillingStatus::Active),
                    SubscriptionStatus::PastDue | SubscriptionStatus::Unpaid => (None, BillingStatus::PastDue),
                    SubscriptionStatus::Canceled | SubscriptionStatus::IncompleteExpired => {
                        (Some(Plan::Free), BillingStatus::Canceled)
                    }
                    _ => return self.record_only(&event, now, WebhookOutcome::Ignored).await,
                };
                if plan.is_none() && status == BillingStatus::Active {
                    tracing::warn!(event = %event.id, prices = ?price_ids, "subscription price maps to no plan; plan unchanged");
                }
                BillingChange {
                    plan,
                    status: Some(status),
                    customer: customer.clone(),
                    subscription: Some(subscription.clone()),
                    last_event_at: at,
                }
            }
            EventKind::SubscriptionDeleted { subscription, .. } => {
                if stale(event.created) {
                    return self.record_only(&event, now, WebhookOutcome::Stale).await;
                }
                BillingChange {
                    plan: Some(Plan::Free),
                    status: Some(BillingStatus::Canceled),
                    subscription: Some(subscription.clone()),
                    last_event_at: at,
                    ..Default::default()
                }
            }
            EventKind::PaymentFailed { .. } => {
                if stale(event.created) || record.status == BillingStatus::Canceled {
                    return self.record_only(&event, now, WebhookOutcome::Stale).await;
                }
                BillingChange { status: Some(BillingStatus::PastDue), ..Default::default() }
            }
            EventKind::Other(kind) => {
                tracing::info!(event = %event.id, %kind, "webhook event type not handled; acknowledged");
                return self.record_only(&event, now, WebhookOutcome::Ignored).await;
            }
        };
        let fresh = self
            .store
            .apply_event(&event.id, Some(record.account.id), &change, now)
            .await
            .map_err(WebhookError::Store)?;
        if !fresh {
            return Ok(WebhookOutcome::Replayed);
        }
        if let Some(notice) = self.notice(&record, &event, &change)
            && let Err(e) = self.notifier.send(&notice).await
        {
            tracing::warn!(error = %e, event = %event.id, "billing notification not sent");
        }
        Ok(WebhookOutcome::Applied)
    }

    async fn account_for(&self, event: &BillingEvent) -> Result<Option<BillingRecord>, KeyStoreError> {
        let (subscription, customer) = match &event.kind {
            EventKind::CheckoutCompleted { client_reference_id, customer, subscription, .. } => {
                if let Some(id) = client_reference_id.as_deref().and_then(parse_reference) {
                    return self.store.billing(id).await;
                }
                (subscription.as_deref(), customer.as_deref())
            }
            EventKind::SubscriptionUpdated { subscription, customer, .. } => {
                (Some(subscription.as_str()), customer.as_deref())
            }
            EventKind::SubscriptionDeleted { subscription, customer } => {
                (Some(subscription.as_str()), customer.as_deref())
            }
            EventKind::PaymentFailed { subscription, customer, .. } => (subscription.as_deref(), customer.as_deref()),
            EventKind::Other(_) => return Ok(None),
        };
        self.store.find_by_provider_ids(subscription.map(str::to_owned), customer.map(str::to_owned)).await
    }

    fn notice(&self, before: &BillingRecord, event: &BillingEvent, change: &BillingChange) -> Option<Notice> {
        let to = before.account.email.as_str();
        let from = before.account.plan;
        match (&event.kind, change.plan, change.status) {
            (EventKind::SubscriptionDeleted { .. }, _, _) | (_, Some(Plan::Free), Some(BillingStatus::Canceled)) => {
                (from != Plan::Free).then(|| notices::cancelled(to, from, &self.links))
            }
            (EventKind::PaymentFailed { .. }, _, _) => Some(notices::payment_failed(to, from, &self.links)),
            (_, Some(plan), _) if plan != from => Some(notices::plan_changed(to, from, plan, &self.links)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Account, Email};
    use crate::ports::NotifyError;
    use crate::testing::FixedClock;
    use async_trait::async_trait;
    use std::collections::HashSet;
    use std::sync::Mutex;

    const NOW: i64 = 1_764_547_200;

    /// Deliveries in this test's own format: the body is the event as JSON; the signature is
    /// `ok` or the refusal to give.
    struct TestEvents;
    impl PaymentEvents for TestEvents {
        fn read(&self, signature: &str, body: &[u8], _: DateTime<Utc>) -> Result<BillingEvent, WebhookReadError> {
            if signature != "ok" {
                return Err(WebhookReadError::Signature(signature.to_owned()));
            }
            let v: serde_json::Value =
                serde_json::from_slice(body).map_err(|e| WebhookReadError::Body(e.to_string()))?;
            let s = |k: &str| v[k].as_str().map(str::to_owned);
            let kind = match v["type"].as_str().unwrap_or_default() {
                "checkout" => EventKind::CheckoutCompleted {
                    session: "cs_1".into(),
                    client_reference_id: Some("acct_42".into()),
                    customer: Some("cus_1".into()),
                    subscription: Some("sub_1".into()),
                    plan: s("plan"),
                },
                "updated" => EventKind::SubscriptionUpdated {
                    subscription: "sub_1".into(),
                    customer: Some("cus_1".into()),
                    status: match v["status"].as_str() {
                        Some("active") => SubscriptionStatus::Active,
                        other => SubscriptionStatus::Other(other.unwrap_or_default().to_owned()),
                    },
                    price_ids: s("price").into_iter().collect(),
                    cancel_scheduled: false,
                },
                "deleted" => {
                    EventKind::SubscriptionDeleted { subscription: "sub_1".into(), customer: Some("cus_1".into()) }
                }
                "failed" => EventKind::PaymentFailed {
                    invoice: "in_1".into(),
                    customer: Some("cus_1".into()),
                    subscription: Some("sub_1".into()),
                },
                other => EventKind::Other(other.to_owned()),
            };
            Ok(BillingEvent {
                id: s("id").unwrap_or_default(),
                created: v["created"].as_i64().unwrap_or_default(),
                kind,
            })
        }
    }

    /// One account in memory.
    struct MemStore {
        record: Mutex<BillingRecord>,
        seen: Mutex<HashSet<String>>,
    }

    #[async_trait]
    impl BillingStore for MemStore {
        async fn billing(&self, account: AccountId) -> Result<Option<BillingRecord>, KeyStoreError> {
            let r = self.record.lock().unwrap().clone();
            Ok((r.account.id == account).then_some(r))
        }
        async fn find_by_provider_ids(
            &self,
            sub: Option<String>,
            cus: Option<String>,
        ) -> Result<Option<BillingRecord>, KeyStoreError> {
            let r = self.record.lock().unwrap().clone();
            let hit = (sub.is_some() && r.subscription == sub) || (cus.is_some() && r.customer == cus);
            Ok(hit.then_some(r))
        }
        async fn apply_event(
            &self,
            id: &str,
            account: Option<AccountId>,
            c: &BillingChange,
            _: DateTime<Utc>,
        ) -> Result<bool, KeyStoreError> {
            if !self.seen.lock().unwrap().insert(id.to_owned()) {
                return Ok(false);
            }
            if account.is_some() {
                let mut r = self.record.lock().unwrap();
                if let Some(p) = c.plan {
                    r.account.plan = p;
                }
                if let Some(s) = c.status {
                    r.status = s;
                }
                if c.customer.is_some() {
                    r.customer = c.customer.clone();
                }
                if c.subscription.is_some() {
                    r.subscription = c.subscription.clone();
                }
                if c.last_event_at.is_some() {
                    r.last_event_at = c.last_event_at;
                }
            }
            Ok(true)
        }
    }

    #[derive(Default)]
    struct Outbox(Mutex<Vec<Notice>>);
    #[async_trait]
    impl Notifier for Outbox {
        async fn send(&self, n: &Notice) -> Result<(), NotifyError> {
            self.0.lock().unwrap().push(n.clone());
            Ok(())
        }
    }

    fn setup() -> (BillingWebhook, Arc<MemStore>, Arc<Outbox>) {
        let store = Arc::new(MemStore {
            record: Mutex::new(BillingRecord {
                account: Account {
                    id: AccountId(42),
                    email: Email::parse("payer@example.com").unwrap(),
                    plan: Plan::Free,
                    created_at: DateTime::<Utc>::UNIX_EPOCH,
                },
                customer: None,
                subscription: None,
                status: BillingStatus::Active,
                last_event_at: None,
            }),
            seen: Mutex::new(HashSet::new()),
        });
        let outbox = Arc::new(Outbox::default());
        let hook = BillingWebhook {
            store: store.clone(),
            notifier: outbox.clone(),
            clock: Arc::new(FixedClock::at(NOW)),
            events: Arc::new(TestEvents),
            prices: HashMap::from([("price_pro".to_owned(), Plan::Pro), ("price_scale".to_owned(), Plan::Scale)]),
            links: NoticeLinks {
                manage: "https://jobin.test/billing/portal".into(),
                pricing: "https://jobin.test/pricing".into(),
                limits: "the account page".into(),
                checkout: "a checkout".into(),
            },
        };
        (hook, store, outbox)
    }

    fn event(id: &str, created: i64, kind: &str, extra: serde_json::Value) -> Vec<u8> {
        let mut v = serde_json::json!({"id": id, "created": created, "type": kind});
        if let (Some(v), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
            v.extend(extra.clone());
        }
        v.to_string().into_bytes()
    }

    fn checkout(id: &str, created: i64, plan: &str) -> Vec<u8> {
        event(id, created, "checkout", serde_json::json!({"plan": plan}))
    }

    fn updated(id: &str, created: i64, status: &str, price: &str) -> Vec<u8> {
        event(id, created, "updated", serde_json::json!({"status": status, "price": price}))
    }

    fn deleted(id: &str, created: i64) -> Vec<u8> {
        event(id, created, "deleted", serde_json::json!({}))
    }

    fn failed(id: &str, created: i64) -> Vec<u8> {
        event(id, created, "failed", serde_json::json!({}))
    }

    async fn send(hook: &BillingWebhook, body: &[u8]) -> Result<WebhookOutcome, WebhookError> {
        hook.execute("ok", body).await
    }

    fn state(store: &MemStore) -> (Plan, BillingStatus) {
        let r = store.record.lock().unwrap();
        (r.account.plan, r.status)
    }

    #[tokio::test]
    async fn the_lifecycle_activates_changes_marks_past_due_and_reverts() {
        let (hook, store, outbox) = setup();
        assert_eq!(send(&hook, &checkout("evt_1", NOW - 50, "pro")).await.unwrap(), WebhookOutcome::Applied);
        assert_eq!(state(&store), (Plan::Pro, BillingStatus::Active));
        assert_eq!(
            send(&hook, &updated("evt_2", NOW - 40, "active", "price_scale")).await.unwrap(),
            WebhookOutcome::Applied
        );
        assert_eq!(state(&store), (Plan::Scale, BillingStatus::Active));
        assert_eq!(send(&hook, &failed("evt_3", NOW - 30)).await.unwrap(), WebhookOutcome::Applied);
        assert_eq!(state(&store), (Plan::Scale, BillingStatus::PastDue), "plan kept while the payment is retried");
        assert_eq!(send(&hook, &deleted("evt_4", NOW - 20)).await.unwrap(), WebhookOutcome::Applied);
        assert_eq!(state(&store), (Plan::Free, BillingStatus::Canceled));
        let subjects: Vec<String> = outbox.0.lock().unwrap().iter().map(|n| n.subject.clone()).collect();
        assert_eq!(
            subjects,
            [
                "Your JobIn plan is now pro",
                "Your JobIn plan is now scale",
                "Your JobIn payment failed",
                "Your JobIn subscription has ended"
            ]
        );
    }

    #[tokio::test]
    async fn replays_and_bad_requests_change_nothing() {
        let (hook, store, _) = setup();
        let body = checkout("evt_1", NOW, "pro");
        send(&hook, &body).await.unwrap();
        assert_eq!(send(&hook, &body).await.unwrap(), WebhookOutcome::Replayed);
        // A refused delivery changes nothing and keeps the reader's code and message.
        let other = updated("evt_9", NOW, "active", "price_scale");
        let e = hook.execute("forged", &other).await.unwrap_err();
        assert_eq!((e.code(), e.to_string()), (Code::InvalidSignature, "forged".to_owned()));
        let e = hook.execute("ok", b"{not json").await.unwrap_err();
        assert_eq!(e.code(), Code::ValidationFailed);
        assert_eq!(state(&store), (Plan::Pro, BillingStatus::Active));
        let unknown = event("evt_x", NOW, "customer.created", serde_json::json!({}));
        assert_eq!(send(&hook, &unknown).await.unwrap(), WebhookOutcome::Ignored);
    }

    #[tokio::test]
    async fn out_of_order_events_converge_to_the_latest_state() {
        // Deletion delivered before an older update: the account stays on Free.
        let (hook, store, _) = setup();
        send(&hook, &checkout("evt_1", NOW - 100, "pro")).await.unwrap();
        send(&hook, &deleted("evt_3", NOW - 10)).await.unwrap();
        assert_eq!(
            send(&hook, &updated("evt_2", NOW - 50, "active", "price_scale")).await.unwrap(),
            WebhookOutcome::Stale
        );
        assert_eq!(send(&hook, &failed("evt_4", NOW - 60)).await.unwrap(), WebhookOutcome::Stale);
        assert_eq!(state(&store), (Plan::Free, BillingStatus::Canceled));

        // An update delivered before its checkout: the newer update's plan wins, ids are kept.
        let (hook, store, _) = setup();
        store.record.lock().unwrap().customer = Some("cus_1".into());
        send(&hook, &updated("evt_2", NOW - 10, "active", "price_scale")).await.unwrap();
        assert_eq!(send(&hook, &checkout("evt_1", NOW - 20, "pro")).await.unwrap(), WebhookOutcome::Applied);
        assert_eq!(state(&store), (Plan::Scale, BillingStatus::Active));
        assert_eq!(store.record.lock().unwrap().subscription.as_deref(), Some("sub_1"));
    }
}
