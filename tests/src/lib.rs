//! Test harness: a real `jobin` server (the same routes and wiring as production) on a loopback
//! port, backed by a fresh SQLite file or a scratch PostgreSQL database, driven over HTTP.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test support: a failed set-up should panic

pub mod dedup_eval;

use jobin_adapters::testing::ScratchPostgres;
use jobin_app::AppState;
use jobin_app::config::{Config, IngestSettings};
use jobin_app::stores::Connections;
use jobin_app::wiring::{self, Overrides};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::sync::oneshot;

pub const JWT_SECRET: &str = "test-jwt-secret-test-jwt-secret-0123456789";
pub const STRIPE_WEBHOOK_SECRET: &str = "whsec_test_webhook_secret_0123456789";
/// The Stripe key a server with `Setup::stripe_base_url` calls the mock with.
pub const STRIPE_SECRET_KEY: &str = "sk_test_jobin_tests_secret_key";
pub const KEY_PEPPER: &str = "test-key-pepper-test-key-pepper-0123456789";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// What a test varies. `TestServer::start_with` turns it into `JOBIN_*` variables read by the
/// same `Config::from_lookup` as the server's environment (plus the typed values below that the
/// environment holds as files: the catalog file and the ingestion schedule), and `Overrides` for
/// boards and models.
pub struct Setup {
    pub backend: Backend,
    /// Proxies whose `X-Forwarded-For` is believed. Default: loopback, so tests can act as many
    /// clients; `vec![]` makes the socket address the only source.
    pub trusted_proxies: Vec<&'static str>,
    pub max_body_bytes: usize,
    pub catalog: jobin_core::domain::PlanCatalog,
    /// Meter and lock in this Redis instead of in-process.
    pub redis: Option<jobin_adapters::redis::Redis>,
    /// The job boards: `None` = the seeded fake boards without latency (`JOBIN_DEMO`).
    pub boards: Option<Vec<Arc<dyn jobin_core::ports::JobSource>>>,
    /// The AI model catalog (default: the document's; the catalog file's `[models]`).
    pub models: jobin_core::domain::ModelCatalog,
    /// The LLM providers: `None` = only `local` (no keys are configured, so no network).
    pub llm: Option<Vec<Arc<dyn jobin_core::ports::LlmProvider>>>,
    pub ai_budget: std::time::Duration,
    /// Stripe's API root (a mock): `None` = the offline stand-in pages (`JOBIN_BILLING=local`).
    pub stripe_base_url: Option<String>,
    /// An SMTP server for billing emails: `None` = the log outbox in the scratch dir.
    pub smtp_url: Option<String>,
    /// Scheduled ingestion, matching, webhook deliveries and digests: off by default (tests run
    /// cycles through `state.background.ingest`, `.matching`, `.deliveries` and `.digests`).
    pub ingest: IngestSettings,
    /// `JOBIN_IMPORT_FILE`: wires the import source (the server also loads it in the background;
    /// tests load it themselves with `jobin_adapters::sources::file::import_file` to know when it is done).
    pub import: Option<std::path::PathBuf>,
    /// More `JOBIN_*` variables, read like the server's environment (e.g. connection limits).
    pub env: Vec<(&'static str, String)>,
    /// Resolves webhook hosts instead of the system (a stub: no test ever asks real DNS).
    pub webhook_lookup: Option<Arc<dyn jobin_adapters::webhook_sender::NameLookup>>,
    /// Serve on this loopback port and announce it as the public URL (links the server hands out,
    /// like the local checkout pages, then work); `None` = any free port and `https://jobin.test`.
    pub port: Option<u16>,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            backend: Backend::Sqlite,
            trusted_proxies: vec!["127.0.0.1/32"],
            max_body_bytes: 64 * 1024,
            catalog: roomy_catalog(),
            redis: None,
            boards: None,
            models: jobin_core::domain::ModelCatalog::document(),
            llm: None,
            ai_budget: jobin_core::services::AI_BUDGET,
            stripe_base_url: None,
            smtp_url: None,
            ingest: IngestSettings {
                match_every: None,
                deliver_every: None,
                digest_every: None,
                ..IngestSettings::default()
            },
            import: None,
            env: vec![],
            webhook_lookup: None,
            port: None,
        }
    }
}

/// Every scope, in the documented order (what a key gets by default): written out, so that a
/// renamed or reordered scope fails the tests.
pub const ALL_SCOPES: [&str; 9] = [
    "jobs:read",
    "analytics:read",
    "ai:use",
    "keys:write",
    "billing:write",
    "applications:read",
    "applications:write",
    "searches:read",
    "searches:write",
];

/// A loopback port free right now (for [`Setup::port`]).
pub use jobin_adapters::testing::free_port;

