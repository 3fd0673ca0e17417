//! The only place that names concrete adapters: builds the use cases the HTTP layer calls.

use anyhow::Context;
use ipnet::IpNet;
use jobin_adapters::crypto::{Argon2Hasher, JwtSigner, OsEntropy};
use jobin_adapters::db::{self, SqlBillingStore, SqlJobStore, SqlKeyStore, SqlUsageLog};
use jobin_adapters::email::{LogOutbox, SmtpNotifier};
use jobin_adapters::fakes;
use jobin_adapters::llm;
use jobin_adapters::memory::{MemoryCache, MemoryLock, MemoryMeter};
use jobin_adapters::payment::{LocalPayments, StripeGateway};
use jobin_adapters::redis::{Redis, RedisCache, RedisLock, RedisMeter};
use jobin_adapters::sources::{self, Adzuna, Arbeitnow, BoardContext, Findwork, Reed, Remotive, TheMuse};
use jobin_adapters::{SystemClock, TokioTimer};
use jobin_core::domain::{AiProvider, CursorCodec, ModelCatalog, Plan, PlanCatalog, SecretHasher};
use jobin_core::ports::{
    BillingStore, Cache, Clock, Entropy, JobSource, JobStore, KeyStore, LlmProvider, Lock, Notifier, PasswordHasher,
    PaymentGateway, TokenSigner, UsageLog, UsageMeter,
};
use jobin_core::usecases::*;
use sea_orm::DatabaseConnection;
use secrecy::{ExposeSecret, SecretString};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{AiSettings, BoardsConfig, Config, DemoSettings, LlmSettings, MIN_SECRET_BYTES};
use crate::usage_writer::UsageWriter;

/// Entries the in-process cache holds before evicting.
pub const MEMORY_CACHE_ENTRIES: usize = 10_000;

/// Everything a request handler may use.
pub struct AppState {
    pub register: Register,
    pub login: Login,
    pub refresh: Refresh,
    pub me: Me,
    pub create_key: CreateKey,
    pub rotate: RotateKeys,
    pub revoke: RevokeKey,
    pub set_plan: SetPlan,
    pub authenticate: Authenticate,
    pub throttle: Throttle,
    pub admit: Admit,
    pub search: Search,
    pub salary: SalaryStatsCase,
    pub trends: Trends,
    pub insight: Insight,
    pub enhancer: Enhancer,
    pub ai: AiGateway,
    pub billing_webhook: BillingWebhook,
    pub checkout: Checkout,
    pub portal: Portal,
    pub feed: Feed,
    pub expired: Expired,
    /// Every job seen (the feed's store).
    pub jobs: Arc<dyn JobStore>,
    /// The ingestion cycle and its period, when scheduled.
    pub ingest: Option<(Arc<Ingest>, Duration)>,
    /// `JOBIN_IMPORT_FILE` and its default currency: loaded into `jobs` at start-up.
    pub import: Option<(std::path::PathBuf, Option<String>)>,
    /// The offline stand-in for Stripe (checkout and portal pages) when no Stripe key is set.
    pub local_payments: Option<Arc<LocalPayments>>,
    /// `{JOBIN_PUBLIC_URL}/`: where the portal returns by default.
    pub public_url: String,
    /// `{JOBIN_PUBLIC_URL}/billing/portal`.
    pub portal_url: String,
    pub billing: Arc<dyn BillingStore>,
    pub catalog: Arc<PlanCatalog>,
    /// Where 403 and quota 429 answers send clients (`{JOBIN_PUBLIC_URL}/pricing`).
    pub upgrade_url: String,
    pub redis: Option<Redis>,
    /// Batched writer of the usage log.
    pub usage: UsageWriter,
    pub usage_log: Arc<dyn UsageLog>,
    /// Result cache (search, step 3): in-process, or Redis with `JOBIN_REDIS_URL`.
    pub cache: Arc<dyn Cache>,
    pub store: Arc<dyn KeyStore>,
    pub last_used: Arc<LastUsedTracker>,
    pub clock: Arc<dyn Clock>,
    pub trusted_proxies: Vec<IpNet>,
    pub max_body_bytes: usize,
}

