//! Persistence through sea-orm: one code path for SQLite (embedded default) and PostgreSQL.

pub mod application_store;
pub mod billing_store;
pub mod delivery_store;
pub mod entities;
pub mod job_store;
pub mod key_store;
pub mod match_store;
pub mod migrations;
pub mod saved_search_store;
pub mod usage_log;

pub use application_store::SqlApplicationStore;
pub use billing_store::SqlBillingStore;
pub use delivery_store::SqlDeliveryStore;
pub use job_store::SqlJobStore;
pub use key_store::SqlKeyStore;
pub use match_store::SqlMatchStore;
pub use saved_search_store::SqlSavedSearchStore;
pub use usage_log::SqlUsageLog;

use anyhow::Context;
use jobin_core::ports::KeyStoreError;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement};
use sea_orm_migration::MigratorTrait;
use std::time::Duration;

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// The longest a request waits for a PostgreSQL connection (and so for its 503 during an outage).
pub const PG_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(1);

/// Opens a pool. SQLite gets one connection (a single writer anyway; WAL, foreign keys and a busy
/// timeout set); PostgreSQL gets `max_connections`. Short acquire timeouts so a dead database
/// turns into a prompt 503, not a hung request.
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<DatabaseConnection> {
    let backend = Backend::of(url).context("database URL must start with sqlite: or postgres://")?;
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false);
    match backend {
        Backend::Sqlite => {
            // One connection: a request may wait behind a long write.
            opts.connect_timeout(Duration::from_secs(5)).acquire_timeout(Duration::from_secs(5));
            opts.max_connections(1).min_connections(1).map_sqlx_sqlite_opts(|o| {
                o.foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5))
                    .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
            });
            // A connection goes back to the pool only in a known state: outside any transaction.
            // After a failed COMMIT (a full disk, an I/O error) SQLite may already have rolled the
            // transaction back, the driver's ROLLBACK then fails and it still counts a transaction
            // open: its next BEGIN would become a SAVEPOINT nested in a transaction that is never
            // committed, so writes would answer success and be lost. Such a connection is closed
            // (closing rolls back whatever SQLite still holds) and the pool opens a fresh one.
            opts.map_sqlx_sqlite_pool_opts(|p| p.after_release(|conn, _| Box::pin(left_clean(conn))));
        }
        Backend::Postgres => {
            // While the server is down the pool retries its connect until the acquire timeout:
            // that is how long each request waits before its 503, so it is short.
            opts.connect_timeout(PG_ACQUIRE_TIMEOUT).acquire_timeout(PG_ACQUIRE_TIMEOUT);
            opts.max_connections(max_connections.max(2)).min_connections(1);
            // Every statement is planned for its own values. The driver keeps each statement
            // prepared for the connection's life, and PostgreSQL would soon settle on one generic
            // plan: chosen while a table is still small (a fresh store, the corpus index as its
            // first postings land) it scans the whole table, and keeps doing so as the table grows
            // (seen: a 300-id `DELETE … WHERE id IN` took 0.9 s at 100,000 rows, a load slowing
            // quadratically). A search's plan also depends on its values (a common word or a rare
            // one, a wide or narrow date range). Planning these statements costs well under a ms.
            // Set on each new connection rather than as a startup option, which a connection
            // pooler in front of PostgreSQL (PgBouncer) may refuse.
            opts.map_sqlx_postgres_pool_opts(|p| p.after_connect(|conn, _| Box::pin(plan_each_statement(conn))));
        }
    }
    Database::connect(opts).await.context("connecting to the database")
}

/// `plan_cache_mode = force_custom_plan` for this PostgreSQL session (see [`connect`]).
async fn plan_each_statement(conn: &mut sea_orm::sqlx::PgConnection) -> Result<(), sea_orm::sqlx::Error> {
    use sea_orm::sqlx::Executor;
    conn.execute("SET plan_cache_mode = force_custom_plan").await.map(|_| ())
}

/// Whether a released SQLite connection may be reused: it holds no transaction once its queued
/// rollback (a dropped transaction's) has run — the ping waits for that, only when one may be queued.
async fn left_clean(conn: &mut sea_orm::sqlx::SqliteConnection) -> Result<bool, sea_orm::sqlx::Error> {
    use sea_orm::sqlx::Connection;
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    conn.ping().await?;
    let clean = !conn.is_in_transaction();
    if !clean {
        tracing::warn!("a database connection was left inside a transaction after a failed write; replacing it");
    }
    Ok(clean)
}

/// Who a database serves: a demo (fake job boards, invented postings) or a real server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerMode {
    Demo,
    Real,
}

impl ServerMode {
    fn as_str(self) -> &'static str {
        match self {
            ServerMode::Demo => "demo",
            ServerMode::Real => "real",
        }
    }
}

/// Why a database cannot serve in a mode.
#[derive(Debug, thiserror::Error)]
pub enum ModeConflict {
    #[error("it was made by a {0} server")]
    ClaimedBy(String),
    #[error("it holds postings of the demo's fake boards (…example.test URLs)")]
    HoldsDemoPostings,
}

