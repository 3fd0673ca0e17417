//! The `PaymentEvents` contract, run against `StripeEvents` (the one reader: Stripe's deliveries,
//! and the local stand-in's, which it signs the same way): a delivery signed with the endpoint's
//! secret reads as its event; a delivery whose signature does not verify — another secret, a
//! changed body, a stale or future timestamp, a header that is not a signature — is refused as a
//! `Signature` error whatever the body holds; a signed body that is not an event is a `Body`
//! error; an event type the plan sync does not use reads as `Other`, acknowledged.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use chrono::{DateTime, Utc};
use jobin_adapters::contract_suite;
use jobin_adapters::payment::StripeEvents;
use jobin_adapters::payment::stripe_webhook::sign_webhook;
use jobin_adapters::testing::Subject;
use jobin_adapters::testing::stripe::event;
use jobin_core::domain::EventKind;
use jobin_core::ports::{PaymentEvents, WebhookReadError};
use secrecy::SecretString;
use std::sync::Arc;

const SECRET: &str = "whsec_contract_0123456789";
const NOW: i64 = 1_767_000_000;

/// The reader, and how its provider signs a delivery at `t`.
#[derive(Clone)]
struct Events {
    port: Arc<dyn PaymentEvents>,
    sign: fn(&[u8], i64) -> String,
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(NOW, 0).unwrap()
}

fn body(name: &str) -> Vec<u8> {
    serde_json::to_vec(&event(name)).unwrap()
}

async fn stripe() -> Option<Subject<Events>> {
    let port = Arc::new(StripeEvents::new(SecretString::from(SECRET)));
    Some(Subject::new(Events { port, sign: |body, t| sign_webhook(body, SECRET, t) }))
}

async fn a_signed_delivery_reads_as_its_event(e: Events) {
    let checkout = body("evt_checkout_session_completed.json");
    let read = e.port.read(&(e.sign)(&checkout, NOW), &checkout, now()).unwrap();
    assert!(read.id.starts_with("evt_"), "{read:?}");
    assert!(matches!(read.kind, EventKind::CheckoutCompleted { .. }), "{read:?}");
    for (name, is) in [
        ("evt_customer_subscription_updated.json", "updated"),
        ("evt_invoice_payment_failed.json", "failed"),
        ("evt_customer_subscription_deleted.json", "deleted"),
    ] {
        let b = body(name);
        let read = e.port.read(&(e.sign)(&b, NOW - 60), &b, now()).unwrap();
        let kind = match read.kind {
            EventKind::SubscriptionUpdated { .. } => "updated",
            EventKind::PaymentFailed { .. } => "failed",
            EventKind::SubscriptionDeleted { .. } => "deleted",
            ref other => panic!("{name}: {other:?}"),
        };
        assert_eq!(kind, is, "{name}");
    }
}

async fn a_delivery_that_does_not_verify_is_refused_whatever_it_holds(e: Events) {
    let b = body("evt_checkout_session_completed.json");
    let refused = |signature: &str, body: &[u8]| {
        let r = e.port.read(signature, body, now());
        assert!(matches!(r, Err(WebhookReadError::Signature(_))), "{signature}: {r:?}");
    };
    refused(&sign_webhook(&b, "whsec_another_endpoint", NOW), &b);
    let mut changed = b.clone();
    changed.extend_from_slice(b" ");
    refused(&(e.sign)(&b, NOW), &changed);
    refused(&(e.sign)(&b, NOW - 3_600), &b);
    refused(&(e.sign)(&b, NOW + 3_600), &b);
    for garbage in ["", "v1=", "t=abc,v1=00", "not a signature", "t=1767000000"] {
        refused(garbage, &b);
    }
    // Nothing in an unsigned body is read, even one that is not JSON.
    refused("t=1767000000,v1=00", b"\x00\xff not json");
}

async fn a_signed_body_that_is_not_an_event_is_a_body_error(e: Events) {
    for bad in [&b"not json"[..], br#"{"id": 42}"#, br#"{"object": "event"}"#] {
        let r = e.port.read(&(e.sign)(bad, NOW), bad, now());
        assert!(matches!(r, Err(WebhookReadError::Body(_))), "{}: {r:?}", String::from_utf8_lossy(bad));
    }
}

async fn an_event_the_sync_does_not_use_is_read_as_other(e: Events) {
    let b = br#"{"id":"evt_1","object":"event","type":"customer.created","created":1767000000,"data":{"object":{"id":"cus_1","object":"customer"}}}"#;
    let read = e.port.read(&(e.sign)(b, NOW), b, now()).unwrap();
    assert_eq!(read.id, "evt_1");
    assert!(matches!(read.kind, EventKind::Other(_)), "{read:?}");
}

contract_suite! {
    cases: [
        a_signed_delivery_reads_as_its_event,
        a_delivery_that_does_not_verify_is_refused_whatever_it_holds,
        a_signed_body_that_is_not_an_event_is_a_body_error,
        an_event_the_sync_does_not_use_is_read_as_other,
    ];
    stripe => stripe(),
}
