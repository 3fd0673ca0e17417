//! The only place that names concrete adapters: builds the state from the configuration, the open
//! connections and what tests inject instead of real boards or models.

use anyhow::Context;
use jobin_adapters::crypto::{Argon2Hasher, JwtSigner, OsEntropy};
use jobin_adapters::db::{
    SqlApplicationStore, SqlBillingStore, SqlDeliveryStore, SqlJobStore, SqlKeyStore, SqlMatchStore,
    SqlSavedSearchStore, SqlUsageLog,
};
use jobin_adapters::email::{LogOutbox, SmtpNotifier};
use jobin_adapters::memory::{MemoryCache, MemoryKeptAnswers, MemoryLock, MemoryMeter};
use jobin_adapters::metrics::{MeteredCache, MeteredLlm, MeteredSource};
use jobin_adapters::payment::{LocalPayments, NoPayments, StripeEvents, StripeGateway};
use jobin_adapters::principal_cache::{CachedBillingStore, CachedKeyStore, PRINCIPAL_TTL, PrincipalCache};
use jobin_adapters::principal_news;
use jobin_adapters::redis::{RedisCache, RedisKeptAnswers, RedisLock, RedisMeter};
use jobin_adapters::sources::{self, Adzuna, Arbeitnow, BoardContext, Findwork, Reed, Remotive, TheMuse};
use jobin_adapters::webhook_sender::{self, HttpWebhookSender};
use jobin_adapters::{SystemClock, TokioTimer, fakes, llm};
use jobin_core::domain::billing::NoticeLinks;
use jobin_core::domain::{CursorCodec, Plan, PlanCatalog, Sealer, SecretHasher, SourceId};
use jobin_core::ports::{
    BillingStore, Cache, Clock, DeliveryStore, Entropy, EventEncoder, JobSource, JobStore, KeptAnswers, KeptLimits,
    KeyStore, LlmProvider, Lock, MatchStore, Notifier, PasswordHasher, PaymentGateway, PaymentStandIn, Reachable,
    SavedSearchStore, TokenSigner, UsageLog, UsageMeter, WebhookSender,
};
use jobin_core::services::{AiGateway, Enhancer, LastUsedTracker, MonthlyCounts, SourceBudget};
use jobin_core::usecases::*;
use secrecy::ExposeSecret;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{AiSettings, BillingMode, BoardsConfig, Config, LlmSettings};
use crate::secrets::Secrets;
use crate::state::{
    Access, Accounts, AppState, Background, Billing, Health, HttpSettings, Idempotency, ImportTask, Jobs,
    ScheduledIngest, Tracker, Urls, Usage,
};
use crate::stores::Connections;
use crate::usage_writer::UsageWriter;

