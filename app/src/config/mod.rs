//! Configuration from `JOBIN_*` environment variables (documented in `.env.example`), read in one
//! place: [`Config::from_lookup`] reads each area through its module (`boards`, `ai`, `billing`,
//! `ingest`; the readers are in `env`). An invalid value stops start-up with one line naming the
//! variable. Tests build their `Config` through the same lookup.

mod ai;
mod billing;
mod boards;
mod catalog_file;
mod env;
mod ingest;
mod limits;
#[cfg(test)]
mod tests;

pub use ai::{AiSettings, LlmSettings};
pub use billing::{BillingMode, EmailSettings, StripeSettings};
pub use boards::{BoardsConfig, DemoSettings, SearchSettings};
pub use env::{ConfigError, MIN_SECRET_BYTES, redact_url};
pub use ingest::{ImportSettings, IngestSettings};

use ipnet::IpNet;
use jobin_core::domain::{AiProvider, ModelCatalog, PlanCatalog};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use env::{Vars, comma_items, err, is_http_url};

/// The default `Sunset` of the unversioned paths.
pub const DEFAULT_SUNSET: chrono::NaiveDate = match chrono::NaiveDate::from_ymd_opt(2027, 6, 30) {
    Some(d) => d,
    None => chrono::NaiveDate::MIN,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Which request header carries the proxies' view of the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardedHeader {
    #[default]
    XForwardedFor,
    /// RFC 7239: the `for=` parameter of each element.
    Forwarded,
}

impl ForwardedHeader {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Some(Self::XForwardedFor),
            "forwarded" => Some(Self::Forwarded),
            _ => None,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Self::XForwardedFor => "x-forwarded-for",
            Self::Forwarded => "forwarded",
        }
    }
}

