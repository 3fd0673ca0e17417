//! Test support: scratch databases, Redis prefixes, stand-ins for external services and the
//! contract-suite mechanism (`contract`). Compiled only with the `testing` feature.
//!
//! PostgreSQL suites use `JOBIN_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`) as an admin connection and create one fresh database
//! per test. When no server answers, the suite is skipped with a loud message — unless `CI` or
//! `JOBIN_REQUIRE_POSTGRES` is set, in which case it fails: CI must run it.

pub mod contract;
pub mod llm;
pub mod smtp;
pub mod stripe;

pub use contract::Subject;

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use std::sync::atomic::{AtomicU32, Ordering};

pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

fn required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
        || std::env::var_os("JOBIN_REQUIRE_POSTGRES").is_some()
}

/// A loopback port free right now and never handed out before in this test process: tests run
/// in parallel, and the kernel may give the port one test was handed (and released for its server
/// to bind) to the next test that asks, so two servers would race for it.
#[allow(clippy::expect_used)] // test support: no free port should fail the test
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// A fresh, migrated PostgreSQL database, dropped by `cleanup`.
pub struct ScratchPostgres {
    pub url: String,
    pub db: DatabaseConnection,
    admin: DatabaseConnection,
    name: String,
}

impl ScratchPostgres {
    /// `None` (after printing why) when PostgreSQL is unreachable and not required.
    pub async fn create() -> Option<Self> {
        let admin_url = std::env::var("JOBIN_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned());
        match Self::try_create(&admin_url).await {
            Ok(s) => Some(s),
            Err(e) if !required() => {
                eprintln!(
                    "\n!!!!! SKIPPED: PostgreSQL suite — no server at {admin_url}: {e:#}\n\
                     !!!!! Set JOBIN_TEST_POSTGRES_URL or start PostgreSQL; CI requires it.\n"
                );
                None
            }
            Err(e) => panic!("PostgreSQL is required here (CI) but unusable at {admin_url}: {e:#}"),
        }
    }

    async fn try_create(admin_url: &str) -> anyhow::Result<Self> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let admin = crate::db::connect(admin_url, 2).await?;
        let name = format!(
            "jobin_t_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            chrono::Utc::now().timestamp_subsec_nanos()
        );
        admin
            .execute_raw(Statement::from_string(DbBackend::Postgres, format!("CREATE DATABASE {name}")))
            .await
            .context("CREATE DATABASE")?;
        let url = swap_database(admin_url, &name)?;
        let db = crate::db::connect(&url, 5).await?;
        crate::db::migrate(&db, &url).await?;
        Ok(Self { url, db, admin, name })
    }

    /// Drops the database (connections are closed first).
    pub async fn cleanup(self) {
        self.db.close().await.ok();
        let _ = self
            .admin
            .execute_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ))
            .await;
        self.admin.close().await.ok();
    }

    /// Drops the database while the application still uses it (outage tests).
    pub async fn drop_now(&self) -> anyhow::Result<()> {
        self.admin
            .execute_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ))
            .await
            .context("DROP DATABASE")?;
        Ok(())
    }
}

/// Replaces the database name in a PostgreSQL URL, keeping any query string.
pub fn swap_database(url: &str, name: &str) -> anyhow::Result<String> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let slash = base.rfind('/').filter(|i| *i > "postgres://".len()).context("URL has no database path")?;
    let mut out = format!("{}/{name}", &base[..slash]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    Ok(out)
}