/// The document's catalog with its per-class limits (data, account, tracker, AI) raised, for tests that
/// are not about limits (a Free account allows 10 data requests a minute). Rate-limit tests use `PlanCatalog::document()`.
pub fn roomy_catalog() -> jobin_core::domain::PlanCatalog {
    use jobin_core::domain::{CatalogOverrides, Plan, PlanCatalog, PlanOverride};
    let mut o = CatalogOverrides::default();
    for plan in Plan::ALL {
        o.plans.insert(
            plan,
            PlanOverride {
                per_minute: Some(100_000),
                account_per_minute: Some(100_000),
                tracker_per_minute: Some(100_000),
                ai_per_hour: Some(100_000),
                ..Default::default()
            },
        );
    }
    PlanCatalog::document().with_overrides(&o).expect("valid overrides")
}

impl Setup {
    /// The `JOBIN_*` variables this setup stands for (secrets, scratch data dir, prices, …).
    pub fn env(&self, data_dir: &std::path::Path) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("JOBIN_DATA_DIR", data_dir.display().to_string()),
            ("JOBIN_JWT_SECRET", JWT_SECRET.to_owned()),
            ("JOBIN_KEY_PEPPER", KEY_PEPPER.to_owned()),
            ("JOBIN_STRIPE_WEBHOOK_SECRET", STRIPE_WEBHOOK_SECRET.to_owned()),
            (
                "JOBIN_PUBLIC_URL",
                self.port.map_or_else(|| "https://jobin.test".to_owned(), |p| format!("http://127.0.0.1:{p}")),
            ),
            ("JOBIN_TRUSTED_PROXIES", self.trusted_proxies.join(",")),
            ("JOBIN_MAX_BODY_BYTES", self.max_body_bytes.to_string()),
            ("JOBIN_SOURCE_TIMEOUT_MS", "2000".to_owned()),
            ("JOBIN_AI_BUDGET_MS", self.ai_budget.as_millis().to_string()),
            ("JOBIN_STRIPE_PRICE_STARTER", "price_starter".to_owned()),
            ("JOBIN_STRIPE_PRICE_PRO", "price_pro".to_owned()),
            ("JOBIN_STRIPE_PRICE_SCALE", "price_scale".to_owned()),
        ];
        if self.boards.is_none() {
            env.extend([("JOBIN_DEMO", "1".to_owned()), ("JOBIN_DEMO_LATENCY_MS", "0".to_owned())]);
        }
        match &self.stripe_base_url {
            Some(url) => env.extend([
                ("JOBIN_STRIPE_SECRET_KEY", STRIPE_SECRET_KEY.to_owned()),
                ("JOBIN_STRIPE_BASE_URL", url.clone()),
            ]),
            // The offline stand-in, asked for explicitly as an operator would.
            None => env.push(("JOBIN_BILLING", "local".to_owned())),
        }
        if let Some(url) = &self.smtp_url {
            env.extend([
                ("JOBIN_SMTP_URL", url.clone()),
                ("JOBIN_EMAIL_FROM", "JobIn Billing <billing@jobin.test>".to_owned()),
            ]);
        }
        if let Some(path) = &self.import {
            env.push(("JOBIN_IMPORT_FILE", path.display().to_string()));
        }
        env.extend(self.env.iter().cloned());
        env
    }

    /// The server's configuration: [`Setup::env`] read by `Config::from_lookup`, with the catalog
    /// and the ingestion schedule set as typed values.
    pub fn config(&self, data_dir: &std::path::Path) -> Config {
        let env: std::collections::HashMap<&str, String> = self.env(data_dir).into_iter().collect();
        let mut config = Config::from_lookup(|k| env.get(k).cloned()).expect("the test setup is a valid configuration");
        config.catalog = self.catalog.clone();
        config.models = self.models.clone();
        config.ingest = self.ingest.clone();
        config
    }
}

pub struct TestServer {
    pub base: String,
    pub http: reqwest::Client,
    pub state: Arc<AppState>,
    pub pg: Option<ScratchPostgres>,
    /// The server's own database pool (a fault test can make its connection fail).
    pub db: sea_orm::DatabaseConnection,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
}

static CLIENTS: AtomicU32 = AtomicU32::new(1);

/// A unique client address (for `X-Forwarded-For`) so per-IP limits do not couple tests.
pub fn fresh_ip() -> String {
    let n = CLIENTS.fetch_add(1, Ordering::SeqCst);
    format!("198.18.{}.{}", (n >> 8) & 0xff, n & 0xff)
}

