//! Billing: the payment provider (Stripe, the local stand-in, or none) chosen from the settings,
//! and the webhook that applies its events.

use jobin_adapters::payment::{LocalPayments, NoPayments, StripeEvents, StripeGateway};
use jobin_core::domain::Plan;
use jobin_core::domain::billing::NoticeLinks;
use jobin_core::ports::{PaymentGateway, PaymentStandIn};

use jobin_core::usecases::*;
use std::sync::Arc;

use crate::config::{BillingMode, Config};
use crate::secrets::Secrets;
use crate::state::{Billing, Urls};

use super::Common;

/// Checkout, portal and webhook through Stripe when it has a key, else through the local stand-in;
/// billing emails over SMTP when configured, else to the log outbox.
pub(super) fn build(config: &Config, c: &Common, secrets: &Secrets, urls: &Urls) -> anyhow::Result<Billing> {
    let prices = config.stripe.prices();
    let events = Arc::new(StripeEvents::new(secrets.stripe_webhook_secret.clone()));
    let mode = match (config.stripe.mode, &config.stripe.secret_key) {
        (BillingMode::Auto, Some(_)) => BillingMode::Stripe,
        (BillingMode::Auto, None) if config.demo.is_some() => BillingMode::Local,
        (BillingMode::Auto, None) => BillingMode::Off,
        (mode, _) => mode,
    };
    let (gateway, stand_in, price_plans): (Arc<dyn PaymentGateway>, Option<Arc<dyn PaymentStandIn>>, _) = match (
        mode,
        &config.stripe.secret_key,
    ) {
        (BillingMode::Stripe, Some(key)) => {
            for plan in [Plan::Starter, Plan::Pro, Plan::Scale] {
                if !prices.contains_key(&plan) {
                    tracing::warn!(%plan, "no JOBIN_STRIPE_PRICE_{} set: checkout for this plan answers 503", plan.as_str().to_uppercase());
                }
            }
            let stripe = StripeGateway::new(key, &config.stripe.base_url, prices.clone())?;
            tracing::info!(api = %config.stripe.base_url, "billing through Stripe");
            (Arc::new(stripe), None, prices.iter().map(|(plan, id)| (id.clone(), *plan)).collect())
        }
        (BillingMode::Local, _) => {
            let local = Arc::new(LocalPayments::new(&config.public_url, &prices, events.clone()));
            tracing::warn!(
                "billing through the local checkout and portal pages (demo or JOBIN_BILLING=local): no money moves and \
                 anyone can buy any plan for free; never on a server with real accounts"
            );
            // Price id → plan for the webhook: the configured prices, plus the stand-in's own.
            let price_plans = local.price_plans();
            (local.clone(), Some(local), price_plans)
        }
        _ => {
            tracing::warn!(
                "billing is off: no JOBIN_STRIPE_SECRET_KEY (and no JOBIN_BILLING=local or --demo); checkout and \
                 portal answer 503 billing_unconfigured"
            );
            (Arc::new(NoPayments), None, std::collections::HashMap::new())
        }
    };
    Ok(Billing {
        webhook: BillingWebhook {
            store: c.billing.clone(),
            notifier: c.notifier.clone(),
            clock: c.clock.clone(),
            events,
            prices: price_plans,
            links: NoticeLinks {
                manage: format!(
                    "POST /v1/billing/portal with your API key answers the customer portal's address (how: {})",
                    urls.portal
                ),
                pricing: urls.upgrade.clone(),
                limits: "GET /v1/auth/me".into(),
                checkout: "POST /v1/billing/checkout".into(),
            },
        },
        checkout: Checkout { gateway: gateway.clone(), billing: c.billing.clone() },
        portal: Portal { gateway, billing: c.billing.clone() },
        stand_in,
        store: c.billing.clone(),
    })
}