/// The server-side secrets: from the environment, or generated once and kept in the data dir.
pub struct Secrets {
    pub jwt_secret: SecretString,
    pub key_pepper: SecretString,
    /// The Stripe webhook endpoint secret.
    pub stripe_webhook_secret: SecretString,
}

impl Secrets {
    pub fn resolve(config: &Config) -> anyhow::Result<Self> {
        Ok(Self {
            jwt_secret: match &config.jwt_secret {
                Some(s) => s.clone(),
                None => load_or_create(&config.data_dir, "jwt_secret")?,
            },
            key_pepper: match &config.key_pepper {
                Some(s) => s.clone(),
                None => load_or_create(&config.data_dir, "key_pepper")?,
            },
            stripe_webhook_secret: match &config.stripe.webhook_secret {
                Some(s) => s.clone(),
                None => load_or_create(&config.data_dir, "stripe_webhook_secret")?,
            },
        })
    }
}

/// Reads `<data_dir>/secrets/<name>`, creating it (0600, 32 random bytes as hex) if missing.
fn load_or_create(data_dir: &Path, name: &str) -> anyhow::Result<SecretString> {
    let dir = data_dir.join("secrets");
    let path = dir.join(name);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let v = existing.trim().to_owned();
        anyhow::ensure!(v.len() >= MIN_SECRET_BYTES, "{} is shorter than {MIN_SECRET_BYTES} bytes", path.display());
        return Ok(SecretString::from(v));
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut bytes = [0u8; 32];
    OsEntropy.fill(&mut bytes);
    let value = hex::encode(bytes);
    write_private(&path, &value).with_context(|| format!("writing {}", path.display()))?;
    tracing::info!(path = %path.display(), "generated {name}; set JOBIN_{} in production", name.to_uppercase());
    Ok(SecretString::from(value))
}