/// Waits, if need be, until at least `secs` seconds are left in the current clock minute. The
/// limits count in windows aligned to the minute: a burst that must meet its limit in one window
/// (n allowed, then 429) calls this first, or a slow machine may carry it across a boundary where
/// the count starts over.
pub async fn within_one_minute(secs: u64) {
    let secs = secs.min(55);
    let into =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_millis() % 60_000;
    let left = 60_000 - into as u64;
    if left < secs * 1000 {
        // Into the next minute, with a little margin for the server's own clock reading.
        tokio::time::sleep(std::time::Duration::from_millis(left + 200)).await;
    }
}

/// A unique email.
pub fn fresh_email() -> String {
    let n = CLIENTS.fetch_add(1, Ordering::SeqCst);
    format!("user{n}.{}@example.com", std::process::id())
}

impl TestServer {
    /// Moves an account to `plan` as the operator does (`jobin accounts set-plan`: the same use
    /// case, on the server's own key store so its cached principals hear of it at once).
    pub async fn set_plan(&self, email: &str, plan: &str) {
        self.state.accounts.set_plan.execute(email, plan).await.expect("set-plan");
    }

    // The background work, run now instead of on its schedule (what each cycle does is the
    // server's; only the moment is the test's).

    /// Stores postings in the job store as ingestion or a search stores them.
    pub async fn store_jobs(&self, jobs: &[jobin_core::domain::Job]) {
        self.state.jobs.store.upsert(jobs, chrono::Utc::now()).await.expect("job store");
    }

    /// Expires stored postings as ingestion does when a board drops them; answers how many were active.
    pub async fn expire_jobs(&self, ids: &[String]) -> u64 {
        self.state.jobs.store.expire_ids(ids, chrono::Utc::now()).await.expect("job store")
    }

    /// One ingestion cycle (the server must be set up with one: `watching_ingest`).
    pub async fn run_ingest(&self) -> jobin_core::usecases::IngestReport {
        let (ingest, _) = self.state.background.ingest.clone().expect("an ingestion schedule");
        ingest.run_cycle().await.expect("ingestion cycle")
    }

    /// One saved-search matching cycle on this node.
    pub async fn run_matching(&self) -> jobin_core::usecases::MatchRun {
        self.state.background.matching.run_cycle().await.expect("matching").expect("this node holds the matching lock")
    }

    /// One run of the webhook deliveries that are due.
    pub async fn run_deliveries(&self) -> jobin_core::usecases::DeliveryRun {
        self.state.background.deliveries.run_once().await.expect("deliveries")
    }

    /// One run of the daily digests that are due; answers how many were sent.
    pub async fn run_digests(&self) -> usize {
        self.state.background.digests.run_once().await.expect("digests").expect("this node holds the digest lock")
    }

    pub async fn start() -> Self {
        match Self::start_with(Setup::default()).await {
            Some(s) => s,
            None => unreachable!("SQLite is always available"),
        }
    }

