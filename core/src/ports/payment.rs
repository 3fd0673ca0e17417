//! A payment provider: hosted checkout for a subscription and a self-service portal, the webhook
//! deliveries it sends, and the offline stand-in for its pages.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::{BillingEvent, Plan};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutRequest {
    pub plan: Plan,
    /// Redirect after payment; may contain `{CHECKOUT_SESSION_ID}`.
    pub success_url: String,
    pub cancel_url: String,
    /// Our account (`acct_<id>`), echoed in `checkout.session.completed`.
    pub client_reference: String,
    /// The account's existing customer, reused when known.
    pub customer: Option<String>,
    /// Prefills a new customer's email (never sent together with `customer`).
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutSession {
    pub id: String,
    /// Where to send the user.
    pub url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// The plan has no price configured on this server.
    #[error("no price is configured for the {0} plan")]
    NoPrice(Plan),
    /// The account has no customer to open a portal for.
    #[error("the account has no billing customer yet")]
    NoCustomer,
    /// The provider refused or could not be reached.
    #[error("the payment provider is unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// This server has no payment provider configured (and no offline stand-in asked for).
    #[error("billing is not configured on this server")]
    Unconfigured,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PaymentGateway: Send + Sync {
    /// A hosted checkout session for a subscription to `req.plan`.
    async fn create_checkout(&self, req: &CheckoutRequest) -> Result<CheckoutSession, PaymentError>;

    /// A short-lived customer-portal URL for `customer`, returning to `return_url`.
    async fn create_portal(&self, customer: &str, return_url: &str) -> Result<String, PaymentError>;
}

/// A webhook delivery the provider could not have sent, or did not: refused, nothing changes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookReadError {
    /// The signature is missing, malformed, stale or does not match (the message says which).
    #[error("{0}")]
    Signature(String),
    /// The body is not an event of the provider.
    #[error("{0}")]
    Body(String),
}

/// Reads the payment provider's webhook deliveries: checks that the provider sent them and
/// translates its event format into [`BillingEvent`]s.
pub trait PaymentEvents: Send + Sync {
    /// The event in `body`, delivered with the signature header value `signature`, checked at `now`.
    /// MUST refuse a body whose signature does not verify with `Signature`, whatever it holds.
    fn read(&self, signature: &str, body: &[u8], now: DateTime<Utc>) -> Result<BillingEvent, WebhookReadError>;
}

/// A webhook delivery as the provider would send it: the signature header value and the raw body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    pub signature: String,
    pub body: Vec<u8>,
}

/// An open session of the stand-in portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalVisit {
    pub customer: String,
    pub return_url: String,
}

/// What the user does on the stand-in portal page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortalAction {
    /// Move the subscription to another paid plan.
    SwitchPlan(Plan),
    /// The renewal payment fails.
    FailPayment,
    /// The overdue invoice is paid (active again).
    PayInvoice,
    /// Cancel now.
    Cancel,
}

/// The offline stand-in for the provider's hosted pages, when no provider key is configured: it
/// keeps the sessions the gateway opened and produces the deliveries the provider would send for
/// what the user does there, so the whole billing lifecycle runs offline through the webhook.
pub trait PaymentStandIn: Send + Sync {
    /// The open checkout session `id`, if any.
    fn checkout(&self, id: &str) -> Option<CheckoutRequest>;
    /// Closes checkout session `id` (completed or cancelled), returning it once.
    fn close_checkout(&self, id: &str) -> Option<CheckoutRequest>;
    /// The open portal session `id`, if any.
    fn portal(&self, id: &str) -> Option<PortalVisit>;
    /// The delivery announcing that checkout `id` completed.
    fn checkout_completed(&self, id: &str, session: &CheckoutRequest, at: DateTime<Utc>) -> WebhookDelivery;
    /// The delivery `action` produces for `customer`'s `subscription`, currently on `plan`.
    fn portal_event(
        &self,
        action: PortalAction,
        customer: &str,
        subscription: &str,
        plan: Plan,
        at: DateTime<Utc>,
    ) -> Result<WebhookDelivery, PaymentError>;
}
