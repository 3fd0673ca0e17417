//! Opening the configured database (migrations applied) and Redis.

use anyhow::Context;
use jobin_adapters::db;
use jobin_adapters::redis::Redis;
use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret;

use crate::config::Config;

/// The connections a server is built on.
pub struct Connections {
    pub db: DatabaseConnection,
    /// Shared Redis for meter, lock and cache (several nodes); `None`: in-process.
    pub redis: Option<Redis>,
}

impl Connections {
    /// The database, then Redis when `JOBIN_REDIS_URL` is set (start-up fails if either does not answer).
    pub async fn open(config: &Config) -> anyhow::Result<Self> {
        Ok(Self { db: open_database(config).await?, redis: open_redis(config).await? })
    }
}

/// Connects to the configured database and applies migrations.
pub async fn open_database(config: &Config) -> anyhow::Result<DatabaseConnection> {
    if config.uses_sqlite_in_data_dir() {
        crate::secrets::private_dir(&config.data_dir)
            .with_context(|| format!("creating data dir {}", config.data_dir.display()))?;
        // Created owner-only before SQLite opens it; its -wal and -shm files take its mode.
        let file = config.data_dir.join("jobin.db");
        crate::secrets::private_file(&file).with_context(|| format!("creating {}", file.display()))?;
    }
    let url = config.database_url.expose_secret();
    let db = db::connect(url, config.db_max_connections).await?;
    db::migrate(&db, url).await?;
    Ok(db)
}

/// Connects to `JOBIN_REDIS_URL` when set.
pub async fn open_redis(config: &Config) -> anyhow::Result<Option<Redis>> {
    match &config.redis_url {
        None => Ok(None),
        Some(url) => Ok(Some(Redis::connect(url.expose_secret(), &config.redis_prefix).await?)),
    }
}
