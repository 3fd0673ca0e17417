//! Checkout: a hosted checkout for a paid plan.
//!
//! `plan` is starter, pro or scale; `success_url` (may contain `{CHECKOUT_SESSION_ID}`) and
//! `cancel_url` must be `https://` URLs or `http://` to this machine (localhost, 127.0.0.1, [::1]; any port); an account already on the
//! plan or a higher one gets 409 with the portal URL. The session carries the account as client
//! reference (`acct_<id>`), and an existing provider customer is reused.

use std::sync::Arc;

use crate::domain::{Plan, https_or_loopback as redirect_allowed};
use crate::ports::{BillingStore, CheckoutRequest, CheckoutSession, KeyStoreError, PaymentError, PaymentGateway};
use crate::usecases::billing_webhook::client_reference;
use crate::usecases::{FieldError, Principal, store_code};
use crate::{Code, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    #[error(transparent)]
    Invalid(FieldError),
    #[error("Already on this plan or higher.")]
    AlreadyOnPlan { plan: Plan },
    #[error("{0}")]
    Payment(PaymentError),
    #[error(transparent)]
    Store(KeyStoreError),
}

impl ErrorCode for CheckoutError {
    fn code(&self) -> Code {
        match self {
            CheckoutError::Invalid(_) => Code::ValidationFailed,
            CheckoutError::AlreadyOnPlan { .. } => Code::AlreadyOnPlan,
            CheckoutError::Payment(PaymentError::NoPrice(_)) => Code::PaymentUnavailable,
            CheckoutError::Payment(PaymentError::NoCustomer) => Code::ValidationFailed,
            CheckoutError::Payment(PaymentError::Unavailable(_)) => Code::PaymentUnavailable,
            CheckoutError::Payment(PaymentError::Unconfigured) => Code::BillingUnconfigured,
            CheckoutError::Store(e) => store_code(e),
        }
    }
}

pub struct Checkout {
    pub gateway: Arc<dyn PaymentGateway>,
    pub billing: Arc<dyn BillingStore>,
}

impl Checkout {
    pub async fn execute(
        &self,
        who: &Principal,
        plan: &str,
        success_url: &str,
        cancel_url: &str,
    ) -> Result<CheckoutSession, CheckoutError> {
        let invalid = |field, reason: &str| CheckoutError::Invalid(FieldError::new(field, reason));
        let plan = match Plan::parse(plan) {
            Ok(p) if p != Plan::Free => p,
            _ => return Err(invalid("plan", "must be starter, pro or scale")),
        };
        for (field, url) in [("success_url", success_url), ("cancel_url", cancel_url)] {
            if !redirect_allowed(url) {
                return Err(invalid(field, "must be an https:// URL, or http:// to localhost, 127.0.0.1 or [::1]"));
            }
        }
        let current = who.account.plan;
        if current >= plan {
            return Err(CheckoutError::AlreadyOnPlan { plan: current });
        }
        let customer =
            self.billing.billing(who.account.id).await.map_err(CheckoutError::Store)?.and_then(|b| b.customer);
        let req = CheckoutRequest {
            plan,
            success_url: success_url.trim().to_owned(),
            cancel_url: cancel_url.trim().to_owned(),
            client_reference: client_reference(who.account.id),
            customer,
            email: who.account.email.as_str().to_owned(),
        };
        self.gateway.create_checkout(&req).await.map_err(CheckoutError::Payment)
    }
}

/// The lowest plan with access to the Customer Portal (the Quick Reference: Starter).
pub const PORTAL_MIN_PLAN: Plan = Plan::Starter;

#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    #[error("Your {plan} plan has no subscription to manage; the billing portal needs the starter plan or higher.")]
    PlanTooLow { plan: Plan },
    #[error(transparent)]
    Invalid(FieldError),
    /// A paid plan that was not bought through billing (set by an operator, say).
    #[error("This account has no billing subscription to manage; its plan was set without a checkout.")]
    NoCustomer,
    #[error("{0}")]
    Payment(PaymentError),
    #[error(transparent)]
    Store(KeyStoreError),
}

impl ErrorCode for PortalError {
    fn code(&self) -> Code {
        match self {
            PortalError::PlanTooLow { .. } => Code::PlanUpgradeRequired,
            PortalError::Invalid(_) => Code::ValidationFailed,
            PortalError::NoCustomer | PortalError::Payment(PaymentError::NoCustomer) => Code::NoBillingCustomer,
            PortalError::Payment(PaymentError::Unconfigured) => Code::BillingUnconfigured,
            PortalError::Payment(_) => Code::PaymentUnavailable,
            PortalError::Store(e) => store_code(e),
        }
    }
}

/// The portal: a short-lived Customer Portal URL (upgrade, downgrade, cancel, invoices;
/// every change comes back through the webhook).
pub struct Portal {
    pub gateway: Arc<dyn PaymentGateway>,
    pub billing: Arc<dyn BillingStore>,
}

impl Portal {
    /// `return_url`: where the portal's "back" link goes (same rules as checkout redirects);
    /// `default_return` when absent.
    pub async fn execute(
        &self,
        who: &Principal,
        return_url: Option<&str>,
        default_return: &str,
    ) -> Result<String, PortalError> {
        if who.account.plan < PORTAL_MIN_PLAN {
            return Err(PortalError::PlanTooLow { plan: who.account.plan });
        }
        let return_url = match return_url.map(str::trim) {
            Some(url) if !redirect_allowed(url) => {
                return Err(PortalError::Invalid(FieldError::new(
                    "return_url",
                    "must be an https:// URL, or http:// to localhost, 127.0.0.1 or [::1]",
                )));
            }
            Some(url) => url,
            None => default_return,
        };
        let record = self.billing.billing(who.account.id).await.map_err(PortalError::Store)?;
        let customer = record.and_then(|r| r.customer).ok_or(PortalError::NoCustomer)?;
        self.gateway.create_portal(&customer, return_url).await.map_err(PortalError::Payment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_are_https_or_localhost_only() {
        for ok in [
            "https://app.example.com/success?session_id={CHECKOUT_SESSION_ID}",
            "http://localhost",
            "http://localhost:3000/cb",
            "http://localhost/cb",
            "http://127.0.0.1:8080/done",
            "http://[::1]:8080/",
        ] {
            assert!(redirect_allowed(ok), "{ok}");
        }
        for bad in [
            "http://app.example.com",
            "http://localhost.evil.com/",
            "http://127.0.0.1.evil.com/",
            "http://127.0.0.10/",
            "http://localhost:abc",
            "https://",
            "javascript:alert(1)",
            "ftp://x",
            "https://a b",
            "",
        ] {
            assert!(!redirect_allowed(bad), "{bad}");
        }
    }
}
