//! Payment gateways. `LocalCheckout` stands in for Stripe when no key is configured (the embedded
//! default and `make demo`): a checkout URL points at this server's own page, where the user
//! completes or cancels a fake payment; completing it sends a signed `checkout.session.completed`
//! through the same webhook code as Stripe would.

use async_trait::async_trait;
use jobin_core::domain::random_token;
use jobin_core::ports::{CheckoutRequest, CheckoutSession, PaymentError, PaymentGateway};
use std::collections::HashMap;
use std::sync::Mutex;

use crate::crypto::OsEntropy;

/// Open local checkout sessions (in memory: a restart forgets unfinished ones).
pub struct LocalCheckout {
    base_url: String,
    sessions: Mutex<HashMap<String, CheckoutRequest>>,
}

impl LocalCheckout {
    /// `public_url`: this server's base URL, for the page links.
    pub fn new(public_url: &str) -> Self {
        Self { base_url: public_url.trim_end_matches('/').to_owned(), sessions: Mutex::new(HashMap::new()) }
    }

    /// The open session `id`, if any.
    pub fn session(&self, id: &str) -> Option<CheckoutRequest> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner()).get(id).cloned()
    }

    /// Closes session `id` (completed or cancelled), returning it once.
    pub fn take(&self, id: &str) -> Option<CheckoutRequest> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner()).remove(id)
    }
}

#[async_trait]
impl PaymentGateway for LocalCheckout {
    async fn create_checkout(&self, req: &CheckoutRequest) -> Result<CheckoutSession, PaymentError> {
        let id = format!("cs_local_{}", random_token(&OsEntropy));
        self.sessions.lock().unwrap_or_else(|p| p.into_inner()).insert(id.clone(), req.clone());
        Ok(CheckoutSession { url: format!("{}/billing/local-checkout/{id}", self.base_url), id })
    }

    async fn create_portal(&self, _customer: &str, _return_url: &str) -> Result<String, PaymentError> {
        Err(PaymentError::Unavailable(anyhow::anyhow!("the local billing portal is not available yet")))
    }
}
