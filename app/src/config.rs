//! Configuration from `JOBIN_*` environment variables (documented in `.env.example`). An invalid
//! value stops start-up with one line naming the variable.

use ipnet::IpNet;
use jobin_core::domain::{AiProvider, ModelCatalog, PlanCatalog, SourceId};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// A configuration error: the variable and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.var, self.message)
    }
}

impl std::error::Error for ConfigError {}

fn err(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError { var, message: message.into() }
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
    pub max_body_bytes: usize,
    pub db_max_connections: u32,
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
    pub ingest: crate::wiring::IngestSettings,
    /// `redis://…`: meter and lock in Redis, shared by every node. `None`: in-process (one node).
    pub redis_url: Option<SecretString>,
    /// Prefix of every Redis key (deployments sharing one Redis use different ones).
    pub redis_prefix: String,
    /// Base URL clients reach this server at (links such as `upgrade`). Default `http://{bind}`.
    pub public_url: String,
    /// Where each job board is and its credentials.
    pub boards: BoardsConfig,
    /// Search tuning: per-board timeout, result cap, cache TTL.
    pub search: SearchSettings,
    /// `Some` when the server runs on the fake boards (`serve --demo` or `JOBIN_DEMO=1`).
    pub demo: Option<DemoSettings>,
    /// The operator's own postings (CSV or JSONL), searched after the boards on every plan.
    pub import_file: Option<PathBuf>,
    /// Currency of imported salaries that name none (default: the row's country's).
    pub import_currency: Option<String>,
    /// The demo settings `serve --demo` uses (from `JOBIN_DEMO_*`), whether or not demo is on.
    pub demo_settings: DemoSettings,
}

/// The six boards' base URLs (the adapter appends the documented path) and credentials.
#[derive(Clone)]
pub struct BoardsConfig {
    pub adzuna_base_url: String,
    /// `(app_id, app_key)`; both or neither.
    pub adzuna_credentials: Option<(String, SecretString)>,
    pub reed_base_url: String,
    pub reed_api_key: Option<SecretString>,
    pub remotive_base_url: String,
    pub findwork_base_url: String,
    pub findwork_api_key: Option<SecretString>,
    pub arbeitnow_base_url: String,
    pub themuse_base_url: String,
    pub themuse_api_key: Option<SecretString>,
}

/// Stripe: the API key (none: the offline stand-in), the API root, the webhook endpoint secret
/// (`whsec_…`; generated into the data dir when unset, for the offline checkout) and the price id
/// of each paid plan.
#[derive(Clone, Default)]
pub struct StripeSettings {
    /// `sk_…` or `rk_…`; `None` runs the local checkout and portal pages instead of Stripe.
    pub secret_key: Option<SecretString>,
    pub base_url: String,
    pub webhook_secret: Option<SecretString>,
    pub price_starter: Option<String>,
    pub price_pro: Option<String>,
    pub price_scale: Option<String>,
}

impl StripeSettings {
    /// Plan → price id, for the prices that are set.
    pub fn prices(&self) -> std::collections::HashMap<jobin_core::domain::Plan, String> {
        use jobin_core::domain::Plan;
        [(&self.price_starter, Plan::Starter), (&self.price_pro, Plan::Pro), (&self.price_scale, Plan::Scale)]
            .into_iter()
            .filter_map(|(id, plan)| id.clone().map(|id| (plan, id)))
            .collect()
    }
}

/// Where billing emails go: an SMTP server, or (default) the log outbox in the data dir.
#[derive(Clone, Default)]
pub struct EmailSettings {
    /// `smtps://user:pass@host:465`, `smtp://…?tls=required`, or `smtp://host:port` (local relay).
    pub smtp_url: Option<SecretString>,
    /// The sender, such as `JobIn <billing@example.com>`; required with `smtp_url`.
    pub from: Option<String>,
}