#[derive(Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    /// May carry a password, so it is kept secret (never logged).
    pub database_url: SecretString,
    pub jwt_secret: Option<SecretString>,
    pub key_pepper: Option<SecretString>,
    pub log_format: LogFormat,
    pub trusted_proxies: Vec<IpNet>,
    /// The header trusted proxies write the client's address in (`JOBIN_FORWARDED_HEADER`).
    pub forwarded_header: ForwardedHeader,
    pub max_body_bytes: usize,
    /// Connection bounds: how many at once, header-read and idle timeouts.
    pub connections: crate::listener::ConnectionSettings,
    /// argon2 hashes run at once (`JOBIN_PASSWORD_HASH_CONCURRENCY`, default the CPU count).
    pub password_hash_concurrency: usize,
    /// The longest a login lasts, refreshes included (`JOBIN_SESSION_MAX_AGE`).
    pub session_max_age: std::time::Duration,
    pub db_max_connections: u32,
    /// The longest the start-up integrity check of an SQLite file may take (`JOBIN_DB_CHECK_SECS`,
    /// default 60; 0 skips it, for very large files). Past it the node starts with a warning.
    pub db_check_secs: u64,
    /// `serve --init` / `migrate --init`: the operator means to begin a new, empty database where
    /// an earlier one was (its secrets still beside it). Never read from the environment.
    pub init: bool,
    /// The plan catalog: the document's, or with `JOBIN_CATALOG`'s overrides applied.
    pub catalog: PlanCatalog,
    /// The AI model catalog: the document's, or with `JOBIN_CATALOG`'s `[models]` applied.
    pub models: ModelCatalog,
    /// LLM providers' endpoints and keys, the default provider and the AI time budget.
    pub ai: AiSettings,
    /// Stripe key, API root, webhook secret and price ids.
    pub stripe: StripeSettings,
    /// SMTP server and sender of billing emails.
    pub email: EmailSettings,
    /// Scheduled ingestion and expiry.
    pub ingest: IngestSettings,
    /// `redis://…`: meter and lock in Redis, shared by every node. `None`: in-process (one node).
    pub redis_url: Option<SecretString>,
    /// `JOBIN_METRICS_TOKEN`: the bearer token `GET /metrics` requires; unset, `/metrics` answers 404.
    pub metrics_token: Option<SecretString>,
    /// Prefix of every Redis key (deployments sharing one Redis use different ones).
    pub redis_prefix: String,
    /// `JOBIN_IDEMPOTENCY_MAX_MB`: the bytes every account's kept `Idempotency-Key` answers may
    /// take together, in MiB (default 256), in memory or in Redis.
    pub idempotency_max_mb: u64,
    /// `JOBIN_WEBHOOK_TIMEOUT_MS`: the time one webhook attempt may take, connection included
    /// (default 10,000; at most 60,000, under the delivery lease).
    pub webhook_timeout: std::time::Duration,
    /// `JOBIN_WEBHOOK_ALLOW_PRIVATE`: webhooks may point at loopback and private addresses and use
    /// `http://` (development only). Unset: on in demo mode, off otherwise.
    pub webhook_allow_private: Option<bool>,
    /// Base URL clients reach this server at (links such as `upgrade`). Default `http://{bind}`.
    pub public_url: String,
    /// Where each job board is and its credentials.
    pub boards: BoardsConfig,
    /// Search tuning: per-board timeout, result cap, cache TTL.
    pub search: SearchSettings,
    /// `Some` when the server runs on the fake boards (`serve --demo` or `JOBIN_DEMO=1`).
    pub demo: Option<DemoSettings>,
    /// The operator's own postings (`JOBIN_IMPORT_FILE`), loaded at start-up.
    pub import: Option<ImportSettings>,
    /// The demo settings `serve --demo` uses (from `JOBIN_DEMO_*`), whether or not demo is on.
    pub demo_settings: DemoSettings,
    /// `JOBIN_DATA_DIR` / `JOBIN_DATABASE_URL` were given (else they follow the mode's default).
    data_dir_set: bool,
    database_url_set: bool,
    /// When the unversioned paths stop answering (`JOBIN_UNVERSIONED_SUNSET`, a date; sent as
    /// `Sunset` on their answers).
    pub unversioned_sunset: chrono::NaiveDate,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("database", &redact_url(self.database_url.expose_secret()))
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "<set>"))
            .field("key_pepper", &self.key_pepper.as_ref().map(|_| "<set>"))
            .field("log_format", &self.log_format)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("forwarded_header", &self.forwarded_header)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("connections", &self.connections)
            .field("password_hash_concurrency", &self.password_hash_concurrency)
            .field("session_max_age_secs", &self.session_max_age.as_secs())
            .field("redis", &self.redis_url.as_ref().map(|u| redact_url(u.expose_secret())))
            .field("idempotency_max_mb", &self.idempotency_max_mb)
            .field("webhook_timeout", &self.webhook_timeout)
            .field("webhook_allow_private", &self.webhook_allow_private)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "[set]"))
            .field("catalog_overridden", &(self.catalog != PlanCatalog::document()))
            .field("boards_with_keys", &self.boards.configured())
            .field("search", &self.search)
            .field("ai_providers_with_keys", &self.ai.configured())
            .field("ai_default_provider", &self.ai.default_provider.map(AiProvider::as_str))
            .field("ai_budget_ms", &self.ai.budget_ms)
            .field(
                "stripe",
                &if self.stripe.secret_key.is_some() { self.stripe.base_url.as_str() } else { "local stand-in" },
            )
            .field("stripe_prices", &self.stripe.prices().keys().map(|p| p.as_str()).collect::<Vec<_>>())
            .field("smtp", &self.email.smtp_url.as_ref().map(|u| redact_url(u.expose_secret())))
            .field("email_from", &self.email.from)
            .field("demo", &self.demo)
            .field("import", &self.import)
            .finish()
    }
}

