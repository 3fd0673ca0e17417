//! The server-side secrets: from the environment, or generated once and kept in the data dir
//! (`<data_dir>/secrets/<name>`, mode 0600).

use anyhow::Context;
use jobin_core::ports::Entropy;
use secrecy::SecretString;
use std::path::Path;

use crate::config::{Config, MIN_SECRET_BYTES};

pub struct Secrets {
    pub jwt_secret: SecretString,
    pub key_pepper: SecretString,
    /// The payment provider's webhook endpoint secret.
    pub stripe_webhook_secret: SecretString,
}

impl Secrets {
    /// Each secret from `config`, else from the data dir (generated with `entropy` the first time).
    pub fn resolve(config: &Config, entropy: &dyn Entropy) -> anyhow::Result<Self> {
        let get = |set: &Option<SecretString>, name: &str| match set {
            Some(s) => Ok(s.clone()),
            None => load_or_create(&config.data_dir, name, entropy),
        };
        Ok(Self {
            jwt_secret: get(&config.jwt_secret, "jwt_secret")?,
            key_pepper: get(&config.key_pepper, "key_pepper")?,
            stripe_webhook_secret: get(&config.stripe.webhook_secret, "stripe_webhook_secret")?,
        })
    }
}

/// Reads `<data_dir>/secrets/<name>`, creating it (0600, 32 random bytes as hex) if missing.
fn load_or_create(data_dir: &Path, name: &str, entropy: &dyn Entropy) -> anyhow::Result<SecretString> {
    let dir = data_dir.join("secrets");
    let path = dir.join(name);
    let read = |path: &Path| -> anyhow::Result<Option<SecretString>> {
        match std::fs::read_to_string(path) {
            Ok(existing) => {
                let v = existing.trim().to_owned();
                anyhow::ensure!(
                    v.len() >= MIN_SECRET_BYTES,
                    "{} is shorter than {MIN_SECRET_BYTES} bytes (damaged?): restore it from a backup, or set \
                     JOBIN_{}",
                    path.display(),
                    name.to_uppercase()
                );
                Ok(Some(SecretString::from(v)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(anyhow::Error::new(e).context(format!("reading {}", path.display()))),
        }
    };
    if let Some(existing) = read(&path)? {
        return Ok(existing);
    }
    private_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;
    sync_dir(data_dir).with_context(|| format!("syncing {}", data_dir.display()))?;
    let mut bytes = [0u8; 32];
    entropy.fill(&mut bytes);
    let value = hex::encode(bytes);
    if !write_durably(&path, &value).with_context(|| format!("writing {}", path.display()))? {
        // Another process starting on the same data dir made it first: its value is the one.
        return read(&path)?.with_context(|| format!("{} vanished", path.display()));
    }
    tracing::info!(path = %path.display(), "generated {name}; set JOBIN_{} in production", name.to_uppercase());
    Ok(SecretString::from(value))
}

/// Writes `value` to `path` so that a crash at any moment leaves either no file or the whole of it:
/// a temporary file (owner-only), synced, linked to `path` (never replacing one: `false` when
/// `path` exists already), then the directory synced so the name survives too.
pub fn write_durably(path: &Path, value: &str) -> std::io::Result<bool> {
    use std::io::Write;
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = (|| {
        let mut f = options.open(&tmp)?;
        f.write_all(value.as_bytes())?;
        f.sync_all()?;
        std::fs::hard_link(&tmp, path)
    })();
    let _ = std::fs::remove_file(&tmp);
    let made = match written {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
        Err(e) => return Err(e),
    };
    sync_dir(dir)?;
    Ok(made)
}

/// Syncs a directory, so the names created in it survive a crash (a no-op off Unix).
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

/// Creates `dir` (and missing parents) readable by this user only (0700 on Unix). An existing
/// directory keeps its mode: it is the operator's.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates `file` empty and owner-only (0600 on Unix) unless it exists.
pub fn private_file(file: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(file) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}
