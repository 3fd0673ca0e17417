//! A saved search's webhook, administered: where it may point (the outbound policy), its deliveries
//! and their attempts, a delivery sent again, and a test event sent now. (The deliveries
//! themselves are sent by `deliver_webhooks`.)

use super::*;

/// What the webhook operations use.
pub struct Webhooks {
    pub deliveries: Arc<dyn DeliveryStore>,
    pub sender: Arc<dyn WebhookSender>,
    pub encoder: Arc<dyn EventEncoder>,
    /// Derives signing secrets from their nonces.
    pub hasher: SecretHasher,
    pub entropy: Arc<dyn Entropy>,
    /// Where webhooks may point (checked again by the sender at send time).
    pub outbound: OutboundPolicy,
}

impl Webhooks {
    /// A webhook URL as stored: within the length limit and allowed by the outbound policy.
    pub(super) fn url(&self, raw: &str) -> Result<String, SavedSearchError> {
        let url = webhook::url(raw)?;
        match self.outbound.url(&url) {
            Ok(_) => Ok(url),
            Err(Refusal::Malformed) => Err(FieldError::new("webhook_url", "must be a URL").into()),
            Err(refusal) => Err(SavedSearchError::DestinationNotAllowed(refusal)),
        }
    }
}

/// Sends `body` signed with `secret` and times it.
pub(crate) async fn send_signed(
    sender: &dyn WebhookSender,
    clock: &dyn Clock,
    url: &str,
    secret: &str,
    body: &[u8],
) -> (bool, Attempt) {
    let at = clock.now();
    let signature = webhook::signature(secret, at, body);
    let started = std::time::Instant::now();
    let result = sender.post(url, body, &signature).await;
    let latency_ms = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
    match result {
        Ok(code) if (200..300).contains(&code) => {
            (true, Attempt { at, status_code: Some(code), latency_ms, error: None })
        }
        Ok(code) => (
            false,
            Attempt { at, status_code: Some(code), latency_ms, error: Some(format!("the receiver answered {code}")) },
        ),
        Err(e) => (false, Attempt { at, status_code: None, latency_ms, error: Some(e.0) }),
    }
}

impl SavedSearches {
    /// The search's webhook deliveries, newest first, with their attempts.
    pub async fn deliveries(
        &self,
        account: AccountId,
        id: i64,
        before: Option<i64>,
        limit: Option<u64>,
    ) -> Result<DeliveryPage, SavedSearchError> {
        let limit = page_bounds(before, limit, "a delivery id")?;
        self.get(account, id).await?;
        let items = self.webhooks.deliveries.list(account, id, before, limit).await?;
        let next_before = next_before(&items, limit, |d| d.id);
        Ok(DeliveryPage { items, next_before })
    }

    /// Queues the delivery again, due now, whatever its state (a delivered event is sent again).
    pub async fn retry(&self, account: AccountId, id: i64, delivery: i64) -> Result<Delivery, SavedSearchError> {
        self.get(account, id).await?;
        self.webhooks
            .deliveries
            .retry(account, id, delivery, self.clock.now())
            .await?
            .ok_or(SavedSearchError::DeliveryNotFound(id, delivery))
    }

    /// Sends a `test` event to the search's webhook now (even a disabled one, to check a fix)
    /// and answers how the receiver took it; nothing is queued.
    pub async fn test(&self, account: AccountId, id: i64) -> Result<TestDelivery, SavedSearchError> {
        let search = self.get(account, id).await?;
        let hook = search.webhook.ok_or(SavedSearchError::NoWebhook(id))?;
        let secret = webhook::secret(&self.webhooks.hasher, &hook.nonce);
        let body = self.webhooks.encoder.test(id, self.clock.now());
        let (delivered, attempt) =
            send_signed(self.webhooks.sender.as_ref(), self.clock.as_ref(), &hook.url, &secret, &body).await;
        Ok(TestDelivery { delivered, attempt })
    }
}