impl Config {
    /// Where webhooks may point: private destinations only when the operator allows them
    /// (`JOBIN_WEBHOOK_ALLOW_PRIVATE`), or, unset, in demo mode.
    pub fn outbound_policy(&self) -> jobin_core::domain::outbound::OutboundPolicy {
        jobin_core::domain::outbound::OutboundPolicy {
            allow_private: self.webhook_allow_private.unwrap_or(self.demo.is_some()),
        }
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads every variable through `get` (tests pass a map). Empty values count as unset.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let v = Vars::new(&get);
        let bind = match v.var("JOBIN_BIND") {
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
            Some(b) => b.parse().map_err(|_| {
                err("JOBIN_BIND", format!("invalid socket address `{b}` (expected host:port, e.g. 127.0.0.1:8080)"))
            })?,
        };
        let (demo_settings, demo_on) = DemoSettings::read(&v)?;
        let data_dir_set = v.var("JOBIN_DATA_DIR").is_some();
        let data_dir = PathBuf::from(v.var("JOBIN_DATA_DIR").unwrap_or_else(|| default_data_dir(demo_on).into()));
        let database_url_set = v.var("JOBIN_DATABASE_URL").is_some();
        let database_url = match v.var("JOBIN_DATABASE_URL") {
            None => default_sqlite_url(&data_dir),
            Some(u) if jobin_adapters::db::Backend::of(&u).is_some() => u,
            Some(u) => {
                return Err(err(
                    "JOBIN_DATABASE_URL",
                    format!("unsupported URL `{}` (expected sqlite:… or postgres://…)", redact_url(&u)),
                ));
            }
        };
        let ai = AiSettings::read(&v)?;
        // A provider with a key is available with the catalog's defaults; the file may still say otherwise.
        let keyed: Vec<jobin_core::domain::AiProvider> =
            ai.configured().into_iter().filter_map(jobin_core::domain::AiProvider::parse).collect();
        let models = ModelCatalog::document().with_providers_enabled(&keyed);
        let (catalog, models) = match v.var("JOBIN_CATALOG") {
            None => (PlanCatalog::document(), models),
            Some(path) => catalog_file::load(Path::new(&path), models).map_err(|e| err("JOBIN_CATALOG", e))?,
        };
        Ok(Self {
            bind,
            log_format: log_format(&v)?,
            trusted_proxies: trusted_proxies(&v)?,
            forwarded_header: match v.var("JOBIN_FORWARDED_HEADER") {
                None => Default::default(),
                Some(h) => ForwardedHeader::parse(&h).ok_or_else(|| {
                    err("JOBIN_FORWARDED_HEADER", format!("`{h}` is not x-forwarded-for or forwarded"))
                })?,
            },
            max_body_bytes: match v.var("JOBIN_MAX_BODY_BYTES") {
                None => 64 * 1024,
                Some(n) => {
                    n.parse::<usize>().ok().filter(|n| (1024..=64 * 1024 * 1024).contains(n)).ok_or_else(|| {
                        err("JOBIN_MAX_BODY_BYTES", format!("`{n}` is not a byte count between 1024 and 67108864"))
                    })?
                }
            },
            connections: limits::connections(&v)?,
            password_hash_concurrency: limits::hash_concurrency(&v)?,
            session_max_age: limits::session_max_age(&v)?,
            db_max_connections: v.number("JOBIN_DB_MAX_CONNECTIONS", 10, 1, 1000)? as u32,
            db_check_secs: v.number("JOBIN_DB_CHECK_SECS", 60, 0, 86_400)?,
            init: false,
            catalog,
            models,
            public_url: match v.var("JOBIN_PUBLIC_URL") {
                None => format!("http://{bind}"),
                Some(u) if is_http_url(&u) => u.trim_end_matches('/').to_owned(),
                Some(u) => return Err(err("JOBIN_PUBLIC_URL", format!("`{u}` is not an http:// or https:// URL"))),
            },
            idempotency_max_mb: v.number("JOBIN_IDEMPOTENCY_MAX_MB", 256, 1, 65_536)?,
            webhook_timeout: std::time::Duration::from_millis(v.number(
                "JOBIN_WEBHOOK_TIMEOUT_MS",
                10_000,
                100,
                60_000,
            )?),
            webhook_allow_private: match v.var("JOBIN_WEBHOOK_ALLOW_PRIVATE").as_deref() {
                None => None,
                Some("1" | "true") => Some(true),
                Some("0" | "false") => Some(false),
                Some(other) => {
                    return Err(err("JOBIN_WEBHOOK_ALLOW_PRIVATE", format!("`{other}` is not 1/true or 0/false")));
                }
            },
            metrics_token: match v.var("JOBIN_METRICS_TOKEN") {
                None => None,
                Some(t) if t.len() >= 16 && t.bytes().all(|b| b.is_ascii_graphic()) => Some(SecretString::from(t)),
                Some(_) => {
                    return Err(err(
                        "JOBIN_METRICS_TOKEN",
                        "must be at least 16 printable characters without spaces (the value is not shown)",
                    ));
                }
            },
            redis_url: match v.var("JOBIN_REDIS_URL") {
                None => None,
                Some(u) if u.starts_with("redis://") || u.starts_with("rediss://") => Some(SecretString::from(u)),
                Some(u) => return Err(err("JOBIN_REDIS_URL", format!("`{}` is not a redis:// URL", redact_url(&u)))),
            },
            redis_prefix: match v.var("JOBIN_REDIS_PREFIX") {
                None => "jobin:".to_owned(),
                Some(p) if p.len() <= 64 && p.chars().all(|c| c.is_ascii_graphic()) => p,
                Some(p) => {
                    return Err(err(
                        "JOBIN_REDIS_PREFIX",
                        format!("`{p}` must be at most 64 printable ASCII characters"),
                    ));
                }
            },
            boards: BoardsConfig::read(&v)?,
            ai,
            stripe: StripeSettings::read(&v)?,
            ingest: IngestSettings::read(&v)?,
            email: EmailSettings::read(&v)?,
            search: SearchSettings::read(&v)?,
            demo: demo_on.then(|| demo_settings.clone()),
            demo_settings,
            data_dir_set,
            database_url_set,
            import: ImportSettings::read(&v)?,
            unversioned_sunset: match v.var("JOBIN_UNVERSIONED_SUNSET") {
                None => DEFAULT_SUNSET,
                Some(d) => chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .map_err(|_| err("JOBIN_UNVERSIONED_SUNSET", format!("`{d}` is not a date such as 2027-06-30")))?,
            },
            data_dir,
            database_url: SecretString::from(database_url),
            jwt_secret: v.secret("JOBIN_JWT_SECRET")?,
            key_pepper: v.secret("JOBIN_KEY_PEPPER")?,
        })
    }

