//! The only place that names concrete adapters: builds the state from the configuration, the open
//! connections and what tests inject instead of real boards or models.

use anyhow::Context;
use jobin_adapters::SystemClock;
use jobin_adapters::crypto::{JwtSigner, OsEntropy};
use jobin_adapters::db::{SqlApplicationStore, SqlBillingStore, SqlJobStore, SqlKeyStore, SqlUsageLog};
use jobin_adapters::email::{LogOutbox, SmtpNotifier};
use jobin_adapters::memory::{MemoryCache, MemoryKeptAnswers, MemoryLock, MemoryMeter};
use jobin_adapters::metrics::MeteredCache;
use jobin_adapters::principal_cache::{CachedBillingStore, CachedKeyStore, PRINCIPAL_TTL, PrincipalCache};
use jobin_adapters::principal_news;
use jobin_adapters::redis::{RedisCache, RedisKeptAnswers, RedisLock, RedisMeter};
use jobin_adapters::webhook_sender::{self};
use jobin_core::domain::{PlanCatalog, Sealer, SecretHasher};
use jobin_core::ports::{
    BillingStore, Cache, Clock, Entropy, JobSource, JobStore, KeptAnswers, KeptLimits, KeyStore, LlmProvider, Lock,
    Notifier, Reachable, TokenSigner, UsageLog, UsageMeter,
};
use jobin_core::services::{LastUsedTracker, MonthlyCounts};

use jobin_core::usecases::*;
use secrecy::ExposeSecret;
use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::secrets::Secrets;
use crate::state::{Access, AppState, Background, Health, HttpSettings, Idempotency, Tracker, Urls, Usage};
use crate::stores::Connections;
use crate::usage_writer::UsageWriter;

mod accounts;
mod billing;
mod jobs;
mod searches;

/// Entries the in-process cache holds before evicting.
pub const MEMORY_CACHE_ENTRIES: usize = 10_000;
/// `Idempotency-Key` answers one account may hold at once (its oldest make room for more).
pub const KEPT_ANSWERS_PER_ACCOUNT: usize = 1_000;
/// Bytes one account's kept answers may take (sealed, with their bookkeeping).
pub const KEPT_BYTES_PER_ACCOUNT: usize = 2 * 1024 * 1024;

/// What a caller (the tests) puts in place of what the configuration names.
#[derive(Default)]
pub struct Overrides {
    /// The job boards searches ask, instead of the real or demo boards.
    pub boards: Option<Vec<Arc<dyn JobSource>>>,
    /// The LLM providers, instead of `local` plus the configured remote ones.
    pub llms: Option<Vec<Arc<dyn LlmProvider>>>,
    /// How webhook hosts are resolved, instead of the system's resolver (a stub: tests of names
    /// that resolve inside send no packet).
    pub webhook_lookup: Option<Arc<dyn webhook_sender::NameLookup>>,
}

/// What one node keeps in process, or every node shares in Redis.
struct Backing {
    lock: Arc<dyn Lock>,
    meter: Arc<dyn UsageMeter>,
    cache: Arc<dyn Cache>,
    kept: Arc<dyn KeptAnswers>,
}

fn backing(conn: &Connections, entropy: &Arc<dyn Entropy>, kept_limits: KeptLimits) -> Backing {
    match &conn.redis {
        Some(r) => Backing {
            lock: Arc::new(RedisLock::new(r.clone(), entropy.clone())),
            meter: Arc::new(RedisMeter::new(r.clone())),
            cache: Arc::new(RedisCache::new(r.clone())),
            kept: Arc::new(RedisKeptAnswers::new(r.clone(), kept_limits)),
        },
        None => Backing {
            lock: Arc::new(MemoryLock::new(entropy.clone())),
            meter: Arc::new(MemoryMeter::default()),
            cache: Arc::new(MemoryCache::new(MEMORY_CACHE_ENTRIES)),
            kept: Arc::new(MemoryKeptAnswers::new(kept_limits)),
        },
    }
}

