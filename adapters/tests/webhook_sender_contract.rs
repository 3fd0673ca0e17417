//! The `WebhookSender` contract, run against the HTTP sender (receivers are wiremock servers on
//! loopback; names resolve through a stub, so no lookup leaves the machine): one POST per call,
//! with the body, `Content-Type: application/json` and the signature header; the receiver's status
//! answered as it is; no redirect followed; a slow receiver fails within the time budget; and a
//! destination the outbound policy refuses — an internal address literal, or a name resolving to
//! one — fails before any connection is made.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use async_trait::async_trait;
use jobin_adapters::contract_suite;
use jobin_adapters::testing::Subject;
use jobin_adapters::webhook_sender::{HttpWebhookSender, NOT_ALLOWED, NameLookup, SIGNATURE_HEADER};
use jobin_core::domain::outbound::OutboundPolicy;
use jobin_core::ports::WebhookSender;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use wiremock::matchers::{body_bytes, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BUDGET: Duration = Duration::from_millis(500);

/// Every name resolves to the metadata service's link-local address (never looked up for real).
struct InternalNames;

#[async_trait]
impl NameLookup for InternalNames {
    async fn lookup(&self, _: &str) -> std::io::Result<Vec<IpAddr>> {
        Ok(vec!["169.254.169.254".parse().unwrap()])
    }
}

/// The sender under the development policy (loopback receivers allowed) and under the strict one.
#[derive(Clone)]
struct Senders {
    open: Arc<dyn WebhookSender>,
    strict: Arc<dyn WebhookSender>,
}

async fn http() -> Option<Subject<Senders>> {
    let open = HttpWebhookSender::with_lookup(BUDGET, OutboundPolicy { allow_private: true }, Arc::new(InternalNames));
    let strict = HttpWebhookSender::with_lookup(BUDGET, OutboundPolicy::STRICT, Arc::new(InternalNames));
    Some(Subject::new(Senders { open: Arc::new(open.unwrap()), strict: Arc::new(strict.unwrap()) }))
}

async fn posts_once_with_the_body_and_signature_and_answers_the_receivers_status(s: Senders) {
    let receiver = MockServer::start().await;
    for (route, status) in [("/accepted", 202), ("/broken", 500), ("/gone", 410)] {
        Mock::given(method("POST"))
            .and(path(route))
            .and(header("content-type", "application/json"))
            // The whole value (wiremock's `header` would split it at the comma).
            .and(|r: &wiremock::Request| {
                r.headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()) == Some("t=1,v1=abc")
            })
            .and(body_bytes(br#"{"type":"test"}"#.to_vec()))
            .respond_with(ResponseTemplate::new(status))
            .expect(1)
            .mount(&receiver)
            .await;
        let url = format!("{}{route}", receiver.uri());
        assert_eq!(s.open.post(&url, br#"{"type":"test"}"#, "t=1,v1=abc").await.unwrap(), status);
    }
    receiver.verify().await;
}

async fn follows_no_redirect(s: Senders) {
    let receiver = MockServer::start().await;
    let elsewhere = format!("{}/elsewhere", receiver.uri());
    Mock::given(path("/hook"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", elsewhere.as_str()))
        .expect(1)
        .mount(&receiver)
        .await;
    Mock::given(path("/elsewhere")).respond_with(ResponseTemplate::new(200)).expect(0).mount(&receiver).await;
    let status = s.open.post(&format!("{}/hook", receiver.uri()), b"{}", "t=1,v1=abc").await.unwrap();
    assert_eq!(status, 307, "the redirect is the answer; the event never lands elsewhere");
    receiver.verify().await;
}

async fn a_slow_receiver_fails_within_the_budget(s: Senders) {
    let receiver = MockServer::start().await;
    Mock::given(path("/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .expect(1)
        .mount(&receiver)
        .await;
    let started = std::time::Instant::now();
    let e = s.open.post(&format!("{}/slow", receiver.uri()), b"{}", "t=1,v1=abc").await.unwrap_err();
    assert_eq!(e.0, "no answer within 500 ms");
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
}

async fn a_refused_destination_fails_before_any_connection(s: Senders) {
    let receiver = MockServer::start().await;
    Mock::given(path("/hook")).respond_with(ResponseTemplate::new(200)).expect(0).mount(&receiver).await;
    // A loopback literal (the receiver is there: it must see nothing), an internal literal and a
    // name that resolves (through the stub) to the metadata address.
    for url in [
        format!("{}/hook", receiver.uri().replace("http://", "https://")),
        format!("{}/hook", receiver.uri()),
        "https://10.0.0.5/hook".to_owned(),
        "https://hooks.example.com/hook".to_owned(),
    ] {
        let e = s.strict.post(&url, b"{}", "t=1,v1=abc").await.unwrap_err();
        assert_eq!(e.0, NOT_ALLOWED, "{url}");
    }
    receiver.verify().await;
}

contract_suite! {
    cases: [
        posts_once_with_the_body_and_signature_and_answers_the_receivers_status,
        follows_no_redirect,
        a_slow_receiver_fails_within_the_budget,
        a_refused_destination_fails_before_any_connection,
    ];
    http => http(),
}
