//! `WebhookSender` over reqwest: one POST per attempt, JSON, signed in `JobIn-Signature`, no
//! redirect followed (a 3xx is a failed attempt, so an event never lands somewhere the owner did
//! not name), bounded in time, and held to the outbound policy
//! ([`jobin_core::domain::outbound`]): the URL is checked whole, a name is resolved by the
//! client's own resolver, which refuses it if **any** of its addresses is not allowed and
//! otherwise hands the client exactly the addresses it checked (no second lookup), and no proxy
//! from the environment is used (it would connect on our behalf to a name we did not check).
//! A refused destination fails the attempt with [`NOT_ALLOWED`] before any connection is made.

use async_trait::async_trait;
use jobin_core::domain::outbound::OutboundPolicy;
use jobin_core::ports::{SendFailure, WebhookSender};
use std::sync::Arc;
use std::time::Duration;

pub use crate::outbound::{NOT_ALLOWED, NameLookup, SystemLookup};
use crate::outbound::{policed_client, refused};

/// The header that carries the signature (`t=…,v1=…`).
pub const SIGNATURE_HEADER: &str = "JobIn-Signature";
/// How long a receiver has to answer, connection included: the time budget of one attempt
/// (`JOBIN_WEBHOOK_TIMEOUT_MS` sets it; this is its default).
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
pub struct HttpWebhookSender {
    client: reqwest::Client,
    policy: OutboundPolicy,
    timeout: Duration,
}

impl HttpWebhookSender {
    pub fn new(timeout: Duration, policy: OutboundPolicy) -> anyhow::Result<Self> {
        Self::with_lookup(timeout, policy, Arc::new(SystemLookup))
    }

