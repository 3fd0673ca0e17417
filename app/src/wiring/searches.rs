//! Saved searches: their store, the webhook deliveries (through the outbound policy), the daily
//! digests and the matching cycle.

use jobin_adapters::db::{SqlDeliveryStore, SqlMatchStore, SqlSavedSearchStore};
use jobin_adapters::webhook_sender::{self, HttpWebhookSender};
use jobin_core::domain::SecretHasher;
use jobin_core::ports::{DeliveryStore, EventEncoder, MatchStore, SavedSearchStore, WebhookSender};

use jobin_core::usecases::*;
use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::stores::Connections;

use super::Common;

/// How long one matching run may hold its lock before another node may take over.
const MATCH_LOCK_TTL: Duration = Duration::from_secs(300);

/// Saved searches, and the background work they need.
pub(super) struct Built {
    pub searches: SavedSearches,
    pub matching: Arc<MatchCycle>,
    pub deliver: Arc<DeliverWebhooks>,
    pub digests: Arc<SendDigests>,
}

/// Saved searches, and the background work they need: matching, deliveries, digests.
pub(super) fn build(
    config: &Config,
    c: &Common,
    hasher: &SecretHasher,
    conn: &Connections,
    lookup: Arc<dyn webhook_sender::NameLookup>,
) -> anyhow::Result<Built> {
    let saved: Arc<dyn SavedSearchStore> = Arc::new(SqlSavedSearchStore::new(conn.db.clone()));
    let matches: Arc<dyn MatchStore> = Arc::new(SqlMatchStore::new(conn.db.clone()));
    let deliveries: Arc<dyn DeliveryStore> = Arc::new(SqlDeliveryStore::new(conn.db.clone()));
    let outbound = config.outbound_policy();
    if outbound.allow_private {
        tracing::warn!(
            "webhooks may point at loopback and private addresses and use http:// (JOBIN_WEBHOOK_ALLOW_PRIVATE, \
             or demo mode): for development only"
        );
    }
    let sender: Arc<dyn WebhookSender> =
        Arc::new(HttpWebhookSender::with_lookup(config.webhook_timeout, outbound, lookup)?);
    let encoder: Arc<dyn EventEncoder> = Arc::new(crate::http::searches::WireEvents);
    let searches = SavedSearches {
        store: saved.clone(),
        matches: matches.clone(),
        jobs: c.jobs.clone(),
        catalog: c.catalog.clone(),
        clock: c.clock.clone(),
        webhooks: Webhooks {
            deliveries: deliveries.clone(),
            sender: sender.clone(),
            encoder: encoder.clone(),
            hasher: hasher.clone(),
            entropy: c.entropy.clone(),
            outbound,
        },
    };
    let deliver = Arc::new(DeliverWebhooks {
        deliveries,
        jobs: c.jobs.clone(),
        sender,
        encoder,
        hasher: hasher.clone(),
        accounts: c.keys.clone(),
        notifier: c.notifier.clone(),
        clock: c.clock.clone(),
        in_flight: Arc::default(),
    });
    let digests = Arc::new(SendDigests {
        searches: saved.clone(),
        matches: matches.clone(),
        jobs: c.jobs.clone(),
        accounts: c.keys.clone(),
        notifier: c.notifier.clone(),
        lock: c.lock.clone(),
        clock: c.clock.clone(),
    });
    let matching = Arc::new(MatchCycle {
        landed: MatchLanded { searches: saved, jobs: c.jobs.clone(), matches, clock: c.clock.clone() },
        lock: c.lock.clone(),
        lock_ttl: MATCH_LOCK_TTL,
    });
    Ok(Built { searches, matching, deliver, digests })
}
