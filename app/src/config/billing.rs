//! Stripe (`JOBIN_STRIPE_*`) and the billing emails (`JOBIN_SMTP_URL`, `JOBIN_EMAIL_FROM`).

use jobin_core::domain::Plan;
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;

use super::env::{ConfigError, Vars, err};

/// Who takes payments (`JOBIN_BILLING`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BillingMode {
    /// Stripe when it has a key; the offline stand-in in demo mode; otherwise none.
    #[default]
    Auto,
    /// `JOBIN_BILLING=local`: the offline checkout and portal pages (no money moves). Anyone can
    /// buy any plan for free, so never on a server holding real accounts.
    Local,
    /// `JOBIN_BILLING=stripe`: Stripe (requires its key).
    Stripe,
    /// `JOBIN_BILLING=off`: no payments; checkout and portal answer 503 `billing_unconfigured`.
    Off,
}

/// Stripe: the API key, the API root, the webhook endpoint secret (`whsec_…`; generated into the
/// data dir when unset, for the offline checkout) and the price id of each paid plan; and who
/// takes payments.
#[derive(Clone, Default)]
pub struct StripeSettings {
    pub mode: BillingMode,
    /// `sk_…` or `rk_…`.
    pub secret_key: Option<SecretString>,
    pub base_url: String,
    pub webhook_secret: Option<SecretString>,
    pub price_starter: Option<String>,
    pub price_pro: Option<String>,
    pub price_scale: Option<String>,
}

impl StripeSettings {
    pub(super) fn read(v: &Vars) -> Result<Self, ConfigError> {
        let secret_key = v.key("JOBIN_STRIPE_SECRET_KEY");
        if let Some(k) = &secret_key {
            if !(k.expose_secret().starts_with("sk_") || k.expose_secret().starts_with("rk_")) {
                return Err(err("JOBIN_STRIPE_SECRET_KEY", "is not a Stripe secret or restricted key (sk_… or rk_…)"));
            }
            if v.var("JOBIN_STRIPE_WEBHOOK_SECRET").is_none() {
                return Err(err(
                    "JOBIN_STRIPE_WEBHOOK_SECRET",
                    "is required with JOBIN_STRIPE_SECRET_KEY: the signing secret of your Stripe webhook endpoint (whsec_…)",
                ));
            }
        }
        let mode = match v.var("JOBIN_BILLING").as_deref().map(str::trim) {
            None | Some("auto") => BillingMode::Auto,
            Some("local") if secret_key.is_some() => {
                return Err(err(
                    "JOBIN_BILLING",
                    "is `local` (free offline checkout) while JOBIN_STRIPE_SECRET_KEY is set: choose one",
                ));
            }
            Some("local") => BillingMode::Local,
            Some("stripe") if secret_key.is_none() => {
                return Err(err("JOBIN_BILLING", "is `stripe` but JOBIN_STRIPE_SECRET_KEY is not set"));
            }
            Some("stripe") => BillingMode::Stripe,
            Some("off") => BillingMode::Off,
            Some(other) => return Err(err("JOBIN_BILLING", format!("`{other}` is not stripe, local, off or auto"))),
        };
        Ok(Self {
            mode,
            secret_key,
            base_url: v.base_url("JOBIN_STRIPE_BASE_URL", jobin_adapters::payment::STRIPE_API_URL)?,
            webhook_secret: v.key("JOBIN_STRIPE_WEBHOOK_SECRET"),
            price_starter: v.var("JOBIN_STRIPE_PRICE_STARTER"),
            price_pro: v.var("JOBIN_STRIPE_PRICE_PRO"),
            price_scale: v.var("JOBIN_STRIPE_PRICE_SCALE"),
        })
    }

    /// Plan → price id, for the prices that are set.
    pub fn prices(&self) -> HashMap<Plan, String> {
        [(&self.price_starter, Plan::Starter), (&self.price_pro, Plan::Pro), (&self.price_scale, Plan::Scale)]
            .into_iter()
            .filter_map(|(id, plan)| id.clone().map(|id| (plan, id)))
            .collect()
    }
}

/// Where billing emails go: an SMTP server, or (default) the log outbox in the data dir.
#[derive(Clone, Default)]
pub struct EmailSettings {
    /// `smtps://user:pass@host:465`, `smtp://…?tls=required`, or `smtp://host:port` (local relay).
    pub smtp_url: Option<SecretString>,
    /// The sender, such as `JobIn <billing@example.com>`; required with `smtp_url`.
    pub from: Option<String>,
}

impl EmailSettings {
    pub(super) fn read(v: &Vars) -> Result<Self, ConfigError> {
        let email = Self { smtp_url: v.key("JOBIN_SMTP_URL"), from: v.var("JOBIN_EMAIL_FROM") };
        if let Some(url) = &email.smtp_url {
            if !(url.expose_secret().starts_with("smtp://") || url.expose_secret().starts_with("smtps://")) {
                return Err(err("JOBIN_SMTP_URL", "is not an smtp:// or smtps:// URL"));
            }
            if email.from.is_none() {
                return Err(err(
                    "JOBIN_EMAIL_FROM",
                    "is required with JOBIN_SMTP_URL (the sender, such as `JobIn <billing@example.com>`)",
                ));
            }
        }
        Ok(email)
    }
}
