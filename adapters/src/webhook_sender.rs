//! `WebhookSender` over reqwest: one POST per attempt, JSON, signed in `JobIn-Signature`, no
//! redirect followed (a 3xx is a failed attempt, so an event never lands somewhere the owner did
//! not name), bounded in time.

use async_trait::async_trait;
use jobin_core::ports::{SendFailure, WebhookSender};
use std::time::Duration;

/// The header that carries the signature (`t=…,v1=…`).
pub const SIGNATURE_HEADER: &str = "JobIn-Signature";
/// How long a receiver has to answer.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);

pub struct HttpWebhookSender {
    client: reqwest::Client,
}

impl HttpWebhookSender {
    pub fn new(timeout: Duration) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("JobIn-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client })
    }
}

#[async_trait]
impl WebhookSender for HttpWebhookSender {
    async fn post(&self, url: &str, body: &[u8], signature: &str) -> Result<u16, SendFailure> {
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
            Err(e) if e.is_timeout() => Err(SendFailure(format!("no answer within {} s", SEND_TIMEOUT.as_secs()))),
            Err(e) if e.is_connect() => Err(SendFailure("could not connect to the receiver".into())),
            Err(_) => Err(SendFailure("the request to the receiver failed".into())),
        }
    }
}
