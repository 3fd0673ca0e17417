//! The payment gateway of a server that takes no payments: no Stripe key and the offline stand-in
//! not asked for. Every call is refused with `PaymentError::Unconfigured`.

use async_trait::async_trait;
use jobin_core::ports::{CheckoutRequest, CheckoutSession, PaymentError, PaymentGateway};

#[derive(Debug, Default, Clone, Copy)]
pub struct NoPayments;

#[async_trait]
impl PaymentGateway for NoPayments {
    async fn create_checkout(&self, _: &CheckoutRequest) -> Result<CheckoutSession, PaymentError> {
        Err(PaymentError::Unconfigured)
    }

    async fn create_portal(&self, _: &str, _: &str) -> Result<String, PaymentError> {
        Err(PaymentError::Unconfigured)
    }
}
