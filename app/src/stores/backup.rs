//! `jobin backup PATH` and `jobin restore PATH` for the embedded store (SQLite): a backup is a
//! directory holding a consistent copy of the database (taken while the server serves), the
//! secret files the data dir holds (without the key pepper no API key authenticates) and a
//! manifest. A restore refuses while a server serves the store (each `serve` holds a shared lock
//! on `<database>.lock`; a restore takes it exclusively) and keeps what it replaces. PostgreSQL is
//! backed up with its own tools (README, Backups).

use anyhow::{Context, bail};
use jobin_adapters::db;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::path::{Path, PathBuf};

use super::{GENERATED_SECRETS, sqlite_file};
use crate::config::Config;
use crate::secrets::{private_dir, sync_dir, write_durably};

/// The database file's name inside a backup.
const DATABASE: &str = "jobin.db";
/// The manifest's name inside a backup.
const MANIFEST: &str = "backup.json";

/// What a backup holds, written last (a directory without it is an unfinished backup).
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    /// The manifest's own format.
    format: u32,
    /// The version of JobIn that wrote it.
    jobin: String,
    created_at: String,
    /// The secret files copied (`secrets/<name>`).
    secrets: Vec<String>,
    /// The secrets the server took from the environment, not in the backup: the operator keeps them.
    secrets_from_environment: Vec<String>,
    /// Row counts of the copy.
    counts: Vec<(String, i64)>,
}

/// The SQLite file the configuration serves, or why there is none to back up.
fn database_file(config: &Config) -> anyhow::Result<PathBuf> {
    let url = config.database_url.expose_secret();
    match sqlite_file(url) {
        Some(file) => Ok(file),
        None if url.starts_with("postgres") => bail!(
            "JOBIN_DATABASE_URL is PostgreSQL: back it up with pg_dump and restore with pg_restore (README, \
             Backups); the secrets to keep are JOBIN_JWT_SECRET and JOBIN_KEY_PEPPER"
        ),
        None => bail!("the configured database is not a file: nothing to back up"),
    }
}

/// The lock file beside a database: each `serve` holds it shared, a restore exclusively.
fn lock_path(database: &Path) -> PathBuf {
    with_suffix(database, ".lock")
}

fn open_lock(database: &Path) -> anyhow::Result<File> {
    let path = lock_path(database);
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(&path).with_context(|| format!("opening {}", path.display()))
}