/// The mode the database is claimed for, if it is.
async fn claimed_mode(db: &DatabaseConnection) -> anyhow::Result<Option<String>> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(backend, "SELECT mode FROM server_mode WHERE id = 1"))
        .await
        .context("reading the server mode")?;
    row.map(|r| r.try_get_by_index::<String>(0)).transpose().context("reading the server mode")
}

/// Claims the database for `mode` on its first start, or checks the claim: a demo's database never
/// serves a real server and a real one never takes a demo's postings. A database from before the
/// claim existed is claimed now, unless a real server would serve the demo postings it holds.
pub async fn claim_mode(db: &DatabaseConnection, mode: ServerMode) -> anyhow::Result<Result<(), ModeConflict>> {
    let backend = db.get_database_backend();
    if claimed_mode(db).await?.is_none() {
        if mode == ServerMode::Real {
            let demo = db
                .query_one_raw(Statement::from_string(
                    backend,
                    "SELECT 1 FROM jobs WHERE body LIKE '%.example.test/%' LIMIT 1",
                ))
                .await
                .context("looking for demo postings")?;
            if demo.is_some() {
                return Ok(Err(ModeConflict::HoldsDemoPostings));
            }
        }
        let insert = match backend {
            DbBackend::Postgres => {
                "INSERT INTO server_mode (id, mode, claimed_at) VALUES (1, $1, $2) ON CONFLICT DO NOTHING"
            }
            _ => "INSERT INTO server_mode (id, mode, claimed_at) VALUES (1, ?, ?) ON CONFLICT DO NOTHING",
        };
        let values = [mode.as_str().into(), chrono::Utc::now().into()];
        db.execute_raw(Statement::from_sql_and_values(backend, insert, values))
            .await
            .context("claiming the server mode")?;
    }
    // The claim that stands (another node may have made it first).
    let held = claimed_mode(db).await?.context("the server mode was not recorded")?;
    Ok(if held == mode.as_str() { Ok(()) } else { Err(ModeConflict::ClaimedBy(held)) })
}

/// What `PRAGMA quick_check` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integrity {
    Ok,
    /// The problems SQLite reports (at most 10).
    Damaged(Vec<String>),
    /// The check ran past its time limit and was interrupted.
    TimedOut,
    /// A zero time limit: not checked.
    Skipped,
}

/// Runs SQLite's `quick_check` (the b-tree structure and every page, without the slower index
/// cross-checks of `integrity_check`), interrupted at `limit`. A file too damaged to read at all
/// counts as damaged, with SQLite's message.
pub async fn quick_check(db: &DatabaseConnection, limit: Duration) -> anyhow::Result<Integrity> {
    use sea_orm::sqlx;
    if limit.is_zero() {
        return Ok(Integrity::Skipped);
    }
    let mut conn = db.get_sqlite_connection_pool().acquire().await.context("acquiring a connection to check")?;
    let deadline = std::time::Instant::now() + limit;
    conn.lock_handle().await?.set_progress_handler(10_000, move || std::time::Instant::now() < deadline);
    let found = sqlx::query_scalar::<_, String>("PRAGMA quick_check(10)").fetch_all(&mut *conn).await;
    conn.lock_handle().await?.remove_progress_handler();
    match found {
        Ok(rows) if rows.iter().all(|r| r == "ok") => Ok(Integrity::Ok),
        Ok(rows) => Ok(Integrity::Damaged(rows)),
        Err(sqlx::Error::Database(e)) => match e.code().and_then(|c| c.parse::<i32>().ok()) {
            Some(9) => Ok(Integrity::TimedOut), // SQLITE_INTERRUPT
            _ => Ok(Integrity::Damaged(vec![e.message().to_owned()])),
        },
        Err(e) => Err(anyhow::Error::new(e).context("running the integrity check")),
    }
}

/// Writes a consistent copy of the SQLite database `db` to the new file `dest` with `VACUUM INTO`:
/// one read transaction's snapshot (writers carry on beside it in WAL mode), compacted, every
/// committed row and nothing half-written.
pub async fn sqlite_snapshot_into(db: &DatabaseConnection, dest: &std::path::Path) -> anyhow::Result<()> {
    anyhow::ensure!(db.get_database_backend() == DbBackend::Sqlite, "a snapshot is SQLite's (use pg_dump)");
    let dest = dest.to_str().context("the backup path is not UTF-8")?;
    db.execute_raw(Statement::from_sql_and_values(DbBackend::Sqlite, "VACUUM INTO ?", [dest.into()]))
        .await
        .context("copying the database (VACUUM INTO)")?;
    Ok(())
}