/// How long one matching run may hold its lock before another node may take over.
const MATCH_LOCK_TTL: Duration = Duration::from_secs(300);

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
        crate::metrics::install();
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
    let (jobs, ingest) = jobs(config, &c, &secrets, overrides)?;
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
    Ok(Arc::new(AppState {
        accounts: accounts(&c, &hasher, signer.clone(), last_used.clone(), config)?,
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
        billing: billing(config, &c, &secrets, &urls)?,
        usage: Usage { writer: UsageWriter::spawn(usage_log.clone()), log: usage_log, ledger: c.ledger.clone() },
        background: Background {
            ingest,
            import: import_task(config, c.jobs.clone()),
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

fn accounts(
    c: &Common,
    hasher: &SecretHasher,
    signer: Arc<dyn TokenSigner>,
    last_used: Arc<LastUsedTracker>,
    config: &Config,
) -> anyhow::Result<Accounts> {
    // Concurrent argon2 hashes (19 MiB each).
    let passwords: Arc<dyn PasswordHasher> = Arc::new(Argon2Hasher::new(config.password_hash_concurrency)?);
    let max_login_age = chrono::Duration::from_std(config.session_max_age)?;
    let issuer = KeyIssuer { hasher: hasher.clone(), entropy: c.entropy.clone() };
    let sessions = SessionIssuer {
        store: c.keys.clone(),
        signer,
        hasher: hasher.clone(),
        entropy: c.entropy.clone(),
        clock: c.clock.clone(),
        max_login_age,
    };
    let failures = FailureAllowance { meter: c.meter.clone() };
    let store = c.keys.clone();
    let clock = c.clock.clone();
    Ok(Accounts {
        register: Register {
            store: store.clone(),
            passwords: passwords.clone(),
            issuer: issuer.clone(),
            clock: clock.clone(),
        },
        login: Login {
            store: store.clone(),
            passwords: passwords.clone(),
            sessions: sessions.clone(),
            failures: failures.clone(),
        },
        change_password: ChangePassword { store: store.clone(), passwords, failures, clock: clock.clone() },
        refresh: Refresh { store: store.clone(), sessions },
        logout: Logout { store: store.clone(), clock: clock.clone() },
        me: Me {
            catalog: c.catalog.clone(),
            store: store.clone(),
            monthly: c.monthly.clone(),
            last_used,
            clock: clock.clone(),
            billing: c.billing.clone(),
        },
        create_key: CreateKey { store: store.clone(), issuer: issuer.clone(), clock: clock.clone() },
        rotate: RotateKeys { store: store.clone(), lock: c.lock.clone(), issuer, clock: clock.clone() },
        revoke: RevokeKey { store: store.clone(), clock: clock.clone() },
        set_plan: SetPlan { store: store.clone(), clock },
        store,
    })
}

/// Search, analytics, AI and the feed over the job store; the ingestion cycle when scheduled.
fn jobs(
    config: &Config,
    c: &Common,
    secrets: &Secrets,
    overrides: Overrides,
) -> anyhow::Result<(Jobs, Option<ScheduledIngest>)> {
    let search_config = SearchConfig {
        source_timeout: Duration::from_millis(config.search.source_timeout_ms),
        per_source_limit: config.search.per_source_limit,
        cache_ttl: Duration::from_secs(config.search.cache_secs),
    };
    let fake_boards = overrides.boards.is_some() || config.demo.is_some();
    let mut boards = match (overrides.boards, &config.demo) {
        (Some(boards), _) => boards,
        (None, Some(demo)) => fakes::demo_boards(demo.seed, Duration::from_millis(demo.latency_ms), &demo.failing)
            .into_iter()
            .map(|b| b as Arc<dyn JobSource>)
            .collect(),
        (None, None) => real_boards(&config.boards, &search_config, c.meter.clone(), c.clock.clone())?,
    };
    // The boards a search here can reach: every stand-in, else the keyless ones and those with keys.
    let reachable: Vec<SourceId> = if fake_boards {
        boards.iter().map(|b| b.id()).collect()
    } else {
        SourceId::ALL.into_iter().filter(|s| config.boards.reachable(*s)).collect()
    };
    if !fake_boards {
        // Said once here; searches then report these boards `unconfigured` without a log line each.
        let missing: Vec<String> = SourceId::ALL
            .into_iter()
            .filter(|s| *s != SourceId::Import && !reachable.contains(s))
            .map(|s| format!("{s} ({})", crate::config::BoardsConfig::settings(s)))
            .collect();
        if !missing.is_empty() {
            tracing::warn!(
                "job boards without credentials, reported `unconfigured` by every search until they are set: {}",
                missing.join(", ")
            );
        }
    }
    if config.import.is_some() {
        // Imported postings live in the job store (loaded in the background at start-up).
        boards.push(Arc::new(sources::StoredImport::new(c.jobs.clone())));
    }
    let ai_budget = Duration::from_millis(config.ai.budget_ms);
    let llms = match overrides.llms {
        Some(llms) => llms,
        None => real_llms(&config.ai, ai_budget)?,
    };
    let boards: Vec<Arc<dyn JobSource>> =
        boards.into_iter().map(|b| Arc::new(MeteredSource(b)) as Arc<dyn JobSource>).collect();
    let llms: Vec<Arc<dyn LlmProvider>> =
        llms.into_iter().map(|l| Arc::new(MeteredLlm(l)) as Arc<dyn LlmProvider>).collect();
    let search = Search::new(
        SearchPorts {
            sources: boards,
            catalog: c.catalog.clone(),
            cache: c.cache.clone(),
            store: c.jobs.clone(),
            clock: c.clock.clone(),
            timer: Arc::new(TokioTimer),
        },
        search_config,
    );
    let ai = AiGateway::new(
        Arc::new(config.models.clone()),
        c.catalog.clone(),
        llms,
        config.ai.default_provider,
        Arc::new(TokioTimer),
    );
    tracing::info!(default_provider = %ai.default_provider(), "AI providers ready");
    let enhancer = Enhancer { ai: ai.clone(), cache: c.cache.clone(), budget: ai_budget };
    let corpus =
        Corpus { search: search.clone(), store: c.jobs.clone(), cache: c.cache.clone(), clock: c.clock.clone() };
    // Feed cursors are signed with a key derived from the pepper: stable across restarts and nodes.
    let cursors =
        CursorCodec::new(&[secrets.key_pepper.expose_secret().as_bytes(), b"|jobin feed cursors v1"].concat());
    let ingest = config.ingest.every.map(|every| {
        let ingest = Ingest {
            search: search.clone(),
            store: c.jobs.clone(),
            lock: c.lock.clone(),
            clock: c.clock.clone(),
            watch: config.ingest.watch.clone(),
            expire_after: config.ingest.expire_after,
            lock_ttl: every.max(Duration::from_secs(60)),
        };
        (Arc::new(ingest), every)
    });
    match &ingest {
        Some((i, every)) => tracing::info!(
            every_secs = every.as_secs(),
            watch_queries = i.watch.len(),
            expire_after_secs = i.expire_after.as_secs(),
            "ingestion scheduled (one node per cycle)"
        ),
        None => tracing::info!("ingestion off: jobs are stored by searches only"),
    }
    let jobs = Jobs {
        search: SearchJobs { search, ai: ai.clone(), enhancer },
        salary: SalaryPercentiles { corpus: corpus.clone() },
        trends: Trends { corpus: corpus.clone(), ai: ai.clone() },
        insight: Insight { corpus, ai: ai.clone(), budget: ai_budget },
        ai,
        feed: Feed { store: c.jobs.clone(), cursors: cursors.clone() },
        expired: Expired { store: c.jobs.clone(), cursors, clock: c.clock.clone() },
        get: GetJob { store: c.jobs.clone() },
        store: c.jobs.clone(),
        copies: Default::default(),
        reachable,
    };
    Ok((jobs, ingest))
}

/// Checkout, portal and webhook through Stripe when it has a key, else through the local stand-in;
/// billing emails over SMTP when configured, else to the log outbox.
fn billing(config: &Config, c: &Common, secrets: &Secrets, urls: &Urls) -> anyhow::Result<Billing> {
    let prices = config.stripe.prices();
    let events = Arc::new(StripeEvents::new(secrets.stripe_webhook_secret.clone()));
    let mode = match (config.stripe.mode, &config.stripe.secret_key) {
        (BillingMode::Auto, Some(_)) => BillingMode::Stripe,
        (BillingMode::Auto, None) if config.demo.is_some() => BillingMode::Local,
        (BillingMode::Auto, None) => BillingMode::Off,
        (mode, _) => mode,
    };
    let (gateway, stand_in, price_plans): (Arc<dyn PaymentGateway>, Option<Arc<dyn PaymentStandIn>>, _) = match (
        mode,
        &config.stripe.secret_key,
    ) {
        (BillingMode::Stripe, Some(key)) => {
            for plan in [Plan::Starter, Plan::Pro, Plan::Scale] {
                if !prices.contains_key(&plan) {
                    tracing::warn!(%plan, "no JOBIN_STRIPE_PRICE_{} set: checkout for this plan answers 503", plan.as_str().to_uppercase());
                }
            }
            let stripe = StripeGateway::new(key, &config.stripe.base_url, prices.clone())?;
            tracing::info!(api = %config.stripe.base_url, "billing through Stripe");
            (Arc::new(stripe), None, prices.iter().map(|(plan, id)| (id.clone(), *plan)).collect())
        }
        (BillingMode::Local, _) => {
            let local = Arc::new(LocalPayments::new(&config.public_url, &prices, events.clone()));
            tracing::warn!(
                "billing through the local checkout and portal pages (demo or JOBIN_BILLING=local): no money moves and \
                 anyone can buy any plan for free; never on a server with real accounts"
            );
            // Price id → plan for the webhook: the configured prices, plus the stand-in's own.
            let price_plans = local.price_plans();
            (local.clone(), Some(local), price_plans)
        }
        _ => {
            tracing::warn!(
                "billing is off: no JOBIN_STRIPE_SECRET_KEY (and no JOBIN_BILLING=local or --demo); checkout and \
                 portal answer 503 billing_unconfigured"
            );
            (Arc::new(NoPayments), None, std::collections::HashMap::new())
        }
    };
    Ok(Billing {
        webhook: BillingWebhook {
            store: c.billing.clone(),
            notifier: c.notifier.clone(),
            clock: c.clock.clone(),
            events,
            prices: price_plans,
            links: NoticeLinks {
                manage: format!(
                    "POST /v1/billing/portal with your API key answers the customer portal's address (how: {})",
                    urls.portal
                ),
                pricing: urls.upgrade.clone(),
                limits: "GET /v1/auth/me".into(),
                checkout: "POST /v1/billing/checkout".into(),
            },
        },
        checkout: Checkout { gateway: gateway.clone(), billing: c.billing.clone() },
        portal: Portal { gateway, billing: c.billing.clone() },
        stand_in,
        store: c.billing.clone(),
    })
}

/// Loading the operator's file into the job store (`JOBIN_IMPORT_FILE`), when set.
fn import_task(config: &Config, store: Arc<dyn JobStore>) -> Option<ImportTask> {
    let import = config.import.clone()?;
    Some(Arc::new(move || {
        let (store, import) = (store.clone(), import.clone());
        Box::pin(
            async move { sources::file::import_file(store.as_ref(), import.file, import.currency).await.map(|_| ()) },
        )
    }))
}

/// `local` plus the remote providers that have keys, sharing one HTTP client.
fn real_llms(cfg: &AiSettings, budget: Duration) -> anyhow::Result<Vec<Arc<dyn LlmProvider>>> {
    let client = llm::llm_client(budget).context("building the LLM providers' HTTP client")?;
    let ep = |s: &LlmSettings| s.api_key.clone().map(|k| llm::LlmEndpoint::new(&s.base_url, k, client.clone()));
    let mut out: Vec<Arc<dyn LlmProvider>> = vec![Arc::new(llm::LocalRules)];
    if let Some(e) = ep(&cfg.qwen) {
        out.push(Arc::new(llm::OpenAiCompat::new(e, llm::Flavour::Qwen)));
    }
    if let Some(e) = ep(&cfg.openai) {
        out.push(Arc::new(llm::OpenAiCompat::new(e, llm::Flavour::OpenAi)));
    }
    if let Some(e) = ep(&cfg.deepseek) {
        out.push(Arc::new(llm::OpenAiCompat::new(e, llm::Flavour::DeepSeek)));
    }
    if let Some(e) = ep(&cfg.anthropic) {
        out.push(Arc::new(llm::Anthropic::new(e)));
    }
    if let Some(e) = ep(&cfg.gemini) {
        out.push(Arc::new(llm::Gemini::new(e)));
    }
    Ok(out)
}

/// The six real board adapters, sharing one HTTP client and the request budget.
fn real_boards(
    cfg: &BoardsConfig,
    search: &SearchConfig,
    meter: Arc<dyn UsageMeter>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Vec<Arc<dyn JobSource>>> {
    let client = sources::board_client(search.source_timeout).context("building the job boards' HTTP client")?;
    let budget = Arc::new(SourceBudget::new(meter, clock, Default::default()));
    let ctx = |base: &str| BoardContext::new(base, client.clone(), budget.clone());
    Ok(vec![
        Arc::new(Adzuna::new(ctx(&cfg.adzuna_base_url), cfg.adzuna_credentials.clone())),
        Arc::new(Remotive::new(ctx(&cfg.remotive_base_url), sources::remotive::DEFAULT_TTL)),
        Arc::new(Findwork::new(ctx(&cfg.findwork_base_url), cfg.findwork_api_key.clone())),
        Arc::new(Reed::new(ctx(&cfg.reed_base_url), cfg.reed_api_key.clone())),
        Arc::new(Arbeitnow::new(ctx(&cfg.arbeitnow_base_url), sources::arbeitnow::DEFAULT_TTL)),
        Arc::new(TheMuse::new(ctx(&cfg.themuse_base_url), cfg.themuse_api_key.clone(), sources::themuse::DEFAULT_TTL)),
    ])
}

/// The key store of `db`, for one-off commands (`jobin accounts set-plan`).
pub fn set_plan(db: sea_orm::DatabaseConnection) -> SetPlan {
    SetPlan { store: Arc::new(SqlKeyStore::new(db)), clock: Arc::new(SystemClock) }
}