/// Held while a server serves its SQLite store, so no restore replaces it underneath.
pub struct ServingLock(#[allow(dead_code)] File);

/// Takes the serving lock of the configured SQLite store (none for PostgreSQL or in-memory).
pub fn hold_while_serving(config: &Config) -> anyhow::Result<Option<ServingLock>> {
    let Some(database) = sqlite_file(config.database_url.expose_secret()) else { return Ok(None) };
    if let Some(dir) = database.parent().filter(|d| !d.as_os_str().is_empty()) {
        private_dir(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let file = open_lock(&database)?;
    match file.try_lock_shared() {
        Ok(()) => Ok(Some(ServingLock(file))),
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "{} is being restored (`jobin restore` holds {}); start the server when it has finished",
            database.display(),
            lock_path(&database).display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(anyhow::Error::new(e).context(format!("locking {}", lock_path(&database).display())))
        }
    }
}

/// What `jobin backup` did.
pub struct BackupReport {
    pub path: PathBuf,
    pub bytes: u64,
    pub secrets: Vec<String>,
    pub secrets_from_environment: Vec<String>,
    pub counts: Vec<(String, i64)>,
}

/// Writes a backup of the configured SQLite store to the new directory `dest` (it must not exist,
/// or be empty), while the server may keep serving.
pub async fn backup(config: &Config, dest: &Path) -> anyhow::Result<BackupReport> {
    database_file(config)?; // SQLite only: PostgreSQL has its own tools
    if dest.exists() {
        let empty = std::fs::read_dir(dest).map(|mut d| d.next().is_none()).unwrap_or(false);
        anyhow::ensure!(empty, "{} exists and is not an empty directory: name a new one", dest.display());
    }
    let (live, place) = super::open_existing(config).await?;
    private_dir(dest).with_context(|| format!("creating {}", dest.display()))?;
    let copy = dest.join(DATABASE);
    db::sqlite_snapshot_into(&live, &copy).await.with_context(|| format!("backing up {place}"))?;
    live.close().await.ok();
    owner_only(&copy)?;
    File::open(&copy).and_then(|f| f.sync_all()).with_context(|| format!("syncing {}", copy.display()))?;
    let counts = check_copy(&copy).await?;

    let (mut secrets, mut from_environment) = (Vec::new(), Vec::new());
    let secrets_dir = config.data_dir.join("secrets");
    for name in GENERATED_SECRETS {
        match std::fs::read_to_string(secrets_dir.join(name)) {
            Ok(value) => {
                let into = dest.join("secrets");
                private_dir(&into).with_context(|| format!("creating {}", into.display()))?;
                write_durably(&into.join(name), value.trim())
                    .with_context(|| format!("writing {}", into.join(name).display()))?;
                secrets.push(name.to_owned());
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => from_environment.push(name.to_owned()),
            Err(e) => return Err(anyhow::Error::new(e).context(format!("reading the secret {name}"))),
        }
    }
    let manifest = Manifest {
        format: 1,
        jobin: env!("CARGO_PKG_VERSION").to_owned(),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        secrets: secrets.clone(),
        secrets_from_environment: from_environment.clone(),
        counts: counts.clone(),
    };
    let text = serde_json::to_string_pretty(&manifest).context("writing the manifest")?;
    write_durably(&dest.join(MANIFEST), &text).with_context(|| format!("writing {}", dest.join(MANIFEST).display()))?;
    sync_dir(dest).with_context(|| format!("syncing {}", dest.display()))?;
    let bytes = std::fs::metadata(&copy).map(|m| m.len()).unwrap_or(0);
    Ok(BackupReport { path: dest.to_owned(), bytes, secrets, secrets_from_environment: from_environment, counts })
}

/// Opens a copied database on its own and checks it whole: SQLite's `quick_check`, then the row
/// counts (which a file that is not a JobIn database fails).
async fn check_copy(file: &Path) -> anyhow::Result<Vec<(String, i64)>> {
    let url = format!("sqlite://{}", file.display());
    let copy = db::connect(&url, 1).await.with_context(|| format!("opening the copy {}", file.display()))?;
    let checked = db::quick_check(&copy, std::time::Duration::from_secs(3600)).await;
    let counts = db::census(&copy).await;
    copy.close().await.ok();
    match checked? {
        db::Integrity::Ok => {}
        other => bail!("the copy {} is not sound: {other:?}", file.display()),
    }
    let counts = counts.with_context(|| format!("{} is not a JobIn database", file.display()))?;
    Ok(counts.into_iter().map(|(n, c)| (n.to_owned(), c)).collect())
}

/// What `jobin restore` did.
pub struct RestoreReport {
    pub database: PathBuf,
    /// Where the store and secrets it replaced were moved (nothing is deleted).
    pub kept_aside: Option<PathBuf>,
    pub counts: Vec<(String, i64)>,
    pub secrets: Vec<String>,
    /// Secrets the backup does not hold: the server must have them in its environment.
    pub secrets_from_environment: Vec<String>,
}

/// Restores the backup directory `from` into the configured SQLite store. Refused while a server
/// serves it; the database and secrets it replaces are moved to `replaced-<time>/` beside them.
pub async fn restore(config: &Config, from: &Path) -> anyhow::Result<RestoreReport> {
    let database = database_file(config)?;
    let manifest_text = std::fs::read_to_string(from.join(MANIFEST)).with_context(|| {
        format!("{} is not a finished backup (no {MANIFEST}): name the directory `jobin backup` wrote", from.display())
    })?;
    let manifest: Manifest =
        serde_json::from_str(&manifest_text).with_context(|| format!("reading {}", from.join(MANIFEST).display()))?;
    anyhow::ensure!(manifest.format == 1, "backup format {} is newer than this JobIn reads", manifest.format);
    let dir = database.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_owned();
    private_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;

    let lock = open_lock(&database)?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "a server is serving {} (it holds {}): stop it, then restore",
            database.display(),
            lock_path(&database).display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(anyhow::Error::new(e).context(format!("locking {}", lock_path(&database).display())));
        }
    }

    // The copy lands beside the store first and is checked there; only then does anything move.
    let incoming = dir.join(format!(".{DATABASE}.restoring"));
    let _ = std::fs::remove_file(&incoming);
    std::fs::copy(from.join(DATABASE), &incoming)
        .with_context(|| format!("copying {} to {}", from.join(DATABASE).display(), incoming.display()))?;
    owner_only(&incoming)?;
    File::open(&incoming).and_then(|f| f.sync_all()).with_context(|| format!("syncing {}", incoming.display()))?;
    let counts = match check_copy(&incoming).await {
        Ok(c) => c,
        Err(e) => {
            let _ = std::fs::remove_file(&incoming);
            return Err(e.context("the backup's database"));
        }
    };
    for side in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(&incoming, side));
    }

    // What is replaced is kept: the database with its WAL, and the secrets that differ.
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let aside = dir.join(format!("replaced-{stamp}"));
    let mut kept = false;
    let mut keep = |path: &Path| -> anyhow::Result<()> {
        if !path.exists() {
            return Ok(());
        }
        private_dir(&aside).with_context(|| format!("creating {}", aside.display()))?;
        let name = path.file_name().context("a file name")?;
        std::fs::rename(path, aside.join(name)).with_context(|| format!("moving {} aside", path.display()))?;
        kept = true;
        Ok(())
    };
    for side in ["", "-wal", "-shm"] {
        keep(&with_suffix(&database, side))?;
    }
    let secrets_dir = config.data_dir.join("secrets");
    for name in &manifest.secrets {
        let value = std::fs::read_to_string(from.join("secrets").join(name))
            .with_context(|| format!("reading the backup's secret {name}"))?;
        let target = secrets_dir.join(name);
        if std::fs::read_to_string(&target).is_ok_and(|v| v.trim() == value.trim()) {
            continue;
        }
        if target.exists() {
            let secrets_aside = aside.join("secrets");
            private_dir(&aside).and_then(|()| private_dir(&secrets_aside)).context("keeping the old secrets")?;
            std::fs::rename(&target, secrets_aside.join(name)).with_context(|| format!("moving {name} aside"))?;
            kept = true;
        }
        private_dir(&secrets_dir).with_context(|| format!("creating {}", secrets_dir.display()))?;
        write_durably(&target, value.trim()).with_context(|| format!("writing {}", target.display()))?;
    }
    std::fs::rename(&incoming, &database).with_context(|| format!("putting the restored {}", database.display()))?;
    sync_dir(&dir).with_context(|| format!("syncing {}", dir.display()))?;
    drop(lock);
    Ok(RestoreReport {
        database,
        kept_aside: kept.then_some(aside),
        counts,
        secrets: manifest.secrets,
        secrets_from_environment: manifest.secrets_from_environment,
    })
}

/// Makes `file` readable and writable by its owner only (0600 on Unix).
fn owner_only(file: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("securing {}", file.display()))?;
    }
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}