    /// With `lookup` in place of the system's resolver (tests).
    pub fn with_lookup(timeout: Duration, policy: OutboundPolicy, lookup: Arc<dyn NameLookup>) -> anyhow::Result<Self> {
        let client = policed_client(timeout, policy, lookup)
            .user_agent(concat!("JobIn-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client, policy, timeout })
    }
}

#[async_trait]
impl WebhookSender for HttpWebhookSender {
    async fn post(&self, url: &str, body: &[u8], signature: &str) -> Result<u16, SendFailure> {
        // The URL whole (scheme, credentials, an address literal); a name's addresses are checked
        // by the resolver when the client connects.
        if let Err(refusal) = self.policy.url(url) {
            tracing::info!(rule = refusal.rule(), "webhook destination refused by the outbound policy");
            return Err(SendFailure(NOT_ALLOWED.into()));
        }
        let sent = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .body(body.to_vec())
            .send()
            .await;
        match sent {
            Ok(resp) => Ok(resp.status().as_u16()),
            Err(e) if refused(&e) => {
                tracing::info!("webhook destination refused by the outbound policy at resolution");
                Err(SendFailure(NOT_ALLOWED.into()))
            }
            Err(e) if e.is_timeout() => Err(SendFailure(format!("no answer within {} ms", self.timeout.as_millis()))),
            Err(e) if e.is_connect() => Err(SendFailure("could not connect to the receiver".into())),
            Err(_) => Err(SendFailure("the request to the receiver failed".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbound::CheckedResolver;
    use reqwest::dns::Resolve;
    use std::collections::HashMap;
    use std::net::{IpAddr, SocketAddr};
    use std::str::FromStr;
    use std::sync::Mutex;

    /// Names to addresses, recording each lookup; nothing leaves the process.
    #[derive(Default)]
    struct Stub {
        names: HashMap<&'static str, Vec<IpAddr>>,
        asked: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl NameLookup for Stub {
        async fn lookup(&self, name: &str) -> std::io::Result<Vec<IpAddr>> {
            self.asked.lock().unwrap().push(name.to_owned());
            self.names.get(name).cloned().ok_or_else(|| std::io::Error::other("no such name"))
        }
    }

    fn stub(entries: &[(&'static str, &[&str])]) -> Arc<Stub> {
        let names = entries.iter().map(|(n, a)| (*n, a.iter().map(|ip| ip.parse().unwrap()).collect())).collect();
        Arc::new(Stub { names, ..Stub::default() })
    }

    async fn resolve(lookup: Arc<Stub>, policy: OutboundPolicy, name: &str) -> Result<Vec<SocketAddr>, String> {
        let r = CheckedResolver { lookup, policy };
        match r.resolve(reqwest::dns::Name::from_str(name).unwrap()).await {
            Ok(addrs) => Ok(addrs.collect()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// The resolver itself (no client, so no connection can follow): a name is refused when any
    /// of its addresses is internal, and otherwise yields exactly the addresses checked.
    #[tokio::test]
    async fn a_name_is_refused_when_any_address_it_resolves_to_is_internal() {
        let names = stub(&[
            ("loop.test.example", &["127.0.0.1"]),
            ("ten.test.example", &["10.1.2.3"]),
            ("meta.test.example", &["169.254.169.254"]),
            ("mapped.test.example", &["::ffff:127.0.0.1"]),
            ("ula.test.example", &["fd00::5"]),
            ("cgnat.test.example", &["100.64.1.1"]),
            ("mixed.test.example", &["127.0.0.1", "10.0.0.7"]),
            ("public.test.example", &["192.0.2.1"]),
        ]);
        let strict = OutboundPolicy::STRICT;
        for name in [
            "loop.test.example",
            "ten.test.example",
            "meta.test.example",
            "mapped.test.example",
            "ula.test.example",
            "cgnat.test.example",
            "mixed.test.example",
            "public.test.example", // documentation range: not routable either
        ] {
            let e = resolve(names.clone(), strict, name).await.expect_err(name);
            assert!(e.starts_with(NOT_ALLOWED), "{name}: {e}");
        }
        let dev = OutboundPolicy { allow_private: true };
        let ok = resolve(names.clone(), dev, "mixed.test.example").await.unwrap();
        assert_eq!(ok, vec!["127.0.0.1:0".parse().unwrap(), "10.0.0.7:0".parse().unwrap()]);
        assert!(resolve(names.clone(), dev, "meta.test.example").await.is_err(), "link-local even under the opt-in");
        assert!(resolve(names.clone(), dev, "mapped.test.example").await.is_err());
        assert!(resolve(names.clone(), strict, "unknown.test.example").await.is_err());
    }

    /// End to end through the client, with loopback only: a name resolving to this machine and
    /// every spelling of a loopback literal are refused before any connection (the receiver
    /// hears nothing); under the opt-in the same name is delivered to the address checked.
    #[tokio::test]
    async fn the_sender_refuses_before_connecting_and_connects_to_what_it_checked() {
        use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
        let receiver = MockServer::start().await;
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(204)).mount(&receiver).await;
        let port = receiver.address().port();
        let names = stub(&[("hooks.test.example", &["127.0.0.1"])]);
        let strict = HttpWebhookSender::with_lookup(SEND_TIMEOUT, OutboundPolicy::STRICT, names.clone()).unwrap();
        for url in [
            format!("https://hooks.test.example:{port}/hook"),
            format!("http://127.0.0.1:{port}/hook"),
            format!("https://127.0.0.1:{port}/hook"),
            format!("https://0x7f000001:{port}/hook"),
            format!("https://2130706433:{port}/hook"),
            format!("https://127.1:{port}/hook"),
            format!("https://[::1]:{port}/hook"),
            format!("https://[::ffff:127.0.0.1]:{port}/hook"),
            format!("https://localhost:{port}/hook"),
            format!("https://user:pw@hooks.test.example:{port}/hook"),
        ] {
            assert_eq!(strict.post(&url, b"{}", "t=1,v1=00").await, Err(SendFailure(NOT_ALLOWED.into())), "{url}");
        }
        assert!(receiver.received_requests().await.unwrap().is_empty(), "nothing reached the receiver");
        assert_eq!(names.asked.lock().unwrap().as_slice(), ["hooks.test.example"], "only the name was looked up");
        let dev = HttpWebhookSender::with_lookup(SEND_TIMEOUT, OutboundPolicy { allow_private: true }, names.clone())
            .unwrap();
        assert_eq!(
            dev.post(&format!("http://hooks.test.example:{port}/hook"), b"{}", "t=1,v1=00").await,
            Err(SendFailure(NOT_ALLOWED.into())),
            "http to a public-looking name stays refused"
        );
        let names = stub(&[("hooks", &["127.0.0.1"])]);
        let dev = HttpWebhookSender::with_lookup(SEND_TIMEOUT, OutboundPolicy { allow_private: true }, names).unwrap();
        assert_eq!(dev.post(&format!("http://hooks:{port}/hook"), b"{}", "t=1,v1=00").await, Ok(204));
        assert_eq!(receiver.received_requests().await.unwrap().len(), 1);
    }
}
