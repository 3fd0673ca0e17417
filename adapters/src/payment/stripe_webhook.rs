//! Stripe's webhook format: the `Stripe-Signature` scheme and the event JSON, read into the core's
//! [`BillingEvent`] for plan sync. `StripeEvents` is the [`PaymentEvents`] port for both Stripe and
//! the local stand-in (which signs its own events the same way).
//!
//! Signature (`Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`): HMAC-SHA-256 keyed with the whole
//! endpoint secret (`whsec_…` as bytes) over `"<t>." + raw body`; accepted when any `v1` matches
//! (compared in constant time) and `|now − t|` is within the tolerance (300 s), so stale and future
//! timestamps are both refused. `v0` and unknown keys are ignored.
//!
//! Events are read from the raw JSON with only the fields the plan sync needs (API "Basil" and
//! later: an invoice's subscription is `parent.subscription_details.subscription`), so Stripe adding
//! fields never breaks us; an event type we do not handle is `Other` and acknowledged.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use jobin_core::domain::{BillingEvent, EventKind, SubscriptionStatus};
use jobin_core::ports::{PaymentEvents, WebhookReadError};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sha2::Sha256;

/// Reads Stripe webhook deliveries signed with one endpoint secret.
pub struct StripeEvents {
    secret: SecretString,
}

impl StripeEvents {
    pub fn new(secret: SecretString) -> Self {
        Self { secret }
    }

    /// A `Stripe-Signature` value for `body` at `t` with this endpoint's secret (the local
    /// stand-in signs the events it delivers to our own webhook).
    pub fn sign(&self, body: &[u8], t: i64) -> String {
        sign_webhook(body, self.secret.expose_secret(), t)
    }
}

impl PaymentEvents for StripeEvents {
    fn read(&self, signature: &str, body: &[u8], now: DateTime<Utc>) -> Result<BillingEvent, WebhookReadError> {
        verify_webhook(signature, body, self.secret.expose_secret(), now.timestamp())
            .map_err(|e| WebhookReadError::Signature(format!("invalid Stripe signature: {e}")))?;
        parse_event(body).map_err(|e| WebhookReadError::Body(format!("invalid webhook body: {e}")))
    }
}

/// Stripe's default tolerance for webhook timestamps.
pub const SIGNATURE_TOLERANCE_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing or malformed")]
    Malformed,
    #[error("the webhook timestamp is {age_secs} s away from now (tolerance {SIGNATURE_TOLERANCE_SECS} s)")]
    OutsideTolerance { age_secs: i64 },
    #[error("no signature matches the payload")]
    Mismatch,
}

/// `t=<unix>,v1=<hex>` for `body` signed with `secret` at `t` (tests and the offline checkout).
pub fn sign_webhook(body: &[u8], secret: &str, t: i64) -> String {
    format!("t={t},v1={}", hex::encode(mac(body, secret, t)))
}

fn mac(body: &[u8], secret: &str, t: i64) -> Vec<u8> {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut m = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return Vec::new(),
    };
    m.update(format!("{t}.").as_bytes());
    m.update(body);
    m.finalize().into_bytes().to_vec()
}

