//! `LocalPayments` stands in for Stripe when no key is configured (the embedded default and
//! `make demo`). A checkout or portal URL points at this server's own pages, where the user
//! completes or cancels a fake payment, switches plan, cancels the subscription or makes a payment
//! fail. Each of those becomes a Stripe-shaped event (built here), signed with the webhook secret
//! like Stripe's, which the server sends through the same webhook code, so the whole lifecycle works
//! offline. No money moves.
//!
//! Sessions live in this process's memory: a restart forgets open ones, and with several nodes a
//! session is only known to the node that made it (the stand-in is for one-node demos).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jobin_core::domain::{Plan, random_token};
use jobin_core::ports::{
    CheckoutRequest, CheckoutSession, PaymentError, PaymentGateway, PaymentStandIn, PortalAction, PortalVisit,
    WebhookDelivery,
};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::crypto::OsEntropy;
use crate::payment::stripe_webhook::StripeEvents;

/// How long an unfinished checkout page stays open (Stripe's default is 24 hours).
const CHECKOUT_TTL: Duration = Duration::from_secs(24 * 3600);
/// How long a portal link works (Stripe's portal sessions are short-lived too).
const PORTAL_TTL: Duration = Duration::from_secs(3600);

struct Sessions<T> {
    open: HashMap<String, (T, Instant)>,
    ttl: Duration,
}

impl<T: Clone> Sessions<T> {
    fn new(ttl: Duration) -> Self {
        Self { open: HashMap::new(), ttl }
    }

    fn insert(&mut self, id: String, value: T) {
        let ttl = self.ttl;
        self.open.retain(|_, (_, at)| at.elapsed() < ttl);
        self.open.insert(id, (value, Instant::now()));
    }

    fn get(&self, id: &str) -> Option<T> {
        self.open.get(id).filter(|(_, at)| at.elapsed() < self.ttl).map(|(v, _)| v.clone())
    }

    fn take(&mut self, id: &str) -> Option<T> {
        self.open.remove(id).filter(|(_, at)| at.elapsed() < self.ttl).map(|(v, _)| v)
    }
}

pub struct LocalPayments {
    base_url: String,
    /// Plan → the price id its local subscription items carry (the same ids the webhook maps back).
    prices: HashMap<Plan, String>,
    checkouts: Mutex<Sessions<CheckoutRequest>>,
    portals: Mutex<Sessions<PortalVisit>>,
    /// Signs the events it delivers, as Stripe would.
    signer: Arc<StripeEvents>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The price id a plan's local subscription uses when `JOBIN_STRIPE_PRICE_<PLAN>` is not set.
pub fn local_price(plan: Plan) -> String {
    format!("price_local_{plan}")
}

impl LocalPayments {
    /// `public_url`: this server's base URL, for the page links. `prices`: the configured price ids;
    /// a paid plan without one gets `local_price(plan)`.
    /// `signer`: the webhook's reader, whose secret signs the deliveries.
    pub fn new(public_url: &str, prices: &HashMap<Plan, String>, signer: Arc<StripeEvents>) -> Self {
        let prices = Plan::ALL
            .into_iter()
            .filter(|p| *p != Plan::Free)
            .map(|p| (p, prices.get(&p).cloned().unwrap_or_else(|| local_price(p))))
            .collect();
        Self {
            base_url: public_url.trim_end_matches('/').to_owned(),
            prices,
            checkouts: Mutex::new(Sessions::new(CHECKOUT_TTL)),
            portals: Mutex::new(Sessions::new(PORTAL_TTL)),
            signer,
        }
    }

    /// Price id → plan, for the webhook (includes the local defaults).
    pub fn price_plans(&self) -> HashMap<String, Plan> {
        self.prices.iter().map(|(plan, id)| (id.clone(), *plan)).collect()
    }

    /// `event` signed at `created`, as Stripe would deliver it.
    fn deliver(&self, event: &Value, created: i64) -> WebhookDelivery {
        let body = event.to_string().into_bytes();
        WebhookDelivery { signature: self.signer.sign(&body, created), body }
    }

