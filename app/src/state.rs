//! What request handlers and background tasks use, grouped by area. Every member is a use case, a
//! service or a port (`Arc<dyn …>`); `wiring` decides which adapters stand behind them.

use ipnet::IpNet;
use jobin_core::domain::PlanCatalog;
use jobin_core::ports::{BillingStore, Clock, JobStore, KeyStore, Lock, PaymentStandIn, Reachable, UsageLog};
use jobin_core::services::{AiGateway, LastUsedTracker};
use jobin_core::usecases::{
    Admit, Authenticate, BillingWebhook, ChangePassword, Checkout, CreateKey, Expired, Feed, GetJob, Ingest, Insight,
    Login, Logout, Me, Portal, Refresh, Register, RevokeKey, RotateKeys, SalaryPercentiles, SearchCorpus, SetPlan,
    Throttle, TrackerAnalytics, Trends,
};
use jobin_core::usecases::{Applications, DeliverWebhooks, MatchCycle, SavedSearches, ScoreApplication, SendDigests};
use std::sync::Arc;
use std::time::Duration;

use crate::usage_writer::UsageWriter;

pub struct AppState {
    pub accounts: Accounts,
    pub access: Access,
    pub jobs: Jobs,
    pub tracker: Tracker,
    /// `/v1/searches*`: saved searches and their matches.
    pub searches: SavedSearches,
    pub billing: Billing,
    pub usage: Usage,
    pub background: Background,
    pub health: Health,
    pub idempotency: Idempotency,
    pub urls: Urls,
    pub http: HttpSettings,
    pub catalog: Arc<PlanCatalog>,
    pub clock: Arc<dyn Clock>,
}

/// `/auth/*`: accounts, sessions and keys.
pub struct Accounts {
    pub register: Register,
    pub login: Login,
    pub logout: Logout,
    pub change_password: ChangePassword,
    pub refresh: Refresh,
    pub me: Me,
    pub create_key: CreateKey,
    pub rotate: RotateKeys,
    pub revoke: RevokeKey,
    pub set_plan: SetPlan,
    pub store: Arc<dyn KeyStore>,
}

/// The request pipeline: who is calling, per-IP limits, plan access and quotas.
pub struct Access {
    pub authenticate: Authenticate,
    pub throttle: Throttle,
    pub admit: Admit,
    /// Keys' last-used times, flushed to the key store in the background.
    pub last_used: Arc<LastUsedTracker>,
}

/// `/jobs/*`: search, analytics, AI providers, the feed and the job store behind them.
pub struct Jobs {
    /// Searches, answered with the node's copies of its encoded answers in front.
    pub search: crate::answers::SearchAnswers,
    pub salary: SalaryPercentiles,
    pub trends: Trends,
    pub insight: Insight,
    pub ai: AiGateway,
    pub feed: Feed,
    pub expired: Expired,
    pub get: GetJob,
    /// `GET /v1/jobs`: the stored corpus, filtered, sorted, paged and counted.
    pub corpus: SearchCorpus,
    /// Every job seen (the feed's and the analytics' store).
    pub store: Arc<dyn JobStore>,
}

/// `/v1/applications*`: the application tracker.
pub struct Tracker {
    pub applications: Applications,
    pub analytics: TrackerAnalytics,
    pub score: ScoreApplication,
}

/// `/billing/*`: checkout, portal, the provider's webhook, and the offline stand-in pages.
pub struct Billing {
    pub webhook: BillingWebhook,
    pub checkout: Checkout,
    pub portal: Portal,
    /// The stand-in for the provider's pages when no provider key is set.
    pub stand_in: Option<Arc<dyn PaymentStandIn>>,
    pub store: Arc<dyn BillingStore>,
}

/// The usage log: written in batches off the request path.
pub struct Usage {
    pub writer: UsageWriter,
    pub log: Arc<dyn UsageLog>,
    /// The quota's durable monthly counts (written within 50 ms of each admission).
    pub ledger: Arc<dyn jobin_core::ports::MonthlyLedger>,
}

/// A one-off job run in the background (its error is logged).
pub type ImportTask =
    Arc<dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + Send>> + Send + Sync>;

/// The ingestion cycle and its period.
pub type ScheduledIngest = (Arc<Ingest>, Duration);

/// The crawl of the boards' whole listings and its period.
pub type ScheduledCrawl = (Arc<jobin_core::usecases::Crawl>, Duration);

/// The liveness pass and its period.
pub type ScheduledLiveness = (Arc<jobin_core::usecases::CheckLiveness>, Duration);

/// Work the server runs beside requests.
pub struct Background {
    /// The ingestion cycle, when scheduled.
    pub ingest: Option<ScheduledIngest>,
    /// The crawl, when scheduled.
    pub crawl: Option<ScheduledCrawl>,
    /// The liveness pass, when scheduled (real boards only).
    pub liveness: Option<ScheduledLiveness>,
    /// Loading `JOBIN_IMPORT_FILE` into the job store, run once at start-up.
    pub import: Option<ImportTask>,
    /// Matching landed postings against saved searches, and how often (`None`: never).
    pub matching: Arc<MatchCycle>,
    pub match_every: Option<Duration>,
    /// Sending due webhook deliveries, and how often (`None`: never).
    pub deliveries: Arc<DeliverWebhooks>,
    pub deliver_every: Option<Duration>,
    /// Sending saved searches' daily digests, and how often to look (`None`: never).
    pub digests: Arc<SendDigests>,
    pub digest_every: Option<Duration>,
}

/// What `/health` checks besides the database (pinged through the key store).
pub struct Health {
    /// Redis, when several nodes share one.
    pub shared: Option<Arc<dyn Reachable>>,
}

/// Where `Idempotency-Key` answers are kept (24 hours, sealed, in per-account partitions bounded
/// in entries and bytes inside a store bounded in bytes) and in-flight requests are locked: Redis
/// with several nodes, so it holds across them.
pub struct Idempotency {
    pub answers: Arc<dyn jobin_core::ports::KeptAnswers>,
    pub lock: Arc<dyn Lock>,
    /// Seals kept answers (they may hold a secret shown once).
    pub sealer: jobin_core::domain::Sealer,
    /// Nonces for sealing.
    pub entropy: Arc<dyn jobin_core::ports::Entropy>,
}

/// Links in answers and emails.
pub struct Urls {
    /// `{JOBIN_PUBLIC_URL}/`: where the portal returns by default.
    pub public: String,
    /// The documentation of `POST /v1/billing/portal` (a page a browser opens; the portal itself
    /// is reached through that call).
    pub portal: String,
    /// Where 403 and quota 429 answers send clients (`{JOBIN_PUBLIC_URL}/pricing`).
    pub upgrade: String,
}

/// HTTP-level settings the middleware reads.
pub struct HttpSettings {
    pub trusted_proxies: Vec<IpNet>,
    pub forwarded_header: crate::config::ForwardedHeader,
    pub max_body_bytes: usize,
    /// Connection bounds (the listener's).
    pub connections: crate::listener::ConnectionSettings,
    /// `Sunset` of the unversioned paths (an HTTP date).
    pub sunset: String,
    /// The bearer token `GET /metrics` requires (`None`: not served).
    pub metrics_token: Option<secrecy::SecretString>,
}
