//! A payment provider: hosted checkout for a subscription and a self-service portal.

use async_trait::async_trait;

use crate::domain::Plan;

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
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PaymentGateway: Send + Sync {
    /// A hosted checkout session for a subscription to `req.plan`.
    async fn create_checkout(&self, req: &CheckoutRequest) -> Result<CheckoutSession, PaymentError>;

    /// A short-lived customer-portal URL for `customer`, returning to `return_url`.
    async fn create_portal(&self, customer: &str, return_url: &str) -> Result<String, PaymentError>;
}