/// The tables an operator checks a copy by, with their row counts (active postings only).
pub async fn census(db: &DatabaseConnection) -> anyhow::Result<Vec<(&'static str, i64)>> {
    let tables = [
        ("accounts", "SELECT COUNT(*) FROM accounts"),
        ("api keys", "SELECT COUNT(*) FROM api_keys"),
        ("applications", "SELECT COUNT(*) FROM applications"),
        ("saved searches", "SELECT COUNT(*) FROM saved_searches"),
        ("active postings", "SELECT COUNT(*) FROM jobs WHERE expired_at IS NULL"),
    ];
    let mut out = Vec::new();
    for (name, sql) in tables {
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .with_context(|| format!("counting {name}"))?
            .context("no count")?;
        out.push((name, row.try_get_by_index::<i64>(0).with_context(|| format!("counting {name}"))?));
    }
    Ok(out)
}

/// Applies pending migrations. On PostgreSQL, concurrent starters (several nodes) are serialized
/// with an advisory lock held on a dedicated connection.
pub async fn migrate(db: &DatabaseConnection, url: &str) -> anyhow::Result<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        const KEY: i64 = 0x4a6f_6249_6e00; // "JobIn"
        let guard = connect(url, 1).await?;
        guard
            .execute_raw(Statement::from_string(DbBackend::Postgres, format!("SELECT pg_advisory_lock({KEY})")))
            .await
            .context("taking the migration lock")?;
        let result = migrations::Migrator::up(db, None).await.context("applying migrations");
        guard
            .execute_raw(Statement::from_string(DbBackend::Postgres, format!("SELECT pg_advisory_unlock({KEY})")))
            .await
            .context("releasing the migration lock")?;
        guard.close().await.ok();
        result
    } else {
        migrations::Migrator::up(db, None).await.context("applying migrations")
    }
}

/// Whether a driver error means the database cannot be reached or cannot serve now (vs. a problem
/// with the query or its values, which is not an outage): connection and pool failures, the
/// server's own SQLSTATEs for that — class 08 (connection exception), 53 (insufficient resources),
/// 57P01–57P03 (shutting down, crashed, starting) — and SQLite's storage failures (a full disk, a
/// read-only or damaged file, an I/O error, a lock held past the busy timeout).
pub(crate) fn is_unavailable(e: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    if matches!(e, DbErr::Conn(_) | DbErr::ConnectionAcquire(_)) {
        return true;
    }
    let (DbErr::Exec(sea_orm::RuntimeErr::SqlxError(s)) | DbErr::Query(sea_orm::RuntimeErr::SqlxError(s))) = e else {
        return false;
    };
    match &**s {
        Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::Tls(_) | Sqlx::WorkerCrashed => true,
        Sqlx::Database(d) => {
            let code = d.code();
            if d.try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>().is_some() {
                code.and_then(|c| c.parse::<i32>().ok()).is_some_and(sqlite_storage_failure)
            } else {
                code.is_some_and(|c| unavailable_sqlstate(&c))
            }
        }
        _ => false,
    }
}

/// SQLite result codes (primary code of an extended one) that say the store cannot serve, not that
/// the statement was wrong: BUSY 5, LOCKED 6, NOMEM 7, READONLY 8, IOERR 10, CORRUPT 11, FULL 13,
/// CANTOPEN 14, PROTOCOL 15, NOTADB 26.
fn sqlite_storage_failure(code: i32) -> bool {
    matches!(code & 0xff, 5 | 6 | 7 | 8 | 10 | 11 | 13 | 14 | 15 | 26)
}

fn unavailable_sqlstate(code: &str) -> bool {
    code.starts_with("08") || code.starts_with("53") || matches!(code, "57P01" | "57P02" | "57P03")
}

pub(crate) fn store_err(context: &'static str) -> impl FnOnce(DbErr) -> KeyStoreError {
    move |e| {
        if is_unavailable(&e) {
            KeyStoreError::Unavailable(anyhow::Error::new(e).context(context))
        } else {
            KeyStoreError::Unknown(anyhow::Error::new(e).context(context))
        }
    }
}

pub(crate) fn is_unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outage_sqlstates_are_told_from_bad_queries() {
        for code in ["08006", "08001", "53300", "57P01", "57P03"] {
            assert!(unavailable_sqlstate(code), "{code}");
        }
        // 22021: invalid byte sequence (a NUL in text); 42601: syntax error; 23505: unique violation.
        for code in ["22021", "42601", "23505", "40001"] {
            assert!(!unavailable_sqlstate(code), "{code}");
        }
    }

    #[test]
    fn sqlite_storage_failures_are_told_from_bad_statements() {
        // FULL, READONLY, IOERR_WRITE (778), READONLY_DIRECTORY (1544), CORRUPT, NOTADB, BUSY.
        for code in [13, 8, 778, 1544, 11, 26, 5] {
            assert!(sqlite_storage_failure(code), "{code}");
        }
        // ERROR (syntax), CONSTRAINT_UNIQUE (2067), MISMATCH, TOOBIG, RANGE.
        for code in [1, 2067, 20, 18, 25] {
            assert!(!sqlite_storage_failure(code), "{code}");
        }
    }
}