/// A small tmpfs mounted for one test, so a real full disk can be made and mended (needs root; CI
/// runs as root). Unmounted on drop. `None` (after printing why) when this process cannot mount
/// and the suite is not required (`CI`).
pub struct SmallDisk {
    pub path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    pub fn mount(megabytes: u32) -> Option<Self> {
        let dir = tempfile::tempdir().ok()?;
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m,mode=0700"), "tmpfs"])
            .arg(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Self { path: dir.path().to_owned(), _dir: dir }),
            other if !required() => {
                eprintln!(
                    "\n!!!!! SKIPPED: a real full disk needs a tmpfs mount (root), refused here: {other:?}\n\
                     !!!!! The deterministic full-disk tests still ran; CI requires this one.\n"
                );
                None
            }
            other => panic!("a tmpfs mount is required here (CI) but was refused: {other:?}"),
        }
    }

    /// Takes every free byte with a filler file.
    #[allow(clippy::expect_used)] // test support: a disk that cannot be filled should fail the test
    pub fn fill(&self) {
        use std::io::Write;
        let mut f = std::fs::File::create(self.path.join("filler")).expect("the filler is created");
        let block = vec![0u8; 4096];
        while f.write_all(&block).is_ok() {}
    }

    /// Gives the filler's bytes back.
    #[allow(clippy::expect_used)] // as `fill`
    pub fn free(&self) {
        std::fs::remove_file(self.path.join("filler")).expect("the filler is removed");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

/// A fresh, migrated in-memory SQLite database.
pub async fn sqlite_memory() -> anyhow::Result<DatabaseConnection> {
    let db = crate::db::connect("sqlite::memory:", 1).await?;
    crate::db::migrate(&db, "sqlite::memory:").await?;
    Ok(db)
}

fn redis_required() -> bool {
    required() || std::env::var_os("JOBIN_REQUIRE_REDIS").is_some()
}

pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";

/// A Redis connection with a key prefix unique to this call, so tests never share keys. `None`
/// (after printing why) when Redis is unreachable and not required (`CI`, `JOBIN_REQUIRE_REDIS`).
pub async fn redis() -> Option<(crate::redis::Redis, String)> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let url = std::env::var("JOBIN_TEST_REDIS_URL").unwrap_or_else(|_| DEFAULT_REDIS_URL.to_owned());
    let prefix = format!(
        "jobin-test:{}:{}:{}:",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        chrono::Utc::now().timestamp_subsec_nanos()
    );
    match crate::redis::Redis::connect(&url, &prefix).await {
        Ok(r) => Some((r, prefix)),
        Err(e) if !redis_required() => {
            eprintln!(
                "\n!!!!! SKIPPED: Redis suite — no server at {url}: {e:#}\n\
                 !!!!! Set JOBIN_TEST_REDIS_URL or start Redis; CI requires it.\n"
            );
            None
        }
        Err(e) => panic!("Redis is required here (CI) but unusable at {url}: {e:#}"),
    }
}

/// A second client on the same Redis and prefix: another "node".
pub async fn redis_peer(prefix: &str) -> anyhow::Result<crate::redis::Redis> {
    let url = std::env::var("JOBIN_TEST_REDIS_URL").unwrap_or_else(|_| DEFAULT_REDIS_URL.to_owned());
    crate::redis::Redis::connect(&url, prefix).await
}

/// A file of the `shared/` folder beside the checkout (recorded captures, datasets), or `None`
/// after a loud SKIPPED line when it is absent (a bare clone). Under `CI` or
/// `JOBIN_REQUIRE_SHARED=1` an absent file fails the test instead.
pub fn shared_file(relative: &str) -> Option<std::path::PathBuf> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared").join(relative);
    if path.exists() {
        return Some(path);
    }
    if std::env::var_os("CI").is_some() || std::env::var_os("JOBIN_REQUIRE_SHARED").is_some() {
        panic!("{} is required here (CI) but absent", path.display());
    }
    eprintln!("\n!!!!! SKIPPED: needs ../shared/{relative}, absent (a bare clone); CI requires it.\n");
    None
}

/// A Free account registered at `email` in `db` (with a first key derived from the address), for
/// contract suites of stores that hang off accounts.
#[allow(clippy::expect_used)] // test support: an account that cannot be made should fail the test
pub async fn account(db: &DatabaseConnection, email: &str) -> jobin_core::domain::AccountId {
    use jobin_core::domain::{ApiKeySecret, Email, KeyName, Plan, Scopes, SecretHasher};
    use jobin_core::ports::{KeyStore, NewKey};
    let k = ApiKeySecret::from_random([email.bytes().fold(7u8, |h, b| h.wrapping_mul(31).wrapping_add(b)); 32]);
    let new = NewKey {
        name: KeyName::parse("k").expect("a valid name"),
        hash: SecretHasher::new(b"contract".to_vec()).hash(k.expose()),
        prefix: k.prefix(),
        scopes: Scopes::ALL,
        minted_by_login: None,
    };
    let email = Email::parse(email).expect("a valid email");
    let at = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    crate::db::SqlKeyStore::new(db.clone())
        .create_account(&email, "$argon2id$h", Plan::Free, new, at)
        .await
        .expect("the account is created")
        .0
        .id
}
