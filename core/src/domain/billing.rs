//! Billing domain: what a payment provider's events mean for plan sync, and the notices the billing
//! lifecycle sends. Reading a provider's webhook (its signature scheme and event JSON) is the
//! payment adapter's job, behind [`crate::ports::PaymentEvents`].

/// A subscription's state as the payment provider reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionStatus {
    Active,
    Trialing,
    PastDue,
    Unpaid,
    Canceled,
    Incomplete,
    IncompleteExpired,
    Paused,
    Other(String),
}

/// What an event means for plan sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// `checkout.session.completed`: `client_reference_id` is our account id.
    CheckoutCompleted {
        session: String,
        client_reference_id: Option<String>,
        customer: Option<String>,
        subscription: Option<String>,
        /// Our `metadata.plan` on the session.
        plan: Option<String>,
    },
    /// `customer.subscription.updated` (and `.created`).
    SubscriptionUpdated {
        subscription: String,
        customer: Option<String>,
        status: SubscriptionStatus,
        price_ids: Vec<String>,
        /// `cancel_at_period_end` or a `cancel_at` date.
        cancel_scheduled: bool,
    },
    /// `customer.subscription.deleted`: back to Free.
    SubscriptionDeleted { subscription: String, customer: Option<String> },
    /// `invoice.payment_failed`: past due, plan kept.
    PaymentFailed { invoice: String, customer: Option<String>, subscription: Option<String> },
    /// Any other type: acknowledged, nothing changes.
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingEvent {
    /// `evt_…`: each is applied once.
    pub id: String,
    /// Unix seconds when the provider created the event (orders events for one subscription).
    pub created: i64,
    pub kind: EventKind,
}

/// Where the billing notices send the account holder (the HTTP layer knows the routes and URLs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeLinks {
    /// The self-service portal (paying accounts).
    pub manage: String,
    /// The plans and prices.
    pub pricing: String,
    /// Where an account's limits are shown.
    pub limits: String,
    /// How to start a new subscription.
    pub checkout: String,
}

/// The plain-text messages of the billing lifecycle.
pub mod notices {
    use super::NoticeLinks;
    use crate::domain::Plan;
    use crate::ports::Notice;

    pub fn plan_changed(to: &str, from: Plan, now: Plan, links: &NoticeLinks) -> Notice {
        Notice {
            to: to.to_owned(),
            subject: format!("Your JobIn plan is now {now}"),
            body: format!(
                "Hello,\n\nyour JobIn plan changed from {from} to {now}. The new limits apply to every \
                 API key at once; {limits} shows them.\n\nManage your subscription: {manage}\n",
                limits = links.limits,
                manage = links.manage,
            ),
        }
    }

    /// Points at the plans (the portal is for paying accounts, which this one no longer is).
    pub fn cancelled(to: &str, from: Plan, links: &NoticeLinks) -> Notice {
        Notice {
            to: to.to_owned(),
            subject: "Your JobIn subscription has ended".to_owned(),
            body: format!(
                "Hello,\n\nyour {from} subscription has ended and your account is back on the free plan, \
                 with its limits. Your API keys keep working.\n\nTo subscribe again, start a checkout \
                 ({checkout}). Plans and prices: {pricing}\n",
                checkout = links.checkout,
                pricing = links.pricing,
            ),
        }
    }

    pub fn payment_failed(to: &str, plan: Plan, links: &NoticeLinks) -> Notice {
        Notice {
            to: to.to_owned(),
            subject: "Your JobIn payment failed".to_owned(),
            body: format!(
                "Hello,\n\nwe could not take the payment for your {plan} plan. Your plan stays active while \
                 the payment is retried; please update your payment method.\n\nUpdate it here: {manage}\n",
                manage = links.manage,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_say_what_changed_and_where_to_act() {
        use crate::domain::Plan;
        let links = NoticeLinks {
            manage: "https://x/manage".into(),
            pricing: "https://x/plans".into(),
            limits: "the account page".into(),
            checkout: "a new checkout".into(),
        };
        let n = notices::plan_changed("a@example.com", Plan::Starter, Plan::Pro, &links);
        assert_eq!(n.subject, "Your JobIn plan is now pro");
        assert!(n.body.contains("from starter to pro") && n.body.contains("https://x/manage"), "{}", n.body);
        assert!(n.body.contains("the account page shows them"), "{}", n.body);
        let n = notices::cancelled("a@example.com", Plan::Pro, &links);
        assert!(n.body.contains("back on the free plan") && n.body.contains("https://x/plans"), "{}", n.body);
        assert!(n.body.contains("(a new checkout)"), "{}", n.body);
        assert!(notices::payment_failed("a@example.com", Plan::Pro, &links).body.contains("stays active"));
    }
}