    /// Turns demo mode on (`serve --demo`): the fake boards, and, unless set, the demo's own data
    /// dir (`./data-demo`), so a demo never writes where a real server keeps its data.
    pub fn enter_demo(&mut self) {
        if self.demo.is_none() {
            self.demo = Some(self.demo_settings.clone());
        }
        if !self.data_dir_set {
            self.data_dir = PathBuf::from(default_data_dir(true));
            if !self.database_url_set {
                self.database_url = SecretString::from(default_sqlite_url(&self.data_dir));
            }
        }
    }

    pub fn uses_sqlite_in_data_dir(&self) -> bool {
        self.database_url.expose_secret() == default_sqlite_url(&self.data_dir)
    }
}

fn log_format(v: &Vars) -> Result<LogFormat, ConfigError> {
    match v.var("JOBIN_LOG_FORMAT").as_deref() {
        None | Some("pretty") => Ok(LogFormat::Pretty),
        Some("json") => Ok(LogFormat::Json),
        Some(other) => Err(err("JOBIN_LOG_FORMAT", format!("unknown format `{other}` (expected pretty or json)"))),
    }
}

fn trusted_proxies(v: &Vars) -> Result<Vec<IpNet>, ConfigError> {
    let Some(list) = v.var("JOBIN_TRUSTED_PROXIES") else { return Ok(Vec::new()) };
    comma_items(&list)
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| err("JOBIN_TRUSTED_PROXIES", format!("`{s}` is not an IP address or CIDR range")))
        })
        .collect()
}

/// `./data`, or `./data-demo` for a demo: the two never share a directory by default.
fn default_data_dir(demo: bool) -> &'static str {
    if demo { "./data-demo" } else { "./data" }
}

fn default_sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("jobin.db").display())
}
