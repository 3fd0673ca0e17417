//! Stripe stand-ins for tests: whole Stripe objects (async-stripe's parser is strict: a mock must
//! answer whole objects) from the project's own fixtures in `testing/stripe/` (written here in
//! Stripe's shape, so a bare clone runs every Stripe test), the recorded objects and events of
//! `../shared/payloads/stripe/` where they are beside the checkout, and the form fields a request
//! to Stripe carried.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test support: a missing fixture should fail the test

use serde_json::{Value, json};
use std::collections::HashMap;

/// The project's own fixtures, by the recorded file they stand in for.
const OWN: &[(&str, &str)] = &[
    ("checkout_session", include_str!("stripe/checkout_session.json")),
    ("billing_portal_session", include_str!("stripe/billing_portal_session.json")),
    ("evt_checkout_session_completed.json", include_str!("stripe/evt_checkout_session_completed.json")),
    ("evt_customer_subscription_updated.json", include_str!("stripe/evt_customer_subscription_updated.json")),
    ("evt_invoice_payment_failed.json", include_str!("stripe/evt_invoice_payment_failed.json")),
    ("evt_customer_subscription_deleted.json", include_str!("stripe/evt_customer_subscription_deleted.json")),
];

fn own(name: &str) -> Value {
    let text = OWN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t).unwrap_or_else(|| panic!("no own fixture {name}"));
    serde_json::from_str(text).expect("an own Stripe fixture is JSON")
}

/// A recorded Stripe object or event from `../shared/payloads/stripe/`, or `None` (after a loud
/// SKIPPED line) in a bare clone; required under CI.
pub fn recorded(name: &str) -> Option<Value> {
    let path = super::shared_file(&format!("payloads/stripe/{name}"))?;
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Some(serde_json::from_str(&text).expect("a recorded Stripe fixture is JSON"))
}

/// A Stripe event by its recorded file name: the recorded one where `../shared` is beside the
/// checkout, else the project's own event of the same type and shape.
pub fn event(name: &str) -> Value {
    recorded(name).unwrap_or_else(|| own(name))
}

/// An open subscription Checkout Session `id` with a hosted URL (the project's own object).
pub fn checkout_session(id: &str) -> Value {
    session_from(own("checkout_session"), id)
}

/// `object` (a Checkout Session) turned into an open subscription session `id` with a hosted URL.
pub fn session_from(mut s: Value, id: &str) -> Value {
    s["id"] = json!(id);
    s["mode"] = json!("subscription");
    s["status"] = json!("open");
    s["url"] = json!(format!("https://checkout.stripe.com/c/pay/{id}"));
    s
}

/// A Customer Portal session for `customer`, at `url` (the project's own object).
pub fn portal_session(customer: &str, url: &str) -> Value {
    portal_from(own("billing_portal_session"), customer, url)
}

/// `object` (a portal session) for `customer`, at `url`.
pub fn portal_from(mut s: Value, customer: &str, url: &str) -> Value {
    s["customer"] = json!(customer);
    s["url"] = json!(url);
    s
}

/// The form fields of a request body to Stripe (`line_items[0][price]=…`), percent-decoded.
pub fn form_fields(body: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}