#[cfg(unix)]
fn write_private(path: &Path, value: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(value.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, value: &str) -> std::io::Result<()> {
    std::fs::write(path, value)
}

/// Connects to the configured database and applies migrations.
pub async fn open_database(config: &Config) -> anyhow::Result<DatabaseConnection> {
    if config.uses_sqlite_in_data_dir() {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating data dir {}", config.data_dir.display()))?;
    }
    let url = config.database_url.expose_secret();
    let db = db::connect(url, config.db_max_connections).await?;
    db::migrate(&db, url).await?;
    Ok(db)
}

/// Options the wiring takes besides the database (tests set them directly).
pub struct Options {
    pub secrets: Secrets,
    pub trusted_proxies: Vec<IpNet>,
    pub max_body_bytes: usize,
    /// Concurrent argon2 hashes (19 MiB each).
    pub hash_concurrency: usize,
    pub catalog: PlanCatalog,
    /// The server's public base URL, for links in answers.
    pub public_url: String,
    /// Shared Redis for meter and lock (several nodes); `None`: in-process.
    pub redis: Option<Redis>,
    /// Which job boards searches ask.
    pub boards: BoardSet,
    /// The operator's dump (`JOBIN_IMPORT_FILE`) and its default currency.
    pub import: Option<(std::path::PathBuf, Option<String>)>,
    pub search: SearchConfig,
    pub models: ModelCatalog,
    /// Which LLM providers AI features use.
    pub llm: LlmSet,
    pub ai_default: Option<AiProvider>,
    /// The AI step's budget (the document's 15 s).
    pub ai_budget: Duration,
    /// Plan → Stripe price id (`JOBIN_STRIPE_PRICE_*`).
    pub prices: std::collections::HashMap<jobin_core::domain::Plan, String>,
    /// Stripe's API (`JOBIN_STRIPE_SECRET_KEY`, `JOBIN_STRIPE_BASE_URL`); `None`: the offline stand-in.
    pub stripe: Option<StripeApi>,
    /// Billing emails: SMTP (`JOBIN_SMTP_URL`, `JOBIN_EMAIL_FROM`), else the log outbox.
    pub smtp: Option<(SecretString, String)>,
    /// Where the log outbox writes emails.
    pub outbox: std::path::PathBuf,
    pub ingest: IngestSettings,
}

/// Scheduled ingestion (`JOBIN_INGEST_*`, `JOBIN_EXPIRE_AFTER`).
#[derive(Clone, Debug)]
pub struct IngestSettings {
    /// `None`: no scheduled cycles (jobs are still stored by searches).
    pub every: Option<Duration>,
    /// `(q, country)` watch queries.
    pub watch: Vec<(String, String)>,
    /// A job not seen for this long expires.
    pub expire_after: Duration,
}

impl Default for IngestSettings {
    fn default() -> Self {
        Self { every: None, watch: Vec::new(), expire_after: Duration::from_secs(7 * 86_400) }
    }
}

/// Where Stripe is and the key to call it with.
pub struct StripeApi {
    pub secret_key: SecretString,
    pub base_url: String,
}

/// The LLM providers a server uses.
pub enum LlmSet {
    /// `local` plus every remote provider that has a key.
    Real(AiSettings),
    /// Providers built by the caller (tests); nothing else is added.
    Custom(Vec<Arc<dyn LlmProvider>>),
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

/// The job boards a server asks.
pub enum BoardSet {
    /// The real boards over HTTP (keyless ones work without configuration).
    Real(BoardsConfig),
    /// The seeded fake boards (`serve --demo`).
    Demo(DemoSettings),
    /// Boards built by the caller (tests).
    Custom(Vec<Arc<dyn JobSource>>),
}

impl Options {
    pub fn from_config(config: &Config, secrets: Secrets) -> Self {
        Self {
            secrets,
            trusted_proxies: config.trusted_proxies.clone(),
            max_body_bytes: config.max_body_bytes,
            hash_concurrency: std::thread::available_parallelism().map(|n| n.get() * 2).unwrap_or(4),
            catalog: config.catalog.clone(),
            public_url: config.public_url.clone(),
            redis: None,
            boards: match &config.demo {
                Some(demo) => BoardSet::Demo(demo.clone()),
                None => BoardSet::Real(config.boards.clone()),
            },
            import: config.import_file.clone().map(|f| (f, config.import_currency.clone())),
            search: SearchConfig {
                source_timeout: Duration::from_millis(config.search.source_timeout_ms),
                per_source_limit: config.search.per_source_limit,
                cache_ttl: Duration::from_secs(config.search.cache_secs),
            },
            models: config.models.clone(),
            llm: LlmSet::Real(config.ai.clone()),
            ai_default: config.ai.default_provider,
            ai_budget: Duration::from_millis(config.ai.budget_ms),
            prices: config.stripe.prices(),
            stripe: config
                .stripe
                .secret_key
                .clone()
                .map(|secret_key| StripeApi { secret_key, base_url: config.stripe.base_url.clone() }),
            smtp: match (&config.email.smtp_url, &config.email.from) {
                (Some(url), Some(from)) => Some((url.clone(), from.clone())),
                _ => None,
            },
            outbox: config.data_dir.join("outbox.jsonl"),
            ingest: config.ingest.clone(),
        }
    }
}

/// Connects to `JOBIN_REDIS_URL` when set (start-up fails if Redis does not answer).
pub async fn open_redis(config: &Config) -> anyhow::Result<Option<Redis>> {
    match &config.redis_url {
        None => Ok(None),
        Some(url) => Ok(Some(Redis::connect(url.expose_secret(), &config.redis_prefix).await?)),
    }
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

/// Builds the state; spawns the usage-log writer, so call it inside a Tokio runtime.
pub fn build(db: DatabaseConnection, opts: Options) -> anyhow::Result<Arc<AppState>> {
    let usage_log: Arc<dyn UsageLog> = Arc::new(SqlUsageLog::new(db.clone()));
    let billing: Arc<dyn BillingStore> = Arc::new(SqlBillingStore::new(db.clone()));
    let public_url = format!("{}/", opts.public_url.trim_end_matches('/'));
    let portal_url = format!("{public_url}billing/portal");
    let pricing_url = format!("{public_url}pricing");
    let (gateway, local_payments): (Arc<dyn PaymentGateway>, Option<Arc<LocalPayments>>) = match &opts.stripe {
        Some(api) => {
            for plan in [Plan::Starter, Plan::Pro, Plan::Scale] {
                if !opts.prices.contains_key(&plan) {
                    tracing::warn!(%plan, "no JOBIN_STRIPE_PRICE_{} set: checkout for this plan answers 503", plan.as_str().to_uppercase());
                }
            }
            let stripe = StripeGateway::new(&api.secret_key, &api.base_url, opts.prices.clone())?;
            tracing::info!(api = %api.base_url, "billing through Stripe");
            (Arc::new(stripe), None)
        }
        None => {
            let local = Arc::new(LocalPayments::new(&opts.public_url, &opts.prices));
            tracing::info!(
                "no JOBIN_STRIPE_SECRET_KEY: billing through the local checkout and portal pages (no money moves)"
            );
            (local.clone(), Some(local))
        }
    };
    // Price id → plan for the webhook: the configured prices, plus the local stand-in's own.
    let price_plans = match &local_payments {
        Some(local) => local.price_plans(),
        None => opts.prices.iter().map(|(plan, id)| (id.clone(), *plan)).collect(),
    };
    let notifier: Arc<dyn Notifier> = match &opts.smtp {
        Some((url, from)) => Arc::new(SmtpNotifier::new(url, from).context("JOBIN_SMTP_URL")?),
        None => Arc::new(LogOutbox::new(opts.outbox)),
    };
    let jobs: Arc<dyn JobStore> = Arc::new(SqlJobStore::new(db.clone()));
    let store: Arc<dyn KeyStore> = Arc::new(SqlKeyStore::new(db));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let entropy: Arc<dyn Entropy> = Arc::new(OsEntropy);
    let passwords: Arc<dyn PasswordHasher> = Arc::new(Argon2Hasher::new(opts.hash_concurrency)?);
    let signer: Arc<dyn TokenSigner> = Arc::new(JwtSigner::new(opts.secrets.jwt_secret.expose_secret().as_bytes()));
    let (lock, meter, cache): (Arc<dyn Lock>, Arc<dyn UsageMeter>, Arc<dyn Cache>) = match &opts.redis {
        Some(r) => (
            Arc::new(RedisLock::new(r.clone(), entropy.clone())),
            Arc::new(RedisMeter::new(r.clone())),
            Arc::new(RedisCache::new(r.clone())),
        ),
        None => (
            Arc::new(MemoryLock::new(entropy.clone())),
            Arc::new(MemoryMeter::default()),
            Arc::new(MemoryCache::new(MEMORY_CACHE_ENTRIES)),
        ),
    };
    let mut boards: Vec<Arc<dyn JobSource>> = match opts.boards {
        BoardSet::Real(cfg) => real_boards(&cfg, &opts.search, meter.clone(), clock.clone())?,
        BoardSet::Demo(demo) => fakes::demo_boards(demo.seed, Duration::from_millis(demo.latency_ms), &demo.failing)
            .into_iter()
            .map(|b| b as Arc<dyn JobSource>)
            .collect(),
        BoardSet::Custom(boards) => boards,
    };
    if opts.import.is_some() {
        // Imported postings live in the job store (loaded in the background at start-up).
        boards.push(Arc::new(sources::StoredImport::new(jobs.clone())));
    }
    let llms = match opts.llm {
        LlmSet::Real(cfg) => real_llms(&cfg, opts.ai_budget)?,
        LlmSet::Custom(p) => p,
    };
    let hasher = SecretHasher::new(opts.secrets.key_pepper.expose_secret().as_bytes().to_vec());
    let issuer = KeyIssuer { hasher: hasher.clone(), entropy: entropy.clone() };
    let last_used = Arc::new(LastUsedTracker::default());
    let catalog = Arc::new(opts.catalog);
    let sessions = SessionIssuer {
        store: store.clone(),
        signer: signer.clone(),
        hasher: hasher.clone(),
        entropy,
        clock: clock.clone(),
    };
    let search = Search::new(
        SearchPorts {
            sources: boards,
            catalog: catalog.clone(),
            cache: cache.clone(),
            store: jobs.clone(),
            clock: clock.clone(),
            timer: Arc::new(TokioTimer),
        },
        opts.search,
    );
    let ai = AiGateway::new(Arc::new(opts.models), catalog.clone(), llms, opts.ai_default, Arc::new(TokioTimer));
    tracing::info!(default_provider = %ai.default_provider(), "AI providers ready");
    let enhancer = Enhancer { ai: ai.clone(), cache: cache.clone(), budget: opts.ai_budget };
    let corpus = Corpus { search: search.clone(), store: jobs.clone(), cache: cache.clone(), clock: clock.clone() };
    // Feed cursors are signed with a key derived from the pepper: stable across restarts and nodes.
    let cursors =
        CursorCodec::new(&[opts.secrets.key_pepper.expose_secret().as_bytes(), b"|jobin feed cursors v1"].concat());
    let ingest = opts.ingest.every.map(|every| {
        let ingest = Ingest {
            search: search.clone(),
            store: jobs.clone(),
            lock: lock.clone(),
            clock: clock.clone(),
            watch: opts.ingest.watch.clone(),
            expire_after: opts.ingest.expire_after,
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
    Ok(Arc::new(AppState {
        register: Register {
            store: store.clone(),
            passwords: passwords.clone(),
            issuer: issuer.clone(),
            clock: clock.clone(),
        },
        login: Login { store: store.clone(), passwords, sessions: sessions.clone() },
        refresh: Refresh { store: store.clone(), sessions },
        me: Me {
            catalog: catalog.clone(),
            store: store.clone(),
            meter: meter.clone(),
            last_used: last_used.clone(),
            clock: clock.clone(),
            billing: billing.clone(),
        },
        create_key: CreateKey { store: store.clone(), issuer: issuer.clone(), clock: clock.clone() },
        rotate: RotateKeys { store: store.clone(), lock, issuer, clock: clock.clone() },
        feed: Feed { store: jobs.clone(), cursors: cursors.clone() },
        expired: Expired { store: jobs.clone(), cursors, clock: clock.clone() },
        jobs,
        ingest,
        revoke: RevokeKey { store: store.clone(), clock: clock.clone() },
        set_plan: SetPlan { store: store.clone(), clock: clock.clone() },
        authenticate: Authenticate {
            store: store.clone(),
            hasher,
            signer,
            clock: clock.clone(),
            last_used: last_used.clone(),
        },
        throttle: Throttle { meter: meter.clone(), clock: clock.clone() },
        admit: Admit { catalog: catalog.clone(), meter, clock: clock.clone() },
        search,
        salary: SalaryStatsCase { corpus: corpus.clone() },
        trends: Trends { corpus: corpus.clone(), ai: ai.clone() },
        insight: Insight { corpus, ai: ai.clone(), budget: opts.ai_budget },
        import: opts.import.clone(),
        enhancer,
        ai,
        billing_webhook: BillingWebhook {
            store: billing.clone(),
            notifier,
            clock: clock.clone(),
            secret: opts.secrets.stripe_webhook_secret.expose_secret().to_owned(),
            prices: price_plans,
            manage_url: portal_url.clone(),
            pricing_url: pricing_url.clone(),
        },
        checkout: Checkout { gateway: gateway.clone(), billing: billing.clone() },
        portal: Portal { gateway, billing: billing.clone() },
        local_payments,
        public_url,
        portal_url,
        billing,
        catalog,
        upgrade_url: pricing_url,
        store,
        last_used,
        clock,
        trusted_proxies: opts.trusted_proxies,
        redis: opts.redis,
        cache,
        usage: UsageWriter::spawn(usage_log.clone()),
        usage_log,
        max_body_bytes: opts.max_body_bytes,
    }))
}
