//! Stripe stand-ins for tests: whole Stripe objects built from the recorded fixtures in
//! `../shared/payloads/stripe/` (async-stripe's parser is strict: a mock must answer whole objects)
//! and the form fields a request to Stripe carried.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test support: a missing fixture should fail the test

use serde_json::{Value, json};
use std::collections::HashMap;

/// A recorded Stripe object or event, by file name.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/../../shared/payloads/stripe/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("a recorded Stripe fixture is JSON")
}

/// The recorded Checkout Session, turned into an open subscription session `id` with a hosted URL.
pub fn checkout_session(id: &str) -> Value {
    let mut s = fixture("checkout_session.fixture.json");
    s["id"] = json!(id);
    s["mode"] = json!("subscription");
    s["status"] = json!("open");
    s["url"] = json!(format!("https://checkout.stripe.com/c/pay/{id}"));
    s
}

/// The recorded Customer Portal session, for `customer`, at `url`.
pub fn portal_session(customer: &str, url: &str) -> Value {
    let mut s = fixture("billing_portal_session.fixture.json");
    s["customer"] = json!(customer);
    s["url"] = json!(url);
    s
}

/// The form fields of a request body to Stripe (`line_items[0][price]=…`), percent-decoded.
pub fn form_fields(body: &[u8]) -> HashMap<String, String> {
    fn decode(s: &str) -> String {
        let bytes = s.replace('+', " ").into_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let escaped = (bytes[i] == b'%' && i + 2 < bytes.len())
                .then(|| std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()))
                .flatten();
            match escaped {
                Some(b) => {
                    out.push(b);
                    i += 3;
                }
                None => {
                    out.push(bytes[i]);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}
