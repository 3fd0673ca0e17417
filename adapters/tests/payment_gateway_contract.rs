//! One `PaymentGateway` contract, run against Stripe (a local stand-in for Stripe's API answering
//! in Stripe's shapes) and the offline `LocalPayments`: a checkout is a new session with an id and
//! a URL to send the user to, whatever the account's customer state; a portal is a URL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use jobin_adapters::contract_suite;
use jobin_adapters::payment::{LocalPayments, StripeEvents, StripeGateway};
use jobin_adapters::testing::Subject;
use jobin_adapters::testing::stripe::{checkout_session, form_fields, portal_session};
use jobin_core::domain::Plan;
use jobin_core::ports::{CheckoutRequest, PaymentGateway};
use secrecy::SecretString;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

#[derive(Clone)]
struct Gateway {
    port: Arc<dyn PaymentGateway>,
    /// Keeps the Stripe stand-in running for the case.
    _server: Option<Arc<MockServer>>,
}

fn prices() -> HashMap<Plan, String> {
    [(Plan::Starter, "price_starter"), (Plan::Pro, "price_pro"), (Plan::Scale, "price_scale")]
        .into_iter()
        .map(|(p, id)| (p, id.to_owned()))
        .collect()
}

/// Stripe's checkout and portal endpoints: a new session id per call, the portal for the customer
/// asked.
struct FakeStripe(AtomicU32);

impl Respond for FakeStripe {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        let f = form_fields(&req.body);
        let body = if req.url.path() == "/v1/checkout/sessions" {
            checkout_session(&format!("cs_test_{n}"))
        } else {
            let customer = f.get("customer").cloned().unwrap_or_default();
            portal_session(&customer, &format!("https://billing.stripe.com/p/session/test_{n}"))
        };
        ResponseTemplate::new(200).set_body_json(body)
    }
}

async fn stripe() -> Option<Subject<Gateway>> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(FakeStripe(AtomicU32::new(1)))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/billing_portal/sessions"))
        .respond_with(FakeStripe(AtomicU32::new(1)))
        .mount(&server)
        .await;
    let gateway = StripeGateway::new(&SecretString::from("sk_test_contract"), &server.uri(), prices()).unwrap();
    Some(Subject::new(Gateway { port: Arc::new(gateway), _server: Some(Arc::new(server)) }))
}

async fn local() -> Option<Subject<Gateway>> {
    let events = Arc::new(StripeEvents::new(SecretString::from("whsec_contract")));
    let local = LocalPayments::new("http://localhost:8080", &prices(), events);
    Some(Subject::new(Gateway { port: Arc::new(local), _server: None }))
}

fn request(plan: Plan, customer: Option<&str>) -> CheckoutRequest {
    CheckoutRequest {
        plan,
        success_url: "https://app.example.com/done?session_id={CHECKOUT_SESSION_ID}".into(),
        cancel_url: "https://app.example.com/cancel".into(),
        client_reference: "acct_7".into(),
        customer: customer.map(str::to_owned),
        email: "ada@example.com".into(),
    }
}

fn is_url(u: &str) -> bool {
    (u.starts_with("https://") || u.starts_with("http://")) && !u.contains(char::is_whitespace)
}

async fn every_checkout_is_a_new_session_with_a_url(g: Gateway) {
    let mut ids = HashSet::new();
    for (plan, customer) in [(Plan::Starter, None), (Plan::Pro, Some("cus_known")), (Plan::Scale, None)] {
        let s = g.port.create_checkout(&request(plan, customer)).await.unwrap();
        assert!(!s.id.is_empty());
        assert!(is_url(&s.url), "{}", s.url);
        assert!(ids.insert(s.id.clone()), "session ids differ: {}", s.id);
    }
}

async fn a_portal_is_a_url_for_the_user(g: Gateway) {
    let a = g.port.create_portal("cus_1", "https://app.example.com/account").await.unwrap();
    let b = g.port.create_portal("cus_1", "https://app.example.com/account").await.unwrap();
    assert!(is_url(&a) && is_url(&b), "{a} {b}");
    assert_ne!(a, b, "each portal link is its own short-lived session");
}

contract_suite! {
    cases: [every_checkout_is_a_new_session_with_a_url, a_portal_is_a_url_for_the_user];
    stripe => stripe(),
    local => local(),
}