    /// The `checkout.session.completed` event of session `id`, as Stripe would send it.
    fn checkout_event(&self, id: &str, session: &CheckoutRequest, created: i64) -> Value {
        let account = session.client_reference.trim_start_matches("acct_");
        json!({
            "id": format!("evt_{id}"),
            "object": "event",
            "created": created,
            "type": "checkout.session.completed",
            "data": {"object": {
                "id": id,
                "object": "checkout.session",
                "mode": "subscription",
                "status": "complete",
                "payment_status": "paid",
                "client_reference_id": session.client_reference,
                "customer": session.customer.clone().unwrap_or_else(|| format!("cus_local_{account}")),
                "subscription": format!("sub_local_{}", id.trim_start_matches("cs_local_")),
                "metadata": {"account": session.client_reference, "plan": session.plan.as_str()},
            }},
        })
    }

    /// The event a portal action produces for `customer`'s `subscription`, currently on `plan`.
    fn portal_action_event(
        &self,
        action: PortalAction,
        customer: &str,
        subscription: &str,
        plan: Plan,
        created: i64,
    ) -> Result<Value, PaymentError> {
        let evt = format!("evt_local_{}", random_token(&OsEntropy));
        let subscription_object = |plan: Plan, status: &str| -> Result<Value, PaymentError> {
            let price = self.prices.get(&plan).ok_or(PaymentError::NoPrice(plan))?;
            Ok(json!({
                "id": subscription,
                "object": "subscription",
                "customer": customer,
                "status": status,
                "cancel_at_period_end": false,
                "cancel_at": null,
                "items": {"object": "list", "data": [{
                    "object": "subscription_item",
                    "price": {"id": price, "object": "price"},
                    "quantity": 1,
                    "current_period_end": created + 30 * 86_400,
                }]},
            }))
        };
        let (kind, object) = match action {
            PortalAction::SwitchPlan(to) => ("customer.subscription.updated", subscription_object(to, "active")?),
            PortalAction::PayInvoice => ("customer.subscription.updated", subscription_object(plan, "active")?),
            PortalAction::Cancel => ("customer.subscription.deleted", {
                let mut o = subscription_object(plan, "canceled")?;
                o["canceled_at"] = json!(created);
                o["ended_at"] = json!(created);
                o
            }),
            PortalAction::FailPayment => (
                "invoice.payment_failed",
                json!({
                    "id": format!("in_local_{}", random_token(&OsEntropy)),
                    "object": "invoice",
                    "customer": customer,
                    "status": "open",
                    "billing_reason": "subscription_cycle",
                    "attempt_count": 1,
                    "parent": {"type": "subscription_details", "subscription_details": {"subscription": subscription}},
                }),
            ),
        };
        Ok(json!({"id": evt, "object": "event", "created": created, "type": kind, "data": {"object": object}}))
    }
}

impl PaymentStandIn for LocalPayments {
    fn checkout(&self, id: &str) -> Option<CheckoutRequest> {
        lock(&self.checkouts).get(id)
    }

    fn close_checkout(&self, id: &str) -> Option<CheckoutRequest> {
        lock(&self.checkouts).take(id)
    }

    fn portal(&self, id: &str) -> Option<PortalVisit> {
        lock(&self.portals).get(id)
    }

    fn checkout_completed(&self, id: &str, session: &CheckoutRequest, at: DateTime<Utc>) -> WebhookDelivery {
        self.deliver(&self.checkout_event(id, session, at.timestamp()), at.timestamp())
    }

    fn portal_event(
        &self,
        action: PortalAction,
        customer: &str,
        subscription: &str,
        plan: Plan,
        at: DateTime<Utc>,
    ) -> Result<WebhookDelivery, PaymentError> {
        let event = self.portal_action_event(action, customer, subscription, plan, at.timestamp())?;
        Ok(self.deliver(&event, at.timestamp()))
    }
}

#[async_trait]
impl PaymentGateway for LocalPayments {
    async fn create_checkout(&self, req: &CheckoutRequest) -> Result<CheckoutSession, PaymentError> {
        let id = format!("cs_local_{}", random_token(&OsEntropy));
        lock(&self.checkouts).insert(id.clone(), req.clone());
        Ok(CheckoutSession { url: format!("{}/billing/local-checkout/{id}", self.base_url), id })
    }