    /// `None` only for PostgreSQL when no server is reachable outside CI (announced loudly).
    pub async fn start_with(setup: Setup) -> Option<Self> {
        let dir = tempfile::tempdir().expect("temp dir");
        let (db, pg) = match setup.backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("jobin.db").display());
                let db = jobin_adapters::db::connect(&url, 1).await.expect("sqlite");
                jobin_adapters::db::migrate(&db, &url).await.expect("migrate");
                (db, None)
            }
            Backend::Postgres => {
                let pg = ScratchPostgres::create().await?;
                (pg.db.clone(), Some(pg))
            }
        };
        let config = setup.config(dir.path());
        let overrides = Overrides { boards: setup.boards, llms: setup.llm, webhook_lookup: setup.webhook_lookup };
        let state =
            wiring::build(&config, Connections { db: db.clone(), redis: setup.redis }, overrides).expect("wiring");
        let at = std::net::SocketAddr::from(([127, 0, 0, 1], setup.port.unwrap_or(0)));
        let (listener, addr) = jobin_app::server::bind(at).await.expect("bind");
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(jobin_app::server::serve(state.clone(), listener, async {
            let _ = rx.await;
        }));
        Some(Self {
            base: format!("http://{addr}"),
            http: reqwest::Client::builder().no_proxy().build().expect("client"),
            state,
            pg,
            db,
            shutdown: Some(tx),
            task: Some(task),
            _dir: dir,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The server's scratch directory (the email outbox is `outbox.jsonl` there).
    pub fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// Graceful stop (flushes pending writes); drops a scratch PostgreSQL database.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Some(pg) = self.pg.take() {
            pg.cleanup().await;
        }
    }

    /// POST JSON from a fresh client address.
    pub async fn post_json(&self, path: &str, body: &Value) -> Reply {
        Reply::of(self.http.post(self.url(path)).header("x-forwarded-for", fresh_ip()).json(body).send().await).await
    }

    /// Registers a fresh account; returns (email, api key).
    pub async fn register(&self) -> (String, String) {
        let email = fresh_email();
        let r =
            self.post_json("/auth/register", &serde_json::json!({"email": email, "password": "correct horse"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        (email, r.body["api_key"].as_str().expect("api_key").to_owned())
    }

    /// Logs in; returns (access token, refresh token).
    pub async fn login(&self, email: &str) -> (String, String) {
        let r = self.post_json("/auth/login", &serde_json::json!({"email": email, "password": "correct horse"})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        (r.body["access_token"].as_str().expect("token").into(), r.body["refresh_token"].as_str().expect("rt").into())
    }

    /// The stored account registered with `email`.
    pub async fn account(&self, email: &str) -> jobin_core::domain::Account {
        let email = jobin_core::domain::Email::parse(email).expect("a valid email");
        self.state.accounts.store.find_login(&email).await.expect("key store").expect("registered").account
    }

    /// `method` `path` with `auth` as a Bearer credential (a key or a session) and a JSON body.
    pub async fn call(&self, method: &str, path: &str, auth: &str, body: Option<Value>) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
        let mut req = self.http.request(method, self.url(path)).bearer_auth(auth);
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.send(req).await
    }

    pub async fn get_with_key(&self, path: &str, key: &str) -> Reply {
        Reply::of(self.http.get(self.url(path)).header("x-api-key", key).send().await).await
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        Reply::of(req.send().await).await
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub async fn of(resp: reqwest::Result<reqwest::Response>) -> Self {
        let resp = resp.expect("request failed");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self { status, headers, body, text }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body with `request_id` checked against `X-Request-Id` and masked, for whole-body
    /// assertions.
    pub fn masked(&self) -> Value {
        let mut body = self.body.clone();
        if let Some(obj) = body.as_object_mut()
            && let Some(id) = obj.get_mut("request_id")
        {
            assert_eq!(id.as_str(), self.header("x-request-id"), "request_id must equal X-Request-Id");
            assert!(id.as_str().is_some_and(|s| !s.is_empty()));
            *id = Value::String("<id>".into());
        }
        body
    }
}

/// A private `redis-server` on a free loopback port, for outage tests (killing the shared Redis
/// would disturb other tests). Killed on drop.
pub struct OwnRedis {
    pub port: u16,
    child: Option<std::process::Child>,
}

impl OwnRedis {
    /// `None` (announced) when `redis-server` is not installed and Redis is not required.
    pub async fn start() -> Option<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let mut r = Self { port, child: None };
        match r.spawn().await {
            Ok(()) => Some(r),
            Err(e) if std::env::var_os("CI").is_none() && std::env::var_os("JOBIN_REQUIRE_REDIS").is_none() => {
                eprintln!("\n!!!!! SKIPPED: Redis outage test — cannot run redis-server: {e:#}\n");
                None
            }
            Err(e) => panic!("redis-server is required here (CI): {e:#}"),
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// (Re)starts the server on the same port and waits until it answers.
    pub async fn spawn(&mut self) -> anyhow::Result<()> {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        self.child = Some(child);
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.is_ok() {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        anyhow::bail!("redis-server did not start on port {}", self.port)
    }

    /// Kills the server (an outage).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Scheduled ingestion (hourly, run by hand in tests) watching `engineer` in gb and `developer` in
/// us, expiring jobs unseen for an hour.
pub fn watching_ingest() -> jobin_app::config::IngestSettings {
    jobin_app::config::IngestSettings {
        every: Some(std::time::Duration::from_secs(3600)),
        watch: vec![("engineer".into(), "gb".into()), ("developer".into(), "us".into())],
        expire_after: std::time::Duration::from_secs(3600),
        crawl_every: None,
        crawl_pages: 100,
        liveness_every: None,
        liveness_after: std::time::Duration::from_secs(86_400),
        match_every: None,
        deliver_every: None,
        digest_every: None,
    }
}

/// A posting as a board shows it (the same content each time it is fetched).
pub fn posting(native: &str, title: &str, city: &str, country: &str) -> jobin_core::domain::Job {
    let at = chrono::DateTime::parse_from_rfc3339("2026-12-01T09:00:00Z").unwrap().to_utc();
    jobin_core::domain::Job {
        id: jobin_core::domain::Job::make_id(jobin_core::domain::SourceId::Reed, native),
        source: jobin_core::domain::SourceId::Reed,
        title: title.to_owned(),
        company: "Acme".into(),
        location: jobin_core::domain::Location { city: city.into(), country: country.into(), region: String::new() },
        salary: None,
        skills: vec![],
        seniority: None,
        remote: false,
        url: format!("https://www.reed.co.uk/jobs/{native}"),
        posted_at: Some(at),
        valid_through: None,
        fetched_at: at,
        description: format!("{title} in {city}."),
        copies: vec![],
        details: Default::default(),
        provenance: None,
    }
}