/// One remote LLM provider: its API root and key (`JOBIN_<PROVIDER>_BASE_URL`, `_API_KEY`).
#[derive(Clone)]
pub struct LlmSettings {
    pub base_url: String,
    pub api_key: Option<SecretString>,
}

#[derive(Clone)]
pub struct AiSettings {
    pub qwen: LlmSettings,
    pub openai: LlmSettings,
    pub deepseek: LlmSettings,
    pub anthropic: LlmSettings,
    pub gemini: LlmSettings,
    /// `JOBIN_AI_DEFAULT_PROVIDER`; unset: the first configured available provider, else `local`.
    pub default_provider: Option<AiProvider>,
    /// The AI step's time budget (`JOBIN_AI_BUDGET_MS`, default the document's 15 s).
    pub budget_ms: u64,
}

impl AiSettings {
    /// The providers with a key (names only, for logs).
    pub fn configured(&self) -> Vec<&'static str> {
        [
            ("qwen", &self.qwen),
            ("openai", &self.openai),
            ("deepseek", &self.deepseek),
            ("anthropic", &self.anthropic),
            ("gemini", &self.gemini),
        ]
        .into_iter()
        .filter(|(_, s)| s.api_key.is_some())
        .map(|(n, _)| n)
        .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchSettings {
    pub source_timeout_ms: u64,
    pub per_source_limit: usize,
    pub cache_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSettings {
    /// Base latency of the fake boards (each board answers at a multiple of it).
    pub latency_ms: u64,
    /// Fake boards that answer HTTP 500.
    pub failing: Vec<SourceId>,
    pub seed: u64,
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
            .field("max_body_bytes", &self.max_body_bytes)
            .field("redis", &self.redis_url.as_ref().map(|u| redact_url(u.expose_secret())))
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
            .finish()
    }
}

impl BoardsConfig {
    /// The keyed boards that have their credentials (for logs: names only, never keys).
    pub fn configured(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.adzuna_credentials.is_some() {
            out.push("adzuna");
        }
        if self.reed_api_key.is_some() {
            out.push("reed");
        }
        if self.findwork_api_key.is_some() {
            out.push("findwork");
        }
        if self.themuse_api_key.is_some() {
            out.push("themuse");
        }
        out
    }
}

/// `postgres://user:pw@host/db` → `postgres://user:***@host/db`, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s + 3 => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Minimum length of JOBIN_JWT_SECRET and JOBIN_KEY_PEPPER.
pub const MIN_SECRET_BYTES: usize = 32;

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads every variable through `get` (tests pass a map). Empty values count as unset.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |k: &str| get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());

        let bind = match var("JOBIN_BIND") {
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
            Some(v) => v.parse().map_err(|_| {
                err("JOBIN_BIND", format!("invalid socket address `{v}` (expected host:port, e.g. 127.0.0.1:8080)"))
            })?,
        };
        let data_dir = PathBuf::from(var("JOBIN_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = match var("JOBIN_DATABASE_URL") {
            None => default_sqlite_url(&data_dir),
            Some(v) if jobin_adapters::db::Backend::of(&v).is_some() => v,
            Some(v) => {
                return Err(err(
                    "JOBIN_DATABASE_URL",
                    format!("unsupported URL `{}` (expected sqlite:… or postgres://…)", redact_url(&v)),
                ));
            }
        };
        let secret = |name: &'static str| -> Result<Option<SecretString>, ConfigError> {
            match var(name) {
                None => Ok(None),
                Some(v) if v.len() < MIN_SECRET_BYTES => {
                    Err(err(name, format!("must be at least {MIN_SECRET_BYTES} bytes (e.g. `openssl rand -hex 32`)")))
                }
                Some(v) => Ok(Some(SecretString::from(v))),
            }
        };
        let log_format = match var("JOBIN_LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(err("JOBIN_LOG_FORMAT", format!("unknown format `{other}` (expected pretty or json)")));
            }
        };
        let trusted_proxies = match var("JOBIN_TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(v) => comma_items(&v)
                .map(|s| {
                    s.parse::<IpNet>()
                        .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
                        .map_err(|_| err("JOBIN_TRUSTED_PROXIES", format!("`{s}` is not an IP address or CIDR range")))
                })
                .collect::<Result<_, _>>()?,
        };
        let max_body_bytes = match var("JOBIN_MAX_BODY_BYTES") {
            None => 64 * 1024,
            Some(v) => v.parse::<usize>().ok().filter(|n| (1024..=64 * 1024 * 1024).contains(n)).ok_or_else(|| {
                err("JOBIN_MAX_BODY_BYTES", format!("`{v}` is not a byte count between 1024 and 67108864"))
            })?,
        };
        let db_max_connections =
            match var("JOBIN_DB_MAX_CONNECTIONS") {
                None => 10,
                Some(v) => v.parse::<u32>().ok().filter(|n| (1..=1000).contains(n)).ok_or_else(|| {
                    err("JOBIN_DB_MAX_CONNECTIONS", format!("`{v}` is not a number between 1 and 1000"))
                })?,
            };
        let (catalog, models) = match var("JOBIN_CATALOG") {
            None => (PlanCatalog::document(), ModelCatalog::document()),
            Some(path) => crate::catalog_file::load(Path::new(&path)).map_err(|e| err("JOBIN_CATALOG", e))?,
        };
        let public_url = match var("JOBIN_PUBLIC_URL") {
            None => format!("http://{bind}"),
            Some(v) if (v.starts_with("https://") || v.starts_with("http://")) && !v.contains(char::is_whitespace) => {
                v.trim_end_matches('/').to_owned()
            }
            Some(v) => return Err(err("JOBIN_PUBLIC_URL", format!("`{v}` is not an http:// or https:// URL"))),
        };
        let redis_url = match var("JOBIN_REDIS_URL") {
            None => None,
            Some(v) if v.starts_with("redis://") || v.starts_with("rediss://") => Some(SecretString::from(v)),
            Some(v) => {
                return Err(err("JOBIN_REDIS_URL", format!("`{}` is not a redis:// URL", redact_url(&v))));
            }
        };
        let redis_prefix = match var("JOBIN_REDIS_PREFIX") {
            None => "jobin:".to_owned(),
            Some(v) if v.len() <= 64 && v.chars().all(|c| c.is_ascii_graphic()) => v,
            Some(v) => {
                return Err(err("JOBIN_REDIS_PREFIX", format!("`{v}` must be at most 64 printable ASCII characters")));
            }
        };
        let base_url = |name: &'static str, default: &str| -> Result<String, ConfigError> {
            match var(name) {
                None => Ok(default.to_owned()),
                Some(v)
                    if (v.starts_with("https://") || v.starts_with("http://")) && !v.contains(char::is_whitespace) =>
                {
                    Ok(v.trim_end_matches('/').to_owned())
                }
                Some(v) => Err(err(name, format!("`{v}` is not an http:// or https:// URL"))),
            }
        };
        let key = |name: &str| var(name).map(SecretString::from);
        let adzuna_credentials = match (var("JOBIN_ADZUNA_APP_ID"), key("JOBIN_ADZUNA_APP_KEY")) {
            (Some(id), Some(k)) => Some((id, k)),
            (None, None) => None,
            (Some(_), None) => return Err(err("JOBIN_ADZUNA_APP_KEY", "is required when JOBIN_ADZUNA_APP_ID is set")),
            (None, Some(_)) => return Err(err("JOBIN_ADZUNA_APP_ID", "is required when JOBIN_ADZUNA_APP_KEY is set")),
        };
        let boards = BoardsConfig {
            adzuna_base_url: base_url("JOBIN_ADZUNA_BASE_URL", "https://api.adzuna.com/v1/api")?,
            adzuna_credentials,
            reed_base_url: base_url("JOBIN_REED_BASE_URL", "https://www.reed.co.uk/api/1.0")?,
            reed_api_key: key("JOBIN_REED_API_KEY"),
            remotive_base_url: base_url("JOBIN_REMOTIVE_BASE_URL", "https://remotive.com/api")?,
            findwork_base_url: base_url("JOBIN_FINDWORK_BASE_URL", "https://findwork.dev/api")?,
            findwork_api_key: key("JOBIN_FINDWORK_API_KEY"),
            arbeitnow_base_url: base_url("JOBIN_ARBEITNOW_BASE_URL", "https://www.arbeitnow.com/api")?,
            themuse_base_url: base_url("JOBIN_THEMUSE_BASE_URL", "https://www.themuse.com/api/public")?,
            themuse_api_key: key("JOBIN_THEMUSE_API_KEY"),
        };
        let number = |name: &'static str, default: u64, min: u64, max: u64| -> Result<u64, ConfigError> {
            match var(name) {
                None => Ok(default),
                Some(v) => v
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (min..=max).contains(n))
                    .ok_or_else(|| err(name, format!("`{v}` is not a number between {min} and {max}"))),
            }
        };
        let llm = |name: &'static str, default: &str| -> Result<LlmSettings, ConfigError> {
            Ok(LlmSettings {
                base_url: base_url(
                    match name {
                        "QWEN" => "JOBIN_QWEN_BASE_URL",
                        "OPENAI" => "JOBIN_OPENAI_BASE_URL",
                        "DEEPSEEK" => "JOBIN_DEEPSEEK_BASE_URL",
                        "ANTHROPIC" => "JOBIN_ANTHROPIC_BASE_URL",
                        _ => "JOBIN_GEMINI_BASE_URL",
                    },
                    default,
                )?,
                api_key: key(&format!("JOBIN_{name}_API_KEY")),
            })
        };
        let ai = AiSettings {
            qwen: llm("QWEN", jobin_adapters::llm::openai_compat::QWEN_BASE_URL)?,
            openai: llm("OPENAI", jobin_adapters::llm::openai_compat::OPENAI_BASE_URL)?,
            deepseek: llm("DEEPSEEK", jobin_adapters::llm::openai_compat::DEEPSEEK_BASE_URL)?,
            anthropic: llm("ANTHROPIC", jobin_adapters::llm::anthropic::ANTHROPIC_BASE_URL)?,
            gemini: llm("GEMINI", jobin_adapters::llm::gemini::GEMINI_BASE_URL)?,
            default_provider: match var("JOBIN_AI_DEFAULT_PROVIDER") {
                None => None,
                Some(v) => Some(AiProvider::parse(&v).ok_or_else(|| {
                    err(
                        "JOBIN_AI_DEFAULT_PROVIDER",
                        format!(
                            "unknown provider `{v}`; valid: {}",
                            AiProvider::ALL.map(AiProvider::as_str).join(", ")
                        ),
                    )
                })?),
            },
            budget_ms: number("JOBIN_AI_BUDGET_MS", 15_000, 100, 120_000)?,
        };
        let price = |name: &str| var(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let stripe_key = key("JOBIN_STRIPE_SECRET_KEY");
        if let Some(k) = &stripe_key {
            use secrecy::ExposeSecret;
            if !(k.expose_secret().starts_with("sk_") || k.expose_secret().starts_with("rk_")) {
                return Err(err("JOBIN_STRIPE_SECRET_KEY", "is not a Stripe secret or restricted key (sk_… or rk_…)"));
            }
            if var("JOBIN_STRIPE_WEBHOOK_SECRET").is_none() {
                return Err(err(
                    "JOBIN_STRIPE_WEBHOOK_SECRET",
                    "is required with JOBIN_STRIPE_SECRET_KEY: the signing secret of your Stripe webhook endpoint (whsec_…)",
                ));
            }
        }
        let stripe = StripeSettings {
            secret_key: stripe_key,
            base_url: base_url("JOBIN_STRIPE_BASE_URL", jobin_adapters::payment::STRIPE_API_URL)?,
            webhook_secret: key("JOBIN_STRIPE_WEBHOOK_SECRET"),
            price_starter: price("JOBIN_STRIPE_PRICE_STARTER"),
            price_pro: price("JOBIN_STRIPE_PRICE_PRO"),
            price_scale: price("JOBIN_STRIPE_PRICE_SCALE"),
        };
        let duration = |name: &'static str, default: &str| -> Result<Option<std::time::Duration>, ConfigError> {
            let raw = var(name).unwrap_or_else(|| default.to_owned());
            parse_duration(&raw)
                .ok_or_else(|| err(name, format!("`{raw}` is not a duration such as 90s, 30m, 2h or 7d (or `off`)")))
        };
        let ingest = crate::wiring::IngestSettings {
            every: duration("JOBIN_INGEST_INTERVAL", "30m")?,
            watch: match var("JOBIN_INGEST_QUERIES") {
                None => Vec::new(),
                Some(v) => v
                    .split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|item| {
                        let (q, country) = item.rsplit_once('@').unwrap_or((item, "gb"));
                        let q = q.trim();
                        let country = country.trim();
                        if q.is_empty() || q.chars().count() > 200 {
                            return Err(err(
                                "JOBIN_INGEST_QUERIES",
                                format!("`{item}`: the query must be 1–200 characters"),
                            ));
                        }
                        let c = jobin_core::domain::Country::parse(country)
                            .map_err(|e| err("JOBIN_INGEST_QUERIES", format!("`{item}`: {e}")))?;
                        Ok((q.to_owned(), c.code().to_owned()))
                    })
                    .collect::<Result<_, _>>()?,
            },
            expire_after: duration("JOBIN_EXPIRE_AFTER", "7d")?
                .ok_or_else(|| err("JOBIN_EXPIRE_AFTER", "cannot be off: jobs must expire eventually"))?,
        };
        let email = EmailSettings { smtp_url: key("JOBIN_SMTP_URL"), from: var("JOBIN_EMAIL_FROM") };
        if let Some(url) = &email.smtp_url {
            use secrecy::ExposeSecret;
            if !(url.expose_secret().starts_with("smtp://") || url.expose_secret().starts_with("smtps://")) {
                return Err(err("JOBIN_SMTP_URL", "is not an smtp:// or smtps:// URL"));
            }
            if email.from.is_none() {
                return Err(err(
                    "JOBIN_EMAIL_FROM",
                    "is required with JOBIN_SMTP_URL (the sender, such as `JobIn <billing@example.com>`)",
                ));
            }
        }
        let search = SearchSettings {
            source_timeout_ms: number("JOBIN_SOURCE_TIMEOUT_MS", 8_000, 100, 60_000)?,
            per_source_limit: number("JOBIN_SOURCE_RESULT_CAP", 50, 1, 500)? as usize,
            cache_secs: number("JOBIN_SEARCH_CACHE_SECS", 900, 1, 86_400)?,
        };
        let failing = match var("JOBIN_DEMO_FAILING") {
            None => Vec::new(),
            Some(v) => comma_items(&v)
                .map(|s| {
                    SourceId::parse(s).ok_or_else(|| {
                        err(
                            "JOBIN_DEMO_FAILING",
                            format!("unknown board `{s}` (adzuna, remotive, findwork, reed, arbeitnow, themuse)"),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        let demo_settings =
            DemoSettings { latency_ms: number("JOBIN_DEMO_LATENCY_MS", 60, 0, 60_000)?, failing, seed: 42 };
        let demo = match var("JOBIN_DEMO").as_deref() {
            None | Some("0" | "false") => None,
            Some("1" | "true") => Some(demo_settings.clone()),
            Some(other) => return Err(err("JOBIN_DEMO", format!("`{other}` is not 1/true or 0/false"))),
        };
        let import_file = var("JOBIN_IMPORT_FILE").map(PathBuf::from);
        if let Some(f) = &import_file
            && !f.is_file()
        {
            return Err(err("JOBIN_IMPORT_FILE", format!("`{}` is not a readable file", f.display())));
        }
        let import_currency = match var("JOBIN_IMPORT_CURRENCY") {
            None => None,
            Some(c) if c.len() == 3 && c.chars().all(|x| x.is_ascii_alphabetic()) => Some(c.to_ascii_uppercase()),
            Some(c) => return Err(err("JOBIN_IMPORT_CURRENCY", format!("`{c}` is not an ISO 4217 code such as USD"))),
        };
        Ok(Self {
            import_file,
            import_currency,
            boards,
            search,
            demo,
            demo_settings,
            redis_url,
            redis_prefix,
            catalog,
            models,
            ai,
            stripe,
            email,
            ingest,
            public_url,
            bind,
            data_dir,
            database_url: SecretString::from(database_url),
            jwt_secret: secret("JOBIN_JWT_SECRET")?,
            key_pepper: secret("JOBIN_KEY_PEPPER")?,
            log_format,
            trusted_proxies,
            max_body_bytes,
            db_max_connections,
        })
    }

    pub fn uses_sqlite_in_data_dir(&self) -> bool {
        self.database_url.expose_secret() == default_sqlite_url(&self.data_dir)
    }
}

/// `90s`, `30m`, `2h`, `7d` (a plain number is seconds); `off` or `0` is `None`.
fn parse_duration(raw: &str) -> Option<Option<std::time::Duration>> {
    let raw = raw.trim().to_ascii_lowercase();
    if raw == "off" || raw == "0" {
        return Some(None);
    }
    let (num, unit) = raw.split_at(raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len()));
    let n: u64 = num.parse().ok().filter(|n| *n > 0)?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3_600)?,
        "d" => n.checked_mul(86_400)?,
        _ => return None,
    };
    Some(Some(std::time::Duration::from_secs(secs)))
}

/// The non-empty, trimmed items of a comma-separated value.
fn comma_items(v: &str) -> impl Iterator<Item = &str> {
    v.split(',').map(str::trim).filter(|s| !s.is_empty())
}

fn default_sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("jobin.db").display())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_the_embedded_setup() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert_eq!(c.database_url.expose_secret(), "sqlite://./data/jobin.db?mode=rwc");
        assert!(c.jwt_secret.is_none() && c.key_pepper.is_none());
        assert_eq!(c.log_format, LogFormat::Pretty);
        assert!(c.uses_sqlite_in_data_dir());
        assert_eq!(c.boards.adzuna_base_url, "https://api.adzuna.com/v1/api");
        assert_eq!(c.boards.reed_base_url, "https://www.reed.co.uk/api/1.0");
        assert_eq!(c.boards.remotive_base_url, "https://remotive.com/api");
        assert_eq!(c.boards.findwork_base_url, "https://findwork.dev/api");
        assert_eq!(c.boards.arbeitnow_base_url, "https://www.arbeitnow.com/api");
        assert_eq!(c.boards.themuse_base_url, "https://www.themuse.com/api/public");
        assert!(c.boards.configured().is_empty());
        assert_eq!(c.search, SearchSettings { source_timeout_ms: 8_000, per_source_limit: 50, cache_secs: 900 });
        assert!(c.demo.is_none());
    }

    #[test]
    fn board_keys_are_read_and_never_shown_by_debug() {
        let c = cfg(&[
            ("JOBIN_ADZUNA_APP_ID", "app-id"),
            ("JOBIN_ADZUNA_APP_KEY", "adzuna-secret-key"),
            ("JOBIN_REED_API_KEY", "reed-secret-key"),
            ("JOBIN_REED_BASE_URL", "http://127.0.0.1:9999/reed/"),
            ("JOBIN_DEMO", "1"),
            ("JOBIN_DEMO_FAILING", "reed, themuse"),
        ])
        .unwrap();
        assert_eq!(c.boards.configured(), vec!["adzuna", "reed"]);
        assert_eq!(c.boards.reed_base_url, "http://127.0.0.1:9999/reed");
        assert_eq!(c.demo.as_ref().unwrap().failing, vec![SourceId::Reed, SourceId::TheMuse]);
        let shown = format!("{c:?}");
        assert!(!shown.contains("secret-key"), "{shown}");
    }

    #[test]
    fn each_invalid_value_names_its_variable() {
        for (var, value, needle) in [
            ("JOBIN_BIND", "localhost", "invalid socket address"),
            ("JOBIN_DATABASE_URL", "mysql://root:pw@x/db", "unsupported URL"),
            ("JOBIN_JWT_SECRET", "short", "at least 32 bytes"),
            ("JOBIN_KEY_PEPPER", "short", "at least 32 bytes"),
            ("JOBIN_LOG_FORMAT", "xml", "pretty or json"),
            ("JOBIN_TRUSTED_PROXIES", "10.0.0.1,bogus", "`bogus`"),
            ("JOBIN_MAX_BODY_BYTES", "12", "byte count"),
            ("JOBIN_DB_MAX_CONNECTIONS", "0", "between 1 and 1000"),
            ("JOBIN_PUBLIC_URL", "ftp://x", "http:// or https://"),
            ("JOBIN_REDIS_URL", "http://x", "not a redis:// URL"),
            ("JOBIN_ADZUNA_BASE_URL", "api.adzuna.com", "http:// or https://"),
            ("JOBIN_ADZUNA_APP_ID", "only-the-id", "JOBIN_ADZUNA_APP_ID is set"),
            ("JOBIN_SOURCE_TIMEOUT_MS", "5", "between 100 and 60000"),
            ("JOBIN_SOURCE_RESULT_CAP", "0", "between 1 and 500"),
            ("JOBIN_DEMO", "maybe", "1/true"),
            ("JOBIN_DEMO_FAILING", "reed,monster", "`monster`"),
            ("JOBIN_IMPORT_FILE", "/nonexistent/jobs.csv", "not a readable file"),
            ("JOBIN_IMPORT_CURRENCY", "dollars", "ISO 4217"),
            ("JOBIN_STRIPE_SECRET_KEY", "pk_test_publishable", "sk_… or rk_…"),
            ("JOBIN_STRIPE_SECRET_KEY", "sk_test_123", "required with JOBIN_STRIPE_SECRET_KEY"),
            ("JOBIN_STRIPE_BASE_URL", "stripe.local", "http:// or https://"),
            ("JOBIN_SMTP_URL", "mail.example.com:25", "smtp:// or smtps://"),
            ("JOBIN_SMTP_URL", "smtp://127.0.0.1:25", "JOBIN_SMTP_URL"),
            ("JOBIN_INGEST_INTERVAL", "soon", "not a duration"),
            ("JOBIN_INGEST_QUERIES", "rust@xx", "unsupported country"),
            ("JOBIN_EXPIRE_AFTER", "off", "cannot be off"),
        ] {
            let e = cfg(&[(var, value)]).unwrap_err();
            let var = match (var, value) {
                ("JOBIN_ADZUNA_APP_ID", _) => "JOBIN_ADZUNA_APP_KEY",
                ("JOBIN_STRIPE_SECRET_KEY", "sk_test_123") => "JOBIN_STRIPE_WEBHOOK_SECRET",
                ("JOBIN_SMTP_URL", "smtp://127.0.0.1:25") => "JOBIN_EMAIL_FROM",
                _ => var,
            };
            assert_eq!(e.var, var);
            assert!(e.message.contains(needle), "{e}");
            assert!(!e.to_string().contains('\n'));
        }
        // The password of a rejected URL is not echoed.
        let e = cfg(&[("JOBIN_DATABASE_URL", "mysql://root:hunter2@x/db")]).unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        let e = cfg(&[("JOBIN_SMTP_URL", "smtp://mailer:hunter2@x:25")]).unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }

    #[test]
    fn ingestion_settings_have_defaults_and_parse() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.ingest.every, Some(std::time::Duration::from_secs(1_800)));
        assert_eq!(c.ingest.expire_after, std::time::Duration::from_secs(7 * 86_400));
        assert!(c.ingest.watch.is_empty());
        let c = cfg(&[
            ("JOBIN_INGEST_INTERVAL", "off"),
            ("JOBIN_INGEST_QUERIES", "rust developer@us; data engineer ;python@UK"),
            ("JOBIN_EXPIRE_AFTER", "72h"),
        ])
        .unwrap();
        assert_eq!(c.ingest.every, None);
        let watch: Vec<(&str, &str)> = c.ingest.watch.iter().map(|(q, c)| (q.as_str(), c.as_str())).collect();
        assert_eq!(watch, [("rust developer", "us"), ("data engineer", "gb"), ("python", "gb")]);
        assert_eq!(c.ingest.expire_after, std::time::Duration::from_secs(72 * 3_600));
        assert_eq!(parse_duration("90"), Some(Some(std::time::Duration::from_secs(90))));
        assert_eq!(parse_duration("5x"), None);
    }

    #[test]
    fn stripe_and_smtp_settings_are_read_and_secrets_never_shown() {
        let c = cfg(&[]).unwrap();
        assert!(c.stripe.secret_key.is_none() && c.email.smtp_url.is_none(), "offline by default");
        assert_eq!(c.stripe.base_url, "https://api.stripe.com");
        let c = cfg(&[
            ("JOBIN_STRIPE_SECRET_KEY", "sk_test_stripe-secret-key"),
            ("JOBIN_STRIPE_WEBHOOK_SECRET", "whsec_webhook-secret-key"),
            ("JOBIN_STRIPE_BASE_URL", "http://127.0.0.1:12111/"),
            ("JOBIN_STRIPE_PRICE_PRO", "price_pro_1"),
            ("JOBIN_SMTP_URL", "smtps://mailer:smtp-secret-key@smtp.example.com"),
            ("JOBIN_EMAIL_FROM", "JobIn <billing@example.com>"),
        ])
        .unwrap();
        assert_eq!(c.stripe.base_url, "http://127.0.0.1:12111");
        assert_eq!(
            c.stripe.prices(),
            std::collections::HashMap::from([(jobin_core::domain::Plan::Pro, "price_pro_1".to_owned())])
        );
        assert_eq!(c.email.from.as_deref(), Some("JobIn <billing@example.com>"));
        let shown = format!("{c:?}");
        assert!(!shown.contains("secret-key"), "{shown}");
    }

    #[test]
    fn catalog_file_is_loaded_or_its_error_names_the_variable() {
        let dir = std::env::temp_dir().join(format!("jobin-catalog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.toml");
        std::fs::write(&good, "[plans.free]\nmonthly_requests = 42\n").unwrap();
        let c = cfg(&[("JOBIN_CATALOG", good.to_str().unwrap())]).unwrap();
        assert_eq!(c.catalog.terms(jobin_core::domain::Plan::Free).monthly_requests, 42);
        let e = cfg(&[("JOBIN_CATALOG", dir.join("missing.toml").to_str().unwrap())]).unwrap_err();
        assert_eq!(e.var, "JOBIN_CATALOG");
        assert!(e.message.contains("cannot read"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn proxies_accept_addresses_and_ranges() {
        let c = cfg(&[("JOBIN_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1 ,::1")]).unwrap();
        assert_eq!(c.trusted_proxies.len(), 3);
        assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("sqlite://./data/x.db"), "sqlite://./data/x.db");
    }
}
