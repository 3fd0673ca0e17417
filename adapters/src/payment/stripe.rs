//! The Stripe gateway (async-stripe 1.0.0-rc.10): hosted Checkout for a subscription and Customer
//! Portal sessions. The base URL is configurable (`JOBIN_STRIPE_BASE_URL`) so tests point it at a
//! local mock; the secret key never appears in errors or logs.

use async_trait::async_trait;
use jobin_core::domain::Plan;
use jobin_core::ports::{CheckoutRequest, CheckoutSession, PaymentError, PaymentGateway};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::time::Duration;
use stripe::ApiErrorsCode;
use stripe::{Client, ClientBuilder, RequestStrategy, StripeError};
use stripe_billing::billing_portal_session::CreateBillingPortalSession;
use stripe_checkout::CheckoutSessionMode;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionSubscriptionData,
};

/// Stripe's API root.
pub const STRIPE_API_URL: &str = "https://api.stripe.com";

/// Per-attempt timeout of a Stripe call.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// Total attempts of a call that failed transiently (429, 409, 5xx, network): Stripe's own retry
/// advice (`Stripe-Should-Retry`) is honoured, with exponential backoff and one idempotency key.
const ATTEMPTS: u32 = 3;

pub struct StripeGateway {
    client: Client,
    /// Plan → Stripe price id (`JOBIN_STRIPE_PRICE_*`).
    prices: HashMap<Plan, String>,
}

impl StripeGateway {
    /// `base_url`: Stripe's API root (`STRIPE_API_URL` in production).
    pub fn new(secret_key: &SecretString, base_url: &str, prices: HashMap<Plan, String>) -> anyhow::Result<Self> {
        let url = if base_url.ends_with('/') { base_url.to_owned() } else { format!("{base_url}/") };
        let client = ClientBuilder::new(secret_key.expose_secret())
            .url(url)
            .timeout(ATTEMPT_TIMEOUT)
            .request_strategy(RequestStrategy::ExponentialBackoff(ATTEMPTS))
            .app_info("JobIn", Some(env!("CARGO_PKG_VERSION").to_owned()), None)
            .build()
            .map_err(|e| anyhow::anyhow!("building the Stripe client: {}", describe(&e)))?;
        Ok(Self { client, prices })
    }

    fn checkout_request(&self, req: &CheckoutRequest, price: &str, customer: Option<&str>) -> CreateCheckoutSession {
        let metadata = HashMap::from([
            ("account".to_owned(), req.client_reference.clone()),
            ("plan".to_owned(), req.plan.as_str().to_owned()),
        ]);
        let mut subscription = CreateCheckoutSessionSubscriptionData::new();
        subscription.metadata = Some(metadata.clone());
        let create = CreateCheckoutSession::new()
            .mode(CheckoutSessionMode::Subscription)
            .line_items(vec![CreateCheckoutSessionLineItems {
                price: Some(price.to_owned()),
                quantity: Some(1),
                ..Default::default()
            }])
            .success_url(req.success_url.clone())
            .cancel_url(req.cancel_url.clone())
            .client_reference_id(req.client_reference.clone())
            .metadata(metadata)
            .subscription_data(subscription);
        // Stripe refuses `customer` together with `customer_email`.
        match customer {
            Some(c) => create.customer(c),
            None => create.customer_email(req.email.clone()),
        }
    }
}

/// A one-line description of a Stripe failure (the status, Stripe's type, code and message; never
/// the request, so never the key).
fn describe(e: &StripeError) -> String {
    match e {
        StripeError::Stripe(api, status) => format!(
            "Stripe answered {status}: {} ({})",
            api.message.as_deref().unwrap_or("no message"),
            api.code.as_ref().map(|c| c.as_str().to_owned()).unwrap_or_else(|| api.type_.as_str().to_owned()),
        ),
        StripeError::JSONDeserialize(m) => format!("Stripe's answer could not be read: {m}"),
        StripeError::ClientError(m) => format!("Stripe could not be reached: {m}"),
        StripeError::ConfigError(m) => format!("Stripe client configuration: {m}"),
        StripeError::Timeout => "Stripe did not answer in time".to_owned(),
    }
}

/// Whether Stripe says the customer we sent no longer exists (deleted in the Dashboard, or a key
/// of another account or mode).
fn customer_missing(e: &StripeError) -> bool {
    matches!(e, StripeError::Stripe(api, 400 | 404)
        if matches!(api.code, Some(ApiErrorsCode::ResourceMissing)) && api.param.as_deref() == Some("customer"))
}

fn unavailable(e: &StripeError) -> PaymentError {
    PaymentError::Unavailable(anyhow::anyhow!(describe(e)))
}

#[async_trait]
impl PaymentGateway for StripeGateway {
    async fn create_checkout(&self, req: &CheckoutRequest) -> Result<CheckoutSession, PaymentError> {
        let price = self.prices.get(&req.plan).ok_or(PaymentError::NoPrice(req.plan))?;
        let mut sent = self.checkout_request(req, price, req.customer.as_deref()).send(&self.client).await;
        if let Err(e) = &sent
            && req.customer.is_some()
            && customer_missing(e)
        {
            tracing::warn!(error = %describe(e), "the stored Stripe customer is gone; checking out as a new customer");
            sent = self.checkout_request(req, price, None).send(&self.client).await;
        }
        let session = sent.map_err(|e| unavailable(&e))?;
        let url = session.url.ok_or_else(|| {
            PaymentError::Unavailable(anyhow::anyhow!("Stripe returned a checkout session without a URL"))
        })?;
        Ok(CheckoutSession { id: session.id.to_string(), url })
    }

    async fn create_portal(&self, customer: &str, return_url: &str) -> Result<String, PaymentError> {
        let portal =
            CreateBillingPortalSession::new().customer(customer).return_url(return_url).send(&self.client).await;
        match portal {
            Ok(session) => Ok(session.url),
            Err(e) if customer_missing(&e) => Err(PaymentError::NoCustomer),
            Err(e) => Err(unavailable(&e)),
        }
    }
}
