//! News of key and plan changes between nodes, over Redis pub/sub: a node that revokes or rotates
//! a key, creates one or changes a plan publishes the account on one channel; every node
//! subscribed forgets its copies of that account when the message arrives (milliseconds), instead
//! of serving them until their life ends. Pub/sub delivers at most once: a message published
//! while a node is disconnected is lost, so a node forgets all its copies when its subscription
//! is restored, and the copies' life stays the bound either way.

use crate::principal_cache::{Announcer, PrincipalCache};
use crate::redis::Redis;
use anyhow::Context;
use fred::interfaces::{EventInterface, PubsubInterface};
use jobin_core::domain::AccountId;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

/// The channel (under the Redis prefix).
const CHANNEL: &str = "principals:changed";

/// Publishes this node's changes; a message is `<node id> <account id>`.
pub struct RedisAnnouncer {
    redis: Redis,
    node: String,
}

impl Announcer for RedisAnnouncer {
    fn changed(&self, account: AccountId) {
        let (redis, message) = (self.redis.clone(), format!("{} {}", self.node, account.0));
        tokio::spawn(async move {
            if let Err(e) = redis.publish(CHANNEL, message).await {
                tracing::warn!(error = %e, "key or plan change not announced; other nodes see it when their copies expire");
            }
        });
    }
}

/// Subscribes `cache` to the other nodes' changes and has it announce this node's to them (its
/// own messages are skipped when they come back).
pub async fn connect(redis: &Redis, cache: Arc<PrincipalCache>) -> anyhow::Result<()> {
    let node = uuid::Uuid::new_v4().simple().to_string();
    let subscriber = redis.subscriber().await?;
    let mut messages = subscriber.message_rx();
    let mut reconnections = subscriber.reconnect_rx();
    subscriber.subscribe(redis.channel(CHANNEL)).await.context("subscribing to key and plan changes")?;
    let own = format!("{node} ");
    let heard = cache.clone();
    tokio::spawn(async move {
        loop {
            let m = match messages.recv().await {
                Ok(m) => m,
                // Messages were dropped for want of room: which accounts is unknown.
                Err(RecvError::Lagged(_)) => {
                    heard.forget_all();
                    continue;
                }
                Err(RecvError::Closed) => break,
            };
            let Some(text) = m.value.as_str() else { continue };
            if text.starts_with(&own) {
                continue;
            }
            match text.split_once(' ').and_then(|(_, id)| id.parse::<i64>().ok()) {
                Some(id) => heard.forget_announced(AccountId(id)),
                None => tracing::warn!(channel = %m.channel, "an unreadable key or plan change message"),
            }
        }
    });
    let announced = cache.clone();
    // The task holds the subscriber, so the subscription lives as long as the process.
    tokio::spawn(async move {
        while reconnections.recv().await.is_ok() {
            // Whatever was published while this node was away is lost: start from the store.
            announced.forget_all();
            if let Err(e) = subscriber.resubscribe_all().await {
                tracing::warn!(error = %e, "key and plan changes: subscribing again failed");
            }
        }
    });
    cache.announce_with(Arc::new(RedisAnnouncer { redis: redis.clone(), node }));
    Ok(())
}
