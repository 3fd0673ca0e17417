//! Opening the configured database (migrations applied) and Redis.

use anyhow::Context;
use jobin_adapters::db;
use jobin_adapters::redis::Redis;
use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret;

use crate::config::Config;

pub mod backup;

/// The connections a server is built on.
pub struct Connections {
    pub db: DatabaseConnection,
    /// Shared Redis for meter, lock and cache (several nodes); `None`: in-process.
    pub redis: Option<Redis>,
}

impl Connections {
    /// The database (claimed for this server's mode: demo or real), then Redis when
    /// `JOBIN_REDIS_URL` is set (start-up fails if either does not answer).
    pub async fn open(config: &Config) -> anyhow::Result<Self> {
        let db = open_database(config).await?;
        claim_mode(config, &db).await?;
        Ok(Self { db, redis: open_redis(config).await? })
    }
}

/// Connects to the configured database and applies migrations. An SQLite file is first checked:
/// a lost one (missing or empty beside the secrets of an earlier start) and a damaged one refuse
/// the start, so a node never serves a new, empty store or a broken one as if it were the old.
pub async fn open_database(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let url = config.database_url.expose_secret();
    let file = sqlite_file(url);
    if let Some(file) = &file {
        refuse_lost(config, file)?;
    }
    if config.uses_sqlite_in_data_dir() {
        crate::secrets::private_dir(&config.data_dir)
            .with_context(|| format!("creating data dir {}", config.data_dir.display()))?;
        // Created owner-only before SQLite opens it; its -wal and -shm files take its mode.
        let file = config.data_dir.join("jobin.db");
        crate::secrets::private_file(&file).with_context(|| format!("creating {}", file.display()))?;
        crate::secrets::sync_dir(&config.data_dir).with_context(|| format!("syncing {}", config.data_dir.display()))?;
    }
    let db = db::connect(url, config.db_max_connections).await.map_err(|e| match &file {
        Some(f) => e.context(format!(
            "opening {} (not writable by this user, or damaged? check its permissions, or restore it from a backup)",
            f.display()
        )),
        None => e,
    })?;
    if let Some(file) = &file {
        let limit = std::time::Duration::from_secs(config.db_check_secs);
        match db::quick_check(&db, limit).await? {
            db::Integrity::Ok => {}
            db::Integrity::Skipped => {
                tracing::info!(file = %file.display(), "integrity check skipped (JOBIN_DB_CHECK_SECS=0)")
            }
            db::Integrity::TimedOut => tracing::warn!(
                file = %file.display(), secs = config.db_check_secs,
                "integrity check did not finish in JOBIN_DB_CHECK_SECS; starting unchecked"
            ),
            db::Integrity::Damaged(problems) => anyhow::bail!(
                "the database {} is damaged (SQLite's quick_check: {}); refusing to serve it. Stop, restore it \
                 from a backup (README, Operations), and start again",
                file.display(),
                problems.join("; ")
            ),
        }
    }
    db::migrate(&db, url).await?;
    Ok(db)
}

/// A demo's database never serves a real server, nor a real one a demo (whose fake postings would
/// land in it): the first start claims the database for its mode, later starts must match.
async fn claim_mode(config: &Config, db: &DatabaseConnection) -> anyhow::Result<()> {
    let mode = if config.demo.is_some() { db::ServerMode::Demo } else { db::ServerMode::Real };
    let Err(conflict) = db::claim_mode(db, mode).await? else { return Ok(()) };
    let place = place(config.database_url.expose_secret());
    match mode {
        db::ServerMode::Real => anyhow::bail!(
            "{place} belongs to a demo: {conflict}. A real server never serves a demo's invented postings. \
             Start the real server on its own data (unset JOBIN_DATA_DIR for ./data, or point JOBIN_DATA_DIR / \
             JOBIN_DATABASE_URL elsewhere); the demo keeps ./data-demo"
        ),
        db::ServerMode::Demo => anyhow::bail!(
            "{place} belongs to a real server: {conflict}. A demo would add its fake postings to it. Run the \
             demo on its own data (unset JOBIN_DATA_DIR for ./data-demo, or point it elsewhere)"
        ),
    }
}

/// The database an operator command works on, which must exist already (a command never creates
/// an empty one where the operator mistyped the data dir), and where it is, for its messages.
pub async fn open_existing(config: &Config) -> anyhow::Result<(DatabaseConnection, String)> {
    let url = config.database_url.expose_secret();
    if let Some(f) = sqlite_file(url) {
        let empty = std::fs::metadata(&f).map(|m| m.len() == 0).unwrap_or(true);
        anyhow::ensure!(
            !empty,
            "no database at {}: is this the server's data dir? Run the command where the server runs, or \
             set JOBIN_DATA_DIR (or JOBIN_DATABASE_URL) as the server has it; `--demo` for the demo's",
            f.display()
        );
    }
    let place = place(url);
    Ok((open_database(config).await?, place))
}

/// Where a database URL points, for messages: its SQLite file, or the URL without its password.
fn place(url: &str) -> String {
    match sqlite_file(url) {
        Some(f) => f.display().to_string(),
        None => crate::config::redact_url(url),
    }
}

/// The file an `sqlite:` URL names (`None` for an in-memory database or another backend).
pub(crate) fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.starts_with(":memory:") && !url.contains("mode=memory")).then(|| path.into())
}

/// The secret files a start generates beside the database: their presence says a database was
/// made here before.
pub const GENERATED_SECRETS: [&str; 3] = ["jwt_secret", "key_pepper", "stripe_webhook_secret"];

/// Refuses to start a new, empty database where an earlier one was lost: the secrets an earlier
/// start generated are present, but the database file is missing or empty. `--init` says the
/// operator means it.
fn refuse_lost(config: &Config, file: &std::path::Path) -> anyhow::Result<()> {
    let secrets = config.data_dir.join("secrets");
    let earlier = GENERATED_SECRETS.iter().any(|name| secrets.join(name).exists());
    let size = std::fs::metadata(file).map(|m| m.len()).ok();
    if !earlier || size.is_some_and(|n| n > 0) {
        return Ok(());
    }
    let state = if size.is_none() { "missing" } else { "empty (0 bytes)" };
    if config.init {
        tracing::warn!(
            file = %file.display(), secrets = %secrets.display(),
            "--init: the database is {state}; starting a new, empty one beside the earlier secrets"
        );
        return Ok(());
    }
    anyhow::bail!(
        "the database {} is {state}, but {} holds the secrets of an earlier start: its accounts, keys and \
         data would be gone. Restore the database from a backup (README, Operations), or, to begin anew on \
         purpose, start once with `jobin serve --init`",
        file.display(),
        secrets.display()
    )
}

/// Connects to `JOBIN_REDIS_URL` when set.
pub async fn open_redis(config: &Config) -> anyhow::Result<Option<Redis>> {
    match &config.redis_url {
        None => Ok(None),
        Some(url) => Ok(Some(Redis::connect(url.expose_secret(), &config.redis_prefix).await?)),
    }
}