/// Verifies a `Stripe-Signature` header for the raw `body` at `now` (unix seconds).
pub fn verify_webhook(header: &str, body: &[u8], secret: &str, now: i64) -> Result<(), SignatureError> {
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let Some((k, v)) = part.trim().split_once('=') else { continue };
        match k {
            "t" => t = Some(v.parse::<i64>().map_err(|_| SignatureError::Malformed)?),
            "v1" => signatures.push(hex::decode(v).map_err(|_| SignatureError::Malformed)?),
            _ => {}
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let age = now - t;
    if age.abs() > SIGNATURE_TOLERANCE_SECS {
        return Err(SignatureError::OutsideTolerance { age_secs: age });
    }
    let expected = mac(body, secret, t);
    let matches = signatures.iter().any(|s| {
        use subtle::ConstantTimeEq;
        s.len() == expected.len() && bool::from(s.as_slice().ct_eq(&expected))
    });
    if matches { Ok(()) } else { Err(SignatureError::Mismatch) }
}

/// A subscription's `status` field.
fn subscription_status(raw: &str) -> SubscriptionStatus {
    match raw {
        "active" => SubscriptionStatus::Active,
        "trialing" => SubscriptionStatus::Trialing,
        "past_due" => SubscriptionStatus::PastDue,
        "unpaid" => SubscriptionStatus::Unpaid,
        "canceled" => SubscriptionStatus::Canceled,
        "incomplete" => SubscriptionStatus::Incomplete,
        "incomplete_expired" => SubscriptionStatus::IncompleteExpired,
        "paused" => SubscriptionStatus::Paused,
        other => SubscriptionStatus::Other(other.to_owned()),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("the webhook body is not JSON: {0}")]
    NotJson(String),
    #[error("the webhook body is not a Stripe event: missing `{0}`")]
    Missing(&'static str),
}

fn string(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

/// Reads a Stripe event from the raw webhook body.
pub fn parse_event(body: &[u8]) -> Result<BillingEvent, EventError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| EventError::NotJson(e.to_string()))?;
    if v["object"] != "event" {
        return Err(EventError::Missing("object: event"));
    }
    let id = string(&v["id"]).ok_or(EventError::Missing("id"))?;
    let created = v["created"].as_i64().ok_or(EventError::Missing("created"))?;
    let kind_name = v["type"].as_str().ok_or(EventError::Missing("type"))?;
    let o = &v["data"]["object"];
    if !o.is_object() {
        return Err(EventError::Missing("data.object"));
    }
    let oid = || string(&o["id"]).ok_or(EventError::Missing("data.object.id"));
    let kind = match kind_name {
        "checkout.session.completed" => EventKind::CheckoutCompleted {
            session: oid()?,
            client_reference_id: string(&o["client_reference_id"]),
            customer: string(&o["customer"]),
            subscription: string(&o["subscription"]),
            plan: string(&o["metadata"]["plan"]),
        },
        "customer.subscription.updated" | "customer.subscription.created" => EventKind::SubscriptionUpdated {
            subscription: oid()?,
            customer: string(&o["customer"]),
            status: subscription_status(o["status"].as_str().unwrap_or_default()),
            price_ids: o["items"]["data"]
                .as_array()
                .map(|items| items.iter().filter_map(|i| string(&i["price"]["id"])).collect())
                .unwrap_or_default(),
            cancel_scheduled: o["cancel_at_period_end"] == Value::Bool(true) || !o["cancel_at"].is_null(),
        },
        "customer.subscription.deleted" => {
            EventKind::SubscriptionDeleted { subscription: oid()?, customer: string(&o["customer"]) }
        }
        "invoice.payment_failed" => EventKind::PaymentFailed {
            invoice: oid()?,
            customer: string(&o["customer"]),
            subscription: string(&o["parent"]["subscription_details"]["subscription"])
                .or_else(|| string(&o["subscription"])),
        },
        other => EventKind::Other(other.to_owned()),
    };
    Ok(BillingEvent { id, created, kind })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_test_vector_signs_and_verifies() {
        let body = br#"{"id":"evt_test","object":"event"}"#;
        let header = sign_webhook(body, "whsec_test_secret", 1_700_000_000);
        assert_eq!(header, "t=1700000000,v1=8042376f6ca064adbe037642a718227dfd59047137eb49497a54c49eb0cfb724");
        assert_eq!(verify_webhook(&header, body, "whsec_test_secret", 1_700_000_100), Ok(()));
    }

    #[test]
    fn forged_stale_future_tampered_and_malformed_signatures_are_refused() {
        let body = br#"{"id":"evt_1"}"#;
        let t = 1_700_000_000;
        let good = sign_webhook(body, "whsec_right", t);
        assert_eq!(verify_webhook(&good, body, "whsec_wrong", t), Err(SignatureError::Mismatch));
        assert_eq!(verify_webhook(&good, br#"{"id":"evt_2"}"#, "whsec_right", t), Err(SignatureError::Mismatch));
        assert_eq!(
            verify_webhook(&good, body, "whsec_right", t + 301),
            Err(SignatureError::OutsideTolerance { age_secs: 301 })
        );
        assert_eq!(
            verify_webhook(&good, body, "whsec_right", t - 301),
            Err(SignatureError::OutsideTolerance { age_secs: -301 })
        );
        for bad in ["", "v1=abc", "t=x,v1=00", "t=1700000000", "t=1700000000,v1=zz"] {
            assert_eq!(verify_webhook(bad, body, "whsec_right", t), Err(SignatureError::Malformed), "{bad}");
        }
    }

    #[test]
    fn any_of_several_v1_signatures_may_match_and_v0_is_ignored() {
        let body = b"{}";
        let t = 1_700_000_000;
        let new = sign_webhook(body, "whsec_new", t);
        let new_sig = new.split_once(",v1=").unwrap().1;
        let old_sig = sign_webhook(body, "whsec_old", t).split_once(",v1=").unwrap().1.to_owned();
        let header = format!("t={t},v1={old_sig},v0=deadbeef,v1={new_sig},x=1");
        assert_eq!(verify_webhook(&header, body, "whsec_new", t), Ok(()));
        assert_eq!(verify_webhook(&header, body, "whsec_old", t), Ok(()));
    }

    #[test]
    fn bodies_that_are_not_events_are_errors() {
        assert!(matches!(parse_event(b"{not json"), Err(EventError::NotJson(_))));
        assert_eq!(parse_event(br#"{"object":"customer"}"#), Err(EventError::Missing("object: event")));
        assert_eq!(
            parse_event(br#"{"object":"event","id":"evt_1","created":1,"type":"invoice.payment_failed","data":{}}"#),
            Err(EventError::Missing("data.object"))
        );
    }
}