/// Ports shared by several areas.
struct Common {
    clock: Arc<dyn Clock>,
    entropy: Arc<dyn Entropy>,
    catalog: Arc<PlanCatalog>,
    lock: Arc<dyn Lock>,
    meter: Arc<dyn UsageMeter>,
    /// The meter's monthly counts, seeded from the ledger's durable ones.
    monthly: Arc<MonthlyCounts>,
    ledger: Arc<jobin_adapters::monthly_ledger::BatchedLedger>,
    cache: Arc<dyn Cache>,
    keys: Arc<dyn KeyStore>,
    jobs: Arc<dyn JobStore>,
    billing: Arc<dyn BillingStore>,
    /// Emails to account holders: SMTP when configured, else the log outbox.
    notifier: Arc<dyn Notifier>,
}

/// Builds the state; spawns the usage-log writer, so call it inside a Tokio runtime.
pub fn build(config: &Config, conn: Connections, mut overrides: Overrides) -> anyhow::Result<Arc<AppState>> {
    let entropy: Arc<dyn Entropy> = Arc::new(OsEntropy);
    let secrets = Secrets::resolve(config, entropy.as_ref())?;
    let kept_limits = KeptLimits {
        account_entries: KEPT_ANSWERS_PER_ACCOUNT,
        account_bytes: KEPT_BYTES_PER_ACCOUNT,
        total_bytes: usize::try_from(config.idempotency_max_mb.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX),
    };
    let Backing { lock, meter, cache, kept } = backing(&conn, &entropy, kept_limits);
    // Metrics are opt-in: without a scrape token no recorder is installed, so nothing is recorded
    // (the facade's calls are no-ops) and no series can grow.
    if config.metrics_token.is_some() {
        crate::metrics::install(&[crate::metrics::HISTOGRAMS, jobin_adapters::metrics::HISTOGRAMS]);
    }
    let cache: Arc<dyn Cache> = Arc::new(MeteredCache(cache));
    let usage_log: Arc<dyn UsageLog> = Arc::new(SqlUsageLog::new(conn.db.clone()));
    let ledger = jobin_adapters::monthly_ledger::BatchedLedger::spawn(usage_log.clone());
    let monthly = Arc::new(MonthlyCounts { meter: meter.clone(), ledger: ledger.clone() });
    // Authenticated requests read keys and plans from memory for a few seconds; this node's own
    // changes forget them at once (adapters::principal_cache).
    let principals = Arc::new(PrincipalCache::new(PRINCIPAL_TTL));
    if let Some(r) = conn.redis.clone() {
        // Several nodes: each hears of the others' key and plan changes at once (pub/sub); until
        // it is subscribed, or if a message is lost, the copies' life is the bound.
        let principals = principals.clone();
        tokio::spawn(async move {
            if let Err(e) = principal_news::connect(&r, principals).await {
                tracing::warn!(error = %format!("{e:#}"), "key and plan changes from other nodes show within the cache's life only");
            }
        });
    }
    let c = Common {
        clock: Arc::new(SystemClock),
        entropy,
        catalog: Arc::new(config.catalog.clone()),
        lock,
        meter,
        monthly,
        ledger,
        cache,
        keys: Arc::new(CachedKeyStore::new(Arc::new(SqlKeyStore::new(conn.db.clone())), principals.clone())),
        jobs: Arc::new(SqlJobStore::new(conn.db.clone())),
        billing: Arc::new(CachedBillingStore::new(Arc::new(SqlBillingStore::new(conn.db.clone())), principals)),
        notifier: match (&config.email.smtp_url, &config.email.from) {
            (Some(url), Some(from)) => Arc::new(SmtpNotifier::new(url, from).context("JOBIN_SMTP_URL")?),
            _ => Arc::new(LogOutbox::new(config.data_dir.join("outbox.jsonl"))),
        },
    };
    let public = format!("{}/", config.public_url.trim_end_matches('/'));
    // The portal is opened through an API call (POST /v1/billing/portal answers its address), so
    // links for people point at that operation's documentation, a page a browser can open.
    let urls = Urls {
        portal: format!("{public}docs#/Billing/create_portal_session"),
        upgrade: format!("{public}v1/pricing"),
        public,
    };
    let hasher = SecretHasher::new(secrets.key_pepper.expose_secret().as_bytes().to_vec());
    let last_used = Arc::new(LastUsedTracker::default());
    let signer: Arc<dyn TokenSigner> = Arc::new(JwtSigner::new(secrets.jwt_secret.expose_secret().as_bytes()));
    let lookup = overrides.webhook_lookup.take().unwrap_or_else(|| Arc::new(webhook_sender::SystemLookup));
    let (jobs, jobs::JobTasks { ingest, crawl, liveness }) = jobs::build(config, &c, &secrets, overrides)?;
    let applications: Arc<dyn jobin_core::ports::ApplicationStore> =
        Arc::new(SqlApplicationStore::new(conn.db.clone()));
    let tracker = Tracker {
        applications: Applications { store: applications.clone(), jobs: c.jobs.clone(), clock: c.clock.clone() },
        analytics: TrackerAnalytics { store: applications.clone(), clock: c.clock.clone() },
        score: ScoreApplication {
            applications,
            jobs: c.jobs.clone(),
            ai: jobs.ai.clone(),
            budget: Duration::from_millis(config.ai.budget_ms),
        },
    };
    let searches::Built { searches, matching, deliver, digests } = searches::build(config, &c, &hasher, &conn, lookup)?;
    Ok(Arc::new(AppState {
        accounts: accounts::build(&c, &hasher, signer.clone(), last_used.clone(), config)?,
        access: Access {
            authenticate: Authenticate {
                store: c.keys.clone(),
                hasher,
                signer,
                clock: c.clock.clone(),
                last_used: last_used.clone(),
            },
            throttle: Throttle { meter: c.meter.clone(), clock: c.clock.clone(), limits: c.catalog.public_limits() },
            admit: Admit { catalog: c.catalog.clone(), monthly: c.monthly.clone(), clock: c.clock.clone() },
            last_used,
        },
        jobs,
        tracker,
        searches,
        billing: billing::build(config, &c, &secrets, &urls)?,
        usage: Usage { writer: UsageWriter::spawn(usage_log.clone()), log: usage_log, ledger: c.ledger.clone() },
        background: Background {
            ingest,
            crawl,
            liveness,
            import: jobs::import_task(config, c.jobs.clone()),
            matching,
            match_every: config.ingest.match_every,
            deliveries: deliver,
            deliver_every: config.ingest.deliver_every,
            digests,
            digest_every: config.ingest.digest_every,
        },
        health: Health { shared: conn.redis.map(|r| Arc::new(r) as Arc<dyn Reachable>) },
        idempotency: Idempotency {
            answers: kept,
            lock: c.lock.clone(),
            sealer: Sealer::new(secrets.key_pepper.expose_secret().as_bytes(), "idempotent answers"),
            entropy: c.entropy.clone(),
        },
        urls,
        http: HttpSettings {
            trusted_proxies: config.trusted_proxies.clone(),
            forwarded_header: config.forwarded_header,
            max_body_bytes: config.max_body_bytes,
            connections: config.connections,
            sunset: config.unversioned_sunset.format("%a, %d %b %Y 00:00:00 GMT").to_string(),
            metrics_token: config.metrics_token.clone(),
        },
        catalog: c.catalog,
        clock: c.clock,
    }))
}

/// The key store of `db`, for one-off commands (`jobin accounts set-plan`).
pub fn set_plan(db: sea_orm::DatabaseConnection) -> SetPlan {
    SetPlan { store: Arc::new(SqlKeyStore::new(db)), clock: Arc::new(SystemClock) }
}