    async fn create_portal(&self, customer: &str, return_url: &str) -> Result<String, PaymentError> {
        let id = format!("bps_local_{}", random_token(&OsEntropy));
        let portal = PortalVisit { customer: customer.to_owned(), return_url: return_url.to_owned() };
        lock(&self.portals).insert(id.clone(), portal);
        Ok(format!("{}/billing/local-portal/{id}", self.base_url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jobin_core::domain::{BillingEvent, EventKind, SubscriptionStatus};
    use jobin_core::ports::PaymentEvents;

    const SECRET: &str = "whsec_local_unit_test";

    fn signer() -> Arc<StripeEvents> {
        Arc::new(StripeEvents::new(SECRET.to_owned().into()))
    }

    fn payments() -> LocalPayments {
        LocalPayments::new("http://localhost:8080/", &HashMap::from([(Plan::Pro, "price_pro".to_owned())]), signer())
    }

    fn at(t: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(t, 0).unwrap()
    }

    /// A delivery as the webhook reads it (signature checked at the delivery's own time).
    fn read(d: WebhookDelivery, t: i64) -> BillingEvent {
        signer().read(&d.signature, &d.body, at(t)).unwrap()
    }

    #[test]
    fn unset_prices_get_local_ids_and_map_back() {
        let p = payments();
        let plans = p.price_plans();
        assert_eq!(plans.get("price_pro"), Some(&Plan::Pro));
        assert_eq!(plans.get("price_local_starter"), Some(&Plan::Starter));
        assert_eq!(plans.get("price_local_scale"), Some(&Plan::Scale));
        assert_eq!(plans.len(), 3, "no price for Free");
    }

    #[tokio::test]
    async fn sessions_are_served_once_and_links_point_at_this_server() {
        let p = payments();
        let req = CheckoutRequest {
            plan: Plan::Pro,
            success_url: "http://localhost/ok".into(),
            cancel_url: "http://localhost/no".into(),
            client_reference: "acct_7".into(),
            customer: None,
            email: "a@example.com".into(),
        };
        let s = p.create_checkout(&req).await.unwrap();
        assert_eq!(s.url, format!("http://localhost:8080/billing/local-checkout/{}", s.id));
        assert_eq!(p.checkout(&s.id), Some(req.clone()));
        assert_eq!(p.close_checkout(&s.id), Some(req));
        assert_eq!(p.close_checkout(&s.id), None, "a finished session cannot be finished twice");

        let url = p.create_portal("cus_1", "http://localhost/back").await.unwrap();
        let id = url.rsplit('/').next().unwrap();
        assert!(url.starts_with("http://localhost:8080/billing/local-portal/bps_local_"));
        assert_eq!(p.portal(id).map(|s| s.customer), Some("cus_1".to_owned()));
        assert_eq!(p.portal(id).map(|s| s.customer), Some("cus_1".to_owned()), "a portal link can be used again");
    }

    #[test]
    fn every_local_delivery_is_signed_and_reads_as_the_stripe_event_it_stands_for() {
        let p = payments();
        let req = CheckoutRequest {
            plan: Plan::Scale,
            success_url: String::new(),
            cancel_url: String::new(),
            client_reference: "acct_7".into(),
            customer: None,
            email: String::new(),
        };
        let completed = read(p.checkout_completed("cs_local_x", &req, at(100)), 100);
        assert_eq!(completed.created, 100);
        assert!(
            matches!(completed.kind, EventKind::CheckoutCompleted { ref client_reference_id, ref customer, ref plan, .. }
            if client_reference_id.as_deref() == Some("acct_7") && customer.as_deref() == Some("cus_local_7") && plan.as_deref() == Some("scale"))
        );

        let ev = |a| read(p.portal_event(a, "cus_1", "sub_1", Plan::Pro, at(5)).unwrap(), 5);
        assert!(
            matches!(ev(PortalAction::SwitchPlan(Plan::Starter)).kind, EventKind::SubscriptionUpdated { ref price_ids, status: SubscriptionStatus::Active, .. }
            if price_ids == &["price_local_starter"])
        );
        assert!(
            matches!(ev(PortalAction::PayInvoice).kind, EventKind::SubscriptionUpdated { ref price_ids, status: SubscriptionStatus::Active, .. }
            if price_ids == &["price_pro"])
        );
        assert!(
            matches!(ev(PortalAction::Cancel).kind, EventKind::SubscriptionDeleted { ref subscription, .. } if subscription == "sub_1")
        );
        assert!(matches!(ev(PortalAction::FailPayment).kind, EventKind::PaymentFailed { ref subscription, .. }
            if subscription.as_deref() == Some("sub_1")));
        assert_ne!(ev(PortalAction::Cancel), ev(PortalAction::Cancel), "each action is a new event id");
    }
}
